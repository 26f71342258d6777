package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	mathrand "math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// resumeToken calls ResumeSession and returns the new client token.
func (ts *relayServer) resumeToken(t *testing.T, id string) string {
	t.Helper()
	status, body := ts.rawSSM(t, "AmazonSSM.ResumeSession", []byte(`{"SessionId":"`+id+`"}`))
	var out sessionOut
	if status != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || out.TokenValue == "" {
		t.Fatalf("ResumeSession: %d %s", status, body)
	}
	return out.TokenValue
}

// agentToken asks for an agent token of session id on a's control
// channel.
func agentToken(t *testing.T, a *fakeAgent, id string) string {
	t.Helper()
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: id})
	m := a.expect(t, protocol.ControlSessionToken)
	if m.SessionID != id || m.Token == "" {
		t.Fatalf("session_token answer %+v", m)
	}
	return m.Token
}

// dataFrame marshals a stream-data message as a peer would.
func dataFrame(t *testing.T, typ protocol.MessageType, seq int64, payload []byte) []byte {
	t.Helper()
	m := protocol.Message{MessageType: typ, SchemaVersion: 1, CreatedDate: uint64(time.Now().UnixMilli()),
		SequenceNumber: seq, MessageID: protocol.UUID{7}, PayloadType: protocol.PayloadOutput, Payload: payload}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDataChannelTokens: tokens that are garbled, foreign, expired,
// used, or for another session or node are refused with a reason and
// logged; nothing else changes.
func TestDataChannelTokens(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	s1 := ts.openSession(t, a, "")
	s1.attachBoth(t)
	s2 := ts.openSession(t, a, "")
	s2.attachBoth(t)

	key := make([]byte, 32)
	rand.Read(key)
	foreign := &Server{cfg: Config{Rand: rand.Reader}, tokens: must(newTokenSealer(key, rand.Reader))(t)}
	now := ts.clock.Now()
	s2Token := ts.resumeToken(t, s2.id)
	s2AgentToken := agentToken(t, a, s2.id)

	for _, tc := range []struct {
		name   string
		id     string // the session in the URL; s1 if empty
		open   string // the first frame, raw; else OpenDataChannel with token
		token  func() string
		reason string
		binary bool
	}{
		{name: "garbled", token: func() string { return "AAEAAnot-a-token" }, reason: "token not valid"},
		{name: "not ours", token: func() string { return "IQoJb3JpZ2luX2VjE" }, reason: "token not valid"},
		{name: "foreign key", token: func() string { return must(foreign.newStreamToken(s1.id, now))(t) }, reason: "token not valid"},
		{name: "foreign agent key", token: func() string { return must(foreign.newAgentToken(s1.id, a.node.ID, now))(t) }, reason: "token not valid"},
		{name: "another session's", token: func() string { return s2Token }, reason: "token is for another session"},
		{name: "another session's agent token", token: func() string { return s2AgentToken }, reason: "token is for another session"},
		{name: "another node's agent token", token: func() string { return must(ts.newAgentToken(s1.id, "mi-00000000000000000", now))(t) }, reason: "token is for another node"},
		{name: "replayed client token", token: func() string { return s1.token }, reason: "token already used"},
		{name: "replayed agent token", token: func() string { return s1.start.Token }, reason: "token already used"},
		{name: "unknown session", id: "admin-00000000000000000", token: func() string { return must(ts.newStreamToken("admin-00000000000000000", now))(t) }, reason: "no such session"},
		{name: "expired", token: func() string {
			tok := ts.resumeToken(t, s1.id)
			ts.clock.Add(streamTokenTTL)
			return tok
		}, reason: "token expired"},
		{name: "expired agent token", token: func() string {
			tok := agentToken(t, a, s1.id)
			ts.clock.Add(agentTokenTTL)
			return tok
		}, reason: "token expired"},
		{name: "not JSON", open: "hello", reason: "OpenDataChannel is not a JSON object"},
		{name: "two values", open: `{"TokenValue":"x"} {}`, reason: "OpenDataChannel holds more than one JSON value"},
		{name: "no token", open: `{"MessageSchemaVersion":"1.0"}`, reason: "OpenDataChannel has no TokenValue"},
		{name: "schema", open: `{"MessageSchemaVersion":"2.0","TokenValue":"x"}`, reason: `MessageSchemaVersion "2.0" is not supported`},
		{name: "binary", open: `{"TokenValue":"x"}`, binary: true, reason: "the first message must be OpenDataChannel JSON in a text frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			if id == "" {
				id = s1.id
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, ts.wsURL("/v1/data-channel/"+id+"?role=publish_subscribe"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			open := []byte(tc.open)
			if tc.token != nil {
				open, _ = json.Marshal(protocol.OpenDataChannel{MessageSchemaVersion: "1.0", TokenValue: tc.token()})
			}
			typ := websocket.MessageText
			if tc.binary {
				typ = websocket.MessageBinary
			}
			if err := conn.Write(ctx, typ, open); err != nil {
				t.Fatal(err)
			}
			_, _, err = conn.Read(ctx)
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != tc.reason {
				t.Errorf("closed with %v, want %d %q", err, websocket.StatusPolicyViolation, tc.reason)
			}
			ts.log.wait(t, "data channel refused", map[string]string{"session_id": id, "reason": tc.reason})
		})
	}
	ts.clock.Add(-streamTokenTTL - agentTokenTTL)

	// Nothing else changed: both sessions relay, and s2's token, refused
	// at s1, opens s2.
	for _, s := range []*session{s1, s2} {
		if st, _ := ts.sessionStatus(t, s.id); st != store.SessionConnected {
			t.Errorf("%s: status %s", s.id, st)
		}
		transfer(t, s.client, s.agent, 8<<10)
		transfer(t, s.agent, s.client, 8<<10)
	}
	s2.client.attach(t, s2Token)
	transfer(t, s2.agent, s2.client, 8<<10)
}

// TestDataChannelFrames: malformed frames, wrong digests, oversized
// frames and messages a side does not send are refused and logged; the
// session goes on. A message above the read limit closes its connection
// only; the side reattaches and nothing is lost.
func TestDataChannelFrames(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	a := connectAgent(t, ts.testServer, newOfflineNode(t, ts.testServer, ""))
	s1 := ts.openSession(t, a, "")
	agent, client := s1.attachBoth(t)
	s2 := ts.openSession(t, a, "")
	s2.attachBoth(t)

	wrongDigest := dataFrame(t, protocol.TypeInputStreamData, 0, []byte("ls\n"))
	wrongDigest[len(wrongDigest)-1] ^= 1
	oversized := append(dataFrame(t, protocol.TypeInputStreamData, 0, nil), bytes.Repeat([]byte{'x'}, protocol.MaxFrameSize)...)
	badHeader := dataFrame(t, protocol.TypeInputStreamData, 0, []byte("ls\n"))
	badHeader[3] = 200 // HeaderLength past the frame
	forged, _ := protocol.NewControl(protocol.TypePausePublication, protocol.UUID{9}, time.Now(), struct{}{})
	forgedFrame, _ := forged.MarshalBinary()
	badState, _ := protocol.NewControl(protocol.TypeAgentSessionState, protocol.UUID{9}, time.Now(), "Terminating")
	badStateFrame, _ := badState.MarshalBinary()
	otherState, _ := protocol.NewControl(protocol.TypeAgentSessionState, protocol.UUID{9}, time.Now(),
		protocol.AgentSessionState{SchemaVersion: 1, SessionState: protocol.SessionTerminating, SessionID: s2.id})
	otherStateFrame, _ := otherState.MarshalBinary()

	for _, tc := range []struct {
		name  string
		from  *attachment
		side  string
		frame []byte
		err   string
	}{
		{"short", client, "client", []byte("garbage"), "shorter than the 120-byte header"},
		{"header length", client, "client", badHeader, "HeaderLength"},
		{"wrong digest", client, "client", wrongDigest, "payload digest mismatch"},
		{"oversized", client, "client", oversized, "frame too large"},
		{"forged pause", client, "client", forgedFrame, "a client does not send pause_publication messages"},
		{"agent's wrong digest", agent, "agent", wrongDigest, "payload digest mismatch"},
		{"agent sends input", agent, "agent", dataFrame(t, protocol.TypeInputStreamData, 0, []byte("x")), "an agent does not send input_stream_data messages"},
		{"bad session state", agent, "agent", badStateFrame, "agent_session_state payload"},
		{"another session's state", agent, "agent", otherStateFrame, "agent_session_state of session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.from.conn.Write(context.Background(), websocket.MessageBinary, tc.frame); err != nil {
				t.Fatal(err)
			}
			ts.log.wait(t, "data channel frame refused", map[string]string{"session_id": s1.id, "side": tc.side, "err": tc.err})
		})
	}
	// The session goes on, and the agent was never paused by the forged
	// frame: it would have arrived before this data.
	transfer(t, s1.client, s1.agent, 16<<10)
	transfer(t, s1.agent, s1.client, 16<<10)
	if evs := s1.agent.events.snapshot(); len(evs) != 0 {
		t.Errorf("the agent got %s, which nobody should have sent", evs[0].MessageType)
	}
	if st, _ := ts.sessionStatus(t, s1.id); st != store.SessionConnected {
		t.Errorf("status %s after refused frames", st)
	}
	if st, _ := ts.sessionStatus(t, s2.id); st != store.SessionConnected {
		t.Errorf("another session's state message ended %s: %s", s2.id, st)
	}

	// Above the read limit the connection closes (message too big); the
	// client resumes and no byte is lost.
	want := make([]byte, 64<<10)
	rand.Read(want)
	if _, err := s1.agent.stream.Write(want[:32<<10]); err != nil {
		t.Fatal(err)
	}
	huge := make([]byte, maxRelayMessage+1)
	client.conn.Write(context.Background(), websocket.MessageBinary, huge)
	if code, _ := client.closeReason(t); code != websocket.StatusMessageTooBig {
		t.Errorf("closed with %d, want %d", code, websocket.StatusMessageTooBig)
	}
	ts.log.wait(t, "data channel closed: message too big", map[string]string{"session_id": s1.id})
	s1.agent.expect(t, protocol.TypePausePublication)
	if _, err := s1.agent.stream.Write(want[32<<10:]); err != nil {
		t.Fatal(err)
	}
	s1.client.attach(t, ts.resumeToken(t, s1.id))
	got := make([]byte, len(want))
	readFull(t, s1.client, got)
	if !bytes.Equal(got, want) {
		t.Fatal("output changed across the reattachment")
	}
	transfer(t, s2.client, s2.agent, 8<<10)
}

func readFull(t *testing.T, e *channelEnd, p []byte) {
	t.Helper()
	for n := 0; n < len(p); {
		m, err := e.stream.Read(p[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
}

// FuzzOpenDataChannel: the first frame of a data channel, decoded and
// its token opened, never panics, and admits only a session's own
// token.
func FuzzOpenDataChannel(f *testing.F) {
	// Nonces from a fixed source: the fuzzing workers, separate
	// processes, make the same tokens as the seeds'.
	sealer, err := newTokenSealer(make([]byte, 32), mathrand.NewChaCha8([32]byte{}))
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: Config{Rand: rand.Reader}, tokens: sealer}
	now := time.Unix(1_800_000_000, 0)
	client, err := s.newStreamToken("alice-0123456789abcdef0", now)
	if err != nil {
		f.Fatal(err)
	}
	agent, err := s.newAgentToken("alice-0123456789abcdef0", "i-0123456789abcdef0", now)
	if err != nil {
		f.Fatal(err)
	}
	for _, tok := range []string{client, agent, "AAEAA", "AAEAA" + strings.Repeat("A", 300), ""} {
		b, _ := json.Marshal(protocol.OpenDataChannel{MessageSchemaVersion: "1.0", RequestID: "r", TokenValue: tok, ClientID: "c", ClientVersion: "1.3.0.0"})
		f.Add(b)
	}
	f.Add([]byte(`{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"` + agent + `","ClientInstanceId":"i-0123456789abcdef0","ClientId":""}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"TokenValue":"x"}{}`))
	f.Add([]byte("{\"TokenValue\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		adm, err := s.admit("alice-0123456789abcdef0", data, now)
		if err != nil {
			if adm != nil {
				t.Fatal("an admission with an error")
			}
			return
		}
		if adm.token != client && adm.token != agent {
			t.Fatalf("admitted a token the server did not make: %q", adm.token)
		}
		if (adm.side == sideAgent) != (adm.token == agent) {
			t.Fatalf("token admitted as %s", adm.side)
		}
	})
}
