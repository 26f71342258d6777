package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchReport is what TestBenchAPI reads of bench api's JSON report.
type benchReport struct {
	Store    string   `json:"store"`
	Nodes    int      `json:"nodes"`
	Users    int      `json:"users"`
	Agents   int      `json:"agents"`
	Problems []string `json:"problems"`
	Ops      []struct {
		Name                string  `json:"name"`
		Answered            int     `json:"answered"`
		Allowed             int     `json:"allowed"`
		Denied              int     `json:"denied"`
		ExpectedAllowed     int     `json:"expected_allowed"`
		ExpectedDenied      int     `json:"expected_denied"`
		ServerCPUPerRequest float64 `json:"server_cpu_us_per_request"`
		BenchCPUPerRequest  float64 `json:"bench_cpu_us_per_request"`
	} `json:"ops"`
}

// TestBenchAPI runs `sesame bench api` as a user would, with both
// profiles: the bench starts the same executable as its server, in a
// process of its own, and fetches the server's profiles from its debug
// listener.
func TestBenchAPI(t *testing.T) {
	t.Parallel()
	dir := testDir(t, "bench")
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	cmd := exec.Command(sesameBin, "bench", "api", "--nodes", "50", "--users", "10", "--rate", "200",
		"--duration", "1s", "--warmup", "0", "--format", "json", "--cpuprofile", cpu, "--memprofile", heap)
	cmd.Env = childEnv()
	p := startProc(t, "sesame bench api", cmd)
	if code := p.exitCode(2 * time.Minute); code != 0 {
		t.Fatalf("sesame bench api exited with status %d:\n%s\n%s", code, p.out, p.err.tail(4000))
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(p.out.String()), &rep); err != nil {
		t.Fatalf("%v\n%s", err, p.out)
	}
	if rep.Store != "sqlite" || rep.Nodes != 50 || rep.Users != 10 || rep.Agents != 50 || len(rep.Problems) > 0 {
		t.Errorf("report: store %s, %d nodes, %d agents, %d users, problems %q", rep.Store, rep.Nodes, rep.Agents, rep.Users, rep.Problems)
	}
	n := len(rep.Ops)
	if n != 4 || rep.Ops[n-1].Name != "all" || rep.Ops[n-1].Answered != 200 {
		t.Fatalf("ops: %+v", rep.Ops)
	}
	for _, o := range rep.Ops {
		if o.Allowed != o.ExpectedAllowed || o.Denied != o.ExpectedDenied {
			t.Errorf("%s: %d allowed and %d denied; the policies imply %d and %d", o.Name, o.Allowed, o.Denied, o.ExpectedAllowed, o.ExpectedDenied)
		}
	}
	if all := rep.Ops[n-1]; all.ServerCPUPerRequest <= 0 || all.BenchCPUPerRequest <= 0 {
		t.Errorf("CPU per request: server %g µs, bench %g µs; want both", all.ServerCPUPerRequest, all.BenchCPUPerRequest)
	}
	progress := p.err.String()
	for _, want := range []string{"server: " + sesameBin + " server --data-dir ", " --debug-listen 127.0.0.1:0", "measure: API at 200 req/s"} {
		if !strings.Contains(progress, want) {
			t.Errorf("progress lacks %q:\n%s", want, progress)
		}
	}
	for _, f := range []string{cpu, heap} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // profiles are gzipped protocol buffers
			t.Errorf("%s is not a profile: %.100q", filepath.Base(f), b)
		}
	}
}

// TestServerDebugListen checks that sesame server serves Go's profiles
// only with --debug-listen, and never on the API's port.
func TestServerDebugListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		debug bool
	}{
		{"off by default", false},
		{"with --debug-listen", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"server", "--data-dir", testDir(t, "server"), "--listen", "127.0.0.1:0", "--http", "--log-level", logLevel()}
			if tt.debug {
				args = append(args, "--debug-listen", "127.0.0.1:0")
			}
			cmd := exec.Command(sesameBin, args...)
			cmd.Env = childEnv()
			p := startProc(t, "sesame server", cmd)
			at := p.out.waitFor(t, 0, "sesame: listening on ", startTimeout)
			api := p.out.slice(at, p.out.waitFor(t, at, "\n", startTimeout)-1)
			const debugLine = "sesame: debug handlers on "
			if httpStatus(t, api+"/debug/pprof/") == http.StatusOK {
				t.Errorf("the API's port serves /debug/pprof/")
			}
			before := p.out.slice(0, at)
			i := strings.Index(before, debugLine)
			switch {
			case !tt.debug && i >= 0:
				t.Fatalf("debug handlers without --debug-listen:\n%s", before)
			case !tt.debug:
				return
			case i < 0:
				t.Fatalf("no %q line:\n%s", debugLine, before)
			}
			u, _, _ := strings.Cut(before[i+len(debugLine):], "\n")
			if code := httpStatus(t, u); code != http.StatusOK {
				t.Errorf("GET %s: %d, want 200", u, code)
			}
		})
	}
}

// httpStatus returns the status of GET url.
func httpStatus(t *testing.T, url string) int {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
