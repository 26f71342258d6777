package client

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Connection timing.
const (
	// ResumeAttempts is how many times the client calls ResumeSession
	// and dials again after the connection drops before it gives up.
	ResumeAttempts = 10

	resumeDelay    = 100 * time.Millisecond // before the second attempt, doubling
	resumeMaxDelay = 5 * time.Second
	dialTimeout    = 45 * time.Second // the plugin's handshake timeout
	writeTimeout   = 30 * time.Second
	keepAlive      = 30 * time.Second // ping interval; a failed ping drops the connection
	pingTimeout    = 20 * time.Second
	closeTimeout   = 2 * time.Second
)

// errNotConnected is what send returns while the client reconnects; the
// stream keeps the frame and sends it again after Resume.
var errNotConnected = errors.New("client: not connected")

// errChannelClosed ends a connection's read loop on channel_closed.
var errChannelClosed = errors.New("client: channel closed")

func (r *run) conn() *websocket.Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ws
}

func (r *run) setConn(ws *websocket.Conn) {
	r.mu.Lock()
	r.ws = ws
	r.mu.Unlock()
}

// send is the stream's Config.Send: one binary frame on the current
// connection.
func (r *run) send(frame []byte) error {
	ws := r.conn()
	if ws == nil {
		return errNotConnected
	}
	ctx, cancel := context.WithTimeout(r.ctx, writeTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageBinary, frame)
}

// dial opens a data-channel connection with token: the WebSocket, then
// the OpenDataChannel text frame.
func (r *run) dial(ctx context.Context, streamURL, token string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, streamURL, &websocket.DialOptions{HTTPClient: r.http})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %s: %w", redact(streamURL), resp.Status, err)
		}
		return nil, fmt.Errorf("dial %s: %w", redact(streamURL), err)
	}
	ws.SetReadLimit(protocol.MaxFrameSize)
	reqID, err := protocol.NewUUID(r.cfg.Rand)
	if err != nil {
		ws.CloseNow()
		return nil, err
	}
	open, err := json.Marshal(protocol.OpenDataChannel{
		MessageSchemaVersion: protocol.MessageSchemaVersion,
		RequestID:            reqID.String(),
		TokenValue:           token,
		ClientID:             r.cfg.ClientID,
		ClientVersion:        r.cfg.ClientVersion,
	})
	if err != nil {
		ws.CloseNow()
		return nil, err
	}
	if err := ws.Write(ctx, websocket.MessageText, open); err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("open data channel: %w", err)
	}
	return ws, nil
}

// redact drops the query of a StreamUrl (AWS's carry a cell token) for
// messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the data channel"
	}
	u.RawQuery = ""
	return u.String()
}

// connect opens the first connection with the session's token, or, if
// that fails, through ResumeSession.
func (r *run) connect(ctx context.Context) error {
	ws, err := r.dial(ctx, r.streamURL, r.cfg.Session.TokenValue)
	if err == nil {
		r.setConn(ws)
		return nil
	}
	if r.cfg.Resume == nil || untrusted(err) {
		return err
	}
	r.log.Info("data channel dial failed; resuming", "err", err)
	return r.reconnect(ctx)
}

// readLoop feeds the stream with the frames of the current connection
// and reconnects when it drops, until channel_closed, ctx is done or the
// session cannot be resumed.
func (r *run) readLoop(ctx context.Context) {
	for {
		ws := r.conn()
		err := r.read(ctx, ws)
		if errors.Is(err, errChannelClosed) {
			r.finish(nil)
			return
		}
		select {
		case <-r.done: // Run is closing the connection
			return
		default:
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Info("data channel lost", "err", err)
		r.setConn(nil)
		ws.CloseNow()
		if r.cfg.Resume == nil {
			r.finish(fmt.Errorf("data channel lost: %w", err))
			return
		}
		if err := r.reconnect(ctx); err != nil {
			if ctx.Err() == nil {
				r.finish(err)
			}
			return
		}
	}
}

// read reads one connection until it fails or the channel is closed.
func (r *run) read(ctx context.Context, ws *websocket.Conn) error {
	for {
		_, frame, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		m, err := r.stream.Receive(frame)
		if err != nil {
			if errors.Is(err, protocol.ErrClosed) {
				return err
			}
			r.log.Warn("frame refused", "err", err)
			continue
		}
		if m == nil {
			continue
		}
		switch m.MessageType {
		case protocol.TypeChannelClosed:
			var cc protocol.ChannelClosed
			if err := protocol.DecodePayload(m, protocol.TypeChannelClosed, &cc); err != nil {
				r.log.Warn("malformed channel_closed", "err", err)
			}
			r.mu.Lock()
			r.closed = cc
			r.mu.Unlock()
			return errChannelClosed
		case protocol.TypeAgentSessionState:
		default:
			r.log.Debug("message ignored", "type", m.MessageType)
		}
	}
}

// reconnect gets a new token with ResumeSession, dials again and resends
// what the agent has not acknowledged.
func (r *run) reconnect(ctx context.Context) error {
	id := r.cfg.Session.SessionID
	delay := resumeDelay
	var last error
	for attempt := 0; attempt < ResumeAttempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			delay = min(2*delay, resumeMaxDelay)
		}
		s, err := r.cfg.Resume(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if permanent(err) {
				return fmt.Errorf("resume session %s: %w", id, err)
			}
			last = err
			r.log.Info("resume session failed", "attempt", attempt+1, "err", err)
			continue
		}
		if s.TokenValue == "" {
			return errTimedOut
		}
		r.mu.Lock()
		r.streamURL = cmp.Or(s.StreamURL, r.streamURL)
		streamURL := r.streamURL
		r.mu.Unlock()
		ws, err := r.dial(ctx, streamURL, s.TokenValue)
		if untrusted(err) {
			return err
		}
		if err != nil {
			last = err
			r.log.Info("dial after resume failed", "attempt", attempt+1, "err", err)
			continue
		}
		if ctx.Err() != nil {
			ws.CloseNow()
			return ctx.Err()
		}
		r.setConn(ws)
		r.stream.Resume()
		r.log.Info("data channel resumed", "attempt", attempt+1)
		return nil
	}
	return fmt.Errorf("resume session %s: gave up after %d attempts: %w", id, ResumeAttempts, last)
}

// permanent reports whether a ResumeSession error will not go away by
// trying again: the session is gone or not the caller's.
func permanent(err error) bool {
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.ErrorCode() {
	case "DoesNotExistException", "AccessDeniedException", "InvalidParameters", "ValidationException":
		return true
	}
	return false
}

// untrusted reports whether a dial failed because the server's
// certificate is not trusted, which trying again does not change.
func untrusted(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr)
}

// keepAlive pings the current connection; a ping that fails closes it,
// which makes readLoop reconnect.
func (r *run) keepAlive(ctx context.Context) {
	t := time.NewTicker(keepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ws := r.conn()
		if ws == nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := ws.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			r.log.Info("keep-alive ping failed", "err", err)
			ws.CloseNow()
		}
	}
}

// closeConn closes the current connection politely, for a bounded time.
func (r *run) closeConn() {
	r.mu.Lock()
	ws := r.ws
	r.ws = nil
	r.mu.Unlock()
	if ws == nil {
		return
	}
	done := make(chan struct{})
	timer := time.AfterFunc(closeTimeout, func() {
		select {
		case <-done:
		default:
			ws.CloseNow()
		}
	})
	defer timer.Stop()
	_ = ws.Close(websocket.StatusNormalClosure, "")
	close(done)
}
