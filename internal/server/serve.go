package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout is how long Serve waits for calls in flight once its
// context is cancelled.
const ShutdownTimeout = 10 * time.Second

// Serve serves the API on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, tells agents and data-channel peers
// and closes their channels, lets calls in flight finish for up to
// ShutdownTimeout, then closes what is left. With tlsCfg nil it serves
// plain HTTP. ready, if not nil, is called once the server accepts.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsCfg *tls.Config, ready func()) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	hs.RegisterOnShutdown(s.hub.beginShutdown)
	if err := s.adoptSessions(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	if tlsCfg != nil {
		hs.TLSConfig = tlsCfg
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	if ready != nil {
		ready()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if herr := s.Shutdown(sctx); err == nil {
		err = herr
	}
	return err
}
