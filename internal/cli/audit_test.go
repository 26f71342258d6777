package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
)

var auditT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// auditFixture writes a data directory whose audit log holds five calls,
// a minute apart from 12:01 on 2024-05-01, and returns the directory.
func auditFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	now := auditT0
	l, err := audit.New(audit.Config{
		Path:  audit.PathIn(dir),
		Clock: func() time.Time { now = now.Add(time.Minute); return now },
		Rand:  rand.NewChaCha8([32]byte{7}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	alice := audit.UserIdentity{Type: audit.IAMUser, PrincipalID: "AIDAEXAMPLEALICE0001",
		ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
		AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"}
	bob := audit.UserIdentity{Type: audit.AssumedRole, PrincipalID: "AROAEXAMPLEROLE00001:bob",
		ARN: "arn:aws:sts::123456789012:assumed-role/Operators/bob", AccountID: "123456789012",
		AccessKeyID: "ASIAEXAMPLEBOB000001",
		SessionContext: &audit.SessionContext{
			SessionIssuer: &audit.SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLEROLE00001",
				ARN: "arn:aws:iam::123456789012:role/Operators", AccountID: "123456789012", UserName: "Operators"},
			Attributes: audit.SessionAttributes{CreationDate: "2024-05-01T11:00:00Z", MFAAuthenticated: "false"}}}
	instance := "arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0"
	shell := "arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"
	session := "arn:aws:ssm:us-east-1:123456789012:session/alice-0123456789abcdef0"
	records := []*audit.Record{
		{UserIdentity: alice, EventSource: "ssm.amazonaws.com", EventName: "DescribeInstanceInformation",
			SourceIPAddress: "192.0.2.10", ReadOnly: true, RequestID: "req-1",
			AdditionalEventData: &audit.EventData{Decision: audit.Allowed}},
		{UserIdentity: alice, EventSource: "ssm.amazonaws.com", EventName: "StartSession",
			SourceIPAddress: "192.0.2.10", RequestID: "req-2", ErrorCode: "AccessDenied",
			ErrorMessage: "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ssm:StartSession on resource: " +
				shell + " because no identity-based policy allows the ssm:StartSession action",
			RequestParameters: map[string]any{"target": "mi-0123456789abcdef0"},
			Resources:         []audit.Resource{audit.ResourceOf(instance), audit.ResourceOf(shell)},
			AdditionalEventData: &audit.EventData{Decision: audit.ImplicitDeny, DeniedResource: shell,
				Reason: "no statement allows ssm:StartSession on the document"}},
		{UserIdentity: bob, EventSource: "ssm.amazonaws.com", EventName: "StartSession",
			SourceIPAddress: "10.1.2.3", RequestID: "req-3",
			RequestParameters: map[string]any{"target": "mi-0123456789abcdef0"},
			ResponseElements: map[string]any{"sessionId": "bob-0123456789abcdef0", "tokenValue": "secret-token",
				"streamUrl": "wss://sesame.example/v1/data-channel/bob-0123456789abcdef0"},
			Resources:           []audit.Resource{audit.ResourceOf(instance), audit.ResourceOf(shell)},
			AdditionalEventData: &audit.EventData{Decision: audit.Allowed}},
		{UserIdentity: bob, EventSource: "ssm.amazonaws.com", EventName: "TerminateSession",
			SourceIPAddress: "10.1.2.3", RequestID: "req-4", ErrorCode: "AccessDenied",
			Resources: []audit.Resource{audit.ResourceOf(session)},
			AdditionalEventData: &audit.EventData{Decision: audit.ExplicitDeny, DeniedResource: session,
				Reason: "denied by policy DenyOthersSessions Statement[0]"}},
		{UserIdentity: audit.UserIdentity{Type: audit.Unknown, AccessKeyID: "AKIANOSUCHKEY0000001"},
			EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity", SourceIPAddress: "2001:db8::1",
			RequestID: "req-5", ErrorCode: "InvalidClientTokenId",
			ErrorMessage: "The security token included in the request is invalid."},
	}
	for _, r := range records {
		r.AWSRegion, r.UserAgent, r.RecipientAccountID = "us-east-1", "aws-cli/2.15.0", "123456789012"
		if err := l.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runAudit runs `sesame audit ARGS` and returns its output.
func runAudit(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	c := newAuditCmd()
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errOut)
	err = c.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestAuditGolden(t *testing.T) {
	t.Parallel()
	dir := auditFixture(t)
	tests := []struct {
		name string
		args []string
	}{
		{"tail", []string{"tail"}},
		{"tail-n2", []string{"tail", "-n", "2"}},
		{"tail-json", []string{"tail", "-n", "1", "--format", "json"}},
		{"query-denied", []string{"query", "--decision", "denied"}},
		{"query-explicit-deny", []string{"query", "--decision", "explicitDeny"}},
		{"query-user-json", []string{"query", "--user", "role/operators", "--event", "StartSession", "--format", "json"}},
		{"query-window", []string{"query", "--since", "2024-05-01T12:02:00Z", "--until", "2024-05-01T12:04:00Z"}},
		{"query-error", []string{"query", "--error", "InvalidClientTokenId"}},
		{"query-service-limit", []string{"query", "--service", "ssm", "--limit", "2"}},
		{"query-source-ip", []string{"query", "--source-ip", "10.0.0.0/8"}},
		{"query-none", []string{"query", "--user", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := runAudit(context.Background(), append(tt.args, "--data-dir", dir)...)
			if err != nil || stderr != "" {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if strings.Contains(out, "secret-token") {
				t.Errorf("a secret in the output:\n%s", out)
			}
			golden(t, filepath.Join("testdata", "audit", tt.name+".golden"), out)
		})
	}
}

func TestAuditErrors(t *testing.T) {
	t.Parallel()
	dir := auditFixture(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"format", []string{"tail", "--format", "yaml"}, "--format must be text or json"},
		{"decision", []string{"query", "--decision", "maybe"}, `decision "maybe"`},
		{"since", []string{"query", "--since", "yesterday"}, `--since: "yesterday" is not a time`},
		{"until", []string{"query", "--until", "-1h"}, `--until: "-1h" is not a time`},
		{"limit", []string{"query", "--limit", "-1"}, "--limit"},
		{"lines", []string{"tail", "-n", "-3"}, "-n must be"},
		{"args", []string{"query", "extra"}, "unknown command"},
		{"no log", []string{"query", "--data-dir", t.TempDir()}, "no log at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{tt.args[0], "--data-dir", dir}, tt.args[1:]...) // a later --data-dir wins
			_, _, err := runAudit(context.Background(), args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestAuditDataDirEnv reads the log of $SESAME_DATA_DIR when there is no
// --data-dir.
func TestAuditDataDirEnv(t *testing.T) {
	dir := auditFixture(t)
	t.Setenv("SESAME_DATA_DIR", dir)
	out, _, err := runAudit(context.Background(), "tail", "-n", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "GetCallerIdentity") {
		t.Errorf("tail of $SESAME_DATA_DIR:\n%s", out)
	}
	t.Setenv("SESAME_DATA_DIR", "")
	t.Setenv("HOME", dir)
	if _, _, err := runAudit(context.Background(), "tail"); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ".local", "share", "sesame", "audit", "audit.log")) {
		t.Errorf("without a data dir: %v, want the default path", err)
	}
}

// TestAuditSkipsBadLines reports lines that are not records on stderr
// and prints the rest.
func TestAuditSkipsBadLines(t *testing.T) {
	t.Parallel()
	dir := auditFixture(t)
	f := audit.PathIn(dir)
	auditAppend(t, f, "not a record\n")
	out, stderr, err := runAudit(context.Background(), "query", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("%d records, want 5", n)
	}
	if !strings.Contains(stderr, "skipping a line that is not a record") {
		t.Errorf("stderr: %q", stderr)
	}
}

// auditOutput is an output that tells when text arrives.
type auditOutput struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *auditOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return len(p), nil
}

func (w *auditOutput) await(t *testing.T, want string) {
	t.Helper()
	w.mu.Lock()
	seen := make(chan struct{})
	w.want, w.seen = want, seen
	if strings.Contains(w.buf.String(), want) {
		close(seen)
		w.seen = nil
	}
	w.mu.Unlock()
	select {
	case <-seen:
	case <-time.After(10 * time.Second): // a guard against a hang, not synchronisation
		t.Fatalf("no %q in the output:\n%s", want, w.buf.String())
	}
}

func TestAuditTailFollow(t *testing.T) {
	t.Parallel()
	dir := auditFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &auditOutput{}
	c := newAuditCmd()
	c.SetArgs([]string{"tail", "-n", "1", "-f", "--interval", "1ms", "--data-dir", dir})
	c.SetOut(w)
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx) }()
	w.await(t, "sts:GetCallerIdentity")

	l, err := audit.New(audit.Config{Path: audit.PathIn(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Write(context.Background(), &audit.Record{EventSource: "iam.amazonaws.com", EventName: "CreateUser",
		UserIdentity:        audit.UserIdentity{Type: audit.IAMUser, ARN: "arn:aws:iam::123456789012:user/admin"},
		AdditionalEventData: &audit.EventData{Decision: audit.Allowed}}); err != nil {
		t.Fatal(err)
	}
	w.await(t, "allowed       arn:aws:iam::123456789012:user/admin  iam:CreateUser")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("tail -f ended with %v, want nil", err)
	}
}

func TestParseAuditTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 10, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2024-05-01T12:00:00Z", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		{"2024-05-01T14:00:00+02:00", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"90s", now.Add(-90 * time.Second)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"7d", time.Date(2024, 5, 3, 8, 30, 0, 0, time.UTC)},
		{"0d", now},
	}
	for _, tt := range tests {
		got, err := parseAuditTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseAuditTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "1w", "d", "2024-13-01"} {
		if _, err := parseAuditTime(bad, now); err == nil {
			t.Errorf("parseAuditTime(%q) succeeded", bad)
		}
	}
}

func auditAppend(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
