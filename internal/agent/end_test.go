package agent_test

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// shellPID asks the shell of s for its process id.
func shellPID(t *testing.T, s *fakeSession) int {
	t.Helper()
	s.typeLine(t, `echo "pid=$$="`)
	at := s.out.waitFor(t, 0, "pid=")
	end := s.out.waitFor(t, at, "=")
	for { // the echoed command line shows pid=$$= first
		pid, err := strconv.Atoi(string(s.out.bytes(at, end-1)))
		if err == nil {
			return pid
		}
		at = s.out.waitFor(t, end, "pid=")
		end = s.out.waitFor(t, at, "=")
	}
}

func checkGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the shell %d is still there: %v", pid, err)
	}
}

// TestSessionEndedByServer: terminate_session and channel_closed from
// the server end the session and its shell.
func TestSessionEndedByServer(t *testing.T) {
	t.Parallel()
	t.Run("terminate_session", func(t *testing.T) {
		t.Parallel()
		_, p, s := openShell(t)
		pid := shellPID(t, s)
		p.send(t, &protocol.ControlMessage{Type: protocol.ControlTerminateSession, SessionID: s.id, Reason: "Terminated by TerminateSession."})
		s.expectEnded(t)
		checkGone(t, pid)
	})
	t.Run("channel_closed", func(t *testing.T) {
		t.Parallel()
		_, _, s := openShell(t)
		pid := shellPID(t, s)
		m, err := protocol.NewControl(protocol.TypeChannelClosed, protocol.UUID{1}, time.Now(),
			protocol.ChannelClosed{SessionID: s.id, MessageType: protocol.TypeChannelClosed, SchemaVersion: 1, Output: protocol.IdleTimeoutOutput})
		if err != nil {
			t.Fatal(err)
		}
		frame, _ := m.MarshalBinary()
		if err := s.sendToAgent(frame); err != nil {
			t.Fatal(err)
		}
		s.expectEnded(t)
		checkGone(t, pid)
	})
}

// TestSessionEndedByClient: the TerminateSession flag ends the session
// as the program's exit would, without an exit code.
func TestSessionEndedByClient(t *testing.T) {
	t.Parallel()
	_, _, s := openShell(t)
	pid := shellPID(t, s)
	s.write(t, protocol.PayloadFlag, protocol.TerminateSession.Payload())
	s.expectState(t, protocol.SessionTerminating)
	s.expectEnded(t)
	checkGone(t, pid)
}

// TestAgentStop: a stopping agent tells its sessions why they end, then
// closes its control channel.
func TestAgentStop(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	stop := startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	s := fs.newSession(t)
	s.start(p, protocol.SessionStandardStream, "SSM-SessionManagerRunShell", runShellDoc, nil)
	s.expectState(t, protocol.SessionConnected)
	s.handshake(t)
	pid := shellPID(t, s)
	stop()
	cc := s.expectClosed(t)
	if !strings.Contains(cc.Output, "stopping") {
		t.Errorf("channel_closed Output %q", cc.Output)
	}
	s.expectEnded(t)
	checkGone(t, pid)
	select {
	case <-p.closed:
	case <-time.After(waitTimeout):
		t.Fatal("the control channel stayed open")
	}
}

// TestSessionTokenRefused: when the server refuses a new token after a
// drop, the session ends instead of retrying for ever.
func TestSessionTokenRefused(t *testing.T) {
	t.Parallel()
	fs, p, s := openShell(t)
	pid := shellPID(t, s)
	fs.noTokens.Store(true)
	s.dropAgent()
	p.expect(t, protocol.ControlSessionToken)
	deadline := time.After(waitTimeout)
	for syscall.Kill(pid, 0) == nil {
		select {
		case <-deadline:
			t.Fatal("the shell outlived its session")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
