package loadtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// generator sends requests open-loop: request i of a phase is due at
// start + i/rate whatever happened to the ones before it, each on a
// goroutine of its own, and its latency runs from that due time, not
// from when it was sent, so a server that stalls is charged for the
// requests that waited behind the stall (no coordinated omission).
type generator struct {
	base   string // http://127.0.0.1:PORT
	region string
	f      *fleet
	client *http.Client
	// serverCPU returns the CPU time the server process has used.
	serverCPU func() time.Duration
}

// maxConns bounds the generator's connections, which are open files of
// this process and of the server's, like the agents'.
const maxConns = 512

func newGenerator(base, region string, f *fleet, serverCPU func() time.Duration) *generator {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns, // keep-alive: reuse connections
		MaxConnsPerHost:     maxConns, // more wait for one, their latency running
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &generator{base: base, region: region, f: f, client: &http.Client{Transport: t, Timeout: 30 * time.Second},
		serverCPU: serverCPU}
}

func (g *generator) close() { g.client.CloseIdleConnections() }

// opStats is what a phase measured for one operation.
type opStats struct {
	latency      Histogram // from the due time
	service      Histogram // from the send time
	requests     int       // sent
	answered     int       // got an HTTP response
	allowed      int       // 200, or TargetNotConnected where expected
	denied       int       // AccessDeniedException
	notConnected int       // allowed, but the node has no agent: TargetNotConnected
	wantAllowed  int
	wantDenied   int
	mismatched   int            // allowed but expected denied, or the reverse
	errors       map[string]int // other answers, by code
	lastAnswer   time.Time
	sendLag      Histogram // sent minus due: the generator's own lateness
	lastMismatch string
}

// phaseStats is what a phase measured, by operation.
type phaseStats struct {
	mu      sync.Mutex // protects ops
	ops     [numOps]*opStats
	start   time.Time
	elapsed time.Duration // from the first due time to the last answer
	cpu     time.Duration // CPU time this process used during the phase
	// serverCPU is the CPU time the server's process used.
	serverCPU time.Duration
	load      float64 // the machine's load average when it started
	// starts are the StartSession requests sent, for the engine baseline.
	starts []request
}

func (p *phaseStats) op(o op) *opStats {
	if p.ops[o] == nil {
		p.ops[o] = &opStats{errors: map[string]int{}}
	}
	return p.ops[o]
}

// run runs one phase: n requests at rate, drawn by next, and waits for
// all of them to be answered (or to fail).
func (g *generator) run(ctx context.Context, rate float64, d time.Duration, next func() request) *phaseStats {
	n := int(rate * d.Seconds())
	ps := &phaseStats{load: loadAverage()}
	cpu0, server0 := cpuTime(), g.serverCPU()
	var wg sync.WaitGroup
	start := time.Now().Add(time.Millisecond)
	ps.start = start
	interval := float64(time.Second) / rate
	for i := 0; i < n && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(float64(i) * interval))
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		r := next()
		if r.op == opStartSession {
			ps.starts = append(ps.starts, r)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.send(ctx, ps, &r, due)
		}()
	}
	wg.Wait()
	ps.cpu, ps.serverCPU = cpuTime()-cpu0, g.serverCPU()-server0
	for _, s := range ps.ops {
		if s != nil && s.lastAnswer.Sub(start) > ps.elapsed {
			ps.elapsed = s.lastAnswer.Sub(start)
		}
	}
	return ps
}

// send sends r, due at due, and records its outcome and latency.
func (g *generator) send(ctx context.Context, ps *phaseStats, r *request, due time.Time) {
	sent := time.Now()
	code := outcomeTransport
	req, err := r.httpRequest(g.base, g.region, g.f, sent)
	if err == nil {
		var resp *http.Response
		resp, err = g.client.Do(req.WithContext(ctx))
		if err == nil {
			code = outcome(resp)
		}
	}
	done := time.Now()
	if errors.Is(err, context.Canceled) {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	s := ps.op(r.op)
	s.requests++
	s.sendLag.Record(sent.Sub(due))
	if r.allow {
		s.wantAllowed++
	} else {
		s.wantDenied++
	}
	if code == outcomeTransport {
		s.errors[code]++
		return
	}
	s.answered++
	s.latency.Record(done.Sub(due))
	s.service.Record(done.Sub(sent))
	if done.After(s.lastAnswer) {
		s.lastAnswer = done
	}
	switch {
	case code == outcomeOK:
		s.allowed++
		if !r.allow && r.op != opHealthz {
			s.mismatched++
			s.lastMismatch = describe(g.f, r, "allowed")
		}
	case code == accessDenied:
		s.denied++
		if r.allow {
			s.mismatched++
			s.lastMismatch = describe(g.f, r, "denied")
		}
	case code == notConnected && r.op == opStartSession && !r.agent:
		// Authorized, then refused for want of an agent: as expected.
		s.allowed++
		s.notConnected++
		if !r.allow {
			s.mismatched++
			s.lastMismatch = describe(g.f, r, "allowed")
		}
	default:
		s.errors[code]++
	}
}

func describe(f *fleet, r *request, got string) string {
	return r.op.String() + " by " + f.users[r.user].name + " on " + f.nodes[r.node].id + " was " + got
}
