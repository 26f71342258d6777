package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
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
at a fixed request rate, against a real server on a loopback port.

It seeds a fresh store (SQLite in a temporary directory, or a new schema in the
PostgreSQL database --store names, dropped at the end) with --nodes nodes,
tagged Env=Dev/Prod and Team=team-0..9, and --users users with
access keys and the policies of the seed scenarios: StartSession on nodes with
a tag condition (some limited to their own team through aws:PrincipalTag), the
session document, Terminate/Resume on their own sessions, some with a
permissions boundary that denies Prod nodes, some without access. It then
starts a sesame server in-process (plain HTTP, audit log on), connects a
simulated agent for each node (--agents: the control channel StartSession
sends sessions on; each heartbeats every 30s, spread evenly, so the store
records nodes/30 pings a second). Both ends of each agent's connection are
open files of this process: under a low open-file limit fewer nodes get one,
and StartSession on the others answers TargetNotConnected, which then counts
as expected. It drives the server open-loop: requests are due at a fixed rate whatever the server does, signed
with SigV4 and sent over kept-alive TCP connections, and each one's latency
runs from its due time, so a stall is charged to every request that waited
behind it (no coordinated omission).

The phases:
  warm-up    the API mix for --warmup, not measured
  baseline   GET /healthz at the same rate for --duration: HTTP and loopback
  measure    the API mix for --duration: StartSession (random user and node,
             so allowed and denied), GetConnectionStatus and
             DescribeInstanceInformation (pages of 10)
  baseline   the policy engine alone (PolicySet.Authorize) on the same
             StartSession calls, in-process

It reports p50, p90, p99, p99.9 and max per operation and overall, the
achieved rate, allowed and denied answers against what the policies imply,
errors by AWS code, and each latency as a ratio to the baselines measured in
the same run: machines are noisy, so compare ratios across runs, not
milliseconds. The aim (issue 3) is an overall p99 under 5 ms at 1,000
requests a second with 10,000 nodes and 1,000 users.

The load generator runs in the same process as the server and shares its
CPUs; its own lateness is reported as send lag.

Exit status 1 when requests went unanswered, answers contradicted the
policies or calls failed; missing the aim is reported, not an error.`,
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
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured API phase (server and generator) to `FILE`")
	f.StringVar(&o.memProfile, "memprofile", "", "write a heap profile taken at the end of the measured API phase to `FILE`")
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
	var profErr error
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pf.Close()
		cfg.Profile = func() func() {
			if err := pprof.StartCPUProfile(pf); err != nil {
				profErr = fmt.Errorf("cpu profile: %w", err)
				return func() {}
			}
			return pprof.StopCPUProfile
		}
	}
	if o.memProfile != "" {
		pf, err := os.Create(o.memProfile)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		defer pf.Close()
		cpu := cfg.Profile
		cfg.Profile = func() func() {
			stop := func() {}
			if cpu != nil {
				stop = cpu()
			}
			return func() {
				stop()
				runtime.GC() // the profile shows the live heap as of the last collection
				if err := pprof.Lookup("heap").WriteTo(pf, 0); err != nil && profErr == nil {
					profErr = fmt.Errorf("heap profile: %w", err)
				}
			}
		}
	}
	rep, err := loadtest.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	if profErr != nil {
		return profErr
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
