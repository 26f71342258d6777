//go:build linux

package client

import (
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/sesame-sh/sesame/internal/protocol"
)

func canonical(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ICANON != 0
}

// The client's terminal is a real PTY: raw while the session runs (Ctrl-C
// arrives as a byte without a newline), its size sent at start and on
// SIGWINCH, output passed through untouched, cooked again afterwards.
func TestRealTerminal(t *testing.T) {
	t.Parallel()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no PTY: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	if !canonical(t, tty) {
		t.Fatal("a new PTY should start in canonical mode")
	}
	screen := newSyncBuffer()
	go func() { _, _ = io.Copy(screen, ptmx) }()

	term := NewTerminal(tty, tty)
	if term == nil {
		t.Fatal("NewTerminal: a PTY is not a terminal")
	}
	f := newFakeChannel(t)
	sigs := make(chan os.Signal, 1)
	stderr := newSyncBuffer()
	res := start(t, Config{Session: f.session(), Resume: f.resume, Stdin: tty, Stdout: tty, Stderr: stderr, Terminal: term, Signals: sigs})
	f.waitAttached(1)
	f.handshake("", shellAction(t))
	if got := f.size(); got != (protocol.TerminalSize{Cols: 132, Rows: 40}) {
		t.Errorf("size = %+v", got)
	}
	if canonical(t, tty) {
		t.Error("terminal not raw during the session")
	}

	if _, err := ptmx.Write([]byte("ab\x03")); err != nil {
		t.Fatal(err)
	}
	if got := f.input(3); got != "ab\x03" {
		t.Errorf("input = %q, want %q", got, "ab\x03")
	}
	if _, err := f.agent.Write([]byte("line1\r\nline2\n")); err != nil {
		t.Fatal(err)
	}
	screen.waitFor(t, "line1\r\nline2\n") // raw output: no \n → \r\n translation

	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 10, Cols: 50}); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGWINCH
	if got := f.size(); got != (protocol.TerminalSize{Cols: 50, Rows: 10}) {
		t.Errorf("size after resize = %+v", got)
	}

	f.exit(0, "")
	if r := waitResult(t, res); r.code != 0 || r.err != nil {
		t.Errorf("Run = %d, %v", r.code, r.err)
	}
	if !canonical(t, tty) {
		t.Error("terminal not restored after the session")
	}
	if got := screen.String(); got != "line1\r\nline2\n" {
		t.Errorf("screen = %q (was the input echoed?)", got)
	}
}

func TestNewTerminalWithoutTTY(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if term := NewTerminal(r, w); term != nil {
		t.Errorf("NewTerminal(pipe, pipe) = %v, want nil", term)
	}
}
