package e2e

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

const (
	// startTimeout bounds how long a process may take to be ready.
	startTimeout = 30 * time.Second
	// stopGrace is how long a process has to exit after SIGTERM before
	// it is killed.
	stopGrace = 10 * time.Second
)

// proc is a process a test started: its stdout and stderr are kept
// (unless the test took them), it is stopped when the test ends, and a
// data race it reports fails the test.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *output // nil when the test set cmd.Stdout itself
	err  *output

	done chan struct{} // closed when the process has exited
	mu   sync.Mutex    // protects state
	wait error
}

// startProc starts cmd, keeping its stdout and stderr unless the test
// set them.
func startProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := newProc(t, name, cmd)
	if cmd.Stdout == nil {
		p.out = newOutput()
		cmd.Stdout = p.out
	}
	p.launch(cmd.Start)
	return p
}

// startTerminal starts cmd with a new pseudo-terminal of rows×cols as
// its controlling terminal, stdin and stdout (stderr stays apart), and
// returns the terminal.
func startTerminal(t testing.TB, name string, cmd *exec.Cmd, rows, cols uint16) *terminal {
	t.Helper()
	p := newProc(t, name, cmd)
	var ptmx *os.File
	p.launch(func() error {
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
		if err != nil {
			return err
		}
		ptmx, err = pollable(f)
		return err
	})
	tm := &terminal{t: t, ptmx: ptmx, screen: newOutput(), proc: p}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		defer tm.screen.end()
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			tm.screen.Write(buf[:n])
			if err != nil {
				return // EIO once the process and its children closed the terminal
			}
		}
	}()
	// Closing the terminal hangs its session up (SIGHUP), which ends an
	// interactive sh that ignores SIGTERM.
	t.Cleanup(func() {
		ptmx.Close()
		<-copied
		p.stop()
	})
	return tm
}

// pollable returns a copy of f in Go's poller, so that Close ends a Read
// in progress, and closes f. creack/pty leaves the terminal's master
// blocking, and a blocked Read would outlast Close.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

func newProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	watchSources(t)
	p := &proc{t: t, name: name, cmd: cmd, err: newOutput(), done: make(chan struct{})}
	if cmd.Stderr == nil {
		cmd.Stderr = p.err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Nothing outlives the test binary, even when it is killed.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.WaitDelay = 5 * time.Second // children holding a pipe do not hang Wait
	return p
}

func (p *proc) launch(start func() error) {
	p.t.Helper()
	if err := start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.mu.Lock()
		p.wait = err
		p.mu.Unlock()
		if p.out != nil {
			p.out.end()
		}
		p.err.end()
		close(p.done)
	}()
	p.t.Cleanup(func() {
		p.stop()
		p.check()
	})
}

// stop ends the process: SIGTERM, then SIGKILL after stopGrace. It
// returns at once if the process has exited.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	p.t.Errorf("%s did not stop within %v of SIGTERM: killed", p.name, stopGrace)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// dump makes a Go process that seems stuck print its goroutines
// (SIGQUIT) and exit, and logs its stderr.
func (p *proc) dump() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
	p.t.Logf("%s after SIGQUIT:\n%s", p.name, p.err)
}

// check fails the test if the process reported a data race and, when
// the test failed (or with -e2e.debug), logs the end of its stderr.
func (p *proc) check() {
	errs := p.err.String()
	if i := strings.Index(errs, "WARNING: DATA RACE"); i >= 0 {
		p.t.Errorf("%s reported a data race:\n%s", p.name, errs[i:min(len(errs), i+6000)])
	}
	switch {
	case *debugFlag:
		p.t.Logf("%s stderr:\n%s", p.name, errs)
	case p.t.Failed():
		p.t.Logf("%s stderr (end):\n%s", p.name, p.err.tail(4000))
	}
}

// exitCode waits for the process to exit and returns its exit status.
func (p *proc) exitCode(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %v; stderr:\n%s", p.name, timeout, p.err.tail(2000))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var ee *exec.ExitError
	if p.wait != nil && !errors.As(p.wait, &ee) {
		p.t.Fatalf("%s: %v", p.name, p.wait)
	}
	return p.cmd.ProcessState.ExitCode()
}

// terminal is a process on a pseudo-terminal, as a user's shell runs
// `sesame session start`: what it writes to the terminal goes to screen.
type terminal struct {
	t      testing.TB
	ptmx   *os.File
	screen *output
	proc   *proc
}

// typeLine types s and Enter.
func (tm *terminal) typeLine(s string) {
	tm.t.Helper()
	tm.typeRaw(s + "\r")
}

func (tm *terminal) typeRaw(s string) {
	tm.t.Helper()
	if _, err := tm.ptmx.Write([]byte(s)); err != nil {
		tm.t.Fatalf("type %q: %v", s, err)
	}
}

// resize changes the terminal's size; the kernel sends SIGWINCH to the
// process.
func (tm *terminal) resize(rows, cols uint16) {
	tm.t.Helper()
	if err := pty.Setsize(tm.ptmx, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		tm.t.Fatal(err)
	}
}

// childEnv is the test's environment without anything that would point
// the AWS CLI, the SDK or the plugin elsewhere (AWS_*, proxies), plus
// extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"),
			strings.EqualFold(k, "all_proxy"), strings.EqualFold(k, "no_proxy"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// testDir is a new directory for the test that every account can read,
// removed when the test ends.
func testDir(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp(workRoot, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// agentAccount is the account sesame-agent runs as, and sessions with
// it: the test's own, or nobody when the tests run as root, so that
// the agent never creates ssm-user (or anything else) on the machine.
// A nil credential means the test's own account.
func agentAccount(t testing.TB) (*syscall.Credential, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		return nil, u.Username
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("the tests run as root, and there is no account nobody to run sesame-agent as (as root it would create ssm-user): %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, u.Username
}

// chownTo gives path to the account (nil: the test's own).
func chownTo(t testing.TB, path string, cred *syscall.Credential) {
	t.Helper()
	if cred == nil {
		return
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file every account can read.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
