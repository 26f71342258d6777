package audit_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/audit"
)

// fixture writes a small log of varied calls, one second apart from
// t0+1s, and returns its path. RequestIDs name the records.
func fixture(t *testing.T) string {
	t.Helper()
	cfg := testConfig(t)
	l := newLog(t, cfg)
	bob := audit.UserIdentity{Type: audit.AssumedRole, PrincipalID: "AROAEXAMPLEROLE00001:bob",
		ARN: "arn:aws:sts::123456789012:assumed-role/Operators/bob", AccountID: "123456789012",
		AccessKeyID: "ASIAEXAMPLEBOB000001",
		SessionContext: &audit.SessionContext{
			SessionIssuer: &audit.SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLEROLE00001",
				ARN: "arn:aws:iam::123456789012:role/Operators", AccountID: "123456789012", UserName: "Operators"},
			Attributes: audit.SessionAttributes{CreationDate: "2024-05-01T11:00:00Z", MFAAuthenticated: "false"}}}
	records := []*audit.Record{
		{RequestID: "alice-describe", UserIdentity: call(0).UserIdentity, EventSource: "ssm.amazonaws.com",
			EventName: "DescribeInstanceInformation", SourceIPAddress: "192.0.2.10",
			AdditionalEventData: &audit.EventData{Decision: audit.Allowed}},
		{RequestID: "alice-start-denied", UserIdentity: call(0).UserIdentity, EventSource: "ssm.amazonaws.com",
			EventName: "StartSession", SourceIPAddress: "192.0.2.10", ErrorCode: "AccessDenied",
			AdditionalEventData: &audit.EventData{Decision: audit.ImplicitDeny}},
		{RequestID: "bob-start", UserIdentity: bob, EventSource: "ssm.amazonaws.com",
			EventName: "StartSession", SourceIPAddress: "10.1.2.3",
			AdditionalEventData: &audit.EventData{Decision: audit.Allowed}},
		{RequestID: "bob-terminate-denied", UserIdentity: bob, EventSource: "ssm.amazonaws.com",
			EventName: "TerminateSession", SourceIPAddress: "10.1.2.3", ErrorCode: "AccessDenied",
			AdditionalEventData: &audit.EventData{Decision: audit.ExplicitDeny}},
		{RequestID: "anonymous", UserIdentity: audit.UserIdentity{Type: audit.Unknown, AccessKeyID: "AKIANOSUCHKEY0000001"},
			EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity", SourceIPAddress: "2001:db8::1",
			ErrorCode: "InvalidClientTokenId"},
		{RequestID: "admin-create-user", UserIdentity: audit.UserIdentity{Type: audit.IAMUser,
			ARN: "arn:aws:iam::123456789012:user/admin", UserName: "admin"},
			EventSource: "iam.amazonaws.com", EventName: "CreateUser", SourceIPAddress: "127.0.0.1",
			AdditionalEventData: &audit.EventData{Decision: audit.Allowed}},
	}
	for _, r := range records {
		if err := l.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg.Path
}

func query(t *testing.T, path string, f audit.Filter) []string {
	t.Helper()
	ids := []string{}
	for r, err := range audit.Query(context.Background(), path, f) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.RequestID)
	}
	return ids
}

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	path := fixture(t)
	all := []string{"alice-describe", "alice-start-denied", "bob-start", "bob-terminate-denied", "anonymous", "admin-create-user"}
	tests := []struct {
		name   string
		filter audit.Filter
		want   []string
	}{
		{"all", audit.Filter{}, all},
		{"since is inclusive", audit.Filter{Since: t0.Add(3 * time.Second)}, all[2:]},
		{"until is exclusive", audit.Filter{Until: t0.Add(3 * time.Second)}, all[:2]},
		{"window", audit.Filter{Since: t0.Add(2 * time.Second), Until: t0.Add(4 * time.Second)}, all[1:3]},
		{"user name", audit.Filter{User: "alice"}, all[:2]},
		{"user ARN, any case", audit.Filter{User: "ARN:AWS:IAM::123456789012:USER/ADMIN"}, all[5:]},
		{"session issuer", audit.Filter{User: "role/Operators"}, all[2:4]},
		{"access key", audit.Filter{User: "AKIANOSUCHKEY"}, all[4:5]},
		{"event name", audit.Filter{EventName: "startsession"}, all[1:3]},
		{"event source", audit.Filter{EventSource: "iam"}, all[5:]},
		{"event source in full", audit.Filter{EventSource: "sts.amazonaws.com"}, all[4:5]},
		{"allowed", audit.Filter{Decision: audit.Allowed}, []string{all[0], all[2], all[5]}},
		{"denied", audit.Filter{Decision: audit.Denied}, []string{all[1], all[3]}},
		{"explicit deny", audit.Filter{Decision: audit.ExplicitDeny}, all[3:4]},
		{"error code", audit.Filter{ErrorCode: "AccessDenied"}, []string{all[1], all[3]}},
		{"source address", audit.Filter{SourceIP: "10.1.2.3"}, all[2:4]},
		{"source prefix", audit.Filter{SourceIP: "192.0.2.0/24"}, all[:2]},
		{"source v6 prefix", audit.Filter{SourceIP: "2001:db8::/32"}, all[4:5]},
		{"limit", audit.Filter{Limit: 2}, all[:2]},
		{"limit after filter", audit.Filter{Decision: audit.Allowed, Limit: 2}, []string{all[0], all[2]}},
		{"combined", audit.Filter{User: "bob", Decision: audit.Denied, EventName: "TerminateSession"}, all[3:4]},
		{"none", audit.Filter{User: "carol"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, query(t, path, tt.filter)); diff != "" {
				t.Errorf("Query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryBadFilter(t *testing.T) {
	t.Parallel()
	path := fixture(t)
	for _, f := range []audit.Filter{{Decision: "maybe"}, {SourceIP: "10.0.0.0/99"}} {
		for _, err := range audit.Query(context.Background(), path, f) {
			if err == nil {
				t.Errorf("Query(%+v) yielded a record", f)
			}
		}
	}
}

func TestQueryMissing(t *testing.T) {
	t.Parallel()
	var got error
	for _, err := range audit.Query(context.Background(), filepath.Join(t.TempDir(), "audit.log"), audit.Filter{}) {
		got = err
	}
	if !errors.Is(got, fs.ErrNotExist) {
		t.Errorf("Query on no log: %v, want ErrNotExist", got)
	}
}

// TestQueryLineErrors puts lines that are not records in the middle of a
// log: each is reported with its offset and the records around it are
// read.
func TestQueryLineErrors(t *testing.T) {
	t.Parallel()
	path := fixture(t)
	good := lines(t, path)
	bad := []string{"garbage", `{"eventVersion":"1.08"}`, `[1,2]`, `{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:00Z"} trailing`, "{"}
	content := good[0] + "\n" + strings.Join(bad, "\n") + "\n\n" + strings.Join(good[1:], "\n") + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var offsets []int64
	for r, err := range audit.Query(context.Background(), path, audit.Filter{}) {
		var le *audit.LineError
		switch {
		case errors.As(err, &le):
			offsets = append(offsets, le.Offset)
		case err != nil:
			t.Fatal(err)
		default:
			ids = append(ids, r.RequestID)
		}
	}
	if len(ids) != len(good) {
		t.Errorf("%d records, want %d", len(ids), len(good))
	}
	off := int64(len(good[0]) + 1)
	var want []int64
	for _, b := range bad {
		want = append(want, off)
		off += int64(len(b) + 1)
	}
	if diff := cmp.Diff(want, offsets); diff != "" {
		t.Errorf("line error offsets (-want +got):\n%s", diff)
	}
	// The caller may stop at the first bad line.
	n := 0
	for _, err := range audit.Query(context.Background(), path, audit.Filter{}) {
		n++
		if err != nil {
			break
		}
	}
	if n != 2 {
		t.Errorf("stopped after %d items, want 2", n)
	}
}

func TestQueryCanceled(t *testing.T) {
	t.Parallel()
	path := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	for _, err := range audit.Query(ctx, path, audit.Filter{}) {
		got = err
	}
	if !errors.Is(got, context.Canceled) {
		t.Errorf("Query with a canceled context: %v", got)
	}
}

// TestQueryRotated reads rotated files oldest first, ignoring files that
// are not the log's.
func TestQueryRotated(t *testing.T) {
	t.Parallel()
	path := fixture(t)
	ls := lines(t, path)
	dir := filepath.Dir(path)
	write := func(name string, ls ...string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("audit.log.10", ls[0])
	write("audit.log.2", ls[1], ls[2])
	write("audit.log.1", ls[3])
	write("audit.log", ls[4], ls[5])
	write("audit.log.bak", "garbage")
	write("audit.log.01", "garbage")
	want := []string{"alice-describe", "alice-start-denied", "bob-start", "bob-terminate-denied", "anonymous", "admin-create-user"}
	if diff := cmp.Diff(want, query(t, path, audit.Filter{})); diff != "" {
		t.Errorf("Query (-want +got):\n%s", diff)
	}
}
