package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// waitTimeout bounds every wait of these tests: it only turns a hang
// into a failure, nothing waits for it to pass.
const waitTimeout = 20 * time.Second

// mailbox is an unbounded queue a reader goroutine fills and a test
// drains.
type mailbox[T any] struct {
	mu     sync.Mutex // protects the following
	items  []T
	closed bool
	wake   chan struct{}
}

func newMailbox[T any]() *mailbox[T] { return &mailbox[T]{wake: make(chan struct{})} }

func (m *mailbox[T]) put(v T) {
	m.mu.Lock()
	m.items = append(m.items, v)
	close(m.wake)
	m.wake = make(chan struct{})
	m.mu.Unlock()
}

func (m *mailbox[T]) close() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.wake)
		m.wake = make(chan struct{})
	}
	m.mu.Unlock()
}

// snapshot returns the items not taken yet.
func (m *mailbox[T]) snapshot() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]T(nil), m.items...)
}

// take returns the first item that match accepts, dropping those
// before it; ok is false if the mailbox closed first.
func (m *mailbox[T]) take(t testing.TB, what string, match func(T) bool) (T, bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		for i, v := range m.items {
			if match(v) {
				m.items = m.items[i+1:]
				m.mu.Unlock()
				return v, true
			}
		}
		m.items = m.items[:0]
		closed, wake := m.closed, m.wake
		m.mu.Unlock()
		if closed {
			var zero T
			return zero, false
		}
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("waited %v for %s", waitTimeout, what)
		}
	}
}

// logRecorder is a slog.Handler that keeps every record, so that tests
// can wait for what the server logs.
type logRecorder struct {
	mu      sync.Mutex // protects the following
	records []slog.Record
	wake    chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{wake: make(chan struct{})} }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// attrs returns a record's attributes as strings.
func attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// wait returns the first record with message msg whose attributes
// include want, waiting for it if it has not been logged yet.
func (l *logRecorder) wait(t testing.TB, msg string, want map[string]string) map[string]string {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for _, r := range l.records {
			if r.Message != msg {
				continue
			}
			a := attrs(r)
			ok := true
			for k, v := range want {
				if !strings.Contains(a[k], v) {
					ok = false
				}
			}
			if ok {
				l.mu.Unlock()
				return a
			}
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("waited %v for the log record %q %v", waitTimeout, msg, want)
		}
	}
}

// count returns how many records have message msg.
func (l *logRecorder) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Message == msg {
			n++
		}
	}
	return n
}

// relayServer is a test server with a recorded log and a clock the
// test moves; its channels are shut down at the end of the test.
type relayServer struct {
	*testServer
	log   *logRecorder
	clock *testClock
}

func newRelayServer(t *testing.T) *relayServer {
	t.Helper()
	rec, clock := newLogRecorder(), newTestClock()
	ts := newTestServer(t, func(c *Config) {
		c.Logger = slog.New(rec)
		c.Clock = clock.Now
	})
	shutdownAtCleanup(t, ts)
	return &relayServer{testServer: ts, log: rec, clock: clock}
}

// shutdownAtCleanup shuts the server's channels down when the test
// ends, before its store closes.
func shutdownAtCleanup(t testing.TB, ts *testServer) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := ts.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

func (ts *testServer) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

// fakeAgent is an agent's control channel, written on internal/protocol
// and coder/websocket: it records what the server sends.
type fakeAgent struct {
	node testNode
	conn *websocket.Conn
	msgs *mailbox[*protocol.ControlMessage]
	done chan struct{} // closed when the reader returns
	err  error         // the reader's error, once done
}

// dialAgent opens a control channel with the given credentials; the
// answer is returned when the upgrade fails.
func dialAgent(t testing.TB, ts *testServer, n testNode) (*fakeAgent, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, ts.wsURL("/agent/v1/control"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + n.Token}}})
	if err != nil {
		return nil, resp, err
	}
	a := &fakeAgent{node: n, conn: conn, msgs: newMailbox[*protocol.ControlMessage](), done: make(chan struct{})}
	go a.read()
	t.Cleanup(func() {
		a.conn.CloseNow()
		<-a.done
	})
	return a, resp, nil
}

func (a *fakeAgent) read() {
	defer close(a.done)
	defer a.msgs.close()
	for {
		_, data, err := a.conn.Read(context.Background())
		if err != nil {
			a.err = err
			return
		}
		var m protocol.ControlMessage
		if err := json.Unmarshal(data, &m); err != nil {
			a.err = err
			return
		}
		a.msgs.put(&m)
	}
}

// connectAgent connects node n's agent: hello, and its answer. The
// server's channels shut down when the test ends.
func connectAgent(t testing.TB, ts *testServer, n testNode) *fakeAgent {
	t.Helper()
	a, resp, err := dialAgent(t, ts, n)
	if err != nil {
		t.Fatalf("control channel: %v (%v)", err, resp)
	}
	shutdownAtCleanup(t, ts)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHello})
	if m := a.expect(t, protocol.ControlHello); m.HeartbeatSeconds != 30 {
		t.Fatalf("hello answer %+v", m)
	}
	return a
}

func (a *fakeAgent) send(t testing.TB, m *protocol.ControlMessage) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := a.conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("control channel write: %v", err)
	}
}

// expect returns the next message of type typ the server sent, skipping
// others.
func (a *fakeAgent) expect(t testing.TB, typ protocol.ControlType) *protocol.ControlMessage {
	t.Helper()
	m, ok := a.msgs.take(t, string(typ), func(m *protocol.ControlMessage) bool { return m.Type == typ })
	if !ok {
		t.Fatalf("control channel closed (%v) before %s", a.err, typ)
	}
	return m
}

// expectSession returns the start_session of session id.
func (a *fakeAgent) expectSession(t testing.TB, id string) *protocol.SessionStart {
	t.Helper()
	m, ok := a.msgs.take(t, "start_session "+id, func(m *protocol.ControlMessage) bool {
		return m.Type == protocol.ControlStartSession && m.Session.SessionID == id
	})
	if !ok {
		t.Fatalf("control channel closed (%v) before start_session", a.err)
	}
	return m.Session
}

// channelEnd is one end of a data channel in a test: a protocol.Stream over
// the connection attached last. It records the messages the Stream
// does not deliver (publication, channel_closed, client_stream). An
// agent's end answers client_stream as sesame's agent does.
type channelEnd struct {
	role     protocol.Role
	stream   *protocol.Stream
	url      string
	clientID string // a client's ClientId: "test-client" unless set
	conn     atomic.Pointer[websocket.Conn]
	events   *mailbox[protocol.Message]
	run      context.CancelFunc
	wg       sync.WaitGroup

	mu        sync.Mutex // protects the following
	streamFor string     // an agent's: the client its stream is for...
	streamSet bool       // ...once it was told of one
	takenFrom map[string]bool
}

// newSide makes a Stream of role for the data channel at url. Nothing
// is dialled yet.
func newSide(t *testing.T, role protocol.Role, url string) *channelEnd {
	t.Helper()
	s := &channelEnd{role: role, url: url, events: newMailbox[protocol.Message]()}
	st, err := protocol.NewStream(protocol.Config{Role: role, Send: s.sendFrame})
	if err != nil {
		t.Fatal(err)
	}
	s.stream = st
	ctx, cancel := context.WithCancel(context.Background())
	s.run = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		st.Run(ctx)
	}()
	t.Cleanup(func() {
		s.run()
		if c := s.conn.Load(); c != nil {
			c.CloseNow()
		}
		st.Close()
		s.wg.Wait()
	})
	return s
}

func (s *channelEnd) sendFrame(frame []byte) error {
	c := s.conn.Load()
	if c == nil {
		return errors.New("not attached")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return c.Write(ctx, websocket.MessageBinary, frame)
}

// attachment is one data-channel connection of a side.
type attachment struct {
	conn *websocket.Conn
	done chan struct{} // closed when its reader returns
	err  error         // the reader's error, once done
}

// dial opens a data channel with open as its first frame and starts
// reading it; the Stream does not use it yet.
func (s *channelEnd) dial(t testing.TB, open protocol.OpenDataChannel) *attachment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, s.url, nil)
	if err != nil {
		t.Fatalf("data channel: %v", err)
	}
	conn.SetReadLimit(-1)
	if open.MessageSchemaVersion == "" {
		open.MessageSchemaVersion = protocol.MessageSchemaVersion
	}
	b, _ := json.Marshal(open)
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("OpenDataChannel: %v", err)
	}
	at := &attachment{conn: conn, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(at.done)
		for {
			_, frame, err := conn.Read(context.Background())
			if err != nil {
				at.err = err
				return
			}
			var m protocol.Message
			if err := protocol.Unmarshal(frame, &m); err == nil {
				switch m.MessageType {
				case protocol.TypeClientStream:
					s.answerClientStream(conn, &m)
					fallthrough
				case protocol.TypeStartPublication, protocol.TypePausePublication, protocol.TypeChannelClosed:
					m.Payload = append([]byte(nil), m.Payload...)
					s.events.put(m)
				}
			}
			s.stream.Receive(frame)
		}
	}()
	return at
}

// answerClientStream answers client_stream as sesame's agent does: the
// stream restarts for a client other than the one it is for, and the
// answer names the client; a client the stream was taken from is
// refused.
func (s *channelEnd) answerClientStream(conn *websocket.Conn, m *protocol.Message) {
	if s.role != protocol.RoleAgent {
		return
	}
	var cs protocol.ClientStream
	if err := protocol.DecodePayload(m, protocol.TypeClientStream, &cs); err != nil {
		return
	}
	reply := protocol.ClientStream{ClientID: cs.ClientID}
	s.mu.Lock()
	switch {
	case s.takenFrom[cs.ClientID]:
		reply.TakenOver = true
	case s.streamSet && s.streamFor != cs.ClientID:
		if s.takenFrom == nil {
			s.takenFrom = map[string]bool{}
		}
		s.takenFrom[s.streamFor] = true
		s.stream.Restart()
		fallthrough
	default:
		s.streamFor, s.streamSet = cs.ClientID, true
	}
	s.mu.Unlock()
	answer, err := protocol.NewControl(protocol.TypeClientStream, protocol.UUID{5}, time.Now(), reply)
	if err != nil {
		return
	}
	frame, err := answer.MarshalBinary()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn.Write(ctx, websocket.MessageBinary, frame)
}

// attach dials with token and makes the connection the Stream's, then
// resends what the peer has not acknowledged.
func (s *channelEnd) attach(t testing.TB, token string) *attachment {
	t.Helper()
	open := protocol.OpenDataChannel{RequestID: "00000000-0000-4000-8000-000000000000", TokenValue: token,
		ClientID: cmp.Or(s.clientID, "test-"+s.role.String())}
	at := s.dial(t, open)
	if old := s.conn.Swap(at.conn); old != nil {
		old.CloseNow()
	}
	s.stream.Resume()
	return at
}

// drop closes the current connection abruptly.
func (s *channelEnd) drop() {
	if c := s.conn.Swap(nil); c != nil {
		c.CloseNow()
	}
}

// expect returns the next recorded message of type typ.
func (s *channelEnd) expect(t testing.TB, typ protocol.MessageType) protocol.Message {
	t.Helper()
	m, ok := s.events.take(t, string(typ)+" to the "+s.role.String(), func(m protocol.Message) bool { return m.MessageType == typ })
	if !ok {
		t.Fatalf("no %s", typ)
	}
	return m
}

// closeReason waits for the server to close an attachment and returns
// the close status and reason.
func (at *attachment) closeReason(t testing.TB) (websocket.StatusCode, string) {
	t.Helper()
	select {
	case <-at.done:
	case <-time.After(waitTimeout):
		t.Fatal("the server did not close the data channel")
	}
	var ce websocket.CloseError
	if !errors.As(at.err, &ce) {
		return -1, at.err.Error()
	}
	return ce.Code, ce.Reason
}

// session is one started session with its fake agent and client.
type session struct {
	id     string
	start  *protocol.SessionStart
	token  string // the client's from StartSession
	agent  *channelEnd
	client *channelEnd
}

// openSession starts a session on a's node as the admin (documentName
// may be empty) and returns it, nothing attached yet.
func (ts *relayServer) openSession(t *testing.T, a *fakeAgent, documentName string) *session {
	t.Helper()
	body := map[string]any{"Target": a.node.ID}
	if documentName != "" {
		body["DocumentName"] = documentName
	}
	b, _ := json.Marshal(body)
	status, text := ts.rawSSM(t, "AmazonSSM.StartSession", b)
	if status != http.StatusOK {
		t.Fatalf("StartSession: %d %s", status, text)
	}
	var out sessionOut
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatal(err)
	}
	st := a.expectSession(t, out.SessionID)
	return &session{id: out.SessionID, start: st, token: out.TokenValue,
		agent: newSide(t, protocol.RoleAgent, st.StreamURL), client: newSide(t, protocol.RoleClient, out.StreamURL)}
}

// attachBoth attaches the agent (which is paused, no client being
// there) and then the client (which starts it).
func (s *session) attachBoth(t *testing.T) (agent, client *attachment) {
	t.Helper()
	agent = s.agent.attach(t, s.start.Token)
	s.agent.expect(t, protocol.TypePausePublication)
	client = s.client.attach(t, s.token)
	s.agent.expect(t, protocol.TypeStartPublication)
	return agent, client
}

// sessionStatus reads a session's stored status and reason.
func (ts *relayServer) sessionStatus(t *testing.T, id string) (store.SessionStatus, string) {
	t.Helper()
	sess, err := ts.Store.GetSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sess.Status, sess.Reason
}

// newOfflineNode registers a node that has not connected yet.
func newOfflineNode(t *testing.T, ts *testServer, instanceID string) testNode {
	t.Helper()
	id, code := newActivation(t, ts, 1, map[string]string{"Env": "Dev"})
	return registerNode(t, ts, id, code, instanceID, false)
}
