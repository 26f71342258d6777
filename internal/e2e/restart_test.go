package e2e

import (
	"strings"
	"testing"
)

// TestServerRestart stops the server (SIGTERM) while a shell is open and
// starts it again on the same address: the agent reconnects on its own
// (its node Online again), a new session works, and the open shell
// carries on once its client has resumed.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	tm := startTerminal(t, "sesame session start", c.session("--target", c.node.id), 24, 80)
	tm.proc.err.waitFor(t, 0, "Starting session with SessionId: admin-", wait)
	tm.typeLine("echo be''fore")
	at := tm.screen.waitFor(t, 0, "before\r\n", wait)

	mark := c.node.proc.err.Len()
	c.server.restart()
	c.node.proc.err.waitFor(t, mark, "control channel up", startTimeout)
	waitOnline(t, c.server, c.node.id)

	cmd := c.session("--target", c.node.id)
	cmd.Stdin = strings.NewReader("echo he''llo\nexit 5\n")
	p := startProc(t, "sesame session start (new)", cmd)
	if code := p.exitCode(wait); code != 5 {
		t.Errorf("new session: exit status %d, want 5; stderr:\n%s", code, p.err)
	}
	if out := p.out.String(); !strings.Contains(out, "hello\r\n") {
		t.Errorf("new session: stdout %q", out)
	}

	tm.typeLine("echo af''ter")
	tm.screen.waitFor(t, at, "after\r\n", wait)
	tm.typeLine("exit")
	if code := tm.proc.exitCode(wait); code != 0 {
		t.Errorf("the shell open across the restart: exit status %d; stderr:\n%s", code, tm.proc.err)
	}
}
