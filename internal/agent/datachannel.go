package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Data-channel timing.
const (
	// pingInterval is how often the agent pings its data channels; a
	// ping unanswered for pingTimeout drops the connection, which the
	// agent then re-dials. AWS's agent pings every 54 s.
	pingInterval = 30 * time.Second
	pingTimeout  = 15 * time.Second
	// writeTimeout bounds one frame's write.
	writeTimeout = 15 * time.Second
	// reconnectTimeout is how long a session tries to get its data
	// channel back before it ends.
	reconnectTimeout = 5 * time.Minute
	// maxFrame is the largest frame a data channel reads.
	maxFrame = protocol.MaxFrameSize + 4096
)

// errSessionGone says the server no longer has the session.
var errSessionGone = errors.New("the server ended the session")

// dataChannel is a session's WebSocket to the server: it opens with the
// session's single-use token, re-dials with a fresh token from the
// control channel when the connection drops, and then has the Stream
// resend what the peer has not acknowledged.
type dataChannel struct {
	dataChannelConfig

	ctx  context.Context // the channel's own lifetime: ended by close
	stop context.CancelFunc

	mu     sync.Mutex // protects the following
	conn   *websocket.Conn
	up     chan struct{} // closed when conn is set; replaced when it drops
	closed bool
}

// dataChannelConfig says where a data channel goes and what it uses.
type dataChannelConfig struct {
	url   string
	open  protocol.OpenDataChannel // the first frame, without its token and request id
	dial  func(ctx context.Context, url string) (*websocket.Conn, error)
	token func(ctx context.Context) (string, error) // a fresh token from the server
	clock Clock
	rand  io.Reader
	log   *slog.Logger
}

func newDataChannel(cfg dataChannelConfig) *dataChannel {
	d := &dataChannel{dataChannelConfig: cfg, up: make(chan struct{})}
	d.ctx, d.stop = context.WithCancel(context.Background())
	return d
}

// connect dials the channel and sends its first frame with token.
func (d *dataChannel) connect(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := d.dial(ctx, d.url)
	if err != nil {
		return err
	}
	conn.SetReadLimit(maxFrame)
	open := d.open
	open.TokenValue = token
	open.RequestID = newRequestID(d.rand)
	b, err := json.Marshal(open)
	if err == nil {
		err = conn.Write(ctx, websocket.MessageText, b)
	}
	if err != nil {
		conn.CloseNow()
		return fmt.Errorf("open the data channel: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		conn.CloseNow()
		return errChannelClosed
	}
	d.conn = conn
	close(d.up)
	return nil
}

var errChannelClosed = errors.New("data channel closed")

// dialFirst connects with the token of start_session, then, if that
// fails, with fresh ones.
func (d *dataChannel) dialFirst(ctx context.Context, token string) error {
	err := d.connect(ctx, token)
	if err == nil {
		return nil
	}
	d.log.Warn("data channel dial failed; retrying with a new token", "err", err)
	return d.reconnect(ctx)
}

// reconnect dials again with fresh tokens, backing off, until it
// succeeds, the server says the session is gone, reconnectTimeout
// passes or ctx is done.
func (d *dataChannel) reconnect(ctx context.Context) error {
	give := d.clock.Now().Add(reconnectTimeout)
	for attempt := 0; ; attempt++ {
		if err := sleep(ctx, d.clock, dataBackoff.Delay(attempt, randFloat(d.rand))); err != nil {
			return err
		}
		token, err := d.token(ctx)
		if err == nil {
			if err = d.connect(ctx, token); err == nil {
				return nil
			}
		}
		if errors.Is(err, errSessionGone) || ctx.Err() != nil {
			return err
		}
		if d.clock.Now().After(give) {
			return fmt.Errorf("the data channel stayed down for %v: %w", reconnectTimeout, err)
		}
		d.log.Debug("data channel reconnection failed", "attempt", attempt+1, "err", err)
	}
}

// serve reads frames and hands them to receive until close; when the
// connection drops it reconnects and calls resumed. It returns nil
// after close, or why the channel could not be kept up.
func (d *dataChannel) serve(receive func([]byte), resumed func()) error {
	ctx := d.ctx
	for {
		conn := d.current()
		if conn == nil {
			return nil // closed
		}
		err := d.readConn(ctx, conn, receive)
		d.drop(conn)
		if ctx.Err() != nil || d.isClosed() {
			return nil
		}
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
			// The server closes a data channel normally only when the
			// session has ended; it closes with going-away when it stops.
			return fmt.Errorf("%w: the data channel was closed", errSessionGone)
		}
		d.log.Info("data channel dropped; reconnecting", "err", err)
		if err := d.reconnect(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		d.log.Info("data channel reconnected")
		resumed()
	}
}

// readConn reads conn until it fails, pinging it meanwhile.
func (d *dataChannel) readConn(ctx context.Context, conn *websocket.Conn, receive func([]byte)) error {
	pingCtx, stopPing := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepAlive(pingCtx, d.clock, conn)
	}()
	defer func() {
		stopPing()
		wg.Wait()
	}()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			receive(data)
		}
	}
}

// keepAlive pings conn every pingInterval and closes it when a ping goes
// unanswered.
func keepAlive(ctx context.Context, clock Clock, conn *websocket.Conn) {
	for {
		if sleep(ctx, clock, pingInterval) != nil {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				conn.CloseNow()
			}
			return
		}
	}
}

func (d *dataChannel) current() *websocket.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn
}

// drop forgets conn after it failed.
func (d *dataChannel) drop(conn *websocket.Conn) {
	conn.CloseNow()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == conn {
		d.conn = nil
		d.up = make(chan struct{})
	}
}

func (d *dataChannel) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// connected reports whether the channel is up.
func (d *dataChannel) connected() bool { return d.current() != nil }

// send writes one binary frame; it is a protocol.Stream's Send. While
// the channel is down it fails, and the Stream sends the frame again.
func (d *dataChannel) send(frame []byte) error {
	conn := d.current()
	if conn == nil {
		return errDisconnected
	}
	ctx, cancel := context.WithTimeout(d.ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageBinary, frame)
}

var errDisconnected = errors.New("data channel disconnected")

// sendControl sends a control message (agent_session_state,
// channel_closed) of type t with payload v, waiting up to wait for the
// channel to come back if it is down.
func (d *dataChannel) sendControl(t protocol.MessageType, v any, wait time.Duration) error {
	id, err := protocol.NewUUID(d.rand)
	if err != nil {
		return err
	}
	m, err := protocol.NewControl(t, id, d.clock.Now(), v)
	if err != nil {
		return err
	}
	frame, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	timer := d.clock.NewTimer(wait)
	defer timer.Stop()
	for {
		d.mu.Lock()
		up, closed := d.up, d.closed
		d.mu.Unlock()
		if closed {
			return errChannelClosed
		}
		if err = d.send(frame); err == nil {
			return nil
		}
		select {
		case <-up:
		case <-timer.C():
			return fmt.Errorf("send %s: %w", t, err)
		case <-d.ctx.Done():
			return errChannelClosed
		}
		if d.connected() {
			// The connection that failed the write is still current:
			// give it a moment rather than spin.
			if sleep(d.ctx, d.clock, 100*time.Millisecond) != nil {
				return errChannelClosed
			}
		}
	}
}

// close ends the channel: a normal WebSocket close, and serve returns.
// It is idempotent.
func (d *dataChannel) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	conn := d.conn
	d.conn = nil
	d.mu.Unlock()
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		done := make(chan struct{})
		go func() {
			conn.Close(websocket.StatusNormalClosure, "session ended")
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			conn.CloseNow()
			<-done
		}
		cancel()
	}
	d.stop()
}

// dialer returns the WebSocket dialer of the agent's connections,
// trusting the server as creds say.
func dialer(creds Credentials) (func(ctx context.Context, url string, header http.Header) (*websocket.Conn, *http.Response, error), error) {
	tlsCfg, err := creds.TLSConfig()
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}}
	return func(ctx context.Context, url string, header http.Header) (*websocket.Conn, *http.Response, error) {
		h := header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("User-Agent", "sesame-agent/"+Version)
		return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: client, HTTPHeader: h})
	}, nil
}

// newRequestID returns a random UUID string.
func newRequestID(r io.Reader) string {
	id, err := protocol.NewUUID(r)
	if err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	return id.String()
}
