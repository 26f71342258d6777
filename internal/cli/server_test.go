package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `sesame server` in-process until the test ends and
// returns its URL and data directory.
func startServer(t *testing.T, extra ...string) (url, dir string, out *syncBuffer) {
	t.Helper()
	dir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--log-level", "error"}, extra...)
	go func() { done <- Main(ctx, args, strings.NewReader(""), out, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("server exited with %d after shutdown:\n%s", code, out.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down within 15s")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, rest, ok := strings.Cut(out.String(), "sesame: listening on "); ok {
			return strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0]), dir, out
		}
		select {
		case code := <-done:
			t.Fatalf("server exited with %d:\n%s", code, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not say it listens:\n%s", out.String())
	return "", "", nil
}

// awsCLI runs the real aws CLI with the server's profile files.
func awsCLI(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("aws", args...)
	// Only the profile files speak: every other AWS_ setting is dropped.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws", "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws", "config"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestServerHTTPWithAWSCLI(t *testing.T) {
	url, dir, out := startServer(t, "--http")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL %q", url)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(out.String(), "created administrator arn:aws:iam::123456789012:user/admin") {
		t.Errorf("no bootstrap message:\n%s", out.String())
	}
	creds, err := os.ReadFile(filepath.Join(dir, "aws", "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	secret := ""
	for _, line := range strings.Split(string(creds), "\n") {
		if v, ok := strings.CutPrefix(line, "aws_secret_access_key = "); ok {
			secret = v
		}
	}
	if secret == "" || strings.Contains(out.String(), secret) {
		t.Errorf("the secret is missing from the profile or was printed")
	}
	if st, _ := os.Stat(filepath.Join(dir, "aws", "credentials")); st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v", st.Mode())
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH: the profile is not checked with it")
	}
	got, err := awsCLI(t, dir, nil, "--profile", "sesame", "sts", "get-caller-identity", "--output", "json")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, got)
	}
	var id struct{ Arn, Account string }
	if err := json.Unmarshal([]byte(got), &id); err != nil || id.Arn != "arn:aws:iam::123456789012:user/admin" {
		t.Errorf("caller identity %q (%v)", got, err)
	}
	if got, err := awsCLI(t, dir, nil, "--profile", "sesame", "ssm", "describe-sessions", "--state", "Active", "--output", "json"); err != nil || !strings.Contains(got, `"Sessions": []`) {
		t.Errorf("aws ssm describe-sessions: %v\n%s", err, got)
	}
}

func TestServerTLSByDefault(t *testing.T) {
	url, dir, out := startServer(t)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL %q", url)
	}
	ca := filepath.Join(dir, "tls", "ca.pem")
	if !strings.Contains(out.String(), "AWS_CA_BUNDLE="+ca) {
		t.Errorf("the server does not say how to trust its CA:\n%s", out.String())
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz over TLS with the server's CA: %v", err)
	}
	resp.Body.Close()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	// The profile's ca_bundle is enough when the environment sets none.
	got, err := awsCLI(t, dir, nil, "--profile", "sesame", "sts", "get-caller-identity", "--output", "json")
	if err != nil || !strings.Contains(got, "user/admin") {
		t.Errorf("aws over TLS with the profile alone: %v\n%s", err, got)
	}
}

func TestServerRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan int, 1)
		go func() {
			done <- Main(ctx, []string{"server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--http", "--log-level", "error"}, strings.NewReader(""), out, out)
		}()
		for !strings.Contains(out.String(), "listening on") {
			select {
			case code := <-done:
				t.Fatalf("start %d: exit %d\n%s", i, code, out.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		created := strings.Contains(out.String(), "created administrator")
		if created != (i == 0) {
			t.Errorf("start %d: created administrator = %v", i, created)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("start %d: exit %d\n%s", i, code, out.String())
		}
	}
	creds, _ := os.ReadFile(filepath.Join(dir, "aws", "credentials"))
	if n := strings.Count(string(creds), "[sesame]"); n != 1 {
		t.Errorf("profile written %d times", n)
	}
}
