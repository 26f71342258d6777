package loadtest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	// The test binary links the server's code only so that go test's
	// cache depends on it: the server the tests measure runs from the
	// binary TestMain builds, which the cache knows nothing of.
	_ "github.com/sesame-sh/sesame/internal/cli"
	"github.com/sesame-sh/sesame/internal/loadtest"
)

// TestMain builds cmd/sesame, which Run starts as the server, once for
// all the tests: with the race detector when the tests have it, so that
// a race in the server under load fails the run that ran into it (the
// server then exits with status 66).
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sesame-loadtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sesame")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, "github.com/sesame-sh/sesame/cmd/sesame")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: build cmd/sesame:", err)
		return 1
	}
	loadtest.SetExecutable(bin)
	return m.Run()
}

// raceEnabled reports whether the test binary has the race detector.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
