package loadtest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envPostgres names the variable that points tests at a PostgreSQL
// database; .ci/postgres starts one and prints its URL.
const envPostgres = "SESAME_TEST_POSTGRES_URL"

// TestRun runs a small benchmark on each backend and checks what it
// did, not how fast: every request answered, each decision the one the
// policies imply, nothing else going wrong.
func TestRun(t *testing.T) {
	pg := os.Getenv(envPostgres)
	tests := []struct {
		name, store string
		agents      int // of 200 nodes
	}{
		{"sqlite", "sqlite", 0},
		{"sqlite/half the nodes without agents", "sqlite", 100},
		{"postgres", pg, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.store == "" {
				t.Skip(envPostgres + " is not set: skipping the PostgreSQL backend (`bash .ci/postgres start` starts one and prints its URL)")
			}
			var progress bytes.Buffer
			rep, err := Run(t.Context(), Config{Executable: executable, Store: tt.store, Nodes: 200, Users: 20, Rate: 200, Agents: tt.agents,
				Duration: time.Second, Warmup: 200 * time.Millisecond, Progress: &progress})
			if err != nil {
				t.Fatalf("%v\nprogress:\n%s", err, progress.String())
			}
			if ps := rep.Problems; len(ps) > 0 {
				t.Errorf("problems:\n%s", strings.Join(ps, "\n"))
			}
			checkReport(t, rep)
			start := rep.Ops[0]
			wantAgents := tt.agents
			if wantAgents == 0 {
				wantAgents = 200
			}
			switch {
			case rep.Agents != wantAgents:
				t.Errorf("%d agents connected, want %d", rep.Agents, wantAgents)
			case rep.SessionsDispatched < start.Allowed-start.NotConnected:
				t.Errorf("%d sessions dispatched to agents, want at least the %d started", rep.SessionsDispatched, start.Allowed-start.NotConnected)
			case tt.agents > 0 && start.NotConnected == 0:
				t.Errorf("no TargetNotConnected with %d nodes of 200 without agents", 200-tt.agents)
			case tt.agents == 0 && start.NotConnected > 0:
				t.Errorf("%d TargetNotConnected with every node's agent connected", start.NotConnected)
			}
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", text.String())
		})
	}
}

// TestSeededServer starts the server on a seeded data directory and
// stops it: the server's first-start bootstrap finds the seeded users,
// so it creates no administrator and writes no AWS profile, and the
// server starts and shuts down cleanly.
func TestSeededServer(t *testing.T) {
	be, err := newBackend(t.Context(), "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer be.cleanup()
	f := newFleet(20, 5, rand.New(rand.NewChaCha8(seedBytes(1))))
	if err := seedBackend(t.Context(), be, f, io.Discard); err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(t.Context(), executable, be, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if srv.debug == "" {
		t.Error("no debug handlers with debug set")
	}
	var idx bytes.Buffer
	if err := srv.fetch(t.Context(), "/debug/pprof/", &idx); err != nil || !strings.Contains(idx.String(), "goroutine") {
		t.Errorf("GET /debug/pprof/: %v\n%s", err, idx.String())
	}
	if err := srv.stop(); err != nil {
		t.Error(err)
	}
	log, err := os.ReadFile(srv.log)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(log, []byte("created administrator")) || bytes.Contains(log, []byte(`"level":"ERROR"`)) {
		t.Errorf("server log:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(be.dir, "aws")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the server wrote an AWS profile into a seeded data directory: %v", err)
	}
}

// TestServerFails checks that a server that exits before it listens
// fails the run with the end of its output: here sh, which cannot open
// a script named "server".
func TestServerFails(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	_, err = Run(t.Context(), Config{Executable: sh, Nodes: 10, Users: 2, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "the server exited before it listened") || !strings.Contains(err.Error(), "server.log:\n    ") {
		t.Errorf("error %v, want one that the server exited, with its log", err)
	}
}

func checkReport(t *testing.T, rep *Report) {
	t.Helper()
	want := int(rep.Rate * rep.DurationS)
	if rep.Healthz.Requests != want || rep.Healthz.Answered != want || rep.Healthz.Allowed != want {
		t.Errorf("healthz: %d sent, %d answered, %d OK; want %d of each", rep.Healthz.Requests, rep.Healthz.Answered, rep.Healthz.Allowed, want)
	}
	all := rep.all()
	if all == nil {
		t.Fatal("no overall figures")
	}
	if all.Requests != want || all.Answered != want {
		t.Errorf("API: %d sent, %d answered; want %d", all.Requests, all.Answered, want)
	}
	seen := map[string]bool{}
	for _, o := range rep.Ops {
		seen[o.Name] = true
		if o.Allowed != o.ExpectedAllowed || o.Denied != o.ExpectedDenied {
			t.Errorf("%s: %d allowed and %d denied; the policies imply %d and %d", o.Name, o.Allowed, o.Denied, o.ExpectedAllowed, o.ExpectedDenied)
		}
		if o.Latency.P50 <= 0 || o.Latency.P50 > o.Latency.P99 || o.Latency.P99 > o.Latency.Max {
			t.Errorf("%s: percentiles out of order: %+v", o.Name, o.Latency)
		}
	}
	for _, name := range []string{"StartSession", "GetConnectionStatus", "DescribeInstanceInformation", "all"} {
		if !seen[name] {
			t.Errorf("no figures for %s", name)
		}
	}
	start := rep.Ops[0]
	if start.Name != "StartSession" || start.ExpectedAllowed == 0 || start.ExpectedDenied == 0 {
		t.Errorf("StartSession should be both allowed and denied: %+v", start)
	}
	e := rep.Engine
	if e.Requests != start.Requests || e.Allowed != start.ExpectedAllowed || e.Mismatched != 0 {
		t.Errorf("engine: %d calls, %d allowed, %d mismatched; want %d calls, %d allowed", e.Requests, e.Allowed, e.Mismatched, start.Requests, start.ExpectedAllowed)
	}
	if start.VsEngine == nil || all.VsHealthz == nil || all.VsHealthz.P50 <= 0 {
		t.Errorf("ratios missing: %+v %+v", start.VsEngine, all.VsHealthz)
	}
}
