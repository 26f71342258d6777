package client

import (
	"errors"
	"os"

	"golang.org/x/term"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Terminal is the user's terminal, when there is one.
type Terminal interface {
	// MakeRaw puts the terminal in raw mode (no echo, no line editing,
	// no signals from keys) and returns a function that restores it. A
	// terminal that is only an output makes it a no-op.
	MakeRaw() (restore func() error, err error)
	// Size returns the terminal's size in columns and rows.
	Size() (protocol.TerminalSize, error)
}

// DefaultSize is the size the client sends without a terminal, as the
// plugin does.
var DefaultSize = protocol.TerminalSize{Cols: 300, Rows: 100}

// TTY is a Terminal over file descriptors. Its zero value is no terminal.
type TTY struct {
	in  *os.File // stdin when it is a terminal: made raw, sized
	out *os.File // stdout when it is a terminal: sized if in is not one
}

var _ Terminal = (*TTY)(nil)

// NewTerminal returns the Terminal of a process whose stdin is in and
// stdout is out: raw mode on in if it is a terminal, the size of in or
// else out. It returns nil (no Terminal) when neither is a terminal.
func NewTerminal(in, out *os.File) Terminal {
	t := &TTY{}
	if in != nil && term.IsTerminal(int(in.Fd())) {
		t.in = in
	}
	if out != nil && term.IsTerminal(int(out.Fd())) {
		t.out = out
	}
	if t.in == nil && t.out == nil {
		return nil
	}
	return t
}

// MakeRaw puts stdin in raw mode if it is a terminal.
func (t *TTY) MakeRaw() (func() error, error) {
	if t.in == nil {
		return func() error { return nil }, nil
	}
	fd := int(t.in.Fd())
	st, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return func() error { return term.Restore(fd, st) }, nil
}

// Size returns the size of stdin's terminal, or stdout's.
func (t *TTY) Size() (protocol.TerminalSize, error) {
	f := t.in
	if f == nil {
		f = t.out
	}
	if f == nil {
		return protocol.TerminalSize{}, errors.New("client: no terminal")
	}
	w, h, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return protocol.TerminalSize{}, err
	}
	return protocol.TerminalSize{Cols: uint32(w), Rows: uint32(h)}, nil
}
