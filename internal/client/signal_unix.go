//go:build unix

package client

import (
	"os"
	"os/signal"
	"syscall"
)

// NotifySignals relays to c the signals Run handles (Config.Signals):
// SIGINT, SIGQUIT and SIGTSTP (sent on as their key's byte), SIGWINCH
// (the terminal's new size), SIGTERM and SIGHUP (end the client). Stop
// with signal.Stop(c).
func NotifySignals(c chan<- os.Signal) {
	signal.Notify(c, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP, syscall.SIGWINCH, syscall.SIGTERM, syscall.SIGHUP)
}

// signalKey returns the byte the terminal key of sig types: Ctrl-C,
// Ctrl-\ and Ctrl-Z.
func signalKey(sig os.Signal) (byte, bool) {
	switch sig {
	case syscall.SIGINT:
		return 0x03, true
	case syscall.SIGQUIT:
		return 0x1c, true
	case syscall.SIGTSTP:
		return 0x1a, true
	}
	return 0, false
}

func isResize(sig os.Signal) bool { return sig == syscall.SIGWINCH }

func isTerminate(sig os.Signal) bool { return sig == syscall.SIGTERM || sig == syscall.SIGHUP }
