package loadtest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Defaults: the control plane's aim (issue 3) is a p99 under 5 ms at
// 1,000 requests a second with 10,000 nodes and 1,000 users.
const (
	DefaultNodes    = 10000
	DefaultUsers    = 1000
	DefaultRate     = 1000
	DefaultDuration = 10 * time.Second
	DefaultWarmup   = 3 * time.Second
)

// Aim is the latency the control plane should keep under at the default
// rate: the overall p99.
const Aim = 5 * time.Millisecond

// Config configures Run. Apart from Executable, which it needs, the zero
// value runs the default benchmark on SQLite with no progress output.
type Config struct {
	// Executable is the sesame binary Run starts the server with, as a
	// child process: Executable server --data-dir DIR ... Required.
	Executable string
	// Store is "sqlite" (or empty): a new database in a temporary
	// directory; or a PostgreSQL URL (postgres://...): a new schema in
	// that database, dropped at the end. The URL may set pgxpool's
	// options, such as pool_max_conns.
	Store string
	// Nodes and Users are the fleet's size: DefaultNodes and
	// DefaultUsers when zero.
	Nodes int
	Users int
	// Rate is the request rate, per second, of every phase: DefaultRate
	// when zero.
	Rate float64
	// Duration is the length of each measured phase (the /healthz
	// baseline and the API run); Warmup, of the unmeasured API phase
	// before them. Defaults DefaultDuration and DefaultWarmup; a
	// negative Warmup means none.
	Duration time.Duration
	Warmup   time.Duration
	// Mix is the share of each operation in the API phases: DefaultMix
	// when empty.
	Mix Mix
	// Agents is how many nodes have an agent on its control channel,
	// which StartSession needs: all of them when zero, none when
	// negative. Agents heartbeat as sesame-agent does (every 30 s,
	// spread evenly: Nodes/30 store writes a second). A node without one
	// answers StartSession with TargetNotConnected, which is then the
	// expected answer. Each agent's connection is an open file of this
	// process (and one of the server's): Run raises the limit if it can
	// and otherwise connects fewer.
	Agents int
	// Seed makes the fleet's secrets and the request sequence
	// reproducible: 1 when zero.
	Seed uint64
	// Progress receives progress lines (seeding, phases); nil: none.
	Progress io.Writer
	// CPUProfile, if set, receives the server's CPU profile over the
	// measured API phase; MemProfile, its heap profile at the end of
	// that phase. Either starts the server with --debug-listen on a
	// loopback port, where Run fetches them.
	CPUProfile io.Writer
	MemProfile io.Writer
}

// Mix is the share of each operation in the API phases, in parts.
type Mix struct {
	StartSession                int
	GetConnectionStatus         int
	DescribeInstanceInformation int
}

// DefaultMix is mostly StartSession, the call the aim is about.
var DefaultMix = Mix{StartSession: 60, GetConnectionStatus: 25, DescribeInstanceInformation: 15}

func (m Mix) total() int {
	return m.StartSession + m.GetConnectionStatus + m.DescribeInstanceInformation
}

// postgresURL reports whether s names a PostgreSQL database.
func postgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// checkAndSetDefaults validates c and fills its defaults.
func (c *Config) checkAndSetDefaults() error {
	if c.Store == "" {
		c.Store = "sqlite"
	}
	if c.Store != "sqlite" && !postgresURL(c.Store) {
		return fmt.Errorf("loadtest: store %q: expected sqlite or a postgres:// URL", c.Store)
	}
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.Users == 0 {
		c.Users = DefaultUsers
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	switch {
	case c.Warmup == 0:
		c.Warmup = DefaultWarmup
	case c.Warmup < 0:
		c.Warmup = 0
	}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix
	}
	switch {
	case c.Agents == 0 || c.Agents > c.Nodes:
		c.Agents = c.Nodes
	case c.Agents < 0:
		c.Agents = 0
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	switch {
	case c.Executable == "":
		return errors.New("loadtest: no sesame executable to start the server with")
	case c.Nodes < 1 || c.Users < 1:
		return errors.New("loadtest: nodes and users must be at least 1")
	case c.Rate < 0 || c.Rate > 1e6:
		return fmt.Errorf("loadtest: rate %g: must be between 0 and 1,000,000 a second", c.Rate)
	case c.Duration < 0:
		return errors.New("loadtest: duration must be positive")
	case c.Mix.StartSession < 0 || c.Mix.GetConnectionStatus < 0 || c.Mix.DescribeInstanceInformation < 0:
		return errors.New("loadtest: mix: shares must not be negative")
	}
	return nil
}
