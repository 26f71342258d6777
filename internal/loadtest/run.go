package loadtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"path/filepath"
	"runtime"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/server"
)

// The server's account and region.
const (
	account = "123456789012"
	region  = "us-east-1"
)

// Run seeds a fresh store, serves it with a real Server on a loopback
// port, and measures it: the warm-up, the /healthz baseline, the API
// phase, then the engine alone on the API phase's StartSession calls. It
// returns an error when the run could not be carried out; what went wrong
// with requests is in the report (Report.Problems).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.checkAndSetDefaults(); err != nil {
		return nil, err
	}
	keys := make([]byte, 64)
	rand.Read(keys)
	be, err := openBackend(ctx, cfg.Store, keys[:32])
	if err != nil {
		return nil, err
	}
	defer be.cleanup()

	f := newFleet(cfg.Nodes, cfg.Users, mrand.New(mrand.NewChaCha8(seedBytes(cfg.Seed))))
	fmt.Fprintf(cfg.Progress, "seed: %s, %d nodes, %d users\n", be.name, cfg.Nodes, cfg.Users)
	seedStart := time.Now()
	if err := seed(ctx, be, f, be.seedWorkers, cfg.Progress); err != nil {
		return nil, err
	}
	if be.analyze != nil {
		fmt.Fprintf(cfg.Progress, "seed: analyze the tables\n")
		if err := be.analyze(ctx); err != nil {
			return nil, err
		}
	}
	rep := &Report{Store: be.name, Nodes: cfg.Nodes, Users: cfg.Users, Rate: cfg.Rate,
		DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(),
		Seed: cfg.Seed, SeedS: time.Since(seedStart).Seconds(), CPUs: runtime.GOMAXPROCS(0)}

	alog, err := audit.New(audit.Config{Path: filepath.Join(be.dir, "audit", "audit.log"), Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer alog.Close()
	srv, err := server.New(server.Config{Store: be, Audit: alog, Account: account, Region: region,
		TokenKey: keys[32:], Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if _, err := srv.Bootstrap(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}

	// The server is the run's goroutine: stopped and waited for before
	// Run returns, after the agents.
	serveCtx, stopServe := context.WithCancel(ctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(serveCtx, ln, nil, nil) }()
	phases, err := runAgentsAndPhases(ctx, cfg, ln.Addr().String(), f, rep)
	stopServe()
	serr := <-serveErr
	if err != nil {
		return nil, err
	}
	phases.fill(rep) // it lists the problems, the agents' included
	if serr != nil && !errors.Is(serr, context.Canceled) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("server shutdown: %v", serr))
	}
	return rep, nil
}

// runAgentsAndPhases connects the agents, runs the phases with the
// agents heartbeating, and closes the agents.
func runAgentsAndPhases(ctx context.Context, cfg Config, addr string, f *fleet, rep *Report) (*phases, error) {
	// Both ends of every connection are open files of this process; keep
	// room for the generator's connections and the store's files.
	const reserve = 4*maxConns + 4096
	n := cfg.Agents
	if limit := raiseOpenFiles(2*n + reserve); 2*n+reserve > limit {
		n = max(0, (limit-reserve)/2)
		fmt.Fprintf(cfg.Progress, "agents: the open-file limit (%d) allows %d agents of %d\n", limit, n, cfg.Agents)
	}
	a, err := connectAgents(ctx, "ws://"+addr, f, n, 32, cfg.Progress)
	if err != nil {
		return nil, err
	}
	beatCtx, stopBeats := context.WithCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.heartbeat(beatCtx)
	}()
	ph, err := runPhases(ctx, cfg, "http://"+addr, f, n)
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

func runPhases(ctx context.Context, cfg Config, base string, f *fleet, agents int) (*phases, error) {
	gen := newGenerator(base, region, f)
	defer gen.close()
	plan := &planner{f: f, mix: cfg.Mix, rnd: mrand.New(mrand.NewPCG(cfg.Seed, 0x5e5a)), agents: agents}
	var out phases
	if cfg.Warmup > 0 {
		fmt.Fprintf(cfg.Progress, "warm-up: API at %g req/s for %v\n", cfg.Rate, cfg.Warmup)
		gen.run(ctx, cfg.Rate, cfg.Warmup, plan.next)
	}
	fmt.Fprintf(cfg.Progress, "baseline: GET /healthz at %g req/s for %v\n", cfg.Rate, cfg.Duration)
	out.healthz = gen.run(ctx, cfg.Rate, cfg.Duration, func() request { return request{op: opHealthz, allow: true} })
	fmt.Fprintf(cfg.Progress, "measure: API at %g req/s for %v\n", cfg.Rate, cfg.Duration)
	stopProfile := func() {}
	if cfg.Profile != nil {
		stopProfile = cfg.Profile()
	}
	out.api = gen.run(ctx, cfg.Rate, cfg.Duration, plan.next)
	stopProfile()
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
