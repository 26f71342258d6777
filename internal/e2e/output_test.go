package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// output is a Writer that tests wait on: it keeps what a process writes
// and wakes every waiter after each write.
type output struct {
	mu      sync.Mutex // protects the following
	b       []byte
	changed chan struct{} // closed and replaced on every write and at the end
	ended   bool          // the writer is gone: nothing more will come
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b = append(o.b, p...)
	o.wakeLocked()
	return len(p), nil
}

func (o *output) wakeLocked() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// end says that nothing more will be written: waiters stop waiting.
func (o *output) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.ended {
		o.ended = true
		o.wakeLocked()
	}
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.b)
}

func (o *output) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.b)
}

// state returns the output's length, a channel closed at the next
// change, and whether the output has ended.
func (o *output) state() (n int, changed <-chan struct{}, ended bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.b), o.changed, o.ended
}

// reset forgets what was written so far.
func (o *output) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b = o.b[:0]
}

// slice returns the output from i to j.
func (o *output) slice(i, j int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.b[i:j])
}

// tail returns the last n bytes, for failure messages.
func (o *output) tail(n int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.b[max(0, len(o.b)-n):])
}

// waitFor waits until s appears at or after offset from and returns the
// offset just past it; it fails the test if s does not come in time.
func (o *output) waitFor(t testing.TB, from int, s string, timeout time.Duration) int {
	t.Helper()
	end, err := o.await(from, s, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// await waits until s appears at or after offset from and returns the
// offset just past it. It scans each byte once, so that waiting for a
// marker after megabytes of output stays cheap.
func (o *output) await(from int, s string, timeout time.Duration) (int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	scan := from
	for {
		o.mu.Lock()
		if scan < len(o.b) {
			if i := bytes.Index(o.b[scan:], []byte(s)); i >= 0 {
				o.mu.Unlock()
				return scan + i + len(s), nil
			}
			scan = max(from, len(o.b)-len(s)+1)
		}
		changed, ended := o.changed, o.ended
		o.mu.Unlock()
		if ended {
			return 0, fmt.Errorf("the output ended without %q; its end: %q", s, o.tail(600))
		}
		select {
		case <-changed:
		case <-deadline.C:
			return 0, fmt.Errorf("timed out after %v waiting for %q; the output's end: %q", timeout, s, o.tail(600))
		}
	}
}
