package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"time"
)

// The server's account and region.
const (
	account = "123456789012"
	region  = "us-east-1"
)

// Run seeds a fresh store in a data directory of its own, starts
// Config.Executable as the server on it in a process of its own, on a
// loopback port, and measures it: the warm-up, the /healthz baseline,
// the API phase, then the engine alone on the API phase's StartSession
// calls. It returns an error when the run could not be carried out; what
// went wrong with requests is in the report (Report.Problems).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.checkAndSetDefaults(); err != nil {
		return nil, err
	}
	be, err := newBackend(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	defer be.cleanup()

	f := newFleet(cfg.Nodes, cfg.Users, mrand.New(mrand.NewChaCha8(seedBytes(cfg.Seed))))
	fmt.Fprintf(cfg.Progress, "seed: %s, %d nodes, %d users\n", be.name, cfg.Nodes, cfg.Users)
	seedStart := time.Now()
	if err := seedBackend(ctx, be, f, cfg.Progress); err != nil {
		return nil, err
	}
	rep := &Report{Store: be.name, Nodes: cfg.Nodes, Users: cfg.Users, Rate: cfg.Rate,
		DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(),
		Seed: cfg.Seed, SeedS: time.Since(seedStart).Seconds(), CPUs: runtime.GOMAXPROCS(0)}

	profile := cfg.CPUProfile != nil || cfg.MemProfile != nil
	srv, err := startServer(ctx, cfg.Executable, be, profile, cfg.Progress)
	if err != nil {
		return nil, err
	}
	ph, err := runAgentsAndPhases(ctx, cfg, srv, f, rep)
	if dead := srv.alive(); dead != nil {
		// What went wrong is then the server's, whatever the agents or
		// the generator ran into.
		err = errors.Join(err, dead)
	}
	stopErr := srv.stop()
	if err != nil {
		return nil, err
	}
	ph.fill(rep) // it lists the problems, the agents' included
	if stopErr != nil {
		rep.Problems = append(rep.Problems, stopErr.Error())
	}
	return rep, nil
}

// seedBackend writes the fleet into be's store, updates the planner's
// statistics where there is one, and closes the store for the server.
func seedBackend(ctx context.Context, be *backend, f *fleet, progress io.Writer) error {
	st, err := be.open(ctx)
	if err != nil {
		return err
	}
	err = seed(ctx, st, f, be.seedWorkers, progress)
	if err == nil && be.schema != nil {
		fmt.Fprintf(progress, "seed: analyze the tables\n")
		err = be.schema.analyze(ctx)
	}
	return errors.Join(err, st.Close())
}

// runAgentsAndPhases connects the agents, runs the phases with the
// agents heartbeating, and closes the agents.
func runAgentsAndPhases(ctx context.Context, cfg Config, srv *server, f *fleet, rep *Report) (*phases, error) {
	// Each agent's connection is an open file of this process; keep room
	// for the generator's connections and the rest.
	const reserve = maxConns + 1024
	n := cfg.Agents
	if limit := raiseOpenFiles(n + reserve); n+reserve > limit {
		n = max(0, limit-reserve)
		fmt.Fprintf(cfg.Progress, "agents: the open-file limit (%d) allows %d agents of %d\n", limit, n, cfg.Agents)
	}
	ws := "ws" + strings.TrimPrefix(srv.url, "http")
	a, err := connectAgents(ctx, ws, f, n, 32, cfg.Progress)
	if err != nil {
		return nil, err
	}
	beatCtx, stopBeats := context.WithCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.heartbeat(beatCtx)
	}()
	ph, err := runPhases(ctx, cfg, srv, f, n)
	stopBeats()
	a.close()
	rep.Agents, rep.Heartbeats = n, int(a.beats.Load())
	rep.SessionsDispatched, rep.AgentErrors = int(a.starts.Load()), int(a.errs.Load())
	return ph, err
}

// phases is what the measured phases recorded.
type phases struct {
	healthz, api *phaseStats
	engine       *opStats
}

func runPhases(ctx context.Context, cfg Config, srv *server, f *fleet, agents int) (*phases, error) {
	gen := newGenerator(srv.url, region, f, srv.cpuTime)
	defer gen.close()
	plan := &planner{f: f, mix: cfg.Mix, rnd: mrand.New(mrand.NewPCG(cfg.Seed, 0x5e5a)), agents: agents}
	var out phases
	if cfg.Warmup > 0 {
		// A server that has been up a while has read every node and user
		// it serves: touch each once, as its traffic would have, so that
		// the measure is of that server and not of a cold cache.
		n := max(len(f.nodes), len(f.users))
		fmt.Fprintf(cfg.Progress, "warm-up: GetConnectionStatus on each node by each user, %d requests at %g req/s\n", n, cfg.Rate)
		i := 0
		gen.run(ctx, cfg.Rate, time.Duration(float64(n)/cfg.Rate*float64(time.Second)), func() request {
			r := request{op: opGetConnectionStatus, user: i % len(f.users), node: i % len(f.nodes)}
			r.allow = f.users[r.user].allowsRead()
			i++
			return r
		})
		fmt.Fprintf(cfg.Progress, "warm-up: API at %g req/s for %v\n", cfg.Rate, cfg.Warmup)
		gen.run(ctx, cfg.Rate, cfg.Warmup, plan.next)
	}
	fmt.Fprintf(cfg.Progress, "baseline: GET /healthz at %g req/s for %v\n", cfg.Rate, cfg.Duration)
	out.healthz = gen.run(ctx, cfg.Rate, cfg.Duration, func() request { return request{op: opHealthz, allow: true} })
	fmt.Fprintf(cfg.Progress, "measure: API at %g req/s for %v\n", cfg.Rate, cfg.Duration)
	cpuProfile := make(chan error, 1)
	if cfg.CPUProfile != nil {
		// The profile covers the phase's due times, rounded up to the
		// second.
		secs := int(math.Ceil(cfg.Duration.Seconds()))
		go func() {
			cpuProfile <- srv.fetch(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), cfg.CPUProfile)
		}()
	} else {
		cpuProfile <- nil
	}
	out.api = gen.run(ctx, cfg.Rate, cfg.Duration, plan.next)
	var heapErr error
	if cfg.MemProfile != nil {
		heapErr = srv.fetch(ctx, "/debug/pprof/heap?gc=1", cfg.MemProfile)
	}
	if err := <-cpuProfile; err != nil {
		return nil, fmt.Errorf("the server's CPU profile: %w", err)
	}
	if heapErr != nil {
		return nil, fmt.Errorf("the server's heap profile: %w", heapErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Progress, "baseline: the engine alone on %d StartSession calls\n", len(out.api.starts))
	eng, err := newEngine(f, region, account)
	if err != nil {
		return nil, err
	}
	if out.engine, err = eng.measure(out.api.starts); err != nil {
		return nil, err
	}
	return &out, nil
}

// fill puts the phases' figures and ratios into rep.
func (p *phases) fill(rep *Report) {
	rep.Healthz = p.healthz.report(opHealthz.String())
	rep.Engine = opReport("engine", p.engine, 0)
	for o := range opHealthz {
		if s := p.api.ops[o]; s != nil {
			rep.Ops = append(rep.Ops, opReport(o.String(), s, p.api.elapsed))
		}
	}
	rep.Ops = append(rep.Ops, p.api.report("all"))
	for i := range rep.Ops {
		o := &rep.Ops[i]
		o.VsHealthz = ratio(*o, rep.Healthz)
		if o.Name == opStartSession.String() {
			o.VsEngine = ratio(*o, rep.Engine)
			o.VsEngine.FromSendP50, o.VsEngine.FromSendP99 = 0, 0 // the engine has no sending
		}
	}
	all := rep.all()
	rep.AimMet = all.Answered > 0 && all.Latency.P99 < ms(Aim)
	rep.Problems = rep.problems()
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	return b
}
