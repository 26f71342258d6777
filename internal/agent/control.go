package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// maxControlFrame is the largest control message the agent reads: a
// start_session carries a session document.
const maxControlFrame = 2 << 20

// errServerShutdown ends a control connection when the server says it
// is stopping.
var errServerShutdown = errors.New("the server is shutting down")

// controlConn is one control channel connection: a reader goroutine
// that hands messages to the agent, and heartbeats.
type controlConn struct {
	conn  *websocket.Conn
	hello chan int      // the server's hello: its heartbeat interval in seconds
	done  chan struct{} // closed when the reader has returned
	err   error         // why the reader returned; set before done is closed
	beats sync.WaitGroup
	busy  atomic.Bool // a heartbeat is under way
}

// dialControl opens the control channel with the node's token, or with
// the token before the last rotation if the server refuses the new one
// (it never heard the agent confirm the rotation). The token that works
// is kept and the other forgotten.
func (a *Agent) dialControl(ctx context.Context) (*controlConn, error) {
	creds := a.credentials()
	cc, err := a.dialControlWith(ctx, creds, creds.Token)
	var ae *APIError
	if err != nil && creds.PreviousToken != "" && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		a.log.Info("the server refused the rotated node token; trying the previous one")
		if cc, err = a.dialControlWith(ctx, creds, creds.PreviousToken); err == nil {
			creds.Token = creds.PreviousToken
		}
	}
	if err == nil && creds.PreviousToken != "" {
		creds.PreviousToken = ""
		a.keepCredentials(creds)
	}
	return cc, err
}

// keepCredentials saves creds and makes them current.
func (a *Agent) keepCredentials(creds Credentials) {
	if save := a.cfg.SaveCredentials; save != nil {
		if err := save(creds); err != nil {
			a.log.Error("credentials not saved", "err", err)
		}
	}
	a.mu.Lock()
	a.creds = creds
	a.mu.Unlock()
}

func (a *Agent) dialControlWith(ctx context.Context, creds Credentials, token string) (*controlConn, error) {
	u, err := endpointURL(creds.Endpoint)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, resp, err := a.dial(dctx, u.JoinPath("/agent/v1/control").String(),
		http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			return nil, fmt.Errorf("control channel: %w", apiError(resp.StatusCode, body))
		}
		return nil, fmt.Errorf("control channel: %w", explainDial(err))
	}
	conn.SetReadLimit(maxControlFrame)
	return &controlConn{conn: conn, hello: make(chan int, 1), done: make(chan struct{})}, nil
}

// serveControl says hello, heartbeats and serves cc until it fails or
// ctx is done; it reports whether the server answered the hello. When
// ctx is done it leaves cc open: stop closes it after the sessions.
func (a *Agent) serveControl(ctx context.Context, cc *controlConn) (connected bool, err error) {
	go cc.read(a.handleControl)
	defer func() {
		a.mu.Lock()
		if a.ctrl == cc {
			a.ctrl = nil
		}
		a.mu.Unlock()
	}()
	if err := cc.send(ctx, &protocol.ControlMessage{Type: protocol.ControlHello, Info: &a.info}); err != nil {
		return false, fmt.Errorf("send hello: %w", err)
	}
	interval := protocol.DefaultHeartbeatSeconds * time.Second
	t := a.cfg.Clock.NewTimer(interval)
	defer func() { t.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return connected, ctx.Err()
		case <-cc.done:
			select {
			case <-cc.hello: // read before the connection failed
				connected = true
			default:
			}
			return connected, cc.err
		case secs := <-cc.hello:
			if !connected {
				// Sessions may use the channel once the server has
				// answered hello: it refuses anything before.
				a.mu.Lock()
				a.ctrl = cc
				a.mu.Unlock()
				a.log.Info("control channel up", "instance_id", a.credentials().InstanceID)
			}
			connected = true
			if secs > 0 {
				interval = time.Duration(secs) * time.Second
			}
			t.Stop()
			t = a.cfg.Clock.NewTimer(interval)
		case <-t.C():
			cc.heartbeat(a)
			t = a.cfg.Clock.NewTimer(interval)
		}
	}
}

// heartbeat sends a heartbeat and pings, in the background; a failure
// closes the connection, which makes the agent reconnect.
func (cc *controlConn) heartbeat(a *Agent) {
	if !cc.busy.CompareAndSwap(false, true) {
		return // the last one is still waiting for its pong
	}
	cc.beats.Add(1)
	go func() {
		defer cc.beats.Done()
		defer cc.busy.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		defer cancel()
		err := cc.send(ctx, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
		if err == nil {
			err = cc.conn.Ping(ctx)
		}
		if err != nil {
			a.log.Warn("control channel heartbeat failed", "err", err)
			cc.conn.CloseNow()
		}
	}()
}

// read reads messages and hands them to handle until the connection
// fails or handle returns an error.
func (cc *controlConn) read(handle func(*controlConn, *protocol.ControlMessage) error) {
	defer close(cc.done)
	for {
		typ, data, err := cc.conn.Read(context.Background())
		if err != nil {
			cc.err = err
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		m, err := protocol.DecodeControl(data)
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			cc.send(ctx, &protocol.ControlMessage{Type: protocol.ControlError, Reason: "sesame-agent could not read a message: " + err.Error()})
			cancel()
			continue
		}
		if err := handle(cc, m); err != nil {
			cc.err = err
			return
		}
	}
}

// send writes one control message.
func (cc *controlConn) send(ctx context.Context, m *protocol.ControlMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return cc.conn.Write(ctx, websocket.MessageText, b)
}

// close closes the connection and waits for its goroutines.
func (cc *controlConn) close(code websocket.StatusCode, reason string) {
	done := make(chan struct{})
	go func() {
		cc.conn.Close(code, reason)
		close(done)
	}()
	t := time.NewTimer(5 * time.Second)
	select {
	case <-done:
	case <-t.C:
		cc.conn.CloseNow()
		<-done
	}
	t.Stop()
	<-cc.done
	cc.beats.Wait()
}

// sendControl writes m on the open control channel.
func (a *Agent) sendControl(ctx context.Context, m *protocol.ControlMessage) error {
	a.mu.Lock()
	cc := a.ctrl
	a.mu.Unlock()
	if cc == nil {
		return errors.New("the control channel is down")
	}
	return cc.send(ctx, m)
}

// handleControl serves one message from the server. It runs on the
// connection's reader goroutine.
func (a *Agent) handleControl(cc *controlConn, m *protocol.ControlMessage) error {
	switch m.Type {
	case protocol.ControlHello:
		select {
		case cc.hello <- m.HeartbeatSeconds:
		default:
		}
	case protocol.ControlHeartbeat, protocol.ControlCredentialsRotated:
	case protocol.ControlStartSession:
		a.startSession(m.Session)
	case protocol.ControlTerminateSession:
		// Also the answer to session_token for a session that has ended.
		a.deliverToken(m.SessionID, tokenReply{err: fmt.Errorf("%w: %s", errSessionGone, m.Reason)})
		a.terminate(m.SessionID, m.Reason)
	case protocol.ControlSessionToken:
		a.deliverToken(m.SessionID, tokenReply{token: m.Token})
	case protocol.ControlRotateCredentials:
		a.rotate(cc, m.Token)
	case protocol.ControlShutdown:
		a.log.Info("the server is shutting down", "reason", m.Reason)
		return errServerShutdown
	case protocol.ControlError:
		a.log.Warn("the server reported an error", "reason", m.Reason, "session_id", m.SessionID)
		if m.SessionID != "" { // a session_token refused: the session asks again
			a.deliverToken(m.SessionID, tokenReply{err: errors.New("the server refused a session token: " + m.Reason)})
		}
	}
	return nil
}

// rotate keeps the new node token, then confirms it; if it cannot be
// kept the server hears why and keeps the old one.
func (a *Agent) rotate(cc *controlConn, token string) {
	next := a.credentials()
	next.PreviousToken, next.Token = next.Token, token
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if save := a.cfg.SaveCredentials; save != nil {
		if err := save(next); err != nil {
			a.log.Error("rotated credentials not saved; keeping the old ones", "err", err)
			cc.send(ctx, &protocol.ControlMessage{Type: protocol.ControlError, Reason: "sesame-agent could not save the rotated credentials: " + err.Error()})
			return
		}
	}
	a.mu.Lock()
	a.creds = next
	a.mu.Unlock()
	if err := cc.send(ctx, &protocol.ControlMessage{Type: protocol.ControlCredentialsRotated}); err != nil {
		a.log.Warn("credentials_rotated not sent", "err", err)
		return
	}
	a.log.Info("node credentials rotated")
}
