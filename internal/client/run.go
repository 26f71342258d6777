package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// run is one Client.Run: the stream, the current connection and what
// the session has said so far.
type run struct {
	cfg    *Config
	log    *slog.Logger
	http   *http.Client
	stream *protocol.Stream
	// ctx is Run's own context, canceled when it returns: writes and
	// dials use it.
	ctx context.Context

	startc chan struct{} // closed when the session starts
	done   chan struct{} // closed by finish

	sizeMu   sync.Mutex // protects lastSize; held while a size is sent
	lastSize protocol.TerminalSize

	mu          sync.Mutex // protects the following
	ws          *websocket.Conn
	streamURL   string // where to dial again
	sessionType protocol.SessionType
	started     bool
	ended       bool
	endErr      error
	closed      protocol.ChannelClosed
	exitCode    int
	hasExit     bool
}

func newRun(cfg *Config) (*run, error) {
	r := &run{
		cfg:       cfg,
		log:       cfg.Logger.With("session", cfg.Session.SessionID),
		http:      httpClient(cfg.TLSConfig),
		startc:    make(chan struct{}),
		done:      make(chan struct{}),
		streamURL: cfg.Session.StreamURL,
	}
	s, err := protocol.NewStream(protocol.Config{Role: protocol.RoleClient, Send: r.send, Rand: cfg.Rand})
	if err != nil {
		return nil, err
	}
	r.stream = s
	return r, nil
}

// start marks the session started (handshake complete, or the first
// Output of an agent that runs none).
func (r *run) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return
	}
	r.started = true
	if r.sessionType == "" {
		r.sessionType = protocol.SessionStandardStream
	}
	close(r.startc)
}

// finish ends the session: nil after channel_closed, else why the
// client gave up. The first call wins.
func (r *run) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ended, r.endErr = true, err
	close(r.done)
}

func (r *run) run(parent context.Context) (code int, err error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	r.ctx = ctx
	defer r.http.CloseIdleConnections()

	var wg sync.WaitGroup
	defer wg.Wait()
	defer r.stream.Close()

	if err := r.connect(ctx); err != nil {
		return r.exitStatus(err)
	}
	wg.Go(func() { _ = r.stream.Run(ctx) })
	wg.Go(func() { r.readLoop(ctx) })
	wg.Go(func() { r.keepAlive(ctx) })
	wg.Go(r.copyOutput)
	wg.Go(func() { r.handleMessages(ctx) })

	restore := func() error { return nil }
	defer func() {
		if rerr := restore(); rerr != nil {
			r.log.Warn("restore terminal", "err", rerr)
		}
	}()
	startc := r.startc
loop:
	for {
		select {
		case <-r.done:
			break loop
		case <-ctx.Done():
			r.finish(ctx.Err())
		case <-startc:
			startc = nil
			if fn, err := r.begin(ctx); err != nil {
				r.finish(err)
			} else {
				restore = fn
			}
		case sig := <-r.cfg.Signals:
			r.signal(ctx, sig)
		}
	}

	// Drain: closing the stream lets the output and message loops write
	// out what was delivered, then end.
	r.stream.Close()
	r.closeConn()
	cancel()
	wg.Wait()
	if rerr := restore(); rerr != nil {
		r.log.Warn("restore terminal", "err", rerr)
	}
	restore = func() error { return nil }
	r.mu.Lock()
	endErr := r.endErr
	r.mu.Unlock()
	return r.exitStatus(endErr)
}

// begin starts the user's side of a started session: raw terminal, size,
// stdin. It returns the function that restores the terminal.
func (r *run) begin(ctx context.Context) (func() error, error) {
	r.mu.Lock()
	port := r.sessionType == protocol.SessionPort
	r.mu.Unlock()
	restore := func() error { return nil }
	if !port {
		if r.cfg.Terminal != nil {
			fn, err := r.cfg.Terminal.MakeRaw()
			if err != nil {
				return nil, fmt.Errorf("raw terminal: %w", err)
			}
			restore = fn
		}
		r.sendSize(ctx, true)
	}
	if r.cfg.Stdin != nil {
		go r.copyInput(!port) // not waited for: a blocked Read cannot be stopped
	}
	return restore, nil
}

// signal handles one signal of Config.Signals.
func (r *run) signal(ctx context.Context, sig os.Signal) {
	r.mu.Lock()
	started, port := r.started, r.sessionType == protocol.SessionPort
	r.mu.Unlock()
	switch {
	case isResize(sig):
		if started && !port {
			r.sendSize(ctx, false)
		}
	case isTerminate(sig):
		r.finish(fmt.Errorf("%v: left session %s running (sesame session resume %[2]s)", sig, r.cfg.Session.SessionID))
	default:
		key, ok := signalKey(sig)
		switch {
		case !ok:
		case !started:
			if key == 0x03 {
				r.finish(ErrInterrupted)
			}
		default:
			if err := r.stream.WriteMessage(ctx, protocol.PayloadOutput, []byte{key}); err != nil {
				r.log.Debug("signal not sent", "signal", sig, "err", err)
			}
		}
	}
}
