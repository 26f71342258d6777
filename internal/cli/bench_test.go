package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sesame-sh/sesame/internal/loadtest"
)

// runBench runs sesame bench with args (the command is not necessarily
// registered with the root).
func runBench(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := newBenchCmd()
	var out, errOut bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SilenceUsage, c.SilenceErrors = true, true
	err = c.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestBenchAPIJSON(t *testing.T) {
	out, progress, err := runBench(t, "api", "--nodes", "100", "--users", "10", "--rate", "100",
		"--duration", "1s", "--warmup", "100ms", "--format", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, progress)
	}
	var rep loadtest.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Store != "sqlite" || rep.Nodes != 100 || rep.Users != 10 || len(rep.Problems) > 0 {
		t.Errorf("report: store %s, %d nodes, %d users, problems %q", rep.Store, rep.Nodes, rep.Users, rep.Problems)
	}
	if n := len(rep.Ops); n != 4 || rep.Ops[n-1].Name != "all" || rep.Ops[n-1].Answered != 100 {
		t.Errorf("ops: %+v", rep.Ops)
	}
	if !strings.Contains(progress, "measure: API at 100 req/s") {
		t.Errorf("progress:\n%s", progress)
	}
}

func TestBenchAPIUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"api", "--format", "yaml"}, "--format must be text or json"},
		{[]string{"api", "--rate", "0"}, "--rate must be positive"},
		{[]string{"api", "--nodes", "0"}, "--nodes and --users must be at least 1"},
		{[]string{"api", "--duration", "-1s"}, "--duration must be positive"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			_, _, err := runBench(t, tt.args...)
			var ue *usageErr
			if !errors.As(err, &ue) || err.Error() != tt.want {
				t.Errorf("error %v, want usage error %q", err, tt.want)
			}
		})
	}
}

func TestBenchAPIStore(t *testing.T) {
	t.Parallel()
	_, _, err := runBench(t, "api", "--store", "mysql://db")
	if err == nil || !strings.Contains(err.Error(), `store "mysql://db"`) {
		t.Errorf("error %v, want one about the store", err)
	}
}
