// Package loadtest is sesame's control-plane benchmark, run by `sesame
// bench api`: StartSession authorization and API latency at a fixed
// request rate, against a real server in a process of its own, with the
// baselines to read it by.
//
// # A run
//
//	seed ──▶ serve ──▶ agents ──▶ warm-up ──────▶ GET /healthz ──▶ API mix ──▶ engine alone
//	store    child     control    each node and  same rate,       same rate,  PolicySet.Authorize
//	direct   process,  channels,  user once,     measured        measured    on the API phase's
//	         plain     heartbeats ─then API mix;─────────────────────────▶  StartSession calls
//	         HTTP                 unmeasured                                 (this process)
//
// The warm-up first calls GetConnectionStatus on every node, each by a
// user in turn, so that every node and user has been read once, as on a
// server that has been up a while (its caches hold them until something
// changes them); then it runs the API mix for Config.Warmup.
//
// Run seeds a fresh store in a temporary data directory laid out as
// `sesame server` keeps one (DIR/server.key: 64 random bytes, the first
// 32 sealing secrets at rest, the last 32 STS tokens; SQLite at
// DIR/sesame.db, or a new schema of a PostgreSQL database, dropped at the
// end), through the store's own methods: Config.Nodes nodes registered
// with one activation, Online with a fresh ping and tagged Env=Dev/Prod
// alternately and Team=team-0..9; Config.Users users, each tagged with a
// team, with an access key and the seed scenarios' policies (fleet.go):
// an inline policy that allows StartSession on nodes whose Env is the
// user's (some users also need the node's Team to be theirs, through
// ${aws:PrincipalTag/Team}), the session document in a statement of its
// own, and Terminate/Resume on session/${aws:username}-*; a managed
// read-only policy; for one user in four, a permissions boundary that
// denies sessions on Prod nodes; one in ten may not start sessions, one
// in twenty may not even read. A random user on a random node is thus
// allowed, implicitly denied or explicitly denied, and every expected
// decision is known without the engine, so the answers are checked, not
// only timed.
//
// It then closes the store (SQLite has one writer) and starts the server
// as a deployment runs it, alone in its process (server.go):
//
//	Config.Executable server --data-dir DIR --listen 127.0.0.1:0 --http [--store URL]
//
// It learns the server's URL from the line the server prints on stdout
// (sesame: listening on URL) and waits for GET /healthz. The server's
// stdout and stderr go to DIR/server.log, whose last lines the error
// shows when the server fails to start, exits during the run or fails
// to shut down. Its first-start bootstrap finds the seeded users, so it
// creates no administrator and writes no DIR/aws: the run needs none.
// This process then connects the agents and drives the server; at the
// end it stops the server with SIGTERM and waits for its graceful
// shutdown (it is killed if that takes more than 20 s).
//
// The server thus has its own heap, garbage collector and open-file
// limit: the agents' and the generator's buffers, goroutines and
// allocations are this process's and do not make the server collect
// garbage. The two processes do share the machine's CPUs.
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
// server process.
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
// them. The report also gives, for the /healthz and API phases, the CPU
// time per request of the server's process (from /proc/PID/stat, with
// SQLite's work; PostgreSQL's is its own) and of this one (the generator
// and the agents), and the machine's load average, which say how much
// of the machine the run had.
//
// With Config.CPUProfile or Config.MemProfile the server starts with
// --debug-listen on a loopback port, and Run fetches the server's CPU
// profile over the API phase (/debug/pprof/profile, for the phase's
// duration rounded up to the second) and its heap profile at the end of
// it (/debug/pprof/heap?gc=1).
//
// # Agents
//
// StartSession sends the session to the target's agent on its control
// channel, so each node gets a simulated agent (agent.go): a control
// channel that says hello and heartbeats every 30 s, the heartbeats
// spread evenly, as a fleet's are (Nodes/30 pings written a second). It
// opens no data channel, so its sessions stay Connecting. Each channel is
// an open file of this process and one of the server's (whose Go runtime
// raises its soft limit to the hard one, as it does this process's):
// where the limit is too low for all of them (20,000 allows about
// 18,000), the first nodes get agents and StartSession on the others is
// expected to answer TargetNotConnected, after the same authorization.
package loadtest
