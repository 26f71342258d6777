package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// A shell session on a terminal: handshake, raw mode, size at start and
// on SIGWINCH, input and output, Ctrl-C as a byte, the exit status.
func TestShellSession(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	term := &fakeTerminal{size: protocol.TerminalSize{Cols: 80, Rows: 24}}
	sigs := make(chan os.Signal, 1)
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdin: stdin, Stdout: stdout, Stderr: stderr, Terminal: term, Signals: sigs})

	f.waitAttached(1)
	resp := f.handshake("Welcome.", shellAction(t))
	want := protocol.HandshakeResponse{ClientVersion: Version, ProcessedClientActions: []protocol.ProcessedClientAction{
		{ActionType: protocol.ActionSessionType, ActionStatus: protocol.ActionSuccess, ActionResult: []byte("null")}}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("handshake response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]protocol.TerminalSize{{Cols: 80, Rows: 24}}, f.earlySizes()); diff != "" {
		t.Errorf("sizes before the handshake response (-want +got):\n%s", diff)
	}
	if got := f.size(); got != (protocol.TerminalSize{Cols: 80, Rows: 24}) {
		t.Errorf("size at start = %+v", got)
	}
	if raw, _ := term.counts(); raw != 1 {
		t.Errorf("MakeRaw called %d times before the size was sent, want 1", raw)
	}
	stderr.waitFor(t, "Welcome.\r\n")

	if _, err := stdinW.Write([]byte("echo hi\r")); err != nil {
		t.Fatal(err)
	}
	if got := f.input(len("echo hi\r")); got != "echo hi\r" {
		t.Errorf("input = %q", got)
	}
	if _, err := f.agent.Write([]byte("echo hi\r\nhi\r\n$ ")); err != nil {
		t.Fatal(err)
	}
	stdout.waitFor(t, "hi\r\n$ ")

	term.setSize(132, 40)
	sigs <- syscall.SIGWINCH
	if got := f.size(); got != (protocol.TerminalSize{Cols: 132, Rows: 40}) {
		t.Errorf("size after SIGWINCH = %+v", got)
	}
	sigs <- syscall.SIGINT
	if got := f.input(1); got != "\x03" {
		t.Errorf("SIGINT sent as %q, want Ctrl-C", got)
	}

	f.exit(3, "")
	r := waitResult(t, res)
	if r.err != nil || r.code != 3 {
		t.Errorf("Run = %d, %v; want 3, nil", r.code, r.err)
	}
	if raw, restored := term.counts(); raw != 1 || restored != 1 {
		t.Errorf("raw %d, restored %d; want 1, 1", raw, restored)
	}
	if got, want := stdout.String(), "echo hi\r\nhi\r\n$ "; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if !strings.HasSuffix(stderr.String(), "\n\nExiting session with sessionId: "+testSessionID+".\n\n") {
		t.Errorf("stderr = %q", stderr.String())
	}
	opens := f.openings()
	if !protocol.IsSesameClient(Version) || protocol.IsSesameClient("1.3.0.0") {
		t.Errorf("ClientVersion %s does not tell sesame's client from the plugin", Version)
	}
	if len(opens) != 1 || opens[0].TokenValue != "tok-1" || opens[0].ClientVersion != Version ||
		opens[0].MessageSchemaVersion != "1.0" || len(opens[0].ClientID) != 36 || len(opens[0].RequestID) != 36 {
		t.Errorf("OpenDataChannel = %+v", opens)
	}
}

// Stdin from a pipe: the data, then Ctrl-D (two after a partial line);
// without a terminal the plugin's 300x100 is sent.
func TestPipeEndOfInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"complete line", "echo hi\nexit 3\n", "echo hi\nexit 3\n\x04"},
		{"partial line", "echo hi", "echo hi\x04\x04"},
		{"empty", "", "\x04"},
		{"carriage return", "ls\r", "ls\r\x04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeChannel(t)
			stdout, stderr := newSyncBuffer(), newSyncBuffer()
			res := start(t, Config{Session: f.session(), Resume: f.resume, Stdin: strings.NewReader(tc.in), Stdout: stdout, Stderr: stderr})
			f.waitAttached(1)
			f.handshake("", shellAction(t))
			if got := f.size(); got != DefaultSize {
				t.Errorf("size = %+v, want %+v", got, DefaultSize)
			}
			if got := f.input(len(tc.want)); got != tc.want {
				t.Errorf("input = %q, want %q", got, tc.want)
			}
			f.exit(0, "")
			if r := waitResult(t, res); r.code != 0 || r.err != nil {
				t.Errorf("Run = %d, %v", r.code, r.err)
			}
		})
	}
}

// A Port session without a local listener (AWS-StartSSHSession as a
// ProxyCommand) carries stdin as is: no size, no Ctrl-D.
func TestPortStream(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdin: strings.NewReader("SSH-2.0-test\r\n"), Stdout: stdout, Stderr: stderr})
	f.waitAttached(1)
	act, err := protocol.SessionTypeAction(protocol.SessionPort, protocol.PortProperties{PortNumber: "22"})
	if err != nil {
		t.Fatal(err)
	}
	if resp := f.handshake("", act); resp.ProcessedClientActions[0].ActionStatus != protocol.ActionSuccess {
		t.Fatalf("Port session refused: %+v", resp)
	}
	if got := f.input(len("SSH-2.0-test\r\n")); got != "SSH-2.0-test\r\n" {
		t.Errorf("input = %q", got)
	}
	if _, err := f.agent.Write([]byte("SSH-2.0-server\r\n")); err != nil {
		t.Fatal(err)
	}
	stdout.waitFor(t, "SSH-2.0-server\r\n")
	f.exit(-1, "")
	if r := waitResult(t, res); r.code != 0 || r.err != nil {
		t.Errorf("Run = %d, %v", r.code, r.err)
	}
	if st := f.agent.Stats(); st.Pending != 0 || st.Readable != 0 {
		t.Errorf("client sent more than stdin: %+v", st)
	}
}

// Actions the client cannot carry out fail in the response; the agent
// then ends the session with a reason, which becomes status 255.
func TestHandshakeRefusals(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: stdout, Stderr: stderr})
	f.waitAttached(1)
	port, _ := protocol.SessionTypeAction(protocol.SessionPort, protocol.PortProperties{PortNumber: "80", Type: protocol.LocalPortForwarding})
	kms := protocol.RequestedClientAction{ActionType: protocol.ActionKMSEncryption, ActionParameters: []byte(`{"KMSKeyId":"alias/k","Challenge":"AAAA"}`)}
	other := protocol.RequestedClientAction{ActionType: "Teleport", ActionParameters: []byte(`{}`)}
	resp := f.handshake("", port, kms, other)
	var got []protocol.ActionStatus
	for _, a := range resp.ProcessedClientActions {
		got = append(got, a.ActionStatus)
	}
	if diff := cmp.Diff([]protocol.ActionStatus{protocol.ActionFailed, protocol.ActionFailed, protocol.ActionUnsupported}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(resp.Errors) != 3 {
		t.Errorf("Errors = %q", resp.Errors)
	}
	reason := protocol.TerminatedReasonsOutput + "client refused the handshake"
	f.closeChannel(reason)
	if r := waitResult(t, res); r.code != 255 || r.err != nil {
		t.Errorf("Run = %d, %v; want 255, nil", r.code, r.err)
	}
	if !strings.HasSuffix(stderr.String(), "\n\nSessionId: "+testSessionID+" : "+reason+"\n\n") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// AWS's agent skips the handshake for shells: the first Output starts
// the session.
func TestNoHandshake(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	term := &fakeTerminal{size: protocol.TerminalSize{Cols: 90, Rows: 30}}
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: stdout, Stderr: stderr, Terminal: term})
	f.waitAttached(1)
	if _, err := f.agent.Write([]byte("sh-5.2$ ")); err != nil {
		t.Fatal(err)
	}
	if got := f.size(); got != (protocol.TerminalSize{Cols: 90, Rows: 30}) {
		t.Errorf("size = %+v", got)
	}
	f.exit(-1, "")
	if r := waitResult(t, res); r.code != 0 || r.err != nil {
		t.Errorf("Run = %d, %v", r.code, r.err)
	}
	if stdout.String() != "sh-5.2$ " {
		t.Errorf("stdout = %q", stdout.String())
	}
}

// The connection drops several times while output streams and input is
// typed: each time the client resumes with a new token and the same
// ClientId, and every byte arrives once, in order, both ways.
func TestResumeMidStream(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdin: stdin, Stdout: stdout, Stderr: stderr})
	f.waitAttached(1)
	f.handshake("", shellAction(t))
	f.size()

	const lines = 3000
	var want strings.Builder
	drops := map[int]bool{500: true, 1500: true, 2999: true}
	conns := 1
	for i := range lines {
		line := fmt.Sprintf("line %04d\r\n", i)
		want.WriteString(line)
		if _, err := f.agent.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if drops[i] {
			f.drop()
			// Typed while disconnected: the client keeps it and sends it after resuming.
			in := fmt.Sprintf("key %d\r", i)
			if _, err := stdinW.Write([]byte(in)); err != nil {
				t.Fatal(err)
			}
			conns++
			f.waitAttached(conns)
			if got := f.input(len(in)); got != in {
				t.Errorf("input after drop %d = %q, want %q", i, got, in)
			}
		}
	}
	f.exit(0, "")
	if r := waitResult(t, res); r.code != 0 || r.err != nil {
		t.Errorf("Run = %d, %v", r.code, r.err)
	}
	if got := stdout.String(); got != want.String() {
		t.Errorf("output differs: %d bytes, want %d; first difference at %d", len(got), want.Len(), firstDiff(got, want.String()))
	}
	if n := f.resumes(); n != len(drops) {
		t.Errorf("ResumeSession called %d times, want %d", n, len(drops))
	}
	opens := f.openings()
	for i, o := range opens {
		if o.ClientID != opens[0].ClientID {
			t.Errorf("connection %d: ClientId %q, want %q", i, o.ClientID, opens[0].ClientID)
		}
		if i > 0 && o.TokenValue != fmt.Sprintf("tok-r%d", i) {
			t.Errorf("connection %d: token %q", i, o.TokenValue)
		}
	}
	if st := f.agent.Stats(); st.Duplicates != 0 && st.Delivered != st.Received-st.Duplicates {
		t.Errorf("agent stats: %+v", st)
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// ResumeSession without a token: the session is over.
func TestResumeTimedOut(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	resume := func(ctx context.Context, id string) (Session, error) { return Session{SessionID: id}, nil }
	res := start(t, Config{Session: f.session(), Resume: resume, Stdout: stdout, Stderr: stderr})
	f.waitAttached(1)
	f.handshake("", shellAction(t))
	f.size()
	f.drop()
	if r := waitResult(t, res); r.code != 255 || r.err != nil {
		t.Errorf("Run = %d, %v; want 255, nil", r.code, r.err)
	}
	if got, want := stderr.String(), "Session: "+testSessionID+" timed out.\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

type codedError struct{ code string }

func (e *codedError) Error() string     { return e.code + ": no" }
func (e *codedError) ErrorCode() string { return e.code }

// A ResumeSession that fails for good is not tried again; one that fails
// for a while is.
func TestResumeErrors(t *testing.T) {
	t.Parallel()
	t.Run("permanent", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannel(t)
		calls := 0
		resume := func(ctx context.Context, id string) (Session, error) {
			calls++
			return Session{}, fmt.Errorf("api: %w", &codedError{"AccessDeniedException"})
		}
		res := start(t, Config{Session: f.session(), Resume: resume, Stdout: newSyncBuffer(), Stderr: newSyncBuffer()})
		f.waitAttached(1)
		f.drop()
		r := waitResult(t, res)
		var ce *codedError
		if r.code != 255 || !errors.As(r.err, &ce) || calls != 1 {
			t.Errorf("Run = %d, %v after %d calls; want 255 and the AccessDenied after 1", r.code, r.err, calls)
		}
	})
	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannel(t)
		calls := 0
		resume := func(ctx context.Context, id string) (Session, error) {
			calls++
			if calls < 3 {
				return Session{}, &codedError{"InternalServerError"}
			}
			return f.resume(ctx, id)
		}
		stdout := newSyncBuffer()
		res := start(t, Config{Session: f.session(), Resume: resume, Stdout: stdout, Stderr: newSyncBuffer()})
		f.waitAttached(1)
		f.handshake("", shellAction(t))
		f.size()
		f.drop()
		f.waitAttached(2)
		if _, err := f.agent.Write([]byte("back")); err != nil {
			t.Fatal(err)
		}
		f.exit(0, "")
		if r := waitResult(t, res); r.code != 0 || r.err != nil || calls != 3 || stdout.String() != "back" {
			t.Errorf("Run = %d, %v after %d calls, stdout %q", r.code, r.err, calls, stdout.String())
		}
	})
}

// The first token is refused: the client gets another with ResumeSession.
func TestFirstDialResumes(t *testing.T) {
	t.Parallel()
	f := newFakeChannel(t)
	s := f.session()
	s.TokenValue = "stale"
	stdout := newSyncBuffer()
	res := start(t, Config{Session: s, Resume: f.resume, Stdout: stdout, Stderr: newSyncBuffer()})
	f.waitAttached(1)
	f.handshake("", shellAction(t))
	f.size()
	f.exit(7, "")
	if r := waitResult(t, res); r.code != 7 || r.err != nil {
		t.Errorf("Run = %d, %v", r.code, r.err)
	}
}

// Signals: SIGINT before the session starts gives up; SIGTERM after it
// leaves it (restoring the terminal).
func TestSignals(t *testing.T) {
	t.Parallel()
	t.Run("interrupt before start", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannel(t)
		sigs := make(chan os.Signal, 1)
		res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: newSyncBuffer(), Stderr: newSyncBuffer(), Signals: sigs})
		f.waitAttached(1)
		sigs <- syscall.SIGINT
		if r := waitResult(t, res); r.code != 255 || !errors.Is(r.err, ErrInterrupted) {
			t.Errorf("Run = %d, %v", r.code, r.err)
		}
	})
	t.Run("terminate", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannel(t)
		sigs := make(chan os.Signal, 1)
		term := &fakeTerminal{size: protocol.TerminalSize{Cols: 80, Rows: 24}}
		res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: newSyncBuffer(), Stderr: newSyncBuffer(), Signals: sigs, Terminal: term})
		f.waitAttached(1)
		f.handshake("", shellAction(t))
		f.size()
		sigs <- syscall.SIGTERM
		r := waitResult(t, res)
		if r.code != 255 || r.err == nil || !strings.Contains(r.err.Error(), "sesame session resume "+testSessionID) {
			t.Errorf("Run = %d, %v", r.code, r.err)
		}
		if raw, restored := term.counts(); raw != 1 || restored != 1 {
			t.Errorf("raw %d, restored %d", raw, restored)
		}
	})
}

func TestConfig(t *testing.T) {
	t.Parallel()
	ok := Config{Session: Session{SessionID: "s", TokenValue: "t", StreamURL: "wss://h/v1/data-channel/s"}, Stdout: io.Discard, Stderr: io.Discard}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"valid", func(*Config) {}, true},
		{"no token", func(c *Config) { c.Session.TokenValue = "" }, false},
		{"http url", func(c *Config) { c.Session.StreamURL = "https://h/" }, false},
		{"no stdout", func(c *Config) { c.Stdout = nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := New(cfg)
			if (err == nil) != tc.ok {
				t.Errorf("New: %v", err)
			}
		})
	}
}

// wss:// with the server's CA in Config.TLSConfig; without it the client
// gives up at once instead of resuming in vain.
func TestTLS(t *testing.T) {
	t.Parallel()
	t.Run("trusted", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannelTLS(t, true)
		roots := x509.NewCertPool()
		roots.AddCert(f.srv.Certificate())
		stdout := newSyncBuffer()
		res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: stdout, Stderr: newSyncBuffer(), TLSConfig: &tls.Config{RootCAs: roots}})
		f.waitAttached(1)
		f.handshake("", shellAction(t))
		f.size()
		if _, err := f.agent.Write([]byte("secure")); err != nil {
			t.Fatal(err)
		}
		f.exit(0, "")
		if r := waitResult(t, res); r.code != 0 || r.err != nil || stdout.String() != "secure" {
			t.Errorf("Run = %d, %v; stdout %q", r.code, r.err, stdout.String())
		}
		if !strings.HasPrefix(f.session().StreamURL, "wss://") {
			t.Errorf("StreamURL = %q", f.session().StreamURL)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		f := newFakeChannelTLS(t, true)
		res := start(t, Config{Session: f.session(), Resume: f.resume, Stdout: newSyncBuffer(), Stderr: newSyncBuffer()})
		r := waitResult(t, res)
		if r.code != 255 || !untrusted(r.err) || f.resumes() != 0 {
			t.Errorf("Run = %d, %v after %d resumes; want 255, a certificate error, 0", r.code, r.err, f.resumes())
		}
	})
}
