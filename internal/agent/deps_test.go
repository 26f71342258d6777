package agent

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAgentImports keeps sesame-agent apart from the server: the binary
// that runs on every host must not carry the server, its store, the IAM
// engine or the sesame command's CLI.
func TestAgentImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/sesame-sh/sesame/cmd/sesame-agent").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"internal/server", "internal/store", "internal/iam", "internal/cli"}
	found := false
	for _, pkg := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(pkg, "github.com/sesame-sh/sesame/")
		if !ok {
			continue
		}
		if rest == "internal/agent" {
			found = true
		}
		for _, f := range forbidden {
			if rest == f || strings.HasPrefix(rest, f+"/") {
				t.Errorf("sesame-agent imports %s", pkg)
			}
		}
	}
	if !found {
		t.Fatalf("go list -deps did not list internal/agent:\n%s", out)
	}
}
