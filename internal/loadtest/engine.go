package loadtest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sesame-sh/sesame/internal/iam"
)

// engine decides the StartSession calls of a run in-process, as the
// server's authorization step does once it has the caller's policies and
// the node: the baseline that says how much of a call's latency the
// policy engine itself is.
type engine struct {
	f       *fleet
	region  string
	account string
	sets    []*iam.PolicySet // by user, compiled once, as the server caches them
	princ   []*iam.Principal
}

func newEngine(f *fleet, region, account string) (*engine, error) {
	e := &engine{f: f, region: region, account: account,
		sets: make([]*iam.PolicySet, len(f.users)), princ: make([]*iam.Principal, len(f.users))}
	ro, err := iam.NewPolicy(readOnlyPolicy, iam.Identity, []byte(readOnlyDocument))
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", readOnlyPolicy, err)
	}
	bound, err := iam.NewPolicy(boundaryPolicy, iam.Boundary, []byte(boundaryDocument))
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", boundaryPolicy, err)
	}
	for i := range f.users {
		u := &f.users[i]
		inline, err := iam.NewPolicy("user/"+u.name+" inline policy "+sessionPolicy, iam.Identity, []byte(u.sessionDocument()))
		if err != nil {
			return nil, fmt.Errorf("compile %s's %s: %w", u.name, sessionPolicy, err)
		}
		set := &iam.PolicySet{Identity: []*iam.Policy{inline}}
		if !u.noRead {
			set.Identity = append(set.Identity, ro)
		}
		if u.bounded {
			set.Boundary = bound
		}
		e.sets[i] = set
		if e.princ[i], err = iam.ParsePrincipal(userARN(account, u.name)); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func userARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// call builds r's StartSession call with the global keys the server
// sets.
func (e *engine) call(r *request, now time.Time) (*iam.Call, error) {
	u, n := &e.f.users[r.user], &e.f.nodes[r.node]
	ctx := &iam.Context{}
	ctx.SetPrincipal(e.princ[r.user], u.id)
	ctx.Set("aws:PrincipalTag/Team", u.team)
	ctx.Set("aws:PrincipalTag/CostCenter", "cc-"+u.team)
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SourceIp", "127.0.0.1")
	ctx.Set("aws:SecureTransport", "false")
	ctx.Set("aws:RequestedRegion", e.region)
	ctx.Set("aws:ViaAWSService", "false")
	tags := make(map[string]string, len(n.tags))
	for _, t := range n.tags {
		tags[t.Key] = t.Value
	}
	ss := iam.StartSession{Principal: e.princ[r.user], Region: e.region, Account: e.account,
		Target: n.id, Tags: tags, Check: iam.CheckDefaultDocument, Context: ctx}
	return ss.Call()
}

// measure authorizes each StartSession call, timing Authorize alone, and
// checks each decision against the fleet's.
func (e *engine) measure(reqs []request) (*opStats, error) {
	s := &opStats{errors: map[string]int{}}
	now := time.Now()
	calls := make([]*iam.Call, len(reqs))
	for i := range reqs {
		c, err := e.call(&reqs[i], now)
		if err != nil {
			return nil, err
		}
		calls[i] = c
	}
	for i, c := range calls {
		r := &reqs[i]
		t0 := time.Now()
		a := e.sets[r.user].Authorize(c)
		s.latency.Record(time.Since(t0))
		s.requests++
		s.answered++
		if r.allow {
			s.wantAllowed++
		} else {
			s.wantDenied++
		}
		allowed := a.Decision == iam.Allowed
		if allowed {
			s.allowed++
		} else {
			s.denied++
		}
		if allowed != r.allow {
			s.mismatched++
			s.lastMismatch = describe(e.f, r, map[bool]string{true: "allowed", false: "denied"}[allowed])
		}
	}
	return s, nil
}
