package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/loadtest"
)

func newBenchCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure sesame's performance",
	}
	c.AddCommand(newBenchAPICmd())
	return c
}

// benchAPIOptions are sesame bench api's flags.
type benchAPIOptions struct {
	store      string
	nodes      int
	users      int
	rate       float64
	duration   time.Duration
	warmup     time.Duration
	agents     int
	seed       uint64
	format     string
	cpuProfile string
	memProfile string
}

func newBenchAPICmd() *cobra.Command {
	var o benchAPIOptions
	c := &cobra.Command{
		Use:   "api",
		Short: "Measure the control plane's latency at a fixed request rate",
		Long: `api measures the control plane's StartSession authorization and API latency
at a fixed request rate, against a real server in a process of its own on a
loopback port.

It seeds a fresh store (SQLite in a temporary data directory, or a new schema
in the PostgreSQL database --store names, dropped at the end) with --nodes
nodes, tagged Env=Dev/Prod and Team=team-0..9, and --users users with access
keys and the policies of the seed scenarios: StartSession on nodes with a tag
condition (some limited to their own team through aws:PrincipalTag), the
session document, Terminate/Resume on their own sessions, some with a
permissions boundary that denies Prod nodes, some without access.

It then closes the store and starts this sesame executable as the server on
that data directory, as a deployment runs it:
  sesame server --data-dir DIR --listen 127.0.0.1:0 --http [--store URL]
(the server's output goes to DIR/server.log, whose last lines are shown if it
fails; it finds the seeded users, so it creates no administrator). This
process connects a simulated agent for each node (--agents: the control
channel StartSession sends sessions on; each heartbeats every 30s, spread
evenly, so the store records nodes/30 pings a second): each agent's
connection is an open file of this process, so under a low open-file limit
fewer nodes get one, and StartSession on the others answers
TargetNotConnected, which then counts as expected. It drives the server
open-loop: requests are due at a fixed rate whatever the server does, signed
with SigV4 and sent over kept-alive TCP connections, and each one's latency
runs from its due time, so a stall is charged to every request that waited
behind it (no coordinated omission). At the end it stops the server with
SIGTERM and waits for its graceful shutdown.

The phases:
  warm-up    not measured: GetConnectionStatus on each node by each user once
             at the same rate (a server that has been up a while has read
             them all), then the API mix for --warmup; --warmup 0 skips both
  baseline   GET /healthz at the same rate for --duration: HTTP and loopback
  measure    the API mix for --duration: StartSession (random user and node,
             so allowed and denied), GetConnectionStatus and
             DescribeInstanceInformation (pages of 10)
  baseline   the policy engine alone (PolicySet.Authorize) on the same
             StartSession calls, in this process

It reports p50, p90, p99, p99.9 and max per operation and overall, the
achieved rate, allowed and denied answers against what the policies imply,
errors by AWS code, and each latency as a ratio to the baselines measured in
the same run: machines are noisy, so compare ratios across runs, not
milliseconds. The aim (issue 3) is an overall p99 under 5 ms at 1,000
requests a second with 10,000 nodes and 1,000 users.

The server has its own heap and garbage collector, but the load generator and
the agents share the machine's CPUs with it: the report gives the generator's
own lateness (send lag) and each process's CPU time per request (the server's
includes SQLite's work, not PostgreSQL's), next to the machine's load average.

--cpuprofile and --memprofile profile the server process, not this one: they
start it with --debug-listen on a loopback port and fetch its CPU profile over
the measured API phase and its heap profile (after a collection) at the end of
that phase (go tool pprof reads them).

Exit status 1 when requests went unanswered, answers contradicted the
policies, calls failed or the server did not shut down cleanly; missing the
aim is reported, not an error.`,
		Example: `  sesame bench api
  sesame bench api --store "$SESAME_TEST_POSTGRES_URL"
  sesame bench api --nodes 1000 --users 100 --rate 500 --duration 5s --format json
  sesame bench api --cpuprofile api.pprof && go tool pprof -top api.pprof`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchAPI(cmd, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.store, "store", "sqlite", "`STORE`: sqlite (a temporary database) or a postgres:// URL (a new schema, dropped at the end)")
	f.IntVar(&o.nodes, "nodes", loadtest.DefaultNodes, "registered nodes (`N`)")
	f.IntVar(&o.users, "users", loadtest.DefaultUsers, "IAM users (`N`), each with an access key and policies")
	f.Float64Var(&o.rate, "rate", loadtest.DefaultRate, "requests a second (`R`) in every phase")
	f.DurationVar(&o.duration, "duration", loadtest.DefaultDuration, "length of each measured phase")
	f.DurationVar(&o.warmup, "warmup", loadtest.DefaultWarmup, "length of the unmeasured warm-up (0 for none)")
	f.IntVar(&o.agents, "agents", -1, "nodes (`N`) with an agent on the control channel, which StartSession needs (default: all)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the secrets and the request sequence")
	f.StringVar(&o.format, "format", "text", "output `format`: text or json")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write the server process's CPU profile over the measured API phase to `FILE`")
	f.StringVar(&o.memProfile, "memprofile", "", "write the server process's heap profile, taken at the end of the measured API phase, to `FILE`")
	return c
}

func runBenchAPI(cmd *cobra.Command, o benchAPIOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageError("--format must be text or json")
	}
	switch {
	case o.nodes < 1 || o.users < 1:
		return usageError("--nodes and --users must be at least 1")
	case o.rate <= 0:
		return usageError("--rate must be positive")
	case o.duration <= 0:
		return usageError("--duration must be positive")
	case o.warmup < 0:
		return usageError("--warmup must not be negative")
	}
	cfg := loadtest.Config{Store: o.store, Nodes: o.nodes, Users: o.users, Rate: o.rate,
		Duration: o.duration, Warmup: o.warmup, Seed: o.seed, Progress: cmd.ErrOrStderr()}
	switch {
	case o.agents < 0:
		cfg.Agents = 0 // all
	case o.agents == 0:
		cfg.Agents = -1 // none
	default:
		cfg.Agents = o.agents
	}
	if o.warmup == 0 {
		cfg.Warmup = -1
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the sesame executable to start the server with: %w", err)
	}
	cfg.Executable = exe
	for _, p := range []struct {
		name string
		path string
		dst  *io.Writer
	}{{"cpu profile", o.cpuProfile, &cfg.CPUProfile}, {"heap profile", o.memProfile, &cfg.MemProfile}} {
		if p.path == "" {
			continue
		}
		pf, err := os.Create(p.path)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		defer pf.Close()
		*p.dst = pf
	}
	rep, err := loadtest.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.format == "json" {
		err = rep.WriteJSON(out)
	} else {
		err = rep.WriteText(out)
	}
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return &exitError{code: 1}
	}
	return nil
}
