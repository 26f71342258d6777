package loadtest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/iam"
)

// TestFleetDecisions checks the fleet's expected decisions against the
// engine for every pair of user and node of a small fleet: the policies
// mean what allowsStart says, and the fleet has every kind of decision.
func TestFleetDecisions(t *testing.T) {
	t.Parallel()
	f := newFleet(20, 40, rand.New(rand.NewChaCha8([32]byte{})))
	e, err := newEngine(f, region, account)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[iam.Decision]int{}
	for u := range f.users {
		for n := range f.nodes {
			r := request{op: opStartSession, user: u, node: n, allow: f.users[u].allowsStart(&f.nodes[n])}
			c, err := e.call(&r, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			a := e.sets[u].Authorize(c)
			counts[a.Decision]++
			if (a.Decision == iam.Allowed) != r.allow {
				t.Errorf("%s on %s (%s, %s): engine %v, fleet allows = %v", f.users[u].name, f.nodes[n].id,
					f.nodes[n].env, f.nodes[n].team, a.Decision, r.allow)
			}
		}
	}
	for _, d := range []iam.Decision{iam.Allowed, iam.ImplicitDeny, iam.ExplicitDeny} {
		if counts[d] == 0 {
			t.Errorf("no call decided %v: %v", d, counts)
		}
	}
}

// TestPoliciesParse checks the seeded documents with the engine's strict
// parser, as the IAM API would on PutUserPolicy.
func TestPoliciesParse(t *testing.T) {
	t.Parallel()
	f := newFleet(1, 20, rand.New(rand.NewChaCha8([32]byte{})))
	type doc struct {
		typ  iam.Type
		text string
	}
	docs := map[string]doc{readOnlyPolicy: {iam.Identity, readOnlyDocument}, boundaryPolicy: {iam.Boundary, boundaryDocument}}
	for _, u := range f.users {
		docs[u.name] = doc{iam.Identity, u.sessionDocument()}
	}
	for name, d := range docs {
		if _, err := iam.ParseDocument([]byte(d.text), d.typ); err != nil {
			t.Errorf("%s: %v\n%s", name, err, d.text)
		}
	}
}

func TestPlannerMix(t *testing.T) {
	t.Parallel()
	f := newFleet(50, 50, rand.New(rand.NewChaCha8([32]byte{})))
	p := &planner{f: f, mix: Mix{StartSession: 2, GetConnectionStatus: 1}, rnd: rand.New(rand.NewPCG(1, 1))}
	counts := map[op]int{}
	for range 3000 {
		r := p.next()
		counts[r.op]++
		if r.op == opStartSession && r.allow != f.users[r.user].allowsStart(&f.nodes[r.node]) {
			t.Fatalf("request %+v: wrong expected decision", r)
		}
	}
	if counts[opDescribeInstanceInformation] != 0 || counts[opStartSession] < 1800 || counts[opGetConnectionStatus] < 800 {
		t.Errorf("mix 2:1:0 drew %v", counts)
	}
}
