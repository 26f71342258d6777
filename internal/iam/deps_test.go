package iam

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the engine pure: it imports only the standard
// library, and nothing of the server, the store or the agent.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/sesame-sh/sesame/internal/iam" {
			t.Errorf("internal/iam imports %s; the engine may import only the standard library", dep)
		}
	}
}
