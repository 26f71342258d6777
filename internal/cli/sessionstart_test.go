package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

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
