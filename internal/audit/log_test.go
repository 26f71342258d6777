package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/audit"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake clock that moves one second on every reading.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// testConfig is a Config for a log in a new directory, with a fake clock
// that starts at t0 and a seeded random source.
func testConfig(t testing.TB) audit.Config {
	return audit.Config{
		Path:  filepath.Join(t.TempDir(), "audit", "audit.log"),
		Clock: (&clock{now: t0}).Now,
		Rand:  rand.NewChaCha8([32]byte{1}),
	}
}

func newLog(t testing.TB, cfg audit.Config) *audit.Log {
	t.Helper()
	l, err := audit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// call is an allowed read-only call numbered i (its RequestID).
func call(i int) *audit.Record {
	return &audit.Record{
		UserIdentity: audit.UserIdentity{Type: audit.IAMUser, PrincipalID: "AIDAEXAMPLEALICE0001",
			ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
			AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"},
		EventSource: "ssm.amazonaws.com", EventName: "GetConnectionStatus", AWSRegion: "us-east-1",
		SourceIPAddress: "192.0.2.10", UserAgent: "aws-sdk-go-v2/1.30.0",
		RequestParameters:   map[string]any{"target": "mi-0123456789abcdef0"},
		AdditionalEventData: &audit.EventData{Decision: audit.Allowed},
		RequestID:           fmt.Sprintf("req-%05d", i),
		ReadOnly:            true,
		RecipientAccountID:  "123456789012",
	}
}

// deniedStartSession is the record of a StartSession denied on its
// document.
func deniedStartSession() *audit.Record {
	doc := "arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"
	return &audit.Record{
		UserIdentity: audit.UserIdentity{Type: audit.IAMUser, PrincipalID: "AIDAEXAMPLEALICE0001",
			ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
			AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"},
		EventSource: "ssm.amazonaws.com", EventName: "StartSession", AWSRegion: "us-east-1",
		SourceIPAddress: "192.0.2.10", UserAgent: "aws-cli/2.15.0 md/command#ssm.start-session",
		ErrorCode: "AccessDenied",
		ErrorMessage: "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ssm:StartSession on resource: " +
			doc + " because no identity-based policy allows the ssm:StartSession action",
		RequestParameters: map[string]any{"target": "mi-0123456789abcdef0"},
		AdditionalEventData: &audit.EventData{Decision: audit.ImplicitDeny, DeniedResource: doc,
			Reason: `nearly matched: Allow policy "SessionManagerDev" Statement[0] (line 4, column 9): Resource: ` + doc +
				` does not match "arn:aws:ssm:*:*:document/AWS-StartPortForwardingSession"`},
		RequestID: "0f1e2d3c-4b5a-4968-8776-655443322110",
		Resources: []audit.Resource{
			audit.ResourceOf("arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0"),
			audit.ResourceOf(doc),
		},
		RecipientAccountID: "123456789012",
		TLSDetails:         &audit.TLSDetails{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "sesame.example:8443"},
	}
}

// lines returns the lines of the file at path.
func lines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestWriteStartSessionDenied(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := newLog(t, cfg)
	r := deniedStartSession()
	if err := l.Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, cfg.Path)
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1", len(got))
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(got[0]), "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	const golden = "testdata/startsession-denied.json"
	if *update {
		if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), indented.String()); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if r.EventID == "" || !r.EventTime.Equal(t0.Add(time.Second)) {
		t.Errorf("Write did not complete r: id %q, time %v", r.EventID, r.EventTime)
	}
}

func TestWriteCompletes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Clock = func() time.Time {
		return time.Date(2024, 5, 1, 14, 30, 15, 987654321, time.FixedZone("CEST", 2*3600))
	}
	l := newLog(t, cfg)
	params := map[string]any{"userName": "bob", "password": "hunter2"}
	r := &audit.Record{EventSource: "iam.amazonaws.com", EventName: "CreateLoginProfile",
		RequestParameters: params,
		ResponseElements:  json.RawMessage(`{"loginProfile":{"userName":"bob","password":"hunter2"}}`)}
	if err := l.Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if params["password"] != "hunter2" {
		t.Errorf("Write modified the caller's parameters: %v", params)
	}
	l.Close()
	line := lines(t, cfg.Path)[0]
	for _, s := range []string{
		`"eventVersion":"1.08"`, `"eventTime":"2024-05-01T12:30:15Z"`, `"eventType":"AwsApiCall"`,
		`"managementEvent":true`, `"eventCategory":"Management"`, `"readOnly":false`,
		// A map is marshaled (keys sorted); JSON text keeps its order.
		`"requestParameters":{"password":"HIDDEN_DUE_TO_SECURITY_REASONS","userName":"bob"}`,
		`"responseElements":{"loginProfile":{"userName":"bob","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}}`,
	} {
		if !strings.Contains(line, s) {
			t.Errorf("record lacks %s:\n%s", s, line)
		}
	}
	if strings.Contains(line, "hunter2") {
		t.Errorf("secret in the log:\n%s", line)
	}
}

func TestEventID(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Rand = bytes.NewReader(bytes.Repeat([]byte{0xff}, 16))
	l := newLog(t, cfg)
	r := call(1)
	if err := l.Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if want := "ffffffff-ffff-4fff-bfff-ffffffffffff"; r.EventID != want {
		t.Errorf("EventID = %s, want %s", r.EventID, want)
	}
	if err := l.Write(context.Background(), call(2)); err == nil { // the source is dry
		t.Error("Write with no randomness left succeeded")
	}
	r = call(3)
	r.EventID = "given"
	if err := l.Write(context.Background(), r); err != nil || r.EventID != "given" {
		t.Errorf("Write replaced a given event id: %v, %q", err, r.EventID)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	newLog(t, cfg)
	for path, want := range map[string]os.FileMode{cfg.Path: 0o600, filepath.Dir(cfg.Path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
}

// TestConcurrentWrites has many goroutines write at once: every line must
// be one whole record, and none lost.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		cfg  func(*audit.Config)
	}{
		{"one file", func(*audit.Config) {}},
		{"rotating", func(c *audit.Config) { c.MaxSize = 64 << 10 }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			const writers, each = 32, 100
			cfg := testConfig(t)
			cfg.Rand = nil // crypto/rand
			mode.cfg(&cfg)
			l := newLog(t, cfg)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						r := call(w*each + i)
						r.RequestParameters = map[string]any{"target": strings.Repeat("x", (w*7+i)%300)}
						if err := l.Write(context.Background(), r); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for r, err := range audit.Query(context.Background(), cfg.Path, audit.Filter{}) {
				if err != nil {
					t.Fatal(err)
				}
				if seen[r.RequestID] {
					t.Errorf("%s twice", r.RequestID)
				}
				seen[r.RequestID] = true
			}
			if len(seen) != writers*each {
				t.Errorf("%d records, want %d", len(seen), writers*each)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxFiles int
		records  int
	}{
		{"keep all", 0, 60},
		{"keep 2", 2, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			size := len(mustJSON(t, call(0))) + 200 // a record's line with its event id and time
			cfg.MaxSize, cfg.MaxFiles = int64(5*size), tt.maxFiles
			l := newLog(t, cfg)
			for i := range tt.records {
				if err := l.Write(context.Background(), call(i)); err != nil {
					t.Fatal(err)
				}
			}
			l.Close()
			files, _ := filepath.Glob(cfg.Path + "*")
			if tt.maxFiles > 0 && len(files) != tt.maxFiles+1 {
				t.Errorf("files %v, want %d", files, tt.maxFiles+1)
			}
			var got []string
			for _, f := range files {
				if fi, _ := os.Stat(f); fi.Size() > cfg.MaxSize {
					t.Errorf("%s: %d bytes, max %d", f, fi.Size(), cfg.MaxSize)
				}
			}
			for r, err := range audit.Query(context.Background(), cfg.Path, audit.Filter{}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.RequestID)
			}
			// The records kept are the newest, in order, each once.
			first := tt.records - len(got)
			if tt.maxFiles == 0 && first != 0 {
				t.Errorf("lost %d records keeping every file", first)
			}
			for i, id := range got {
				if want := call(first + i).RequestID; id != want {
					t.Fatalf("record %d is %s, want %s (all: %v)", i, id, want, got)
				}
			}
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCrash covers the states a crash can leave the file in: the next
// Log appends after them, and the reader yields every whole record.
func TestCrash(t *testing.T) {
	t.Parallel()
	r1 := call(1)
	r1.EventVersion, r1.EventTime = audit.EventVersion, t0
	whole := string(mustJSON(t, r1))
	tests := []struct {
		name      string
		content   string // what the crashed writer left
		wantIDs   []string
		wantLines int // lines the reader reports as not records
	}{
		{"clean", whole + "\n", []string{"req-00001", "req-00002"}, 0},
		{"torn record", whole + "\n" + whole[:40], []string{"req-00001", "req-00002"}, 1},
		{"newline lost", whole, []string{"req-00001", "req-00002"}, 0},
		{"empty", "", []string{"req-00002"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			os.MkdirAll(filepath.Dir(cfg.Path), 0o700)
			if err := os.WriteFile(cfg.Path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			// Before the restart: the torn line is not reported.
			n := 0
			for _, err := range audit.Query(context.Background(), cfg.Path, audit.Filter{}) {
				if err != nil {
					t.Fatalf("before restart: %v", err)
				}
				n++
			}
			if n != len(tt.wantIDs)-1 {
				t.Errorf("before restart: %d records, want %d", n, len(tt.wantIDs)-1)
			}
			l := newLog(t, cfg)
			if err := l.Write(context.Background(), call(2)); err != nil {
				t.Fatal(err)
			}
			l.Close()
			var ids []string
			bad := 0
			for r, err := range audit.Query(context.Background(), cfg.Path, audit.Filter{}) {
				var le *audit.LineError
				switch {
				case errors.As(err, &le):
					bad++
				case err != nil:
					t.Fatal(err)
				default:
					ids = append(ids, r.RequestID)
				}
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" || bad != tt.wantLines {
				t.Errorf("records (-want +got):\n%s\nbad lines %d, want %d", diff, bad, tt.wantLines)
			}
		})
	}
}

func TestSyncer(t *testing.T) {
	t.Parallel()
	tick := make(chan time.Time)
	l, err := audit.NewTicked(testConfig(t), tick)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Write(context.Background(), call(1)); err != nil {
		t.Fatal(err)
	}
	if !l.Dirty() {
		t.Fatal("not dirty after a write")
	}
	tick <- t0
	tick <- t0 // taken only once the first tick's sync is done
	if l.Dirty() {
		t.Error("dirty after a tick")
	}
}

func TestSyncEachRecord(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SyncInterval = audit.SyncEachRecord
	l := newLog(t, cfg)
	if err := l.Write(context.Background(), call(1)); err != nil {
		t.Fatal(err)
	}
	if l.Dirty() {
		t.Error("dirty after a write that syncs")
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := newLog(t, cfg)
	if err := l.Write(context.Background(), call(1)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Write(context.Background(), call(2)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if n := len(lines(t, cfg.Path)); n != 1 {
		t.Errorf("%d lines, want 1", n)
	}
}

func TestWriteCanceledContext(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := newLog(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Write(ctx, call(1)); err != nil {
		t.Errorf("Write with a canceled context: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	for name, cfg := range map[string]audit.Config{
		"no path":        {},
		"bad interval":   {Path: filepath.Join(dir, "a.log"), SyncInterval: -5},
		"negative size":  {Path: filepath.Join(dir, "a.log"), MaxSize: -1},
		"parent is file": {Path: filepath.Join(notDir, "audit.log")},
	} {
		if l, err := audit.New(cfg); err == nil {
			l.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// readLines is a helper for benchmarks: the number of lines of a file.
func countLines(t testing.TB, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}

func BenchmarkWrite(b *testing.B) {
	for _, bm := range []struct {
		name     string
		interval time.Duration
	}{
		{"sync-100ms", 0},
		{"sync-each-record", audit.SyncEachRecord},
	} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.Rand, cfg.Clock = nil, nil
			cfg.SyncInterval = bm.interval
			l := newLog(b, cfg)
			r := deniedStartSession()
			b.ReportAllocs()
			for b.Loop() {
				r.EventID = ""
				if err := l.Write(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			l.Close()
			if n := countLines(b, cfg.Path); n == 0 {
				b.Fatal("no records")
			}
		})
		b.Run(bm.name+"-parallel", func(b *testing.B) {
			cfg := testConfig(b)
			cfg.Rand, cfg.Clock = nil, nil
			cfg.SyncInterval = bm.interval
			l := newLog(b, cfg)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Write(context.Background(), deniedStartSession()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
