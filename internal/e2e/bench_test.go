package e2e

import (
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchSession is a shell through sesame (server and agent on loopback,
// no proxies) and a local sh, each on its own terminal, both made ready
// by setup (a command line that prints READY last), so that a benchmark measures the two the same way in the
// same run.
type benchSession struct {
	remote, local *terminal
}

func startBenchSession(b *testing.B, setup string) *benchSession {
	b.Helper()
	s := startServer(b, serverOptions{})
	n := startAgent(b, s, s.url, "", nil)
	cmd := exec.Command(sesameBin, "session", "start", "--endpoint-url", s.url, "--target", n.id)
	cmd.Env = s.adminEnv()
	bs := &benchSession{remote: startTerminal(b, "sesame session start", cmd, 24, 80)}
	bs.remote.proc.err.waitFor(b, 0, "Starting session with SessionId: ", wait)
	local := exec.Command("sh")
	local.Env = childEnv()
	bs.local = startTerminal(b, "sh", local, 24, 80)
	for _, tm := range []*terminal{bs.remote, bs.local} {
		tm.typeLine(setup)
		tm.screen.waitFor(b, 0, "READY", wait)
	}
	return bs
}

// BenchmarkKeystrokeEcho measures the round trip of a keystroke: typed
// on the client's terminal, through `sesame session start`, the server
// and the agent to the remote terminal, whose echo comes back the same
// way. The baseline is the same keystroke echoed by a local sh's
// terminal. Both terminals are non-canonical, the input read by cat
// into /dev/null, so that only the terminal echoes. Reported: p50 and
// p99 of each in µs, and the ratios.
func BenchmarkKeystrokeEcho(b *testing.B) {
	bs := startBenchSession(b, "stty -icanon; echo RE''ADY; exec cat >/dev/null")
	b.Run("round-trip", func(b *testing.B) {
		remote, local := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
		for b.Loop() {
			remote = append(remote, echoTime(b, bs.remote))
			local = append(local, echoTime(b, bs.local))
		}
		rp50, rp99 := percentiles(remote)
		lp50, lp99 := percentiles(local)
		b.ReportMetric(micros(rp50), "sesame-p50-µs")
		b.ReportMetric(micros(rp99), "sesame-p99-µs")
		b.ReportMetric(micros(lp50), "sh-p50-µs")
		b.ReportMetric(micros(lp99), "sh-p99-µs")
		b.ReportMetric(float64(rp50)/float64(lp50), "p50-ratio")
		b.ReportMetric(float64(rp99)/float64(lp99), "p99-ratio")
	})
}

// echoTime types one key and returns how long its echo took.
func echoTime(b *testing.B, tm *terminal) time.Duration {
	mark := tm.screen.Len()
	start := time.Now()
	tm.typeRaw("x")
	tm.screen.waitFor(b, mark, "x", wait)
	return time.Since(start)
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkShellOutput measures how fast a shell's output reaches the
// client's terminal: 8 MB of text lines (yes | head) printed by the
// remote shell through agent, server and `sesame session start`, and by
// a local sh on a terminal as the baseline, in the same run. Reported:
// MB/s of each (bytes as the terminal shows them, \r\n included) and
// the ratio.
func BenchmarkShellOutput(b *testing.B) {
	const size = 8_000_000
	bs := startBenchSession(b, "stty -echo; echo RE''ADY")
	command := "yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c " + strconv.Itoa(size) + "; echo EN''D"
	b.Run("8MB", func(b *testing.B) {
		var remote, local time.Duration
		var remoteBytes, localBytes int
		for b.Loop() {
			d, n := outputTime(b, bs.remote, command)
			remote, remoteBytes = remote+d, remoteBytes+n
			d, n = outputTime(b, bs.local, command)
			local, localBytes = local+d, localBytes+n
		}
		rate := func(n int, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }
		b.ReportMetric(rate(remoteBytes, remote), "sesame-MB/s")
		b.ReportMetric(rate(localBytes, local), "sh-MB/s")
		b.ReportMetric(rate(remoteBytes, remote)/rate(localBytes, local), "ratio")
	})
}

// outputTime runs command on the terminal and returns how long its
// output took to arrive and its size.
func outputTime(b *testing.B, tm *terminal, command string) (time.Duration, int) {
	tm.screen.reset()
	start := time.Now()
	tm.typeLine(command)
	n := tm.screen.waitFor(b, 0, "END\r\n", time.Minute)
	return time.Since(start), n
}
