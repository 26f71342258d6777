package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// wait is how long a test waits for something that should happen at once.
const wait = 10 * time.Second

const testSessionID = "alice-0123456789abcdef0"

// fakeChannel is a data-channel server with the agent's end built in: it
// checks each connection's OpenDataChannel token (single use), feeds the
// frames to an agent Stream, and lets the test drop the connection.
type fakeChannel struct {
	t      *testing.T
	srv    *httptest.Server
	agent  *protocol.Stream
	ctx    context.Context
	cancel context.CancelFunc

	attached chan int // the connection count after each attach

	mu     sync.Mutex // protects the following
	ws     *websocket.Conn
	tokens map[string]bool
	opens  []protocol.OpenDataChannel
	conns  int
	minted int
	early  []protocol.TerminalSize // sizes sent before the handshake response
}

func newFakeChannel(t *testing.T) *fakeChannel {
	t.Helper()
	return newFakeChannelTLS(t, false)
}

// newFakeChannelTLS starts the fake on wss:// with tls.
func newFakeChannelTLS(t *testing.T, tls bool) *fakeChannel {
	t.Helper()
	f := &fakeChannel{t: t, attached: make(chan int, 100), tokens: map[string]bool{"tok-1": true}}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	agent, err := protocol.NewStream(protocol.Config{Role: protocol.RoleAgent, Send: f.send})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = agent
	go func() { _ = agent.Run(f.ctx) }()
	if tls {
		f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	} else {
		f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	}
	t.Cleanup(func() {
		f.cancel()
		f.drop()
		f.srv.Close()
		agent.Close()
	})
	return f
}

// session is the StartSession response for the fake.
func (f *fakeChannel) session() Session {
	return Session{SessionID: testSessionID, TokenValue: "tok-1", StreamURL: f.url()}
}

func (f *fakeChannel) url() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/v1/data-channel/" + testSessionID + "?role=publish_subscribe"
}

// resume is a ResumeFunc that mints a fresh token.
func (f *fakeChannel) resume(_ context.Context, id string) (Session, error) {
	if id != testSessionID {
		return Session{}, fmt.Errorf("resume of %q", id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.minted++
	tok := fmt.Sprintf("tok-r%d", f.minted)
	f.tokens[tok] = true
	return Session{SessionID: id, TokenValue: tok}, nil
}

func (f *fakeChannel) resumes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.minted
}

func (f *fakeChannel) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/data-channel/"+testSessionID || r.URL.Query().Get("role") != "publish_subscribe" {
		http.NotFound(w, r)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(protocol.MaxFrameSize)
	typ, data, err := ws.Read(f.ctx)
	if err != nil {
		return
	}
	var open protocol.OpenDataChannel
	if typ != websocket.MessageText || json.Unmarshal(data, &open) != nil {
		ws.Close(websocket.StatusPolicyViolation, "bad open")
		return
	}
	f.mu.Lock()
	ok := f.tokens[open.TokenValue]
	delete(f.tokens, open.TokenValue)
	f.opens = append(f.opens, open)
	if ok {
		f.ws = ws
		f.conns++
	}
	n := f.conns
	f.mu.Unlock()
	if !ok {
		ws.Close(websocket.StatusPolicyViolation, "bad token")
		return
	}
	f.agent.Resume()
	f.attached <- n
	for {
		_, frame, err := ws.Read(f.ctx)
		if err != nil {
			return
		}
		if _, err := f.agent.Receive(frame); err != nil && !errors.Is(err, protocol.ErrClosed) {
			f.t.Errorf("agent: frame refused: %v", err)
		}
	}
}

func (f *fakeChannel) send(frame []byte) error {
	f.mu.Lock()
	ws := f.ws
	f.mu.Unlock()
	if ws == nil {
		return errNotConnected
	}
	return ws.Write(f.ctx, websocket.MessageBinary, frame)
}

// drop closes the client's connection abruptly.
func (f *fakeChannel) drop() {
	f.mu.Lock()
	ws := f.ws
	f.ws = nil
	f.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

func (f *fakeChannel) waitAttached(n int) {
	f.t.Helper()
	for {
		select {
		case got := <-f.attached:
			if got >= n {
				return
			}
		case <-time.After(wait):
			f.t.Fatalf("client did not attach (connection %d)", n)
		}
	}
}

func (f *fakeChannel) earlySizes() []protocol.TerminalSize {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]protocol.TerminalSize(nil), f.early...)
}

func (f *fakeChannel) openings() []protocol.OpenDataChannel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]protocol.OpenDataChannel(nil), f.opens...)
}

// handshake runs the agent's side of the handshake with the given
// actions and returns the client's response.
func (f *fakeChannel) handshake(customer string, actions ...protocol.RequestedClientAction) protocol.HandshakeResponse {
	f.t.Helper()
	req, _ := json.Marshal(protocol.HandshakeRequest{AgentVersion: "3.3.100.0", RequestedClientActions: actions})
	f.write(protocol.PayloadHandshakeRequest, req)
	d := f.message()
	for d.PayloadType == protocol.PayloadSize {
		var s protocol.TerminalSize
		if err := json.Unmarshal(d.Payload, &s); err != nil {
			f.t.Fatal(err)
		}
		f.mu.Lock()
		f.early = append(f.early, s)
		f.mu.Unlock()
		d = f.message()
	}
	if d.PayloadType != protocol.PayloadHandshakeResponse {
		f.t.Fatalf("agent: got %s, want HandshakeResponse", d.PayloadType)
	}
	var resp protocol.HandshakeResponse
	if err := json.Unmarshal(d.Payload, &resp); err != nil {
		f.t.Fatal(err)
	}
	hc, _ := json.Marshal(protocol.HandshakeComplete{HandshakeTimeToComplete: time.Millisecond, CustomerMessage: customer})
	f.write(protocol.PayloadHandshakeComplete, hc)
	return resp
}

func shellAction(t *testing.T) protocol.RequestedClientAction {
	t.Helper()
	a, err := protocol.SessionTypeAction(protocol.SessionStandardStream, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fakeChannel) write(pt protocol.PayloadType, p []byte) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, wait)
	defer cancel()
	if err := f.agent.WriteMessage(ctx, pt, p); err != nil {
		f.t.Fatalf("agent: write %s: %v", pt, err)
	}
}

// message returns the next non-Output message from the client.
func (f *fakeChannel) message() protocol.Data {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, wait)
	defer cancel()
	d, err := f.agent.ReadMessage(ctx)
	if err != nil {
		f.t.Fatalf("agent: read message: %v", err)
	}
	return d
}

func (f *fakeChannel) size() protocol.TerminalSize {
	f.t.Helper()
	d := f.message()
	if d.PayloadType != protocol.PayloadSize {
		f.t.Fatalf("agent: got %s %q, want Size", d.PayloadType, d.Payload)
	}
	var s protocol.TerminalSize
	if err := json.Unmarshal(d.Payload, &s); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// input reads the client's input until it has n bytes.
func (f *fakeChannel) input(n int) string {
	f.t.Helper()
	got := make([]byte, 0, n)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for len(got) < n {
			k, err := f.agent.Read(buf[:min(len(buf), n-len(got))])
			got = append(got, buf[:k]...)
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			f.t.Fatalf("agent: read input: %v (got %q)", err, got)
		}
	case <-time.After(wait):
		f.t.Fatalf("agent: timed out reading %d bytes of input", n)
	}
	return string(got)
}

// exit ends the session as sesame's agent and server do: the exit code,
// everything acknowledged, then channel_closed with output.
func (f *fakeChannel) exit(code int, output string) {
	f.t.Helper()
	if code >= 0 {
		f.write(protocol.PayloadExitCode, protocol.ExitCodePayload(code))
	}
	ctx, cancel := context.WithTimeout(f.ctx, wait)
	defer cancel()
	if err := f.agent.Flush(ctx); err != nil {
		f.t.Fatalf("agent: flush: %v", err)
	}
	f.closeChannel(output)
}

func (f *fakeChannel) closeChannel(output string) {
	f.t.Helper()
	id, _ := protocol.ParseUUID("6ba7b810-9dad-41d1-80b4-00c04fd430c8")
	m, err := protocol.NewControl(protocol.TypeChannelClosed, id, time.Now(), protocol.ChannelClosed{
		MessageID: id.String(), CreatedDate: time.Now().UTC().Format(time.RFC3339), SessionID: testSessionID,
		MessageType: protocol.TypeChannelClosed, SchemaVersion: 1, Output: output,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	frame, err := m.MarshalBinary()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.send(frame); err != nil {
		f.t.Fatalf("channel_closed: %v", err)
	}
}

// syncBuffer is a Writer the test can wait on.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	change chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{change: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.change <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer contains s.
func (b *syncBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(wait)
	for !strings.Contains(b.String(), s) {
		select {
		case <-b.change:
		case <-deadline:
			t.Fatalf("timed out waiting for %q; have %q", s, b.String())
		}
	}
}

// fakeTerminal is a Terminal whose size the test sets and whose raw mode
// it counts.
type fakeTerminal struct {
	mu       sync.Mutex
	size     protocol.TerminalSize
	raw      int
	restored int
}

func (ft *fakeTerminal) MakeRaw() (func() error, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.raw++
	return func() error {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		ft.restored++
		return nil
	}, nil
}

func (ft *fakeTerminal) Size() (protocol.TerminalSize, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.size, nil
}

func (ft *fakeTerminal) setSize(cols, rows uint32) {
	ft.mu.Lock()
	ft.size = protocol.TerminalSize{Cols: cols, Rows: rows}
	ft.mu.Unlock()
}

func (ft *fakeTerminal) counts() (raw, restored int) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.raw, ft.restored
}

// result is what Run returned.
type result struct {
	code int
	err  error
}

// start runs a Client for cfg in the background.
func start(t *testing.T, cfg Config) <-chan result {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	res := make(chan result, 1)
	go func() {
		defer cancel()
		code, err := c.Run(ctx)
		res <- result{code, err}
	}()
	return res
}

func waitResult(t *testing.T, res <-chan result) result {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(2 * wait):
		t.Fatal("Run did not return")
	}
	return result{}
}
