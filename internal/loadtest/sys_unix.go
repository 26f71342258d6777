//go:build unix

package loadtest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) this process has used:
// the load generator and the agents.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPUTime returns the CPU time (user and system) process pid has
// used, from /proc/PID/stat; 0 where that is missing.
func processCPUTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command's name, in parentheses, may hold spaces and
	// parentheses: the fields after the last ")" are state (3) ...
	// utime (14), stime (15), in clock ticks of 1/100 s (USER_HZ, the
	// same on every Linux).
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * (time.Second / 100)
}

// loadAverage returns the machine's one-minute load average, or 0 where
// /proc/loadavg is missing: how busy the machine was besides this run.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

// raiseOpenFiles raises the soft limit on open files towards want (and
// the hard limit too, where the process may) and returns the limit in
// force.
func raiseOpenFiles(want int) int {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return want
	}
	if l.Cur >= uint64(want) {
		return int(l.Cur)
	}
	next := l
	next.Cur = uint64(want)
	if next.Max < next.Cur {
		next.Max = next.Cur
	}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next) != nil {
		next = syscall.Rlimit{Cur: l.Max, Max: l.Max}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next) != nil {
			return int(l.Cur)
		}
	}
	return int(next.Cur)
}
