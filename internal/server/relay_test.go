package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// transfer writes n random bytes to from's Stream and checks that to
// reads exactly them.
func transfer(t *testing.T, from, to *channelEnd, n int) {
	t.Helper()
	want := make([]byte, n)
	rand.Read(want)
	errc := make(chan error, 1)
	go func() {
		_, err := from.stream.Write(want)
		errc <- err
	}()
	got := make([]byte, n)
	rerr := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(to.stream, got)
		rerr <- err
	}()
	select {
	case err := <-rerr:
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("%s to %s: %d bytes did not arrive", from.role, to.role, n)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s to %s: %d bytes arrived changed", from.role, to.role, n)
	}
}

// TestRelay: a session from StartSession to TerminateSession, with a
// fake agent and a fake client on internal/protocol.
func TestRelay(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "i-0123456789abcdef0")
	a := connectAgent(t, ts.testServer, n)
	s := ts.openSession(t, a, "")

	// start_session carries what the agent needs.
	if !strings.HasPrefix(s.start.StreamURL, ts.wsURL("/v1/data-channel/"+s.id+"?role=publish_subscribe")) ||
		s.start.Token == "" || s.start.Token == s.token || s.start.SessionType != protocol.SessionStandardStream ||
		s.start.DocumentName != "SSM-SessionManagerRunShell" || !json.Valid(s.start.Document) || s.start.Owner != ts.Admin.ARN ||
		s.start.RunAsUser != "" {
		t.Errorf("start_session = %+v", s.start)
	}
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionConnecting {
		t.Errorf("status %s before anyone attached", st)
	}

	// The agent attaches first and is paused; the client's arrival
	// starts it and makes the session Connected.
	agent, client := s.attachBoth(t)
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionConnected {
		t.Errorf("status %s with both attached, want Connected", st)
	}
	// The server answers pings on every channel (AWS's agent drops a
	// channel whose pings go unanswered).
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for name, c := range map[string]*websocket.Conn{"agent's data": agent.conn, "client's data": client.conn, "control": a.conn} {
		if err := c.Ping(ctx); err != nil {
			t.Errorf("ping on the %s channel: %v", name, err)
		}
	}

	// A megabyte each way, at the same time, byte for byte.
	done := make(chan struct{})
	go func() {
		defer close(done)
		transfer(t, s.client, s.agent, 1<<20)
	}()
	transfer(t, s.agent, s.client, 1<<20)
	<-done

	// TerminateSession: the client gets channel_closed, the agent
	// terminate_session, and the session is Terminated.
	status, body := ts.rawSSM(t, "AmazonSSM.TerminateSession", []byte(`{"SessionId":"`+s.id+`"}`))
	if status != http.StatusOK {
		t.Fatalf("TerminateSession: %d %s", status, body)
	}
	m := s.client.expect(t, protocol.TypeChannelClosed)
	var cc protocol.ChannelClosed
	if err := json.Unmarshal(m.Payload, &cc); err != nil || cc.SessionID != s.id || cc.Output != "" || cc.DestinationID != "test-client" {
		t.Errorf("channel_closed %+v %v", cc, err)
	}
	if ct := a.expect(t, protocol.ControlTerminateSession); ct.SessionID != s.id {
		t.Errorf("terminate_session %+v", ct)
	}
	if st, reason := ts.sessionStatus(t, s.id); st != store.SessionTerminated || reason != terminateEnding.reason {
		t.Errorf("status %s %q after TerminateSession", st, reason)
	}

	// The ended session's tokens open nothing: ResumeSession has none,
	// and the agent is told the session is over.
	status, body = ts.rawSSM(t, "AmazonSSM.ResumeSession", []byte(`{"SessionId":"`+s.id+`"}`))
	if status != http.StatusOK || strings.Contains(body, "TokenValue") {
		t.Errorf("ResumeSession of an ended session: %d %s", status, body)
	}
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: s.id})
	if m := a.expect(t, protocol.ControlTerminateSession); m.SessionID != s.id || m.Reason != "Session is already terminated" {
		t.Errorf("session_token of an ended session: %+v", m)
	}
}

// TestRelayClientResume: the client's connection drops mid-stream; the
// session is Disconnected and the agent paused; ResumeSession gives a
// new token and the client reattaches; no byte is lost or repeated.
func TestRelayClientResume(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	s := ts.openSession(t, a, "")
	s.attachBoth(t)

	const total = 512 << 10
	want := make([]byte, total)
	rand.Read(want)
	input := make([]byte, 64<<10)
	rand.Read(input)
	werr := make(chan error, 1)
	go func() {
		_, err := s.agent.stream.Write(want)
		werr <- err
	}()
	got := make([]byte, total)
	if _, err := io.ReadFull(s.client.stream, got[:total/4]); err != nil {
		t.Fatal(err)
	}

	s.client.drop()
	s.agent.expect(t, protocol.TypePausePublication)
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionDisconnected {
		t.Errorf("status %s after the client dropped, want Disconnected", st)
	}
	// Typed while away: the Stream keeps it until it is acknowledged.
	if _, err := s.client.stream.Write(input); err != nil {
		t.Fatal(err)
	}

	status, body := ts.rawSSM(t, "AmazonSSM.ResumeSession", []byte(`{"SessionId":"`+s.id+`"}`))
	if status != http.StatusOK {
		t.Fatalf("ResumeSession: %d %s", status, body)
	}
	var out sessionOut
	json.Unmarshal([]byte(body), &out)
	s.client.attach(t, out.TokenValue)
	s.agent.expect(t, protocol.TypeStartPublication)
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionConnected {
		t.Errorf("status %s after the client came back, want Connected", st)
	}

	if _, err := io.ReadFull(s.client.stream, got[total/4:]); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("output changed across the client's reconnection")
	}
	in := make([]byte, len(input))
	if _, err := io.ReadFull(s.agent.stream, in); err != nil || !bytes.Equal(in, input) {
		t.Fatalf("input changed across the client's reconnection: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.agent.stream.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.client.stream.Stats(); int64(st.Delivered) != st.ExpectedSequence || st.Readable != 0 {
		t.Errorf("client stream: %+v", st)
	}
}

// TestRelayNewClient: a client with another ClientId (sesame session
// resume from another process) attaches to a running session: the agent
// is told, restarts its stream and says so, and the new client's stream,
// from sequence number 0, carries data both ways; what the agent wrote
// for the first client, which never acknowledged it, is not the new
// one's. The first client cannot come back: its stream is gone.
func TestRelayNewClient(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	s := ts.openSession(t, a, "")
	s.attachBoth(t)
	transfer(t, s.agent, s.client, 8<<10)
	transfer(t, s.client, s.agent, 8<<10)

	s.client.drop()
	s.agent.expect(t, protocol.TypePausePublication)
	if _, err := s.agent.stream.Write([]byte("for the first client only")); err != nil {
		t.Fatal(err)
	}
	next := newSide(t, protocol.RoleClient, s.client.url)
	next.clientID = "another-client"
	next.attach(t, ts.resumeToken(t, s.id))
	var cs protocol.ClientStream
	m := s.agent.expect(t, protocol.TypeClientStream)
	if err := protocol.DecodePayload(&m, protocol.TypeClientStream, &cs); err != nil || cs.ClientID != "another-client" {
		t.Errorf("client_stream %+v, %v", cs, err)
	}
	s.agent.expect(t, protocol.TypeStartPublication)
	transfer(t, s.agent, next, 64<<10)
	transfer(t, next, s.agent, 16<<10)
	if st := next.stream.Stats(); st.Readable != 0 || st.Duplicates != 0 {
		t.Errorf("new client's stream %+v", st)
	}

	// The new client's own reconnection continues its stream.
	next.drop()
	s.agent.expect(t, protocol.TypePausePublication)
	next.attach(t, ts.resumeToken(t, s.id))
	s.agent.expect(t, protocol.TypeStartPublication)
	transfer(t, s.agent, next, 8<<10)

	// The first client, back, is told why it cannot go on; the agent's
	// stream stays the new client's, which reattaches.
	back := s.client.attach(t, ts.resumeToken(t, s.id))
	if code, _ := back.closeReason(t); code != websocket.StatusNormalClosure {
		t.Errorf("first client closed with %d", code)
	}
	m = s.client.expect(t, protocol.TypeChannelClosed)
	var cc protocol.ChannelClosed
	if err := json.Unmarshal(m.Payload, &cc); err != nil || cc.Output != takenOverOutput {
		t.Errorf("channel_closed %+v, %v", cc, err)
	}
	next.attach(t, ts.resumeToken(t, s.id))
	transfer(t, next, s.agent, 8<<10)
	transfer(t, s.agent, next, 8<<10)
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionConnected {
		t.Errorf("status %s", st)
	}
}

// TestRelayEndedReason: a client that attaches after its session ended
// gets channel_closed with the reason the session ended.
func TestRelayEndedReason(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, s *session) (token string)
		want string
	}{
		{"failed on the node", func(t *testing.T, s *session) string {
			closed, _ := protocol.NewControl(protocol.TypeChannelClosed, protocol.UUID{3}, time.Now(),
				protocol.ChannelClosed{SessionID: s.id, MessageType: protocol.TypeChannelClosed, SchemaVersion: 1, Output: "Unable to start command: boom"})
			frame, _ := closed.MarshalBinary()
			if err := s.agent.conn.Load().Write(context.Background(), websocket.MessageBinary, frame); err != nil {
				t.Fatal(err)
			}
			ts.log.wait(t, "session ended", map[string]string{"session_id": s.id})
			return s.token // from StartSession, never used
		}, "Unable to start command: boom"},
		{"idle", func(t *testing.T, s *session) string {
			ts.clock.Add(defaultIdleTimeout - time.Minute)
			token := ts.resumeToken(t, s.id)
			ts.clock.Add(time.Minute)
			ts.hub.sweep()
			return token
		}, protocol.IdleTimeoutOutput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ts.openSession(t, a, "")
			s.agent.attach(t, s.start.Token)
			s.agent.expect(t, protocol.TypePausePublication)
			token := tc.end(t, s)
			if st, reason := ts.sessionStatus(t, s.id); st != store.SessionTerminated || reason != tc.want {
				t.Fatalf("status %s %q", st, reason)
			}
			at := s.client.attach(t, token)
			m := s.client.expect(t, protocol.TypeChannelClosed)
			var cc protocol.ChannelClosed
			if err := json.Unmarshal(m.Payload, &cc); err != nil || cc.Output != tc.want || cc.SessionID != s.id {
				t.Errorf("channel_closed %+v, %v; want Output %q", cc, err, tc.want)
			}
			if code, reason := at.closeReason(t); code != websocket.StatusNormalClosure || reason != "Session is already terminated" {
				t.Errorf("closed with %d %q", code, reason)
			}
		})
	}
}

// TestRelayAgentResume: the agent's data channel drops; it asks for a
// token on its control channel and reattaches; nothing is lost.
func TestRelayAgentResume(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	s := ts.openSession(t, a, "")
	s.attachBoth(t)

	const total = 256 << 10
	want := make([]byte, total)
	rand.Read(want)
	werr := make(chan error, 1)
	go func() {
		_, err := s.agent.stream.Write(want)
		werr <- err
	}()
	got := make([]byte, total)
	if _, err := io.ReadFull(s.client.stream, got[:total/2]); err != nil {
		t.Fatal(err)
	}
	s.agent.drop()
	ts.log.wait(t, "data channel detached", map[string]string{"session_id": s.id, "side": "agent"})

	// The agent's start_session token was used: it cannot attach again.
	at := s.agent.dial(t, protocol.OpenDataChannel{TokenValue: s.start.Token})
	if code, reason := at.closeReason(t); code != websocket.StatusPolicyViolation || reason != "token already used" {
		t.Errorf("reused agent token: %d %q", code, reason)
	}
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: s.id})
	m := a.expect(t, protocol.ControlSessionToken)
	if m.SessionID != s.id || m.Token == "" {
		t.Fatalf("session_token answer %+v", m)
	}
	s.agent.attach(t, m.Token)
	s.agent.expect(t, protocol.TypeStartPublication) // a client is attached

	if _, err := io.ReadFull(s.client.stream, got[total/2:]); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("output changed across the agent's reconnection")
	}
	transfer(t, s.client, s.agent, 32<<10)

	// A session of another node gets no token.
	b := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	b.send(t, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: s.id})
	if m := b.expect(t, protocol.ControlError); m.SessionID != s.id || m.Token != "" {
		t.Errorf("another node's session_token: %+v", m)
	}
}

// TestRelayAgentEnds: the agent reports the end of the session; the
// client gets channel_closed and the session is Terminated.
func TestRelayAgentEnds(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	for _, tc := range []struct {
		name   string
		typ    protocol.MessageType
		v      any
		output string
	}{
		{"agent_session_state", protocol.TypeAgentSessionState, protocol.AgentSessionState{SchemaVersion: 1, SessionState: protocol.SessionTerminating}, ""},
		{"channel_closed", protocol.TypeChannelClosed, protocol.ChannelClosed{MessageType: protocol.TypeChannelClosed, Output: "the shell failed"}, "the shell failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ts.openSession(t, a, "")
			agent, _ := s.attachBoth(t)
			transfer(t, s.agent, s.client, 4096)
			m, err := protocol.NewControl(tc.typ, protocol.UUID{1}, time.Now(), tc.v)
			if err != nil {
				t.Fatal(err)
			}
			frame, _ := m.MarshalBinary()
			if err := agent.conn.Write(context.Background(), websocket.MessageBinary, frame); err != nil {
				t.Fatal(err)
			}
			cm := s.client.expect(t, protocol.TypeChannelClosed)
			var cc protocol.ChannelClosed
			if err := json.Unmarshal(cm.Payload, &cc); err != nil || cc.Output != tc.output || cc.SessionID != s.id {
				t.Errorf("channel_closed %+v %v", cc, err)
			}
			if code, _ := agent.closeReason(t); code != websocket.StatusNormalClosure {
				t.Errorf("agent's data channel closed with %d", code)
			}
			st, reason := ts.sessionStatus(t, s.id)
			if want := cmpOrString(tc.output, "The session ended on the node."); st != store.SessionTerminated || reason != want {
				t.Errorf("status %s %q, want Terminated %q", st, reason, want)
			}
		})
	}
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestRelayTimeouts: idle timeout (client input counts as activity) and
// maximum duration, on the server's clock.
func TestRelayTimeouts(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	createSessionDoc(t, ts.admin().SSM, "Short-Shell", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"maxSessionDuration":"40","idleSessionTimeout":"60"}}`)
	createSessionDoc(t, ts.admin().SSM, "Plain-Port", `{"schemaVersion":"1.0","sessionType":"Port","properties":{"portNumber":"22"}}`)

	idle := ts.openSession(t, a, "")
	idle.attachBoth(t)
	short := ts.openSession(t, a, "Short-Shell")
	short.attachBoth(t)
	port := ts.openSession(t, a, "Plain-Port") // the account's preferences: 20 minutes idle

	ts.clock.Add(15 * time.Minute)
	transfer(t, idle.client, idle.agent, 100) // input: the idle clock restarts
	transfer(t, short.client, short.agent, 100)
	ts.clock.Add(10 * time.Minute) // 25 minutes since the start, 10 since the input
	ts.hub.sweep()
	if st, _ := ts.sessionStatus(t, idle.id); st != store.SessionConnected {
		t.Fatalf("session ended %s though input came 10 minutes ago", st)
	}
	if st, reason := ts.sessionStatus(t, port.id); st != store.SessionTerminated || reason != protocol.IdleTimeoutOutput {
		t.Errorf("port session: %s %q after 25 idle minutes", st, reason)
	}
	// Output alone is not activity.
	transfer(t, idle.agent, idle.client, 100)
	ts.clock.Add(10*time.Minute + time.Second)
	ts.hub.sweep()
	m := idle.client.expect(t, protocol.TypeChannelClosed)
	var cc protocol.ChannelClosed
	if err := json.Unmarshal(m.Payload, &cc); err != nil || cc.Output != "Your session timed out due to inactivity and has been terminated." {
		t.Errorf("channel_closed %+v %v", cc, err)
	}
	if m := a.expect(t, protocol.ControlTerminateSession); m.SessionID != idle.id && m.SessionID != port.id {
		t.Errorf("terminate_session %+v", m)
	}
	if st, reason := ts.sessionStatus(t, idle.id); st != store.SessionTerminated || reason != protocol.IdleTimeoutOutput {
		t.Errorf("status %s %q after the idle timeout", st, reason)
	}
	if st, _ := ts.sessionStatus(t, short.id); st != store.SessionConnected {
		t.Fatalf("a session with a 60-minute idle timeout ended (%s)", st)
	}

	ts.clock.Add(5 * time.Minute) // 40 minutes and 1 second since the start
	ts.hub.sweep()
	m = short.client.expect(t, protocol.TypeChannelClosed)
	want := "Your session has been terminated for the following reasons: the session reached its maximum duration of 40 minutes."
	if err := json.Unmarshal(m.Payload, &cc); err != nil || cc.Output != want {
		t.Errorf("channel_closed %+v %v", cc, err)
	}
	if st, reason := ts.sessionStatus(t, short.id); st != store.SessionTerminated || reason != want {
		t.Errorf("status %s %q after the maximum duration", st, reason)
	}
}

// TestRelayRunAs: RunAsUser is the principal's SSMSessionRunAs tag, or
// the document's default, when the document enables RunAs.
func TestRelayRunAs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, inputs string
		tags         map[string]string
		want         string
	}{
		{"off", `{"runAsEnabled":false,"runAsDefaultUser":"ops"}`, map[string]string{"SSMSessionRunAs": "alice"}, ""},
		{"tag", `{"runAsEnabled":true,"runAsDefaultUser":"ops"}`, map[string]string{"SSMSessionRunAs": "alice"}, "alice"},
		{"default", `{"runAsEnabled":"true","runAsDefaultUser":"ops"}`, nil, "ops"},
		{"no inputs", `{}`, map[string]string{"SSMSessionRunAs": "alice"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":` + tc.inputs + `}`
			if got := runAsUser(content, tc.tags); got != tc.want {
				t.Errorf("runAsUser = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRelayShutdown: Shutdown tells agents (shutdown) and data-channel
// peers (going away), closes their channels and refuses new ones;
// sessions stay live.
func TestRelayShutdown(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "")
	a := connectAgent(t, ts.testServer, n)
	s := ts.openSession(t, a, "")
	agent, client := s.attachBoth(t)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if m := a.expect(t, protocol.ControlShutdown); m.Reason == "" {
		t.Errorf("shutdown %+v", m)
	}
	for _, at := range []*attachment{agent, client} {
		if code, reason := at.closeReason(t); code != websocket.StatusGoingAway || reason != reasonGoingAway {
			t.Errorf("data channel closed with %d %q", code, reason)
		}
	}
	if st, _ := ts.sessionStatus(t, s.id); st != store.SessionDisconnected {
		t.Errorf("status %s after shutdown, want Disconnected", st)
	}
	if _, resp, err := dialAgent(t, ts.testServer, n); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("control channel after shutdown: %v %v", resp, err)
	}
	if err := ts.Shutdown(ctx); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

// TestServeShutdown: Serve's graceful shutdown tells agents and closes
// their channels before it returns.
func TestServeShutdown(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln, nil, nil) }()

	other := *ts.testServer
	other.URL = "http://" + ln.Addr().String()
	a := connectAgent(t, &other, n)
	cancel()
	if m := a.expect(t, protocol.ControlShutdown); m.Reason == "" {
		t.Errorf("shutdown %+v", m)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	<-a.done
	if code := websocket.CloseStatus(a.err); code != websocket.StatusGoingAway {
		t.Errorf("control channel closed with %v", a.err)
	}
	if got := ts.node(t, n.ID).PingStatus; got != store.PingConnectionLost {
		t.Errorf("node %s after the server stopped", got)
	}
}

// TestRelayRestart: the server stops and another starts on the same
// store; it adopts the live session, the agent and the client come back
// to it, and the session goes on with nothing lost.
func TestRelayRestart(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "")
	a := connectAgent(t, ts.testServer, n)
	s := ts.openSession(t, a, "")
	s.attachBoth(t)
	transfer(t, s.agent, s.client, 8<<10)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	a.expect(t, protocol.ControlShutdown)
	// Written while the server is away.
	output, input := make([]byte, 64<<10), make([]byte, 16<<10)
	rand.Read(output)
	rand.Read(input)
	if _, err := s.agent.stream.Write(output); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.stream.Write(input); err != nil {
		t.Fatal(err)
	}

	cfg := ts.cfg
	cfg.Logger = slog.New(ts.log)
	next, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(next.Handler())
	t.Cleanup(hs.Close)
	ts2 := &relayServer{testServer: &testServer{Server: next, URL: hs.URL, Store: ts.Store, Admin: ts.Admin}, log: ts.log, clock: ts.clock}
	shutdownAtCleanup(t, ts2.testServer)
	if err := next.adoptSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := ts2.sessionStatus(t, s.id); st != store.SessionDisconnected {
		t.Errorf("adopted session %s, want Disconnected", st)
	}

	a2 := connectAgent(t, ts2.testServer, n)
	s.agent.url = ts2.wsURL("/v1/data-channel/" + s.id + "?role=publish_subscribe")
	s.agent.attach(t, agentToken(t, a2, s.id))
	s.agent.expect(t, protocol.TypePausePublication)
	s.client.url = s.agent.url
	s.client.attach(t, ts2.resumeToken(t, s.id))
	s.agent.expect(t, protocol.TypeStartPublication)

	got := make([]byte, len(output))
	readFull(t, s.client, got)
	in := make([]byte, len(input))
	readFull(t, s.agent, in)
	if !bytes.Equal(got, output) || !bytes.Equal(in, input) {
		t.Fatal("data changed across the restart")
	}
	if st, _ := ts2.sessionStatus(t, s.id); st != store.SessionConnected {
		t.Errorf("status %s after both came back", st)
	}

	// A session nobody comes back to ends after the idle timeout.
	s2 := ts2.openSession(t, a2, "")
	if err := next.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	third, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	shutdownAtCleanup(t, &testServer{Server: third})
	if err := third.adoptSessions(ctx); err != nil {
		t.Fatal(err)
	}
	ts.clock.Add(defaultIdleTimeout)
	third.hub.sweep()
	if st, reason := ts.sessionStatus(t, s2.id); st != store.SessionTerminated || reason != protocol.IdleTimeoutOutput {
		t.Errorf("abandoned session: %s %q", st, reason)
	}
}
