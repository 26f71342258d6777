package agent_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/protocol"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 30 * time.Second

// fakeServer plays the sesame server for an agent: the control channel
// endpoint, and the data-channel relay with the client's end of each
// session (a protocol.Stream) built in.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	controls chan *controlPeer // accepted control connections
	reject   atomic.Int32      // control dials still to refuse with 503
	noTokens atomic.Bool       // answer session_token with terminate_session

	mu       sync.Mutex      // protects the following
	tokens   map[string]bool // node tokens accepted
	sessions map[string]*fakeSession
	n        int
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, controls: make(chan *controlPeer, 16), tokens: map[string]bool{"node-token": true},
		sessions: make(map[string]*fakeSession)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agent/v1/control", fs.control)
	mux.HandleFunc("GET /v1/data-channel/{id}", fs.dataChannel)
	fs.srv = httptest.NewServer(mux)
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fakeServer) credentials() agent.Credentials {
	return agent.Credentials{InstanceID: "mi-0123456789abcdef0", Token: "node-token", Endpoint: fs.srv.URL}
}

// controlPeer is the server's end of one control connection.
type controlPeer struct {
	conn   *websocket.Conn
	auth   string
	in     chan *protocol.ControlMessage // what the agent sent, heartbeats excluded
	closed chan struct{}
}

func (fs *fakeServer) control(w http.ResponseWriter, r *http.Request) {
	if fs.reject.Add(-1) >= 0 {
		http.Error(w, `{"Code":"ServiceUnavailable","Message":"Try again."}`, http.StatusServiceUnavailable)
		return
	}
	auth := r.Header.Get("Authorization")
	fs.mu.Lock()
	ok := fs.tokens[strings.TrimPrefix(auth, "Bearer ")]
	fs.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"Code":"InvalidToken","Message":"The node credentials are missing or not valid."}`)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(4 << 20)
	p := &controlPeer{conn: conn, auth: auth, in: make(chan *protocol.ControlMessage, 64), closed: make(chan struct{})}
	fs.controls <- p
	defer close(p.closed)
	for {
		_, data, err := conn.Read(context.Background())
		if err != nil {
			return
		}
		m, err := protocol.DecodeControl(data)
		if err != nil {
			fs.t.Errorf("the agent sent a bad control message %s: %v", data, err)
			continue
		}
		switch m.Type {
		case protocol.ControlHeartbeat:
			continue
		case protocol.ControlSessionToken:
			fs.answerToken(p, m.SessionID)
		}
		p.in <- m
	}
}

func (fs *fakeServer) answerToken(p *controlPeer, id string) {
	fs.mu.Lock()
	s := fs.sessions[id]
	fs.mu.Unlock()
	var reply *protocol.ControlMessage
	switch {
	case s == nil:
		reply = &protocol.ControlMessage{Type: protocol.ControlError, SessionID: id, Reason: "no such session"}
	case fs.noTokens.Load(): // as sesame's server answers for an ended session
		reply = &protocol.ControlMessage{Type: protocol.ControlTerminateSession, SessionID: id, Reason: "Session is already terminated"}
	default:
		reply = &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: id, Token: s.newToken()}
	}
	p.send(fs.t, reply)
}

func (p *controlPeer) send(t *testing.T, m *protocol.ControlMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Errorf("send %s: %v", m.Type, err)
	}
}

// expect returns the agent's next control message, which must be of type typ.
func (p *controlPeer) expect(t *testing.T, typ protocol.ControlType) *protocol.ControlMessage {
	t.Helper()
	select {
	case m := <-p.in:
		if m.Type != typ {
			t.Fatalf("the agent sent %s (%+v), want %s", m.Type, m, typ)
		}
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("no %s from the agent", typ)
		return nil
	}
}

// nextControl waits for the agent's next control connection and answers
// its hello.
func (fs *fakeServer) nextControl(t *testing.T) *controlPeer {
	t.Helper()
	select {
	case p := <-fs.controls:
		hello := p.expect(t, protocol.ControlHello)
		if hello.Info == nil || hello.Info.AgentVersion != agent.Version {
			t.Errorf("hello info %+v", hello.Info)
		}
		p.send(t, &protocol.ControlMessage{Type: protocol.ControlHello, HeartbeatSeconds: 30})
		return p
	case <-time.After(waitTimeout):
		t.Fatal("the agent did not connect")
		return nil
	}
}

// fakeSession is a session's relay and client.
type fakeSession struct {
	t      *testing.T
	fs     *fakeServer
	id     string
	client *protocol.Stream
	out    *output
	others chan *protocol.Message // agent_session_state, channel_closed...
	opens  chan protocol.OpenDataChannel
	ended  chan struct{} // closed when the agent closes its data channel normally
	// version is the ClientVersion of the handshake response: sesame's
	// client's unless set.
	version string

	mu     sync.Mutex // protects the following
	tokens map[string]bool
	conn   *websocket.Conn // the agent's current data channel
	n      int
}

func (s *fakeSession) newToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	tok := fmt.Sprintf("%s-token-%d", s.id, s.n)
	s.tokens[tok] = true
	return tok
}

// newSession makes a session whose agent side is not started yet.
func (fs *fakeServer) newSession(t *testing.T) *fakeSession {
	fs.mu.Lock()
	fs.n++
	s := &fakeSession{t: t, fs: fs, id: fmt.Sprintf("demo-%017x", fs.n), out: newOutput(),
		others: make(chan *protocol.Message, 16), opens: make(chan protocol.OpenDataChannel, 16),
		ended: make(chan struct{}), tokens: make(map[string]bool)}
	fs.sessions[s.id] = s
	fs.mu.Unlock()
	client, err := protocol.NewStream(protocol.Config{Role: protocol.RoleClient, Send: s.sendToAgent, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	s.client = client
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); client.Run(ctx) }()
	go func() { defer wg.Done(); s.out.collect(client) }()
	t.Cleanup(func() {
		cancel()
		client.Close()
		s.dropAgent()
		wg.Wait()
	})
	return s
}

// start sends start_session for s over p.
func (s *fakeSession) start(p *controlPeer, typ protocol.SessionType, docName, doc string, params map[string][]string) {
	runAs := ""
	if os.Geteuid() == 0 {
		runAs = "root" // never create ssm-user on the test machine
	}
	p.send(s.t, &protocol.ControlMessage{Type: protocol.ControlStartSession, Session: &protocol.SessionStart{
		SessionID: s.id, StreamURL: "ws" + strings.TrimPrefix(s.fs.srv.URL, "http") + "/v1/data-channel/" + s.id + "?role=publish_subscribe",
		Token: s.newToken(), DocumentName: docName, Document: json.RawMessage(doc), SessionType: typ,
		Parameters: params, RunAsUser: runAs, Owner: "arn:aws:iam::123456789012:user/demo",
	}})
}

func (s *fakeSession) sendToAgent(frame []byte) error {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return errors.New("agent not connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return conn.Write(ctx, websocket.MessageBinary, frame)
}

// dropAgent cuts the agent's data channel.
func (s *fakeSession) dropAgent() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn != nil {
		conn.CloseNow()
	}
}

func (fs *fakeServer) dataChannel(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	s := fs.sessions[r.PathValue("id")]
	fs.mu.Unlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(protocol.MaxFrameSize + 4096)
	ctx := context.Background()
	typ, data, err := conn.Read(ctx)
	var open protocol.OpenDataChannel
	if err != nil || typ != websocket.MessageText || json.Unmarshal(data, &open) != nil {
		conn.Close(websocket.StatusPolicyViolation, "no opening frame")
		return
	}
	s.mu.Lock()
	valid := s.tokens[open.TokenValue]
	delete(s.tokens, open.TokenValue) // single use
	if valid {
		if s.conn != nil {
			s.conn.CloseNow()
		}
		s.conn = conn
	}
	s.mu.Unlock()
	s.opens <- open
	if !valid {
		conn.Close(websocket.StatusPolicyViolation, "bad token")
		return
	}
	// The client is attached: as sesame's server does, say so, then
	// pass on what the client had sent meanwhile.
	start, _ := (&protocol.Message{MessageType: protocol.TypeStartPublication, SchemaVersion: 1, CreatedDate: 1,
		Flags: protocol.ControlFlags}).MarshalBinary()
	conn.Write(ctx, websocket.MessageBinary, start)
	s.client.Resume()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				close(s.ended)
			}
			s.mu.Lock()
			if s.conn == conn {
				s.conn = nil
			}
			s.mu.Unlock()
			return
		}
		if typ != websocket.MessageBinary {
			continue
		}
		m, err := s.client.Receive(data)
		if err != nil {
			s.t.Errorf("client refused a frame: %v", err)
			continue
		}
		if m != nil {
			s.others <- m
		}
	}
}

// handshake answers the agent's handshake and returns its request.
func (s *fakeSession) handshake(t *testing.T) protocol.HandshakeRequest {
	t.Helper()
	d := s.readMessage(t)
	if d.PayloadType != protocol.PayloadHandshakeRequest {
		t.Fatalf("first message %s %q, want a HandshakeRequest", d.PayloadType, d.Payload)
	}
	var req protocol.HandshakeRequest
	if err := json.Unmarshal(d.Payload, &req); err != nil {
		t.Fatal(err)
	}
	resp := protocol.HandshakeResponse{ClientVersion: cmp.Or(s.version, protocol.SesameClientVersion)}
	for _, a := range req.RequestedClientActions {
		resp.ProcessedClientActions = append(resp.ProcessedClientActions, protocol.ProcessedClientAction{ActionType: a.ActionType, ActionStatus: protocol.ActionSuccess})
	}
	b, _ := json.Marshal(resp)
	s.write(t, protocol.PayloadHandshakeResponse, b)
	if d := s.readMessage(t); d.PayloadType != protocol.PayloadHandshakeComplete {
		t.Fatalf("got %s, want HandshakeComplete", d.PayloadType)
	}
	return req
}

func (s *fakeSession) readMessage(t *testing.T) protocol.Data {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	d, err := s.client.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	return d
}

func (s *fakeSession) write(t *testing.T, pt protocol.PayloadType, p []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.client.WriteMessage(ctx, pt, p); err != nil {
		t.Fatal(err)
	}
}

// typeLine types a line as the plugin does: Enter is \r.
func (s *fakeSession) typeLine(t *testing.T, line string) {
	t.Helper()
	s.write(t, protocol.PayloadOutput, []byte(line+"\r"))
}

// waitSize runs stty size until it reports size ("rows cols"): a resize
// and the keystrokes that follow it travel apart, as with AWS's plugin.
func (s *fakeSession) waitSize(t *testing.T, at int, size string) int {
	t.Helper()
	for range 100 {
		s.typeLine(t, "stty size; echo siz''ed")
		next := s.out.waitFor(t, at, "sized\r\n")
		if bytes.Contains(s.out.bytes(at, next), []byte(size+"\r\n")) {
			return next
		}
		at = next
	}
	t.Fatalf("stty size never reported %s", size)
	return at
}

func (s *fakeSession) resize(t *testing.T, cols, rows uint32) {
	t.Helper()
	b, _ := json.Marshal(protocol.TerminalSize{Cols: cols, Rows: rows})
	s.write(t, protocol.PayloadSize, b)
}

// expectOther waits for the agent's next non-stream message of type typ.
func (s *fakeSession) expectOther(t *testing.T, typ protocol.MessageType) *protocol.Message {
	t.Helper()
	select {
	case m := <-s.others:
		if m.MessageType != typ {
			t.Fatalf("the agent sent %s %s, want %s", m.MessageType, m.Payload, typ)
		}
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("no %s from the agent", typ)
		return nil
	}
}

func (s *fakeSession) expectState(t *testing.T, want protocol.SessionState) {
	t.Helper()
	var st protocol.AgentSessionState
	if err := protocol.DecodePayload(s.expectOther(t, protocol.TypeAgentSessionState), protocol.TypeAgentSessionState, &st); err != nil {
		t.Fatal(err)
	}
	if st.SessionState != want || st.SessionID != s.id {
		t.Fatalf("agent_session_state %+v, want %s of %s", st, want, s.id)
	}
}

func (s *fakeSession) expectClosed(t *testing.T) protocol.ChannelClosed {
	t.Helper()
	var cc protocol.ChannelClosed
	if err := protocol.DecodePayload(s.expectOther(t, protocol.TypeChannelClosed), protocol.TypeChannelClosed, &cc); err != nil {
		t.Fatal(err)
	}
	return cc
}

func (s *fakeSession) expectEnded(t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(waitTimeout):
		t.Fatal("the agent did not close its data channel")
	}
}

// output collects what a client Stream reads.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) collect(r io.Reader) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		o.mu.Lock()
		o.buf.Write(buf[:n])
		o.mu.Unlock()
		select {
		case o.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// waitFor waits until the output from offset from holds want and returns
// the offset after it.
func (o *output) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		o.mu.Lock()
		b := o.buf.Bytes()[from:]
		i := bytes.Index(b, []byte(want))
		tail := string(b[max(0, len(b)-300):])
		o.mu.Unlock()
		if i >= 0 {
			return from + i + len(want)
		}
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("output lacks %q; it ends with %q", want, tail)
		}
	}
}

func (o *output) bytes(from, to int) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.buf.Bytes()[from:to])
}

// startAgent runs an agent against fs until the test ends.
func startAgent(t *testing.T, cfg agent.Config) (stop func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.Info == nil {
		cfg.Info = &protocol.NodeInfo{Hostname: "test", PlatformType: "Linux"}
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// testWriter logs to the test.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
