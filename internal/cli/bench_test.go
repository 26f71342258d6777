package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
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
