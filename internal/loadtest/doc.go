// Package loadtest is sesame's control-plane benchmark, run by `sesame
// bench api`: StartSession authorization and API latency at a fixed
// request rate, against a real server, with the baselines to read it by.
//
// # A run
//
//	seed ──▶ serve ──▶ agents ──▶ warm-up ──▶ GET /healthz ──▶ API mix ──▶ engine alone
//	store    loopback  control    (API mix,   same rate,       same rate,  PolicySet.Authorize
//	direct   plain     channels,  unmeasured) measured        measured    on the API phase's
//	         HTTP      heartbeats ─────────────────────────────────────▶  StartSession calls
//
// Run seeds a fresh store (SQLite in a temporary directory, or a new
// schema of a PostgreSQL database, dropped at the end) through the
// store's own methods: Config.Nodes nodes registered with one activation,
// Online with a fresh ping and tagged Env=Dev/Prod alternately and
// Team=team-0..9; Config.Users users, each tagged with a team, with an
// access key and the seed scenarios' policies (fleet.go): an inline
// policy that allows StartSession on nodes whose Env is the user's (some
// users also need the node's Team to be theirs, through
// ${aws:PrincipalTag/Team}), the session document in a statement of its
// own, and Terminate/Resume on session/${aws:username}-*; a managed
// read-only policy; for one user in four, a permissions boundary that
// denies sessions on Prod nodes; one in ten may not start sessions, one
// in twenty may not even read. A random user on a random node is thus
// allowed, implicitly denied or explicitly denied, and every expected
// decision is known without the engine, so the answers are checked, not
// only timed.
//
// It then starts a server.Server (with its audit log, on disk) on a
// loopback port, connects the agents, and drives the server from the
// same process.
//
// # Measuring
//
// The generator is open-loop: request i of a phase is due at start +
// i/rate, sent on a goroutine of its own over kept-alive connections,
// SigV4-signed with its user's key when sent, and its latency runs from
// the due time to the end of the response body. A server that stalls is
// thus charged for every request that waited behind the stall: no
// coordinated omission. How late the generator itself sent requests is
// reported as send lag: the generator shares the machine's CPUs with the
// server.
//
// Latencies go into a Histogram: log-linear buckets with a relative
// error under 1/128, whose quantiles are by nearest rank and never
// understate.
//
// # Baselines
//
// The machines are noisy, so figures are read as ratios to baselines
// measured in the same run: the same generator at the same rate against
// GET /healthz (HTTP, loopback and the generator; no signing, store or
// policy), and the engine alone deciding the API phase's StartSession
// calls in-process with the policies compiled once, as the server caches
// them. The report also gives the process's CPU time per request in the
// /healthz and API phases, and the machine's load average, which say
// how much of the machine the run had.
//
// # Agents
//
// StartSession sends the session to the target's agent on its control
// channel, so each node gets a simulated agent (agent.go): a control
// channel that says hello and heartbeats every 30 s, the heartbeats
// spread evenly, as a fleet's are (Nodes/30 pings written a second). It
// opens no data channel, so its sessions stay Connecting. Both ends of
// each channel are open files of this process: where the open-file limit
// is too low for all of them (20,000 allows about 7,000), the first nodes
// get agents and StartSession on the others is expected to answer
// TargetNotConnected, after the same authorization.
package loadtest
