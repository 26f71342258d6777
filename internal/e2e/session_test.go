package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wait bounds each step of a session: a line typed and its output.
const wait = 20 * time.Second

// TestSession runs sessions through real processes, over HTTP and over
// TLS with the server's own CA: sesame server, sesame-agent (registered
// with an activation) and `sesame session start` on a pseudo-terminal.
func TestSession(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"tls", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, serverOptions{TLS: mode.tls})
			t.Run("terminal", func(t *testing.T) { testTerminal(t, c) })
			t.Run("10MB byte-exact", func(t *testing.T) { testByteExact(t, c) })
		})
	}
}

// testTerminal: a shell with a real terminal: echo, tty, who it runs
// as, stty size before and after a resize, a cut client connection
// (resumed, nothing typed or printed lost), and exit 3 as the client's
// exit status.
func testTerminal(t *testing.T, c *cluster) {
	_, account := agentAccount(t)
	tm := startTerminal(t, "sesame session start", c.session("--target", "tag:Env=E2E", "--reason", "e2e"), 24, 80)
	tm.proc.err.waitFor(t, 0, "\nStarting session with SessionId: admin-", wait)

	// The quotes keep the typed line (echoed) apart from the output.
	tm.typeLine("echo he''llo")
	at := tm.screen.waitFor(t, 0, "hello\r\n", wait)
	tm.typeLine("tty; echo u=$(id -un)")
	at = tm.screen.waitFor(t, at, "/dev/pts/", wait)
	at = tm.screen.waitFor(t, at, "u="+account+"\r\n", wait)
	tm.typeLine("stty size")
	at = tm.screen.waitFor(t, at, "24 80\r\n", wait)

	// The new size travels as its own message after the kernel's
	// SIGWINCH reaches the client: ask until the shell has it.
	tm.resize(40, 132)
	for i := 1; ; i++ {
		tm.typeLine("echo size$((0+" + strconv.Itoa(i) + ")):$(stty size)")
		next := tm.screen.waitFor(t, at, "size"+strconv.Itoa(i)+":", wait)
		end := tm.screen.waitFor(t, next, "\r\n", wait)
		at = end
		if got := tm.screen.slice(next, end-2); got == "40 132" {
			break
		} else if i == 50 {
			t.Fatalf("stty size = %q after the resize to 40 132", got)
		}
	}

	if n := c.clientProxy.cut(cutAll); n == 0 {
		t.Error("the client had no connection to cut")
	}
	tm.typeLine("echo after''cut")
	at = tm.screen.waitFor(t, at, "aftercut\r\n", wait)
	tm.typeLine("exit 3")
	if code := tm.proc.exitCode(wait); code != 3 {
		t.Errorf("exit status %d, want 3", code)
	}
	if errs := tm.proc.err.String(); !strings.Contains(errs, "\n\nExiting session with sessionId: admin-") {
		t.Errorf("stderr = %q", errs)
	}
}

// testByteExact: 10 MB of random bytes (every byte value, \r, \n, NUL,
// Ctrl-C and Ctrl-D included) printed by a NonInteractiveCommands
// session (no terminal on either side to translate anything) reach the
// client's stdout with the same SHA-256.
func testByteExact(t *testing.T, c *cluster) {
	const size = 10 << 20
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{'e', '2', 'e'})
	_, _ = rng.Read(data)
	want := sha256.Sum256(data)
	file := writeFile(t, testDir(t, "data"), "random.bin", data)

	h := sha256.New()
	counter := &countWriter{w: h}
	cmd := c.session("--target", c.node.id, "--document-name", "AWS-StartNonInteractiveCommand", "--parameters", "command=cat "+file)
	cmd.Stdout = counter
	start := time.Now()
	p := startProc(t, "sesame session start", cmd)
	if code := p.exitCode(2 * time.Minute); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, p.err)
	}
	elapsed := time.Since(start)
	if got := h.Sum(nil); counter.n != size || string(got) != string(want[:]) {
		t.Fatalf("stdout: %d bytes with SHA-256 %x, want %d bytes with SHA-256 %s", counter.n, got, size, hex.EncodeToString(want[:]))
	}
	t.Logf("10 MiB byte-exact in %v (%.1f MB/s, race detector %v)", elapsed.Round(time.Millisecond), float64(size)/1e6/elapsed.Seconds(), raceEnabled)
}

// countWriter counts what it passes on.
type countWriter struct {
	w io.Writer
	n int
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}
