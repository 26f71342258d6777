package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/protocol"
)

// registrar is a TLS server with the register endpoint; it answers with
// status and body, and keeps the last request.
func registrar(t *testing.T, status int, body string) (*httptest.Server, *map[string]any, string) {
	t.Helper()
	var got map[string]any
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/agent/v1/register" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &got)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, &got, caFile
}

func runAgentCmd(args ...string) (string, int) {
	var out bytes.Buffer
	code := agent.Main(context.Background(), args, &out, &out)
	return out.String(), code
}

func TestRegisterCommand(t *testing.T) {
	t.Parallel()
	srv, got, caFile := registrar(t, 200, `{"InstanceId":"mi-0123456789abcdef0","Token":"mi-0123456789abcdef0.secret","HeartbeatInterval":30}`)
	dir := filepath.Join(t.TempDir(), "state")
	args := []string{"register", "--code", "c0de", "--id", "6f2a3b1c-0000-4000-8000-000000000001", "--endpoint", srv.URL,
		"--ca-file", caFile, "--state-dir", dir, "--instance-id", "i-0123456789abcdef0"}
	out, code := runAgentCmd(args...)
	if code != 0 || !strings.Contains(out, "Registered this host as mi-0123456789abcdef0") {
		t.Fatalf("register: %d %s", code, out)
	}
	if (*got)["ActivationCode"] != "c0de" || (*got)["InstanceId"] != "i-0123456789abcdef0" || (*got)["AgentVersion"] != agent.Version || (*got)["PlatformType"] != "Linux" {
		t.Errorf("request %v", *got)
	}
	c, err := agent.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.InstanceID != "mi-0123456789abcdef0" || c.Token != "mi-0123456789abcdef0.secret" || c.Endpoint != srv.URL || !strings.Contains(c.CA, "BEGIN CERTIFICATE") {
		t.Errorf("credentials %+v", c)
	}
	checkMode(t, filepath.Join(dir, "credentials.json"), 0o600)
	checkMode(t, dir, 0o700|os.ModeDir)

	out, code = runAgentCmd(args...)
	if code == 0 || !strings.Contains(out, "already registered as mi-0123456789abcdef0") {
		t.Errorf("second register: %d %s", code, out)
	}
	if out, code = runAgentCmd(append(args, "--force")...); code != 0 {
		t.Errorf("register --force: %d %s", code, out)
	}
}

func TestRegisterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		noCA   bool
		want   string
	}{
		{"invalid activation", 400, `{"Code":"InvalidActivation","Message":"The activation id or code is not valid."}`, false,
			"InvalidActivation: The activation id or code is not valid. (check --id and --code"},
		{"expired", 400, `{"Code":"ActivationExpired","Message":"Activation x has expired."}`, false, "ActivationExpired: Activation x has expired. (create a new activation)"},
		{"limit", 400, `{"Code":"RegistrationLimitExceeded","Message":"Activation x has reached its registration limit (1)."}`, false, "RegistrationLimitExceeded"},
		{"exists", 409, `{"Code":"InstanceIdExists","Message":"Instance i-1 is already registered."}`, false, "deregister that node first"},
		{"not json", 502, `bad gateway`, false, "Bad Gateway: bad gateway"},
		{"untrusted", 200, `{}`, true, "pass --ca-file with the server's CA certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _, caFile := registrar(t, tt.status, tt.body)
			args := []string{"register", "--code", "c0de", "--id", "x", "--endpoint", srv.URL, "--state-dir", t.TempDir()}
			if !tt.noCA {
				args = append(args, "--ca-file", caFile)
			}
			out, code := runAgentCmd(args...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("register: %d %q, want %q", code, out, tt.want)
			}
		})
	}
}

func TestRegisterFlags(t *testing.T) {
	t.Parallel()
	if out, code := runAgentCmd("register", "--code", "c"); code == 0 || !strings.Contains(out, `required flag(s) "endpoint", "id" not set`) {
		t.Errorf("missing flags: %d %s", code, out)
	}
	if out, code := runAgentCmd("register", "--code", "c", "--id", "i", "--endpoint", "ftp://x", "--state-dir", t.TempDir()); code == 0 || !strings.Contains(out, "is not an http:// or https:// URL") {
		t.Errorf("bad endpoint: %d %s", code, out)
	}
	if out, code := runAgentCmd("run", "--state-dir", t.TempDir()); code == 0 || !strings.Contains(out, "not registered") {
		t.Errorf("run unregistered: %d %s", code, out)
	}
	if out, code := runAgentCmd("--version"); code != 0 || !strings.Contains(out, agent.Version) {
		t.Errorf("--version: %d %s", code, out)
	}
}

func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := agent.Credentials{InstanceID: "mi-1", Token: "t", Endpoint: "https://sesame.example:8443"}
	if err := agent.SaveCredentials(dir, c); err != nil {
		t.Fatal(err)
	}
	c.Token = "t2"
	if err := agent.SaveCredentials(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := agent.LoadCredentials(dir)
	if err != nil || got.Token != "t2" {
		t.Fatalf("LoadCredentials = %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only credentials.json", len(entries))
	}
	os.WriteFile(filepath.Join(dir, "credentials.json"), []byte(`{"InstanceId":"mi-1","Endpoint":"https://x"}`), 0o600)
	if _, err := agent.LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("credentials without a token: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "credentials.json"), []byte(`{"InstanceId":"mi-1","Token":"t","Endpoint":"https://x","CA":"junk"}`), 0o600)
	if _, err := agent.LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("credentials with a bad CA: %v", err)
	}
}

// TestRunCommand runs `sesame-agent run` until its context ends, as
// SIGTERM ends it, and checks that it exits 0.
func TestRunCommand(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	dir := t.TempDir()
	if err := agent.SaveCredentials(dir, fs.credentials()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		done <- agent.Main(ctx, []string{"run", "--state-dir", dir, "--log-level", "warn"}, &out, &out)
	}()
	p := fs.nextControl(t)
	p.send(t, &protocol.ControlMessage{Type: protocol.ControlRotateCredentials, Token: "node-token-2"})
	p.expect(t, protocol.ControlCredentialsRotated)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run exited %d: %s", code, out.String())
		}
	case <-time.After(waitTimeout):
		t.Fatal("run did not stop")
	}
	if c, _ := agent.LoadCredentials(dir); c.Token != "node-token-2" {
		t.Errorf("run did not keep the rotated token: %+v", c)
	}
}
