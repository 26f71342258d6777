package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run. Latencies are in milliseconds.
type Report struct {
	Store     string  `json:"store"` // sqlite or postgres
	Nodes     int     `json:"nodes"`
	Users     int     `json:"users"`
	Rate      float64 `json:"rate"` // requested, per second
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	// Agents is how many nodes had an agent connected; Heartbeats and
	// SessionsDispatched count what they sent and got during the run.
	Agents             int     `json:"agents"`
	Heartbeats         int     `json:"heartbeats"`
	SessionsDispatched int     `json:"sessions_dispatched"`
	AgentErrors        int     `json:"agent_errors,omitempty"`
	Seed               uint64  `json:"seed"`
	SeedS              float64 `json:"seed_s"` // how long seeding took
	CPUs               int     `json:"cpus"`

	// Ops are the API phase's operations, then "all" of them.
	Ops []Op `json:"ops"`
	// Healthz is the baseline phase: the same generator at the same rate
	// against GET /healthz.
	Healthz Op `json:"healthz"`
	// Engine is the policy engine alone deciding the API phase's
	// StartSession calls, in-process.
	Engine Op `json:"engine"`

	// AimMet says whether the overall p99 is under Aim (5 ms); it is
	// only meaningful at the default rate and fleet.
	AimMet bool `json:"aim_met"`
	// Problems lists what went wrong, as opposed to how fast it was:
	// requests not answered, answers that contradict the policies,
	// errors. A sound run has none.
	Problems []string `json:"problems,omitempty"`
}

// Op is what one operation measured.
type Op struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Answered int     `json:"answered"`
	Rate     float64 `json:"rate"` // achieved: answered per second
	Latency  Latency `json:"latency_ms"`
	// FromSend is the latency from when each request was actually sent:
	// Latency without the generator's own lateness, SendLag. Latency is
	// the figure to judge by; FromSend says how much of it is the
	// generator's.
	FromSend Latency `json:"from_send_ms"`
	// SendLag is how late the generator sent requests after their due
	// time: the timer's resolution (up to a millisecond on some virtual
	// machines), and large values when the generator, which shares the
	// machine with the server, fell behind.
	SendLag Latency `json:"send_lag_ms"`
	// Allowed (200) and Denied (AccessDeniedException) answers, and how
	// many of each the fleet's policies imply.
	Allowed int `json:"allowed"`
	Denied  int `json:"denied"`
	// NotConnected counts the allowed StartSession calls on nodes without
	// an agent, answered TargetNotConnected.
	NotConnected    int `json:"not_connected,omitempty"`
	ExpectedAllowed int `json:"expected_allowed"`
	ExpectedDenied  int `json:"expected_denied"`
	// Mismatched counts answers that contradict the policies.
	Mismatched   int    `json:"mismatched"`
	LastMismatch string `json:"last_mismatch,omitempty"`
	// Errors counts other answers by AWS error code, and TransportError
	// for requests that got no answer.
	Errors map[string]int `json:"errors,omitempty"`
	// ServerCPUPerRequest is the CPU time, in microseconds, the server's
	// process (with SQLite, when it is the store) used during the phase,
	// over the requests answered; BenchCPUPerRequest, the same for this
	// process: the generator and the agents. Set for whole phases only.
	// PostgreSQL's own CPU time is in neither.
	ServerCPUPerRequest float64 `json:"server_cpu_us_per_request,omitempty"`
	BenchCPUPerRequest  float64 `json:"bench_cpu_us_per_request,omitempty"`
	// LoadAverage is the machine's one-minute load average when the
	// phase started (whole phases only): what else ran.
	LoadAverage float64 `json:"load_average,omitempty"`
	// VsHealthz and VsEngine are this latency over the baselines' (same
	// percentile).
	VsHealthz *Ratio `json:"vs_healthz,omitempty"`
	VsEngine  *Ratio `json:"vs_engine,omitempty"`
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Ratio is one latency over a baseline's, at p50 and p99, from the due
// times and from the send times.
type Ratio struct {
	P50         float64 `json:"p50"`
	P99         float64 `json:"p99"`
	FromSendP50 float64 `json:"from_send_p50,omitempty"`
	FromSendP99 float64 `json:"from_send_p99,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func latencyOf(h *Histogram) Latency {
	return Latency{P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max()), Mean: ms(h.Mean())}
}

func ratio(a, b Op) *Ratio {
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return x / y
	}
	return &Ratio{P50: div(a.Latency.P50, b.Latency.P50), P99: div(a.Latency.P99, b.Latency.P99),
		FromSendP50: div(a.FromSend.P50, b.FromSend.P50), FromSendP99: div(a.FromSend.P99, b.FromSend.P99)}
}

// opReport summarizes s; elapsed is the phase's length for the rate.
func opReport(name string, s *opStats, elapsed time.Duration) Op {
	o := Op{Name: name, Requests: s.requests, Answered: s.answered, Latency: latencyOf(&s.latency),
		FromSend: latencyOf(&s.service), SendLag: latencyOf(&s.sendLag), Allowed: s.allowed, Denied: s.denied, NotConnected: s.notConnected,
		ExpectedAllowed: s.wantAllowed, ExpectedDenied: s.wantDenied, Mismatched: s.mismatched,
		LastMismatch: s.lastMismatch, Errors: s.errors}
	if elapsed > 0 {
		o.Rate = float64(s.answered) / elapsed.Seconds()
	}
	if len(o.Errors) == 0 {
		o.Errors = nil
	}
	return o
}

// phaseReport summarizes a whole phase under name.
func (p *phaseStats) report(name string) Op {
	o := opReport(name, p.merged(), p.elapsed)
	if o.Answered > 0 {
		o.ServerCPUPerRequest = float64(p.serverCPU/time.Microsecond) / float64(o.Answered)
		o.BenchCPUPerRequest = float64(p.cpu/time.Microsecond) / float64(o.Answered)
	}
	o.LoadAverage = p.load
	return o
}

// merged adds up every operation of a phase.
func (p *phaseStats) merged() *opStats {
	all := &opStats{errors: map[string]int{}}
	for _, s := range p.ops {
		if s == nil {
			continue
		}
		all.latency.Merge(&s.latency)
		all.service.Merge(&s.service)
		all.sendLag.Merge(&s.sendLag)
		all.requests += s.requests
		all.answered += s.answered
		all.allowed += s.allowed
		all.denied += s.denied
		all.notConnected += s.notConnected
		all.wantAllowed += s.wantAllowed
		all.wantDenied += s.wantDenied
		all.mismatched += s.mismatched
		if s.lastMismatch != "" {
			all.lastMismatch = s.lastMismatch
		}
		for k, v := range s.errors {
			all.errors[k] += v
		}
	}
	return all
}

// problems lists what went wrong in the run, for Report.Problems.
func (r *Report) problems() []string {
	var out []string
	for _, o := range append(slices.Clone(r.Ops), r.Healthz, r.Engine) {
		if o.Name == "all" {
			continue
		}
		if o.Answered != o.Requests {
			out = append(out, fmt.Sprintf("%s: %d of %d requests unanswered", o.Name, o.Requests-o.Answered, o.Requests))
		}
		if o.Mismatched > 0 {
			out = append(out, fmt.Sprintf("%s: %d answers contradict the policies (last: %s)", o.Name, o.Mismatched, o.LastMismatch))
		}
		for _, code := range slices.Sorted(maps.Keys(o.Errors)) {
			out = append(out, fmt.Sprintf("%s: %d %s", o.Name, o.Errors[code], code))
		}
	}
	if r.AgentErrors > 0 {
		out = append(out, fmt.Sprintf("agents: %d heartbeats failed or errors received", r.AgentErrors))
	}
	return out
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r as a table, then the ratios to the baselines.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sesame bench api: %s, %d nodes (%d with an agent: %d heartbeats, %d sessions dispatched), %d users, %g req/s for %gs after a %gs warm-up, %d CPUs, seeded in %.1fs\n\n",
		r.Store, r.Nodes, r.Agents, r.Heartbeats, r.SessionsDispatched, r.Users, r.Rate, r.DurationS, r.WarmupS, r.CPUs, r.SeedS)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\trate/s\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\tsent→p50\tsent→p99\tallowed\tdenied\texpected\t×hz p50\t×hz p99\t")
	row := func(o Op) {
		exp := "-"
		if o.ExpectedAllowed+o.ExpectedDenied > 0 && o.Name != opHealthz.String() {
			exp = fmt.Sprintf("%d/%d", o.ExpectedAllowed, o.ExpectedDenied)
		}
		rate := fmt.Sprintf("%.0f", o.Rate)
		if o.Rate == 0 {
			rate = "-"
		}
		hz50, hz99 := "-", "-"
		if o.VsHealthz != nil {
			hz50, hz99 = fmt.Sprintf("%.1f", o.VsHealthz.P50), fmt.Sprintf("%.1f", o.VsHealthz.P99)
		}
		l, sl := o.Latency, o.FromSend
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%s\t%s\t%s\t\n",
			o.Name, o.Requests, rate, l.P50, l.P90, l.P99, l.P999, l.Max, sl.P50, sl.P99, o.Allowed, o.Denied, exp, hz50, hz99)
	}
	for _, o := range r.Ops {
		row(o)
	}
	row(r.Healthz)
	e := r.Engine
	e.Name = "engine: Authorize"
	row(e)
	tw.Flush()
	b.WriteString("\n")
	for _, o := range r.Ops {
		if o.VsEngine != nil {
			fmt.Fprintf(&b, "%s over the engine alone: p50 %.0f×, p99 %.0f×\n", o.Name, o.VsEngine.P50, o.VsEngine.P99)
		}
	}
	if all := r.all(); all != nil {
		fmt.Fprintf(&b, "all over GET /healthz: p50 %.1f×, p99 %.1f× from the due times; p50 %.1f×, p99 %.1f× from the send times\n",
			all.VsHealthz.P50, all.VsHealthz.P99, all.VsHealthz.FromSendP50, all.VsHealthz.FromSendP99)
		fmt.Fprintf(&b, "the generator sent late by p50 %.3f ms, p99 %.3f ms, max %.3f ms (GET /healthz: p50 %.3f ms)\n",
			all.SendLag.P50, all.SendLag.P99, all.SendLag.Max, r.Healthz.SendLag.P50)
		fmt.Fprintf(&b, "CPU per request: server process API %.0f µs, GET /healthz %.0f µs; this process (generator, agents) API %.0f µs, GET /healthz %.0f µs; load average %.1f and %.1f\n",
			all.ServerCPUPerRequest, r.Healthz.ServerCPUPerRequest, all.BenchCPUPerRequest, r.Healthz.BenchCPUPerRequest, all.LoadAverage, r.Healthz.LoadAverage)
		verdict := "met"
		if !r.AimMet {
			verdict = "missed"
		}
		fmt.Fprintf(&b, "aim p99 < %v at %d req/s: %s (p99 %.3f ms at %.0f req/s)\n", Aim, DefaultRate, verdict, all.Latency.P99, all.Rate)
	}
	if len(r.Problems) > 0 {
		b.WriteString("\nproblems:\n")
		for _, p := range r.Problems {
			b.WriteString("  " + p + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) all() *Op {
	for i := range r.Ops {
		if r.Ops[i].Name == "all" {
			return &r.Ops[i]
		}
	}
	return nil
}
