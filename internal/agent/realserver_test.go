package agent_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/agent/shell"
	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/server"
	"github.com/sesame-sh/sesame/internal/store/sqlite"
)

// realServer is sesame's server on loopback, with a SQLite store that
// outlives it, so that the test can restart it on the same address.
type realServer struct {
	t     *testing.T
	db    *sqlite.DB
	audit *audit.Log
	key   []byte
	addr  string
	URL   string
	SSM   *ssm.Client
	admin server.Admin

	srv *server.Server
	hs  *http.Server
}

func newRealServer(t *testing.T) *realServer {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "sesame.db"), SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log, err := audit.New(audit.Config{Path: filepath.Join(dir, "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	rs := &realServer{t: t, db: db, audit: log, key: key, addr: "127.0.0.1:0"}
	rs.start()
	t.Cleanup(rs.stop)
	return rs
}

// start serves on rs.addr (the same one again after a stop).
func (rs *realServer) start() {
	t := rs.t
	s, err := server.New(server.Config{Store: rs.db, Audit: rs.audit, TokenKey: rs.key})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", rs.addr)
	if err != nil {
		t.Fatal(err)
	}
	rs.addr = ln.Addr().String()
	rs.URL = "http://" + rs.addr
	rs.srv, rs.hs = s, &http.Server{Handler: s.Handler()}
	go rs.hs.Serve(ln)
	if admin != nil { // only the first start makes the admin
		rs.admin = *admin
	}
	// A new client each time: the old one's connections went with the
	// old server.
	cfg := aws.Config{Region: "us-east-1", Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: rs.admin.AccessKeyID, SecretAccessKey: rs.admin.SecretAccessKey}, nil
		})}
	rs.SSM = ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(rs.URL) })
}

func (rs *realServer) stop() {
	if rs.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := rs.srv.Shutdown(ctx); err != nil {
		rs.t.Errorf("server shutdown: %v", err)
	}
	rs.hs.Shutdown(ctx)
	rs.srv = nil
}

// sessionUsers runs sessions as the test's own user where the agent
// would use (and create) ssm-user.
func sessionUsers(t *testing.T) *shell.Users {
	cur, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return &shell.Users{Lookup: func(ctx context.Context, name string) (*shell.User, error) {
		if name == shell.DefaultUser {
			name = cur.Username
		}
		return shell.LookupUser(ctx, name)
	}, Create: func(context.Context, string) error { return errors.New("the test creates no users") }}
}

// realClient is the client end of a session on the real server.
type realClient struct {
	id      string // the session's
	version string // ClientVersion
	stream  *protocol.Stream
	conn    *websocket.Conn
	out     *output
	closed  chan protocol.ChannelClosed
	wg      sync.WaitGroup
}

func startSession(t *testing.T, rs *realServer, in *ssm.StartSessionInput) *realClient {
	t.Helper()
	ctx := context.Background()
	var res *ssm.StartSessionOutput
	eventually(t, func() bool {
		var err error
		res, err = rs.SSM.StartSession(ctx, in)
		var nc *ssmtypes.TargetNotConnected
		if errors.As(err, &nc) {
			return false
		}
		if err != nil {
			t.Fatalf("StartSession: %v", err)
		}
		return true
	})
	return connectClient(t, aws.ToString(res.SessionId), aws.ToString(res.StreamUrl), aws.ToString(res.TokenValue),
		"7d3c1a9e-0b1f-4e0c-8a54-0e6c2d4f9b21", protocol.SesameClientVersion)
}

// connectClient opens a session's data channel as a client with a
// stream of its own.
func connectClient(t *testing.T, id, streamURL, token, clientID, version string) *realClient {
	t.Helper()
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, streamURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(protocol.MaxFrameSize + 4096)
	open, _ := json.Marshal(protocol.OpenDataChannel{MessageSchemaVersion: "1.0", RequestID: "0f8e1d72-3b0c-4a55-9f51-5e2b7a8f0c11",
		TokenValue: token, ClientID: clientID, ClientVersion: version})
	if err := conn.Write(ctx, websocket.MessageText, open); err != nil {
		t.Fatal(err)
	}
	c := &realClient{id: id, version: version, conn: conn, out: newOutput(), closed: make(chan protocol.ChannelClosed, 1)}
	c.stream, err = protocol.NewStream(protocol.Config{Role: protocol.RoleClient, Strict: true, Send: func(f []byte) error {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return conn.Write(wctx, websocket.MessageBinary, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.wg.Add(3)
	go func() { defer c.wg.Done(); c.stream.Run(ctx) }()
	go func() { defer c.wg.Done(); c.out.collect(c.stream) }()
	go func() {
		defer c.wg.Done()
		for {
			_, frame, err := conn.Read(ctx)
			if err != nil {
				return
			}
			m, err := c.stream.Receive(frame)
			if err != nil {
				t.Errorf("client refused a frame: %v", err)
			}
			if m != nil && m.MessageType == protocol.TypeChannelClosed {
				var cc protocol.ChannelClosed
				json.Unmarshal(m.Payload, &cc)
				c.closed <- cc
			}
		}
	}()
	t.Cleanup(func() {
		conn.CloseNow()
		c.stream.Close()
		c.wg.Wait()
	})
	return c
}

// fakeSession's helpers, for a realClient.
func (c *realClient) session(t *testing.T) *fakeSession {
	return &fakeSession{t: t, client: c.stream, out: c.out, version: c.version}
}

func (c *realClient) expectClosed(t *testing.T) protocol.ChannelClosed {
	t.Helper()
	select {
	case cc := <-c.closed:
		return cc
	case <-time.After(waitTimeout):
		t.Fatal("no channel_closed")
		return protocol.ChannelClosed{}
	}
}

// eventually polls ok until it holds.
func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRealServer drives sesame-agent through sesame's own server:
// activation, registration, Online, a shell with its exit code, a
// non-interactive command, and a server restart the agent rides out.
func TestRealServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rs := newRealServer(t)
	act, err := rs.SSM.CreateActivation(ctx, &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"),
		Tags: []ssmtypes.Tag{{Key: aws.String("Env"), Value: aws.String("Dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := agent.Register(ctx, agent.Registration{Endpoint: rs.URL, ActivationID: aws.ToString(act.ActivationId),
		ActivationCode: aws.ToString(act.ActivationCode), Info: agent.HostInfo(ctx, rs.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Register(ctx, agent.Registration{Endpoint: rs.URL, ActivationID: aws.ToString(act.ActivationId),
		ActivationCode: aws.ToString(act.ActivationCode), Info: agent.HostInfo(ctx, rs.URL)}); err == nil || !strings.Contains(err.Error(), "RegistrationLimitExceeded") {
		t.Errorf("second registration: %v", err)
	}
	startAgent(t, agent.Config{Credentials: creds, Users: sessionUsers(t)})
	eventually(t, func() bool {
		out, err := rs.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.InstanceInformationList {
			if aws.ToString(n.InstanceId) == creds.InstanceID && n.PingStatus == ssmtypes.PingStatusOnline {
				if aws.ToString(n.AgentVersion) != agent.Version || n.PlatformType != ssmtypes.PlatformTypeLinux {
					t.Errorf("node %+v", n)
				}
				return true
			}
		}
		return false
	})

	t.Run("shell", func(t *testing.T) {
		c := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID)})
		s := c.session(t)
		s.handshake(t)
		s.resize(t, 120, 40)
		at := s.waitSize(t, 0, "40 120")
		s.typeLine(t, "echo he''llo; tty")
		at = s.out.waitFor(t, at, "hello\r\n")
		s.out.waitFor(t, at, "/dev/pts/")
		s.typeLine(t, "exit 3")
		if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 3" {
			t.Fatalf("got %s %q, want the exit code", d.PayloadType, d.Payload)
		}
		if cc := c.expectClosed(t); cc.Output != "" {
			t.Errorf("channel_closed Output %q", cc.Output)
		}
	})

	t.Run("non-interactive", func(t *testing.T) {
		c := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID), DocumentName: aws.String("AWS-StartNonInteractiveCommand"),
			Parameters: map[string][]string{"command": {`sh -c "echo out; echo err >&2; exit 4"`}}})
		s := c.session(t)
		s.handshake(t)
		if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 4" {
			t.Fatalf("got %s %q, want the exit code", d.PayloadType, d.Payload)
		}
		s.out.waitFor(t, 0, "out\nerr\n") // one stream without separateOutputStream
		c.expectClosed(t)
	})

	t.Run("port refused", func(t *testing.T) {
		c := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID), DocumentName: aws.String("AWS-StartSSHSession")})
		if cc := c.expectClosed(t); !strings.Contains(cc.Output, "not supported") {
			t.Errorf("channel_closed Output %q", cc.Output)
		}
	})

	// A client from another process (sesame session resume) takes over
	// a running shell: a new stream, with the handshake again; the
	// first client, session-manager-plugin, had no exit code coming,
	// the second, sesame's client, gets it.
	t.Run("new client", func(t *testing.T) {
		first := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID)})
		first.version = "1.3.0.0"
		s := first.session(t)
		s.handshake(t)
		s.typeLine(t, "echo fi''rst")
		s.out.waitFor(t, 0, "first\r\n")
		first.conn.CloseNow()
		res, err := rs.SSM.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(first.id)})
		if err != nil {
			t.Fatal(err)
		}
		second := connectClient(t, first.id, aws.ToString(res.StreamUrl), aws.ToString(res.TokenValue),
			"c2b4b0a6-55d1-4f0e-9e27-3f1a0c6d8e42", protocol.SesameClientVersion)
		s2 := second.session(t)
		s2.handshake(t)
		s2.typeLine(t, "echo sec''ond")
		s2.out.waitFor(t, 0, "second\r\n")
		s2.typeLine(t, "exit 3")
		if d := s2.readMessage(t); string(d.Payload) != "EXIT_CODE: 3" {
			t.Fatalf("got %s %q, want the exit code", d.PayloadType, d.Payload)
		}
		if cc := second.expectClosed(t); cc.Output != "" {
			t.Errorf("channel_closed Output %q", cc.Output)
		}
	})

	t.Run("plugin", func(t *testing.T) {
		c := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID)})
		c.version = "1.3.0.0"
		s := c.session(t)
		s.handshake(t)
		s.typeLine(t, "exit 3")
		if cc := c.expectClosed(t); cc.Output != "" {
			t.Errorf("channel_closed Output %q", cc.Output)
		}
		if st := c.stream.Stats(); st.Pending != 0 {
			d := s.readMessage(t)
			t.Errorf("the plugin got %s %q", d.PayloadType, d.Payload)
		}
	})

	t.Run("server restart", func(t *testing.T) {
		rs.stop()
		rs.start()
		c := startSession(t, rs, &ssm.StartSessionInput{Target: aws.String(creds.InstanceID)})
		s := c.session(t)
		s.handshake(t)
		s.typeLine(t, "exit 0")
		if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 0" {
			t.Fatalf("got %s %q", d.PayloadType, d.Payload)
		}
		c.expectClosed(t)
	})
}
