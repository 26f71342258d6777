package agent

import (
	"context"
	"math"
	"time"
)

// Backoff is an exponential backoff with jitter: attempt n waits
// Initial·Multiplier^n, at most Max, varied by ±Jitter of itself so that
// a fleet of agents does not come back at the same instant.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64 // 2 when 0
	Jitter     float64 // in [0, 1]
}

// Delays of the agent's reconnections.
var (
	// controlBackoff spaces the control channel's reconnections. AWS's
	// agent waits 5-10 s and up to 40 minutes; a self-hosted server that
	// restarts wants its agents back sooner.
	controlBackoff = Backoff{Initial: time.Second, Max: time.Minute, Multiplier: 2, Jitter: 0.5}
	// dataBackoff spaces a session's data-channel reconnections, as
	// AWS's agent does (100-199 ms, doubling, at most 5 s).
	dataBackoff = Backoff{Initial: 150 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.33}
)

// Delay returns the wait before attempt n (from 0), given r in [0, 1).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	m := b.Multiplier
	if m == 0 {
		m = 2
	}
	d := float64(b.Initial) * math.Pow(m, float64(max(attempt, 0)))
	if b.Max > 0 && d > float64(b.Max) {
		d = float64(b.Max)
	}
	d *= 1 + b.Jitter*(2*r-1)
	if b.Max > 0 && d > float64(b.Max) {
		d = float64(b.Max)
	}
	return time.Duration(max(d, 0))
}

// sleep waits d on clock, or until ctx is done.
func sleep(ctx context.Context, clock Clock, d time.Duration) error {
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
