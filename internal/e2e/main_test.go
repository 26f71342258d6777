package e2e

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The binaries under test and the directory the tests' files go in, set
// by TestMain.
var (
	sesameBin string // cmd/sesame
	agentBin  string // cmd/sesame-agent
	workRoot  string // world-readable, so that an agent running as nobody can use it
)

var (
	seedFlag  = flag.Uint64("e2e.seed", 0, "seed of the fault tests' random cut points (0: from the clock; the seed used is logged)")
	knownBugs = flag.Bool("e2e.knownbugs", false, "run the tests of known bugs, which fail until the bugs are fixed")
	debugFlag = flag.Bool("e2e.debug", false, "run the server and the agents with --log-level debug (their stderr is logged when a test fails)")
)

// knownBug skips a test of a bug that is known and not fixed yet,
// unless -e2e.knownbugs is given.
func knownBug(t *testing.T, bug string) {
	t.Helper()
	if !*knownBugs {
		t.Skip("known bug: " + bug + " (run with -e2e.knownbugs)")
	}
}

// logLevel is the --log-level of servers and agents.
func logLevel() string {
	if *debugFlag {
		return "debug"
	}
	return "info"
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sesame-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	workRoot = dir
	bin := filepath.Join(dir, "bin")
	if err := build(bin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the binaries:", err)
		return 1
	}
	sesameBin, agentBin = filepath.Join(bin, "sesame"), filepath.Join(bin, "sesame-agent")
	return m.Run()
}

// sourcesOnce makes the first test that starts a process call
// statSources.
var sourcesOnce sync.Once

// watchSources makes go test's cache depend on the code under test: the
// test binary imports none of it, and the cache keys a result on the
// files a test looked at. It must run in a test (TestMain runs before
// go test starts noting those).
func watchSources(t testing.TB) {
	sourcesOnce.Do(func() {
		if err := statSources(filepath.Join("..", "..")); err != nil {
			t.Logf("the module's sources: %v (go test may cache a stale result)", err)
		}
	})
}

// statSources looks at every Go file of the module and at go.mod and
// go.sum.
func statSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"), path == filepath.Join(root, "go.mod"), path == filepath.Join(root, "go.sum"):
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
}

// build compiles sesame and sesame-agent into dir, with the race
// detector when the tests have it, so that a race in the server, the
// agent or the client fails the test that ran into it.
func build(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/sesame-sh/sesame/cmd/sesame", "github.com/sesame-sh/sesame/cmd/sesame-agent")
	cmd := exec.Command(goTool(), args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
