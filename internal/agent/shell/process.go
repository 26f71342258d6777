package shell

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Spec says what a Process runs and how.
type Spec struct {
	// Args is the program and its arguments; Args[0] is looked up in
	// the session's PATH.
	Args []string
	// Login starts the program as a login shell (argv[0] "-sh").
	Login bool
	// User is the account to run as; nil runs as the agent's own user.
	// The agent switches to another account only when it is root.
	User *User
	// PTY runs the program on a new pseudo-terminal of size Cols×Rows
	// (80×24 when zero), in its own session. Without it the program
	// gets no input and its output goes to pipes: one for both streams,
	// or two with SeparateStderr.
	PTY            bool
	Cols, Rows     uint16
	SeparateStderr bool
}

// Process is a running session program.
type Process struct {
	cmd    *exec.Cmd
	pty    *os.File // PTY master; nil without a PTY
	stdout *os.File // read end of the output pipe; nil with a PTY
	stderr *os.File // read end of the stderr pipe; nil unless separate

	code    int   // set before done is closed
	waitErr error // set before done is closed
	done    chan struct{}
}

// searchPath is the PATH of session programs.
const searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Start starts spec's program.
func Start(spec Spec) (*Process, error) {
	if len(spec.Args) == 0 {
		return nil, errors.New("shell: nothing to run")
	}
	path, err := lookPath(spec.Args[0])
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, spec.Args[1:]...)
	if spec.Login {
		cmd.Args[0] = "-" + filepath.Base(spec.Args[0])
	}
	cmd.Env = environ(spec.User, spec.Args[0])
	cmd.Dir = "/"
	attrs := &syscall.SysProcAttr{Credential: credential(spec.User)}
	if spec.User != nil {
		if fi, err := os.Stat(spec.User.Home); err == nil && fi.IsDir() {
			cmd.Dir = spec.User.Home
		}
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	if spec.PTY {
		err = p.startPTY(spec, attrs)
	} else {
		err = p.startPipes(spec, attrs)
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Args[0], err)
	}
	go p.wait()
	return p, nil
}

func lookPath(name string) (string, error) {
	if filepath.Base(name) != name {
		return name, nil
	}
	for _, dir := range filepath.SplitList(searchPath) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable file not found in %s", name, searchPath)
}

// environ is the environment of a session program: a clean one, as a
// login gives, with the terminal type and language AWS's agent sets.
func environ(u *User, prog string) []string {
	lang := os.Getenv("LANG")
	if lang == "" {
		lang = "C.UTF-8"
	}
	env := []string{"PATH=" + searchPath, "TERM=xterm-256color", "LANG=" + lang}
	if u != nil {
		env = append(env, "HOME="+u.Home, "USER="+u.Name, "LOGNAME="+u.Name, "SHELL="+u.ShellPath())
	} else if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "HOME="+home)
	}
	if tz := os.Getenv("TZ"); tz != "" {
		env = append(env, "TZ="+tz)
	}
	return env
}

// credential switches to u when the agent is another user.
func credential(u *User) *syscall.Credential {
	if u == nil || uint32(os.Geteuid()) == u.UID {
		return nil
	}
	return &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
}

func (p *Process) startPTY(spec Spec, attrs *syscall.SysProcAttr) error {
	master, tty, err := openPTY()
	if err != nil {
		return fmt.Errorf("open a pty: %w", err)
	}
	defer tty.Close()
	cols, rows := spec.Cols, spec.Rows
	if cols == 0 || rows == 0 {
		cols, rows = 80, 24
	}
	if err := setSize(master, cols, rows); err != nil {
		master.Close()
		return fmt.Errorf("size the pty: %w", err)
	}
	if attrs.Credential != nil {
		// The terminal belongs to the user, as login(1) arranges.
		if err := tty.Chown(int(spec.User.UID), int(spec.User.GID)); err != nil {
			master.Close()
			return fmt.Errorf("give the pty to %s: %w", spec.User.Name, err)
		}
	}
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, tty
	attrs.Setsid, attrs.Setctty, attrs.Ctty = true, true, 0
	p.cmd.SysProcAttr = attrs
	if err := p.cmd.Start(); err != nil {
		master.Close()
		return err
	}
	p.pty = master
	return nil
}

func (p *Process) startPipes(spec Spec, attrs *syscall.SysProcAttr) error {
	attrs.Setpgid = true // so that signals reach the whole job
	p.cmd.SysProcAttr = attrs
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer outW.Close()
	p.cmd.Stdout, p.cmd.Stderr = outW, outW
	var errW *os.File
	if spec.SeparateStderr {
		var errR *os.File
		if errR, errW, err = os.Pipe(); err != nil {
			outR.Close()
			return err
		}
		defer errW.Close()
		p.cmd.Stderr = errW
		p.stderr = errR
	}
	if err := p.cmd.Start(); err != nil {
		outR.Close()
		if p.stderr != nil {
			p.stderr.Close()
		}
		return err
	}
	p.stdout = outR
	return nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		p.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal()) // as shells report it
		}
	default:
		p.code, p.waitErr = -1, err
	}
	close(p.done)
}

// Output reads the program's output: the PTY, or the stdout pipe
// (which carries stderr too unless Spec.SeparateStderr). Reads end with
// io.EOF once the program and everything that inherited the terminal or
// pipe are gone, or after Close.
func (p *Process) Output() io.Reader {
	if p.pty != nil {
		return ptyReader{p.pty}
	}
	return p.stdout
}

// Stderr reads the program's stderr with Spec.SeparateStderr; else nil.
func (p *Process) Stderr() io.Reader {
	if p.stderr == nil {
		return nil
	}
	return p.stderr
}

// Input writes to the program's terminal; it is nil without a PTY.
func (p *Process) Input() io.Writer {
	if p.pty == nil {
		return nil
	}
	return p.pty
}

// ptyReader turns the EIO a PTY master returns once the terminal has no
// more users into io.EOF.
type ptyReader struct{ f *os.File }

func (r ptyReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	var pe *os.PathError
	if errors.As(err, &pe) && (errors.Is(pe.Err, syscall.EIO) || errors.Is(pe.Err, os.ErrClosed)) {
		err = io.EOF
	}
	return n, err
}

// SetReadDeadline sets the deadline of reads from Output and Stderr;
// reads past it fail with an error wrapping os.ErrDeadlineExceeded.
func (p *Process) SetReadDeadline(t time.Time) error {
	var errs []error
	for _, f := range []*os.File{p.pty, p.stdout, p.stderr} {
		if f != nil {
			if err := f.SetReadDeadline(t); err != nil && !errors.Is(err, os.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Resize sets the terminal size; without a PTY it does nothing.
func (p *Process) Resize(cols, rows uint16) error {
	if p.pty == nil || cols == 0 || rows == 0 {
		return nil
	}
	return setSize(p.pty, cols, rows)
}

// openPTY opens a pseudo-terminal whose master is in Go's poller, so
// that its reads honour deadlines and Close: creack/pty leaves the
// master's descriptor in blocking mode (it calls Fd), so the master is
// replaced by a non-blocking duplicate.
func openPTY() (master, tty *os.File, err error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := unix.Dup(int(m.Fd()))
	if err == nil {
		unix.CloseOnExec(fd)
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		tty.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), m.Name()), tty, nil
}

// setSize sets the size of the terminal of master without taking its
// descriptor out of the poller.
func setSize(master *os.File, cols, rows uint16) error {
	sc, err := master.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := sc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	}); err != nil {
		return err
	}
	return ioErr
}

// Signal sends sig to the program's process group (its session with a
// PTY, its job without).
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	err := syscall.Kill(-p.cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// Done is closed when the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Pid is the program's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the program to exit and returns its exit code, 128+n
// when signal n killed it. An error means the status is unknown.
func (p *Process) Wait() (int, error) {
	<-p.done
	return p.code, p.waitErr
}

// Close closes the PTY or the pipes, which ends pending reads. It does
// not stop the program: Signal does.
func (p *Process) Close() error {
	var errs []error
	for _, f := range []*os.File{p.pty, p.stdout, p.stderr} {
		if f != nil {
			if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
