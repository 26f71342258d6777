package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/coder/websocket"
	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/agent/shell"
	"github.com/sesame-sh/sesame/internal/client"
	"github.com/sesame-sh/sesame/internal/protocol"
)

func TestParseSessionParameters(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "params.json")
	if err := os.WriteFile(file, []byte(`{"portNumber":["22"],"localPortNumber":"2222"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   []string
		want map[string][]string
		err  string
	}{
		{name: "none"},
		{name: "shorthand", in: []string{"portNumber=22,localPortNumber=8080"},
			want: map[string][]string{"portNumber": {"22"}, "localPortNumber": {"8080"}}},
		{name: "spaces in a value", in: []string{"command=top -b -n1"}, want: map[string][]string{"command": {"top -b -n1"}}},
		{name: "explicit list", in: []string{"commands=[ls,pwd]"}, want: map[string][]string{"commands": {"ls", "pwd"}}},
		{name: "comma list", in: []string{"commands=ls,pwd,host=db"}, want: map[string][]string{"commands": {"ls", "pwd"}, "host": {"db"}}},
		{name: "quoted comma", in: []string{`command="echo a,b"`}, want: map[string][]string{"command": {"echo a,b"}}},
		{name: "repeated flags", in: []string{"a=1", "b=2"}, want: map[string][]string{"a": {"1"}, "b": {"2"}}},
		{name: "json", in: []string{`{"command":["echo hi"],"n":3,"flag":true}`},
			want: map[string][]string{"command": {"echo hi"}, "n": {"3"}, "flag": {"true"}}},
		{name: "file", in: []string{"file://" + file}, want: map[string][]string{"portNumber": {"22"}, "localPortNumber": {"2222"}}},
		{name: "duplicate", in: []string{"a=1", "a=2"}, err: "a given twice"},
		{name: "bad json", in: []string{`{"a":`}, err: "invalid JSON"},
		{name: "nested json", in: []string{`{"a":{"b":"c"}}`}, err: "want a string or a list of strings"},
		{name: "bad shorthand", in: []string{"novalue"}, err: "--parameters"},
		{name: "missing file", in: []string{"file://" + file + ".missing"}, err: "--parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSessionParameters(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// fakeNodes answers DescribeInstanceInformation a node at a time, with
// tag filters applied, as the server does.
type fakeNodes struct {
	nodes []ssmtypes.InstanceInformation
	tags  map[string]map[string]string // node id → tags
	calls int
}

func (f *fakeNodes) DescribeInstanceInformation(_ context.Context, in *ssm.DescribeInstanceInformationInput, _ ...func(*ssm.Options)) (*ssm.DescribeInstanceInformationOutput, error) {
	f.calls++
	var match []ssmtypes.InstanceInformation
	for _, n := range f.nodes {
		ok := true
		for _, fl := range in.Filters {
			k, _ := strings.CutPrefix(aws.ToString(fl.Key), "tag:")
			if v, has := f.tags[aws.ToString(n.InstanceId)][k]; !has || v != fl.Values[0] {
				ok = false
			}
		}
		if ok {
			match = append(match, n)
		}
	}
	start := 0
	if in.NextToken != nil {
		for i, n := range match {
			if aws.ToString(n.InstanceId) == *in.NextToken {
				start = i
			}
		}
	}
	out := &ssm.DescribeInstanceInformationOutput{}
	if start < len(match) {
		out.InstanceInformationList = match[start : start+1]
		if start+1 < len(match) {
			out.NextToken = match[start+1].InstanceId
		}
	}
	return out, nil
}

func node(id, name, host string) ssmtypes.InstanceInformation {
	return ssmtypes.InstanceInformation{InstanceId: aws.String(id), Name: aws.String(name), ComputerName: aws.String(host), PingStatus: ssmtypes.PingStatusOnline}
}

func TestResolveTarget(t *testing.T) {
	t.Parallel()
	nodes := &fakeNodes{
		nodes: []ssmtypes.InstanceInformation{
			node("i-0000000000000dev1", "web", "web-1.internal"),
			node("i-0000000000000dev2", "web", "web-2.internal"),
			node("mi-0123456789abcdef0", "db", "db.internal"),
		},
		tags: map[string]map[string]string{
			"i-0000000000000dev1":  {"Env": "Dev", "Role": "web"},
			"i-0000000000000dev2":  {"Env": "Dev", "Role": "web"},
			"mi-0123456789abcdef0": {"Env": "Prod", "Role": "db"},
		},
	}
	second := func(ns []ssmtypes.InstanceInformation) (string, error) { return aws.ToString(ns[1].InstanceId), nil }
	for _, tc := range []struct {
		name, target string
		choose       chooser
		want, err    string
		calls        bool
	}{
		{name: "instance id", target: "i-0123456789abcdef0", want: "i-0123456789abcdef0"},
		{name: "arn", target: "arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0", want: "arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0"},
		{name: "unique name", target: "name:db", want: "mi-0123456789abcdef0", calls: true},
		{name: "host name", target: "name:web-2.internal", want: "i-0000000000000dev2", calls: true},
		{name: "unique tag", target: "tag:Env=Prod", want: "mi-0123456789abcdef0", calls: true},
		{name: "ambiguous name, chosen", target: "name:web", choose: second, want: "i-0000000000000dev2", calls: true},
		{name: "ambiguous tag, chosen", target: "tag:Env=Dev", choose: second, want: "i-0000000000000dev2", calls: true},
		{name: "ambiguous tag, no terminal", target: "tag:Role=web", calls: true,
			err: "2 managed nodes have tag Role=web; pass one of their ids as --target:\n  1) i-0000000000000dev1  web  web-1.internal  Online  -\n  2) i-0000000000000dev2  web  web-2.internal  Online  -"},
		{name: "no such name", target: "name:cache", err: `no managed node has name "cache"`, calls: true},
		{name: "no such tag", target: "tag:Env=Test", err: "no managed node has tag Env=Test", calls: true},
		{name: "empty name", target: "name:", err: "needs a name"},
		{name: "tag without value", target: "tag:Env", err: "needs a key and a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := *nodes
			f.calls = 0
			got, err := resolveTarget(context.Background(), &f, tc.target, tc.choose)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err && !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("resolveTarget = %q, %v; want %q", got, err, tc.want)
			}
			if (f.calls > 0) != tc.calls {
				t.Errorf("DescribeInstanceInformation called %d times", f.calls)
			}
		})
	}
}

func TestPromptNode(t *testing.T) {
	t.Parallel()
	nodes := []ssmtypes.InstanceInformation{node("i-1", "web", "a"), node("i-2", "web", "b")}
	for _, tc := range []struct {
		name, in, want, err string
		rest                string // left unread for the session
	}{
		{name: "number", in: "2\nuptime\n", want: "i-2", rest: "uptime\n"},
		{name: "id", in: "i-1\n", want: "i-1"},
		{name: "retry", in: "7\n\n1\n", want: "i-1"},
		{name: "end of input", in: "", err: "no node chosen"},
		{name: "three wrong", in: "x\ny\nz\n1\n", err: "no node chosen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.NewReader(tc.in)
			var out bytes.Buffer
			got, err := promptNode(in, &out, nodes)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("promptNode = %q, %v; want %q", got, err, tc.want)
			}
			if rest, _ := io.ReadAll(in); string(rest) != tc.rest {
				t.Errorf("read ahead: left %q, want %q", rest, tc.rest)
			}
			if !strings.Contains(out.String(), "2) i-2  web  b  Online") || !strings.Contains(out.String(), "Which one? [1-2]: ") {
				t.Errorf("prompt = %q", out.String())
			}
		})
	}
}

// fakeSSM is an SSM endpoint and data channel in one test server: it
// answers the API calls the session commands make and plays an agent that
// prints a greeting, echoes a line of input and exits with status 3.
type fakeSSM struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	calls []string
	start map[string]any
	input bytes.Buffer
}

// newFakeSSM starts the fake, with TLS if caFile is not empty: its CA
// certificate is written there.
func newFakeSSM(t *testing.T, caFile string) *fakeSSM {
	f := &fakeSSM{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", f.api)
	mux.HandleFunc("GET /v1/data-channel/{id}", f.dataChannel)
	if caFile == "" {
		f.srv = httptest.NewServer(mux)
	} else {
		f.srv = httptest.NewTLSServer(mux)
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
		if err := os.WriteFile(caFile, ca, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSSM) api(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
	stream := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/v1/data-channel/alice-0123456789abcdef0?role=publish_subscribe"
	var out any
	switch op {
	case "DescribeInstanceInformation":
		out = map[string]any{"InstanceInformationList": []map[string]any{
			{"InstanceId": "i-0000000000000dev1", "Name": "web", "PingStatus": "Online"},
		}}
	case "StartSession":
		f.mu.Lock()
		f.start = in
		f.mu.Unlock()
		out = map[string]any{"SessionId": "alice-0123456789abcdef0", "TokenValue": "tok-1", "StreamUrl": stream}
	case "ResumeSession":
		out = map[string]any{"SessionId": in["SessionId"], "TokenValue": "tok-2", "StreamUrl": stream}
	case "TerminateSession":
		out = map[string]any{"SessionId": in["SessionId"]}
	default:
		http.Error(w, "unknown operation", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeSSM) dataChannel(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if _, open, err := ws.Read(ctx); err != nil || !strings.Contains(string(open), `"TokenValue":"tok-`) {
		f.t.Errorf("open: %s, %v", open, err)
		return
	}
	agent, err := protocol.NewStream(protocol.Config{Role: protocol.RoleAgent, Send: func(b []byte) error {
		return ws.Write(ctx, websocket.MessageBinary, b)
	}})
	if err != nil {
		f.t.Error(err)
		return
	}
	defer agent.Close()
	go func() { _ = agent.Run(ctx) }()
	go func() {
		for {
			_, frame, err := ws.Read(ctx)
			if err != nil {
				return
			}
			_, _ = agent.Receive(frame)
		}
	}()
	act, _ := protocol.SessionTypeAction(protocol.SessionStandardStream, nil)
	req, _ := json.Marshal(protocol.HandshakeRequest{AgentVersion: "3.3.1.0", RequestedClientActions: []protocol.RequestedClientAction{act}})
	step := func(err error) bool {
		if err != nil {
			f.t.Errorf("agent: %v", err)
		}
		return err == nil
	}
	if !step(agent.WriteMessage(ctx, protocol.PayloadHandshakeRequest, req)) {
		return
	}
	// The size, then the response, as sesame's agent expects them.
	for _, want := range []protocol.PayloadType{protocol.PayloadSize, protocol.PayloadHandshakeResponse} {
		if d, err := agent.ReadMessage(ctx); !step(err) || d.PayloadType != want {
			f.t.Errorf("agent: got %s, want %s", d.PayloadType, want)
			return
		}
	}
	if !step(agent.WriteMessage(ctx, protocol.PayloadHandshakeComplete, []byte(`{"HandshakeTimeToComplete":1,"CustomerMessage":""}`))) {
		return
	}
	if d, err := agent.ReadMessage(ctx); !step(err) || d.PayloadType != protocol.PayloadSize {
		return
	}
	if _, err := agent.Write([]byte("hello\r\n")); !step(err) {
		return
	}
	// The piped input and the Ctrl-D after it.
	buf := make([]byte, 64)
	for !strings.HasSuffix(f.inputString(), "\x04") {
		n, err := agent.Read(buf)
		if !step(err) {
			return
		}
		f.mu.Lock()
		f.input.Write(buf[:n])
		f.mu.Unlock()
	}
	if _, err := agent.Write([]byte("bye\r\n")); !step(err) {
		return
	}
	if !step(agent.WriteMessage(ctx, protocol.PayloadExitCode, protocol.ExitCodePayload(3))) || !step(agent.Flush(ctx)) {
		return
	}
	m, _ := protocol.NewControl(protocol.TypeChannelClosed, protocol.UUID{1}, time.Now(), protocol.ChannelClosed{SessionID: "alice-0123456789abcdef0", MessageType: protocol.TypeChannelClosed, SchemaVersion: 1})
	frame, _ := m.MarshalBinary()
	step(ws.Write(ctx, websocket.MessageBinary, frame))
	_, _, _ = ws.Read(ctx) // until the client closes
}

func (f *fakeSSM) inputString() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.input.String()
}

func sessionEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CA_BUNDLE", "")
}

// `sesame session start` through the SDK against a fake SSM endpoint:
// the tag is resolved, the parameters sent, the piped input typed, and
// the remote status 3 becomes the command's.
func TestSessionStartCommand(t *testing.T) {
	for _, mode := range []string{"http", "https"} {
		t.Run(mode, func(t *testing.T) { testSessionStartCommand(t, mode == "https") })
	}
}

// testSessionStartCommand runs the test over ws:// or, with tls, over
// wss:// with the fake's CA from AWS_CA_BUNDLE.
func testSessionStartCommand(t *testing.T, tls bool) {
	sessionEnv(t)
	caFile := ""
	if tls {
		caFile = filepath.Join(t.TempDir(), "ca.pem")
		t.Setenv("AWS_CA_BUNDLE", caFile)
	}
	f := newFakeSSM(t, caFile)
	cmd := newSessionStartCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var stdout, stderr bytes.Buffer
	cmd.SetArgs([]string{"--endpoint-url", f.srv.URL, "--target", "tag:Env=Dev", "--reason", "testing",
		"--document-name", "AWS-StartInteractiveCommand", "--parameters", "command=uname -a"})
	cmd.SetIn(strings.NewReader("uname -a\n"))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 3 {
		t.Fatalf("Execute = %v, want exit status 3\nstderr: %s", err, stderr.String())
	}
	if got, want := stdout.String(), "hello\r\nbye\r\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "\nStarting session with SessionId: alice-0123456789abcdef0\n\n\nExiting session with sessionId: alice-0123456789abcdef0.\n\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if got := f.inputString(); got != "uname -a\n\x04" {
		t.Errorf("input = %q", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if diff := cmp.Diff([]string{"DescribeInstanceInformation", "StartSession"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	want := map[string]any{"Target": "i-0000000000000dev1", "Reason": "testing", "DocumentName": "AWS-StartInteractiveCommand",
		"Parameters": map[string]any{"command": []any{"uname -a"}}}
	if diff := cmp.Diff(want, f.start); diff != "" {
		t.Errorf("StartSession input (-want +got):\n%s", diff)
	}
}

func TestSessionResumeCommand(t *testing.T) {
	sessionEnv(t)
	f := newFakeSSM(t, "")
	cmd := newSessionResumeCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var stdout, stderr bytes.Buffer
	cmd.SetArgs([]string{"--endpoint-url", f.srv.URL, "alice-0123456789abcdef0"})
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 3 {
		t.Fatalf("Execute = %v, want exit status 3\nstderr: %s", err, stderr.String())
	}
	if stdout.String() != "hello\r\nbye\r\n" {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestSessionStartUsage(t *testing.T) {
	sessionEnv(t)
	cmd := newSessionStartCmd()
	cmd.SetArgs([]string{"--endpoint-url", "http://127.0.0.1:1"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--target is required") {
		t.Errorf("Execute = %v", err)
	}
}

// waitBuffer is a Writer a test can wait on.
type waitBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	change chan struct{}
}

func newWaitBuffer() *waitBuffer { return &waitBuffer{change: make(chan struct{}, 1)} }

func (w *waitBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.change <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *waitBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *waitBuffer) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Len()
}

// waitFor waits until s appears at or after offset from, and returns
// the offset just past it.
func (w *waitBuffer) waitFor(t *testing.T, from int, s string, timeout time.Duration) int {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if all := w.String(); from <= len(all) {
			if i := strings.Index(all[from:], s); i >= 0 {
				return from + i + len(s)
			}
		}
		select {
		case <-w.change:
		case <-deadline:
			all := w.String()
			t.Fatalf("timed out waiting for %q; the last output: %q", s, all[max(0, len(all)-400):])
		}
	}
}

// waitLen waits until the buffer holds n bytes.
func (w *waitBuffer) waitLen(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for w.Len() < n {
		select {
		case <-w.change:
		case <-deadline:
			t.Fatalf("timed out waiting for %d bytes of output; have %d", n, w.Len())
		}
	}
}

// dropProxy forwards TCP connections to target and can cut them all.
type dropProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[net.Conn]bool
	cuts  int
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{t: t, ln: ln, target: target, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.forward(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		wg.Wait()
	})
	return p
}

func (p *dropProxy) addr() string { return p.ln.Addr().String() }

func (p *dropProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *dropProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.track(c, true)
	p.track(s, true)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	<-done
	p.track(c, false)
	p.track(s, false)
}

// cut closes every connection through the proxy, abruptly.
func (p *dropProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, as a network failure gives
		}
		c.Close()
	}
	p.cuts++
}

// e2e is a real server (TLS with its own CA, as `sesame server` makes it)
// and a real agent on a node tagged Env=E2E, each reaching the server
// through a proxy that can cut its connections.
type e2e struct {
	dir    string
	client *dropProxy // the CLI's API calls and data channel
	agent  *dropProxy // the agent's control and data channels
	nodeID string
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	url, dir, _ := startServer(t)
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "aws", "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "aws", "credentials"),
		"AWS_PROFILE": "sesame", "AWS_CA_BUNDLE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SSM": "", "AWS_REGION": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	host := strings.TrimPrefix(url, "https://")
	e := &e2e{dir: dir, client: newDropProxy(t, host), agent: newDropProxy(t, host)}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := (&clientFlags{format: "text"}).awsConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := ssm.NewFromConfig(cfg)
	act, err := api.CreateActivation(ctx, &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"),
		DefaultInstanceName: aws.String("e2e"), Tags: []ssmtypes.Tag{{Key: aws.String("Env"), Value: aws.String("E2E")}}})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "https://" + e.agent.addr()
	creds, err := agent.Register(ctx, agent.Registration{Endpoint: endpoint, Info: agent.HostInfo(ctx, endpoint),
		ActivationID: aws.ToString(act.ActivationId), ActivationCode: aws.ToString(act.ActivationCode), CA: string(ca)})
	if err != nil {
		t.Fatal(err)
	}
	e.nodeID = creds.InstanceID
	// Sessions run as the test's own account; as root the agent would
	// otherwise create ssm-user on this machine.
	users := &shell.Users{Lookup: func(context.Context, string) (*shell.User, error) { return (&shell.Users{}).Current() }}
	a, err := agent.New(agent.Config{Credentials: creds, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the agent did not stop")
		}
	})
	for {
		out, err := api.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.InstanceInformationList {
			if aws.ToString(n.InstanceId) == e.nodeID && n.PingStatus == ssmtypes.PingStatusOnline {
				return e
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %s never came online", e.nodeID)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// start runs `sesame session start` with stdin, stdout and stderr and
// returns the channel its exit status arrives on.
func (e *e2e) start(t *testing.T, stdin io.Reader, stdout, stderr io.Writer, args ...string) <-chan int {
	t.Helper()
	return e.run(t, newSessionStartCmd(), stdin, stdout, stderr, args...)
}

// run runs a session command as start does.
func (e *e2e) run(t *testing.T, cmd *cobra.Command, stdin io.Reader, stdout, stderr io.Writer, args ...string) <-chan int {
	t.Helper()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(append([]string{"--endpoint-url", "https://" + e.client.addr()}, args...))
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	res := make(chan int, 1)
	go func() {
		err := cmd.ExecuteContext(context.Background())
		var ee *exitError
		switch {
		case err == nil:
			res <- 0
		case errors.As(err, &ee):
			res <- ee.code
		default:
			fmt.Fprintln(stderr, "sesame:", err)
			res <- 2
		}
	}()
	return res
}

func waitExit(t *testing.T, res <-chan int, stderr fmt.Stringer, timeout time.Duration) int {
	t.Helper()
	select {
	case code := <-res:
		return code
	case <-time.After(timeout):
		t.Fatalf("sesame session start did not end; stderr:\n%s", stderr)
	}
	return 0
}

// A shell on the real agent with a real PTY as the client's terminal:
// echo, tty, stty size before and after a resize, a dropped connection
// (resumed), and exit 3 as the command's status.
func TestSessionEndToEndTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	e := startE2E(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no PTY: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	screen, stderr := newWaitBuffer(), newWaitBuffer()
	go func() { _, _ = io.Copy(screen, ptmx) }()
	res := e.start(t, tty, tty, stderr, "--target", "tag:Env=E2E", "--reason", "e2e")
	stderr.waitFor(t, 0, "Starting session with SessionId: admin-", 20*time.Second)

	typeLine := func(s string) {
		t.Helper()
		if _, err := ptmx.Write([]byte(s + "\r")); err != nil {
			t.Fatal(err)
		}
	}
	const wait = 20 * time.Second
	typeLine("echo he''llo")
	at := screen.waitFor(t, 0, "hello\r\n", wait)
	typeLine("tty")
	at = screen.waitFor(t, at, "/dev/pts/", wait)
	typeLine("stty size")
	at = screen.waitFor(t, at, "24 80\r\n", wait)

	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	// The resize travels as its own message: ask until the shell sees it.
	for i := 0; ; i++ {
		typeLine("echo size$((1+" + strconv.Itoa(i) + ")):$(stty size)")
		next := screen.waitFor(t, at, "size"+strconv.Itoa(i+1)+":", wait)
		end := screen.waitFor(t, next, "\r\n", wait)
		if got := screen.String()[next : end-2]; got == "40 132" {
			at = end
			break
		} else if i == 20 {
			t.Fatalf("stty size = %q after the resize", got)
		}
	}

	e.client.cut() // the client resumes; nothing typed or printed is lost
	typeLine("echo after''cut")
	at = screen.waitFor(t, at, "aftercut\r\n", wait)
	typeLine("exit 3")
	if code := waitExit(t, res, stderr, wait); code != 3 {
		t.Errorf("exit status %d, want 3; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "Exiting session with sessionId: admin-") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if e.client.cuts != 1 {
		t.Errorf("cuts = %d", e.client.cuts)
	}
}

// `sesame session resume` from another process than the one that
// started the session, which went away: the new client gets a stream of
// its own (the agent restarts its side and hands it the handshake
// again); its input runs and the shell's exit status is its own.
func TestSessionEndToEndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	e := startE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := (&clientFlags{format: "text", endpoint: "https://" + e.client.addr()}).awsConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := ssm.NewFromConfig(cfg)
	out, err := api.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(e.nodeID)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.SessionId)
	stdin, typed := io.Pipe()
	defer typed.Close()
	screen, stderr := newWaitBuffer(), newWaitBuffer()
	first, err := client.New(client.Config{Session: sessionOf(out.SessionId, out.TokenValue, out.StreamUrl),
		TLSConfig: tlsConfigOf(cfg), Stdin: stdin, Stdout: screen, Stderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	firstCtx, leave := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.Run(firstCtx)
	}()
	const wait = 20 * time.Second
	if _, err := typed.Write([]byte("echo fi''rst\n")); err != nil {
		t.Fatal(err)
	}
	screen.waitFor(t, 0, "first\r\n", wait)
	leave() // the first process goes away; the session runs on
	<-done

	stdout, stderr2 := newWaitBuffer(), newWaitBuffer()
	res := e.run(t, newSessionResumeCmd(), strings.NewReader("echo sec''ond\nexit 3\n"), stdout, stderr2, id)
	if code := waitExit(t, res, stderr2, wait); code != 3 {
		t.Errorf("exit status %d, want 3; stderr:\n%s", code, stderr2)
	}
	if !strings.Contains(stdout.String(), "second\r\n") {
		t.Errorf("stdout %q", stdout)
	}
}

// Piped input on the real agent: a script that prints about 10 MB, while
// the client's and the agent's connections are cut mid-stream; the
// output arrives byte for byte and the script's status is the command's.
func TestSessionEndToEndPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	e := startE2E(t)
	const n = 1_300_000
	var want strings.Builder
	for i := 1; i <= n; i++ {
		want.WriteString(strconv.Itoa(i))
		want.WriteString("\r\n") // the remote PTY turns \n into \r\n
	}
	script := "stty -echo; echo BE''GIN; seq 1 " + strconv.Itoa(n) + "; echo EN''D; exit 3\n"
	stdout, stderr := newWaitBuffer(), newWaitBuffer()
	res := e.start(t, strings.NewReader(script), stdout, stderr, "--target", e.nodeID)

	const wait = 3 * time.Minute
	begin := stdout.waitFor(t, 0, "BEGIN\r\n", wait)
	for i, at := range []int{2 << 20, 5 << 20, 8 << 20} {
		stdout.waitLen(t, begin+at, wait)
		if i%2 == 0 {
			e.client.cut()
		} else {
			e.agent.cut()
		}
	}
	end := stdout.waitFor(t, begin, "END\r\n", wait)
	if code := waitExit(t, res, stderr, wait); code != 3 {
		t.Errorf("exit status %d, want 3; stderr:\n%s", code, stderr)
	}
	got := stdout.String()[begin : end-len("END\r\n")]
	if got != want.String() {
		t.Errorf("output differs: %d bytes, want %d; first difference at %d", len(got), want.Len(), firstDifference(got, want.String()))
	}
}

func firstDifference(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
