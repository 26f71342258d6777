package agent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/agent/shell"
	"github.com/sesame-sh/sesame/internal/protocol"
)

// Config configures an Agent. Credentials are required.
type Config struct {
	// Credentials identify the node to the server.
	Credentials Credentials
	// SaveCredentials keeps rotated credentials; the agent confirms a
	// rotation only after it returns nil. Nil keeps them in memory.
	SaveCredentials func(Credentials) error
	// Info is what the agent reports about its host in its hello:
	// HostInfo by default.
	Info *protocol.NodeInfo
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Clock and Rand drive timers, backoff jitter and ids: the system
	// clock and crypto/rand by default.
	Clock Clock
	Rand  io.Reader
	// Backoff spaces the control channel's reconnections.
	Backoff Backoff
	// Users decides which account sessions run as: the system's by default.
	Users *shell.Users
	// StopTimeout is how long Run gives sessions to end once its context
	// is done before it stops waiting for them politely: 10 s by default.
	StopTimeout time.Duration
}

func (c *Config) checkAndSetDefaults() error {
	if err := c.Credentials.Check(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Backoff == (Backoff{}) {
		c.Backoff = controlBackoff
	}
	if c.Users == nil {
		c.Users = &shell.Users{}
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = 10 * time.Second
	}
	return nil
}

// Agent is sesame-agent's node side: it keeps a control channel open to
// the server and runs the sessions the server starts.
type Agent struct {
	cfg  Config
	log  *slog.Logger
	info protocol.NodeInfo
	dial func(ctx context.Context, url string, header http.Header) (*websocket.Conn, *http.Response, error)

	sessions sync.WaitGroup // running sessions

	mu       sync.Mutex // protects the following
	creds    Credentials
	ctrl     *controlConn // the open control channel; nil while down
	live     map[string]*session
	waiters  map[string]chan tokenReply // session_token requests by session id
	base     context.Context            // sessions' parent, set by Run
	running  bool
	stopping bool
}

// tokenReply is the server's answer to a session_token request.
type tokenReply struct {
	token string
	err   error
}

// New returns an Agent for cfg.
func New(cfg Config) (*Agent, error) {
	if err := cfg.checkAndSetDefaults(); err != nil {
		return nil, err
	}
	dial, err := dialer(cfg.Credentials)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	a := &Agent{cfg: cfg, log: cfg.Logger, dial: dial, creds: cfg.Credentials,
		live: make(map[string]*session), waiters: make(map[string]chan tokenReply)}
	if cfg.Info != nil {
		a.info = *cfg.Info
	} else {
		a.info = HostInfo(context.Background(), cfg.Credentials.Endpoint)
	}
	a.info.AgentVersion = Version
	return a, nil
}

// Run keeps the control channel open and serves the server's requests
// until ctx is done; it reconnects, backing off, whenever the channel
// drops. Then it tells running sessions that the agent is stopping,
// waits for them (StopTimeout), closes the control channel and returns
// nil. Run may be called once.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running {
		a.mu.Unlock()
		return errors.New("agent: Run called twice")
	}
	a.running = true
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	a.base = base
	a.mu.Unlock()

	for attempt := 0; ; attempt++ {
		cc, err := a.dialControl(ctx)
		if err == nil {
			var connected bool
			connected, err = a.serveControl(ctx, cc)
			if ctx.Err() != nil {
				a.stop(cc)
				return nil
			}
			cc.close(websocket.StatusNormalClosure, "reconnecting")
			if connected {
				attempt = 0
			}
		}
		if ctx.Err() != nil {
			a.stop(nil)
			return nil
		}
		d := a.cfg.Backoff.Delay(attempt, randFloat(a.cfg.Rand))
		a.log.Warn("control channel down; reconnecting", "err", err, "in", d.Round(time.Millisecond))
		if sleep(ctx, a.cfg.Clock, d) != nil {
			a.stop(nil)
			return nil
		}
	}
}

// stop ends the agent: no new sessions, running ones told and waited
// for, then the control channel closed.
func (a *Agent) stop(cc *controlConn) {
	a.mu.Lock()
	a.stopping = true
	live := make([]*session, 0, len(a.live))
	for _, s := range a.live {
		live = append(live, s)
	}
	a.mu.Unlock()
	for _, s := range live {
		s.cancel(errAgentStopping)
	}
	done := make(chan struct{})
	go func() {
		a.sessions.Wait()
		close(done)
	}()
	t := a.cfg.Clock.NewTimer(a.cfg.StopTimeout)
	select {
	case <-done:
	case <-t.C():
		a.log.Warn("sessions did not end in time; waiting for them to be killed", "sessions", len(live))
		<-done
	}
	t.Stop()
	if cc != nil {
		cc.close(websocket.StatusGoingAway, "agent stopping")
	}
	a.log.Info("agent stopped")
}

// credentials returns the current credentials.
func (a *Agent) credentials() Credentials {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.creds
}

// startSession starts the session the server asked for.
func (a *Agent) startSession(ss *protocol.SessionStart) {
	log := a.log.With("session_id", ss.SessionID)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopping {
		log.Warn("session refused: the agent is stopping")
		return
	}
	if _, dup := a.live[ss.SessionID]; dup {
		log.Warn("start_session for a running session ignored")
		return
	}
	ctx, cancel := context.WithCancelCause(a.base)
	s := &session{a: a, start: *ss, log: log, cancel: cancel, client: make(chan struct{})}
	a.live[ss.SessionID] = s
	a.sessions.Add(1)
	go func() {
		defer a.sessions.Done()
		s.run(ctx)
		cancel(nil)
		a.mu.Lock()
		delete(a.live, ss.SessionID)
		a.mu.Unlock()
	}()
}

// terminate ends a session at the server's request.
func (a *Agent) terminate(id, reason string) {
	a.mu.Lock()
	s := a.live[id]
	a.mu.Unlock()
	if s == nil {
		a.log.Info("terminate_session for no running session", "session_id", id)
		return
	}
	s.cancel(&endedError{reason: reason, by: "server"})
}

// sessionToken asks the server for a fresh data-channel token.
func (a *Agent) sessionToken(ctx context.Context, id string) (string, error) {
	ch := make(chan tokenReply, 1)
	a.mu.Lock()
	a.waiters[id] = ch
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if a.waiters[id] == ch {
			delete(a.waiters, id)
		}
		a.mu.Unlock()
	}()
	if err := a.sendControl(ctx, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: id}); err != nil {
		return "", err
	}
	t := a.cfg.Clock.NewTimer(tokenTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.token, r.err
	case <-t.C():
		return "", errors.New("the server did not answer the session_token request")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// tokenTimeout bounds the wait for a session_token answer.
const tokenTimeout = 15 * time.Second

// deliverToken hands the server's answer to a session_token request to
// the session that asked: a token, or why there is none.
func (a *Agent) deliverToken(id string, r tokenReply) {
	a.mu.Lock()
	ch := a.waiters[id]
	delete(a.waiters, id)
	a.mu.Unlock()
	if ch == nil {
		if r.err == nil {
			a.log.Debug("session_token answer nobody waits for", "session_id", id)
		}
		return
	}
	if r.err == nil && r.token == "" {
		r.err = errors.New("the server answered session_token without a token")
	}
	ch <- r
}
