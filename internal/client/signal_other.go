//go:build !unix

package client

import (
	"os"
	"os/signal"
)

// NotifySignals relays to c the signals Run handles (Config.Signals):
// here only os.Interrupt, sent on as Ctrl-C. Stop with signal.Stop(c).
func NotifySignals(c chan<- os.Signal) {
	signal.Notify(c, os.Interrupt)
}

func signalKey(sig os.Signal) (byte, bool) {
	if sig == os.Interrupt {
		return 0x03, true
	}
	return 0, false
}

func isResize(os.Signal) bool { return false }

func isTerminate(os.Signal) bool { return false }
