package shell

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readAll reads r until EOF or the test's deadline.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	select {
	case b := <-done:
		return string(b)
	case <-time.After(20 * time.Second):
		t.Fatal("output did not end")
		return ""
	}
}

func waitCode(t *testing.T, p *Process) int {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("program did not exit")
	}
	code, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestStartPTY(t *testing.T) {
	t.Parallel()
	p, err := Start(Spec{Args: []string{"sh", "-c", "tty; stty size; echo $TERM; exit 3"}, PTY: true, Cols: 100, Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := readAll(t, p.Output())
	for _, want := range []string{"/dev/pts/", "30 100\r\n", "xterm-256color\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	if code := waitCode(t, p); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
}

func TestPTYResizeAndInput(t *testing.T) {
	t.Parallel()
	p, err := Start(Spec{Args: []string{"sh", "-c", "read x; stty size; echo got $x"}, PTY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Resize(120, 50); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Input().Write([]byte("hello\r")); err != nil {
		t.Fatal(err)
	}
	out := readAll(t, p.Output())
	if !strings.Contains(out, "50 120\r\n") || !strings.Contains(out, "got hello") {
		t.Errorf("output %q", out)
	}
	if code := waitCode(t, p); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestStartPipes(t *testing.T) {
	t.Parallel()
	script := "echo out; echo err >&2; exit 7"
	t.Run("separate", func(t *testing.T) {
		t.Parallel()
		p, err := Start(Spec{Args: []string{"sh", "-c", script}, SeparateStderr: true})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Input() != nil {
			t.Error("a program without a PTY has input")
		}
		errc := make(chan string, 1)
		go func() { b, _ := io.ReadAll(p.Stderr()); errc <- string(b) }()
		if out := readAll(t, p.Output()); out != "out\n" {
			t.Errorf("stdout %q", out)
		}
		if e := <-errc; e != "err\n" {
			t.Errorf("stderr %q", e)
		}
		if code := waitCode(t, p); code != 7 {
			t.Errorf("exit code %d, want 7", code)
		}
	})
	t.Run("combined", func(t *testing.T) {
		t.Parallel()
		p, err := Start(Spec{Args: []string{"sh", "-c", script}})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Stderr() != nil {
			t.Error("combined output has a stderr reader")
		}
		if out := readAll(t, p.Output()); out != "out\nerr\n" {
			t.Errorf("output %q", out)
		}
		if code := waitCode(t, p); code != 7 {
			t.Errorf("exit code %d", code)
		}
	})
}

func TestSignal(t *testing.T) {
	t.Parallel()
	for _, pty := range []bool{true, false} {
		p, err := Start(Spec{Args: []string{"sleep", "60"}, PTY: pty})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := waitCode(t, p); code != 128+int(syscall.SIGTERM) {
			t.Errorf("pty %v: exit code %d, want 143", pty, code)
		}
		if err := p.Signal(syscall.SIGTERM); err != os.ErrProcessDone {
			t.Errorf("Signal after exit = %v", err)
		}
		p.Close()
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	if _, err := Start(Spec{}); err == nil {
		t.Error("Start with no program succeeded")
	}
	if _, err := Start(Spec{Args: []string{"no-such-program-sesame"}}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Start(missing) error = %v", err)
	}
}

func TestRunAsOtherUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	u, err := LookupUser(context.Background(), "nobody")
	if err != nil {
		t.Skipf("no nobody account: %v", err)
	}
	p, err := Start(Spec{Args: []string{"sh", "-c", `id -u; stat -c %u "$(tty)"; echo "$USER $HOME"`}, PTY: true, User: u})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := readAll(t, p.Output())
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(out, "\r", "")), "\n")
	id := strconv.Itoa(int(u.UID))
	want := []string{id, id, "nobody " + u.Home}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("output %q, want %q", lines, want)
	}
	if code := waitCode(t, p); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestDrainDeadline: output stays readable after the program exits, and
// a deadline ends reads that something the program left behind keeps
// waiting (it holds the pipe and says nothing).
func TestDrainDeadline(t *testing.T) {
	t.Parallel()
	for _, pty := range []bool{true, false} {
		p, err := Start(Spec{Args: []string{"sh", "-c", "(trap '' HUP; exec sleep 3) & echo started; exit 4"}, PTY: pty})
		if err != nil {
			t.Fatal(err)
		}
		if code := waitCode(t, p); code != 4 {
			t.Errorf("exit code %d", code)
		}
		if err := p.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		var out []byte
		buf := make([]byte, 100)
		for {
			n, err := p.Output().Read(buf)
			out = append(out, buf[:n]...)
			if errors.Is(err, os.ErrDeadlineExceeded) || (pty && err == io.EOF) {
				break // a PTY is hung up when its session leader exits
			}
			if err != nil {
				t.Fatalf("pty %v: read error %v before the deadline", pty, err)
			}
		}
		if !strings.HasPrefix(string(out), "started") {
			t.Errorf("pty %v: output %q", pty, out)
		}
		p.Close()
	}
}
