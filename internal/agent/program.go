package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/sesame-sh/sesame/internal/agent/shell"
	"github.com/sesame-sh/sesame/internal/protocol"
)

const (
	// drainTimeout is how long output may stay silent after the program
	// exited before the agent stops reading it: something the program
	// left behind still holds the terminal or the pipes.
	drainTimeout = 2 * time.Second
	// killGrace is how long a program has between SIGHUP and SIGKILL
	// when its session ends early.
	killGrace = 2 * time.Second
	// readSize is the size of the agent's reads of program output; the
	// Stream cuts it into 1024-byte messages.
	readSize = 32 << 10
)

// runProgram starts the session's program and moves bytes between it
// and the stream until it exits, then sends its exit code to a client
// that takes it (sendsExitCode). It returns nil then, or why the
// session ended early.
func (s *session) runProgram(ctx context.Context, p *plan, size protocol.TerminalSize) error {
	spec, err := s.spec(ctx, p, size)
	if err != nil {
		return err
	}
	proc, err := shell.Start(spec)
	if err != nil {
		return fmt.Errorf("Unable to start command: %w", err)
	}
	defer proc.Close()
	s.log.Info("program started", "pid", proc.Pid(), "args", spec.Args[0], "user", userName(spec.User))
	if p.sessionType == protocol.SessionStandardStream && p.shellProfile != "" {
		if _, err := proc.Input().Write([]byte(p.shellProfile + "\n")); err != nil {
			s.log.Warn("shell profile not typed", "err", err)
		}
	}
	s.goRun(func() { s.pumpInput(proc) })
	s.goRun(func() { s.pumpMessages(ctx, proc, p) })

	var prefixOut, prefixErr string
	if p.commands != nil && bool(p.commands.SeparateOutputStream) {
		prefixOut, prefixErr = p.commands.StdOutSeparatorPrefix, p.commands.StdErrSeparatorPrefix
	}
	outputs := make(chan error, 2)
	n := 1
	s.goRun(func() { outputs <- s.pumpOutput(proc, proc.Output(), protocol.PayloadOutput, prefixOut) })
	if r := proc.Stderr(); r != nil {
		n++
		s.goRun(func() { outputs <- s.pumpOutput(proc, r, protocol.PayloadStdErr, prefixErr) })
	}

	select {
	case <-proc.Done():
		proc.SetReadDeadline(time.Now().Add(drainTimeout)) // ends reads blocked on a silent terminal
	case <-ctx.Done():
		stopProgram(proc)
		return context.Cause(ctx)
	}
	for range n {
		select {
		case err := <-outputs:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	code, err := proc.Wait()
	if err != nil {
		return err
	}
	s.log.Info("program exited", "code", code)
	if !s.sendsExitCode(p) {
		return nil
	}
	return s.stream.WriteMessage(ctx, protocol.PayloadExitCode, protocol.ExitCodePayload(code))
}

// spec says how to run the session's program.
func (s *session) spec(ctx context.Context, p *plan, size protocol.TerminalSize) (shell.Spec, error) {
	users := s.a.cfg.Users
	var u *shell.User
	var err error
	if p.commands != nil && p.commands.RunAsElevated {
		u, err = users.Current() // as AWS's agent does: the agent's own account
	} else {
		u, err = users.Resolve(ctx, s.start.RunAsUser)
	}
	if err != nil {
		return shell.Spec{}, err
	}
	spec := shell.Spec{User: u, PTY: true, Cols: clampSize(size.Cols), Rows: clampSize(size.Rows)}
	switch p.sessionType {
	case protocol.SessionStandardStream:
		spec.Args, spec.Login = []string{u.ShellPath()}, true
	case protocol.SessionInteractiveCommands:
		spec.Args = []string{"sh", "-c", p.commands.Commands}
	case protocol.SessionNonInteractiveCommands:
		words, err := shell.Split(p.commands.Commands)
		if err != nil {
			return shell.Spec{}, fmt.Errorf("Failed to parse commands input: %w", err)
		}
		if len(words) == 0 {
			return shell.Spec{}, errors.New("the document's commands are empty")
		}
		spec.Args, spec.PTY, spec.SeparateStderr = words, false, bool(p.commands.SeparateOutputStream)
	default:
		return shell.Spec{}, fmt.Errorf("session type %s cannot run a program", p.sessionType)
	}
	return spec, nil
}

func clampSize(n uint32) uint16 { return uint16(min(n, 1<<15)) }

func userName(u *shell.User) string {
	if u == nil {
		return ""
	}
	return u.Name
}

// stopProgram hangs the program up and kills it if it lingers.
func stopProgram(proc *shell.Process) {
	if proc.Signal(syscall.SIGHUP) != nil {
		return
	}
	t := time.NewTimer(killGrace)
	defer t.Stop()
	select {
	case <-proc.Done():
	case <-t.C:
		proc.Signal(syscall.SIGKILL)
	}
}

// pumpInput writes the client's keystrokes to the program's terminal;
// a program without one only hears Ctrl-C and Ctrl-\ as signals. It
// returns when the stream is closed or the program's input fails.
func (s *session) pumpInput(proc *shell.Process) {
	buf := make([]byte, readSize)
	in := proc.Input()
	for {
		n, err := s.stream.Read(buf)
		if err != nil {
			return
		}
		if in != nil {
			if _, err := in.Write(buf[:n]); err != nil {
				s.log.Debug("program input closed", "err", err)
				return
			}
			continue
		}
		if bytes.IndexByte(buf[:n], 0x03) >= 0 {
			proc.Signal(syscall.SIGINT)
		}
		if bytes.IndexByte(buf[:n], 0x1c) >= 0 {
			proc.Signal(syscall.SIGQUIT)
		}
	}
}

// pumpMessages handles the client's other messages: terminal sizes, the
// TerminateSession flag, and the handshake response of a client that
// took the session over.
func (s *session) pumpMessages(ctx context.Context, proc *shell.Process, p *plan) {
	for {
		d, err := s.stream.ReadMessage(ctx)
		if err != nil {
			return
		}
		switch d.PayloadType {
		case protocol.PayloadSize:
			var size protocol.TerminalSize
			if err := json.Unmarshal(d.Payload, &size); err != nil {
				s.log.Debug("terminal size unreadable", "payload", string(d.Payload))
				continue
			}
			if err := proc.Resize(clampSize(size.Cols), clampSize(size.Rows)); err != nil {
				s.log.Debug("resize failed", "err", err)
			}
		case protocol.PayloadFlag:
			if f, err := protocol.ParseFlag(d.Payload); err == nil && f == protocol.TerminateSession {
				s.cancel(&endedError{by: "client"})
			}
		case protocol.PayloadHandshakeResponse:
			if err := s.completeHandshake(ctx, p, d.Payload); err != nil {
				s.cancel(err)
			}
		default:
			s.log.Debug("client message ignored", "payload_type", d.PayloadType)
		}
	}
}

// pumpOutput sends what the program writes to r as messages of type pt,
// each line after prefix when one is set. It returns nil at the end of
// the output (or once it stayed silent for drainTimeout after the
// program exited), or the stream's error.
func (s *session) pumpOutput(proc *shell.Process, r io.Reader, pt protocol.PayloadType, prefix string) error {
	buf := make([]byte, readSize)
	var lines lineStart
	for {
		n, err := r.Read(buf)
		if n > 0 {
			out := buf[:n]
			if prefix != "" {
				out = lines.prefix(out, prefix)
			}
			if werr := s.write(pt, out); werr != nil {
				return werr
			}
		}
		if err != nil {
			if err == io.EOF || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read program output: %w", err)
		}
		select {
		case <-proc.Done():
			proc.SetReadDeadline(time.Now().Add(drainTimeout))
		default:
		}
	}
}

// write sends p as messages of type pt of at most 1024 bytes.
func (s *session) write(pt protocol.PayloadType, p []byte) error {
	if pt == protocol.PayloadOutput {
		_, err := s.stream.Write(p)
		return err
	}
	for len(p) > 0 {
		c := min(len(p), protocol.StreamDataPayloadSize)
		if err := s.stream.WriteMessage(context.Background(), pt, p[:c]); err != nil {
			return err
		}
		p = p[c:]
	}
	return nil
}

// lineStart puts a prefix at the start of every line of a stream.
type lineStart struct{ mid bool } // inside a line

func (l *lineStart) prefix(p []byte, prefix string) []byte {
	var out []byte
	for len(p) > 0 {
		if !l.mid {
			out = append(out, prefix...)
			l.mid = true
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			out = append(out, p...)
			break
		}
		out = append(out, p[:i+1]...)
		p = p[i+1:]
		l.mid = false
	}
	return out
}
