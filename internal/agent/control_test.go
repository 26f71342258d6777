package agent_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/protocol"
)

// TestReconnectBackoff checks the control channel's reconnections with
// a fake clock: refused dials wait 1 s, 2 s, 4 s (capped at 4 s); a
// connection that worked resets the backoff.
func TestReconnectBackoff(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	fs.reject.Store(4)
	clock := newFakeClock()
	cfg := agentConfig(fs)
	cfg.Clock, cfg.Rand = clock, halfReader{}
	cfg.Backoff = agent.Backoff{Initial: time.Second, Max: 4 * time.Second, Multiplier: 2, Jitter: 0.5}
	startAgent(t, cfg)
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		if got := nextWait(t, clock); got != want {
			t.Fatalf("backoff %v, want %v", got, want)
		}
		clock.Advance(want)
	}
	p := fs.nextControl(t)
	p.conn.CloseNow()
	if got := nextWait(t, clock); got != time.Second {
		t.Fatalf("backoff after a working connection %v, want 1s", got)
	}
	clock.Advance(time.Second)
	fs.nextControl(t)
}

// nextWait returns the next backoff the agent waits, skipping the
// heartbeat timers.
func nextWait(t *testing.T, c *fakeClock) time.Duration {
	t.Helper()
	for {
		select {
		case d := <-c.timers:
			if d < 30*time.Second {
				return d
			}
		case <-time.After(waitTimeout):
			t.Fatal("the agent waits for nothing")
			return 0
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := agent.Backoff{Initial: time.Second, Max: time.Minute, Multiplier: 2, Jitter: 0.5}
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{0, 0.5, time.Second},
		{0, 0, 500 * time.Millisecond},
		{0, 0.999999, 1499999 * time.Microsecond},
		{3, 0.5, 8 * time.Second},
		{10, 0.5, time.Minute},
		{10, 0.99, time.Minute}, // jitter never passes Max
		{10, 0, 30 * time.Second},
		{-1, 0.5, time.Second},
	}
	for _, tt := range tests {
		got := b.Delay(tt.attempt, tt.r)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
		}
	}
}

// TestCredentialsRotation: the agent stores the new token (0600) before
// it confirms, and connects with it next time.
func TestCredentialsRotation(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	dir := filepath.Join(t.TempDir(), "state")
	cfg := agentConfig(fs)
	if err := agent.SaveCredentials(dir, cfg.Credentials); err != nil {
		t.Fatal(err)
	}
	cfg.SaveCredentials = func(c agent.Credentials) error { return agent.SaveCredentials(dir, c) }
	startAgent(t, cfg)
	p := fs.nextControl(t)
	p.send(t, &protocol.ControlMessage{Type: protocol.ControlRotateCredentials, Token: "node-token-2"})
	p.expect(t, protocol.ControlCredentialsRotated)
	c, err := agent.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "node-token-2" || c.PreviousToken != "node-token" {
		t.Errorf("stored tokens %q (previous %q)", c.Token, c.PreviousToken)
	}
	checkMode(t, filepath.Join(dir, "credentials.json"), 0o600)
	checkMode(t, dir, 0o700|os.ModeDir)

	// The server swaps the tokens; the next connection uses the new one.
	fs.mu.Lock()
	fs.tokens = map[string]bool{"node-token-2": true}
	fs.mu.Unlock()
	p.conn.CloseNow()
	if p = fs.nextControl(t); p.auth != "Bearer node-token-2" {
		t.Errorf("reconnected with %q", p.auth)
	}
	if c, _ := agent.LoadCredentials(dir); c.PreviousToken != "" {
		t.Errorf("previous token kept after the new one worked")
	}
}

// TestRotationNotConfirmed: when the server never swapped to the new
// token, the agent falls back to the previous one and keeps it.
func TestRotationNotConfirmed(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	dir := t.TempDir()
	cfg := agentConfig(fs)
	cfg.SaveCredentials = func(c agent.Credentials) error { return agent.SaveCredentials(dir, c) }
	startAgent(t, cfg)
	p := fs.nextControl(t)
	p.send(t, &protocol.ControlMessage{Type: protocol.ControlRotateCredentials, Token: "node-token-2"})
	p.expect(t, protocol.ControlCredentialsRotated)
	p.conn.CloseNow()
	if p = fs.nextControl(t); p.auth != "Bearer node-token" {
		t.Errorf("reconnected with %q", p.auth)
	}
	if c, _ := agent.LoadCredentials(dir); c.Token != "node-token" || c.PreviousToken != "" {
		t.Errorf("stored %+v, want the previous token back", c)
	}
}

func TestRotationNotSaved(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	cfg := agentConfig(fs)
	cfg.SaveCredentials = func(agent.Credentials) error { return os.ErrPermission }
	startAgent(t, cfg)
	p := fs.nextControl(t)
	p.send(t, &protocol.ControlMessage{Type: protocol.ControlRotateCredentials, Token: "node-token-2"})
	if m := p.expect(t, protocol.ControlError); m.Reason == "" {
		t.Error("error without a reason")
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
	}
}
