package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPluginCompatibility drives AWS's session-manager-plugin through
// the real `aws ssm start-session --endpoint-url` against sesame, over
// HTTP (ws://) and over TLS (wss:// with the server's CA), on a
// terminal: a shell runs a command, survives a cut connection (over
// HTTP; the plugin calls ResumeSession) and exits. It is skipped unless both the
// plugin and the aws CLI are on PATH; what the plugin prints is logged.
func TestPluginCompatibility(t *testing.T) {
	t.Parallel()
	plugin, err := exec.LookPath("session-manager-plugin")
	if err != nil {
		t.Skip("session-manager-plugin is not on PATH: install AWS's Session Manager plugin to run the compatibility test")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not on PATH: it is needed to start the plugin")
	}
	version, _ := exec.Command(plugin, "--version").Output()
	t.Logf("session-manager-plugin %s", version)
	for _, mode := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"tls", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, serverOptions{TLS: mode.tls})
			cmd := exec.Command(cli, "ssm", "start-session", "--target", c.node.id, "--endpoint-url", c.endpoint())
			cmd.Env = c.server.adminEnv()
			if mode.tls {
				// The plugin dials wss:// with the system's roots.
				cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+c.server.ca)
			}
			tm := startTerminal(t, "aws ssm start-session", cmd, 24, 80)
			at := tm.screen.waitFor(t, 0, "Starting session with SessionId: admin-", wait)
			tm.typeLine("echo he''llo; tty")
			at = tm.screen.waitFor(t, at, "hello\r", wait) // the plugin leaves opost on: \r\r\n
			at = tm.screen.waitFor(t, at, "/dev/pts/", wait)
			if !mode.tls { // where the proxy sees the plugin reconnect
				if n := c.clientProxy.cut(cutAll); n == 0 {
					t.Error("the plugin had no connection to cut")
				}
				// The plugin exits if it writes to the dead connection
				// before its reader has noticed (it resumes after 5 read
				// errors): type once it has reconnected.
				c.clientProxy.awaitDataChannel(t, wait)
				tm.typeLine("echo after''cut")
				at = tm.screen.waitFor(t, at, "aftercut\r", wait)
			}
			tm.typeLine("exit 3")
			at = tm.screen.waitFor(t, at, "Exiting session with sessionId: admin-", wait)
			if code := tm.proc.exitCode(wait); code != 0 {
				t.Errorf("aws ssm start-session: exit status %d, want 0 (the plugin never passes the remote status on)", code)
			}
			t.Logf("the terminal showed (CRs dropped):\n%s", strings.ReplaceAll(tm.screen.String(), "\r", ""))
		})
	}
}
