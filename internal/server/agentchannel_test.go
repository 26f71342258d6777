package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// sync waits until the server has handled every control message sent
// before it: messages are handled in order, and this one is answered.
func (a *fakeAgent) sync(t *testing.T) {
	t.Helper()
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: "sync-00000000000000000"})
	a.msgs.take(t, "sync", func(m *protocol.ControlMessage) bool {
		return m.Type == protocol.ControlError && m.SessionID == "sync-00000000000000000"
	})
}

func (ts *relayServer) node(t *testing.T, id string) store.Node {
	t.Helper()
	return must(ts.Store.GetNode(context.Background(), id))(t)
}

// TestControlChannelAuth: the control channel takes the node's
// credentials, as the heartbeat does, and GET only.
func TestControlChannelAuth(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "")
	for _, tc := range []struct {
		name, token string
	}{
		{"none", ""},
		{"wrong", n.ID + ".AAAA"},
		{"unknown node", "mi-00000000000000000.AAAA"},
		{"not a node token", "nonsense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := dialAgent(t, ts.testServer, testNode{ID: n.ID, Token: tc.token})
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("dial: %v %v", resp, err)
			}
		})
	}
	resp, err := http.Post(ts.URL+"/agent/v1/control", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodGet {
		t.Errorf("POST: %d %v", resp.StatusCode, resp.Header)
	}
	if got := ts.node(t, n.ID).PingStatus; got != store.PingConnectionLost {
		t.Errorf("refused channels changed the node: %s", got)
	}
}

// TestControlChannel: hello records the node's information and makes it
// Online, heartbeats record pings, StartSession needs the channel, and
// a closed channel makes the node ConnectionLost at once.
func TestControlChannel(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	ctx := context.Background()
	admin := ts.admin().SSM
	n := newOfflineNode(t, ts.testServer, "i-0123456789abcdef0")

	// Online by the HTTP heartbeat is not enough for a session.
	heartbeat(t, ts.testServer, n)
	_, err := admin.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID)})
	wantAPIError(t, err, "TargetNotConnected", "i-0123456789abcdef0 is not connected.")

	a, resp, err := dialAgent(t, ts.testServer, n)
	if err != nil {
		t.Fatalf("dial: %v %v", resp, err)
	}
	shutdownAtCleanup(t, ts.testServer)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	if m := a.expect(t, protocol.ControlError); m.Reason != "Send hello first." {
		t.Errorf("heartbeat before hello: %+v", m)
	}
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHello, Info: &protocol.NodeInfo{Hostname: "web-2",
		PlatformType: "Linux", PlatformName: "Debian", PlatformVersion: "13", AgentVersion: "3.3.42.0"}})
	if m := a.expect(t, protocol.ControlHello); m.HeartbeatSeconds != 30 {
		t.Errorf("hello answer %+v", m)
	}
	got := ts.node(t, n.ID)
	want := store.NodeInfo{PlatformType: "Linux", PlatformName: "Debian", PlatformVersion: "13", AgentVersion: "3.3.42.0",
		IPAddress: "127.0.0.1", ComputerName: "web-2"} // no IP address reported: the channel's source
	if got.Info != want || got.PingStatus != store.PingOnline {
		t.Errorf("node after hello: %+v %s", got.Info, got.PingStatus)
	}

	// A heartbeat is stored only once pingPersistInterval has passed;
	// the open channel keeps the node Online in between.
	helloAt := ts.clock.Now()
	ts.clock.Add(time.Minute)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	a.sync(t)
	if got := ts.node(t, n.ID); got.LastPingAt.Sub(helloAt).Abs() > time.Millisecond {
		t.Errorf("last ping %v, want the hello's %v", got.LastPingAt, helloAt)
	}
	// The API reports the heartbeat all the same.
	list, err := admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil || len(list.InstanceInformationList) != 1 {
		t.Fatalf("DescribeInstanceInformation: %v %v", list, err)
	}
	if got := list.InstanceInformationList[0].LastPingDateTime; got == nil || got.Sub(ts.clock.Now()).Abs() > time.Second {
		t.Errorf("LastPingDateTime %v, want the heartbeat's %v", got, ts.clock.Now())
	}
	ts.clock.Add(pingPersistInterval)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	a.sync(t)
	if got := ts.node(t, n.ID); got.LastPingAt.Sub(ts.clock.Now()).Abs() > time.Millisecond {
		t.Errorf("last ping %v, want %v", got.LastPingAt, ts.clock.Now())
	}
	// Back to within the signature skew of the SDK's real clock.
	ts.clock.Add(-pingPersistInterval)

	// Bad messages are answered with error and change nothing.
	for _, tc := range []struct {
		name string
		typ  websocket.MessageType
		data string
		want string
	}{
		{"binary", websocket.MessageBinary, `{"type":"heartbeat"}`, "Control messages are JSON in text frames."},
		{"not JSON", websocket.MessageText, `{"type":`, "malformed frame"},
		{"unknown type", websocket.MessageText, `{"type":"launch"}`, "unknown control message type"},
		{"server's message", websocket.MessageText, `{"type":"shutdown"}`, "shutdown is a message the server sends, not the agent."},
		{"bad info", websocket.MessageText, `{"type":"hello","info":{"platformType":"Plan9"}}`, `PlatformType "Plan9" is not one of Linux, Windows, MacOS.`},
		{"no rotation", websocket.MessageText, `{"type":"credentials_rotated"}`, "No credentials rotation is in progress."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.conn.Write(ctx, tc.typ, []byte(tc.data)); err != nil {
				t.Fatal(err)
			}
			if m := a.expect(t, protocol.ControlError); !strings.Contains(m.Reason, tc.want) {
				t.Errorf("error %q, want %q", m.Reason, tc.want)
			}
		})
	}
	if got := ts.node(t, n.ID); got.Info != want || got.PingStatus != store.PingOnline {
		t.Errorf("bad messages changed the node: %+v %s", got.Info, got.PingStatus)
	}

	// A newer channel replaces the older one, which is closed; the node
	// stays Online and its sessions go to the newer one.
	b := connectAgent(t, ts.testServer, n)
	<-a.done
	if code := websocket.CloseStatus(a.err); code != websocket.StatusPolicyViolation {
		t.Errorf("replaced channel closed with %v", a.err)
	}
	if got := ts.node(t, n.ID).PingStatus; got != store.PingOnline {
		t.Errorf("node %s after its channel was replaced", got)
	}
	s := ts.openSession(t, b, "")

	// The channel closes: the node is ConnectionLost at once and takes no
	// session; its sessions are kept for the agent to come back to.
	b.conn.Close(websocket.StatusNormalClosure, "")
	ts.log.wait(t, "agent disconnected", map[string]string{"instance_id": n.ID})
	info, err := admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil || len(info.InstanceInformationList) != 1 || info.InstanceInformationList[0].PingStatus != "ConnectionLost" {
		t.Fatalf("DescribeInstanceInformation: %+v %v", info, err)
	}
	_, err = admin.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID)})
	wantAPIError(t, err, "TargetNotConnected", "i-0123456789abcdef0 is not connected.")
	if st, _ := ts.sessionStatus(t, s.id); st.Final() {
		t.Errorf("the agent's session ended (%s) with its control channel", st)
	}
	c := connectAgent(t, ts.testServer, n)
	s.agent.attach(t, agentToken(t, c, s.id))
	s.agent.expect(t, protocol.TypePausePublication)
}

// TestControlChannelRotation: credentials are rotated once a day; the
// new ones replace the old when the agent confirms, or when it connects
// with them.
func TestControlChannelRotation(t *testing.T) {
	t.Parallel()
	ts := newRelayServer(t)
	n := newOfflineNode(t, ts.testServer, "")
	a := connectAgent(t, ts.testServer, n)

	ts.clock.Add(credentialsLifetime - time.Minute)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	a.sync(t)
	if len(a.msgs.snapshot()) != 0 {
		t.Fatalf("rotated early: %+v", a.msgs.snapshot()[0])
	}
	ts.clock.Add(time.Minute)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	m := a.expect(t, protocol.ControlRotateCredentials)
	if !strings.HasPrefix(m.Token, n.ID+".") || m.Token == n.Token {
		t.Fatalf("rotate_credentials %+v", m)
	}
	// Until the agent confirms, the old credentials work.
	heartbeat(t, ts.testServer, n)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlCredentialsRotated})
	ts.log.wait(t, "node credentials rotated", map[string]string{"instance_id": n.ID})
	if status, _ := agentPost(t, ts.testServer, "/agent/v1/heartbeat", n.Token, ""); status != http.StatusUnauthorized {
		t.Errorf("old credentials after the rotation: %d", status)
	}
	n.Token = m.Token
	heartbeat(t, ts.testServer, n)

	// The next day the agent stores the new credentials but its channel
	// drops before it confirms: it connects with them.
	ts.clock.Add(credentialsLifetime)
	a.send(t, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
	m = a.expect(t, protocol.ControlRotateCredentials)
	a.conn.Close(websocket.StatusNormalClosure, "")
	ts.log.wait(t, "agent disconnected", map[string]string{"instance_id": n.ID})
	old := n.Token
	n.Token = m.Token
	connectAgent(t, ts.testServer, n)
	heartbeat(t, ts.testServer, n)
	if status, _ := agentPost(t, ts.testServer, "/agent/v1/heartbeat", old, ""); status != http.StatusUnauthorized {
		t.Errorf("old credentials after the rotation completed by use: %d", status)
	}
}
