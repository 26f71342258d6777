package agent_test

import (
	"sync"
	"time"

	"github.com/sesame-sh/sesame/internal/agent"
)

// fakeClock is a Clock that moves only when told. Each timer it makes
// is announced on timers, so that a test knows what the agent waits for.
type fakeClock struct {
	timers chan time.Duration

	mu      sync.Mutex // protects the following
	now     time.Time
	pending []*fakeTimer
}

func newFakeClock() *fakeClock {
	return &fakeClock{timers: make(chan time.Duration, 1000), now: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) agent.Timer {
	c.mu.Lock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.pending = append(c.pending, t)
	c.mu.Unlock()
	c.timers <- d
	return t
}

// Advance moves the clock on by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.pending[:0]
	for _, t := range c.pending {
		if t.at.After(c.now) {
			keep = append(keep, t)
			continue
		}
		t.ch <- c.now
	}
	c.pending = keep
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	ch chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, p := range t.c.pending {
		if p == t {
			t.c.pending = append(t.c.pending[:i], t.c.pending[i+1:]...)
			return true
		}
	}
	return false
}

// halfReader reads as a random source whose every number is 0.5: the
// middle of any jitter.
type halfReader struct{}

func (halfReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
		if i%8 == 0 {
			p[i] = 0x80
		}
	}
	return len(p), nil
}
