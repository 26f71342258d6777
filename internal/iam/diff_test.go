// The differential test: sesame's engine against iam-simulate
// (npm @cloud-copilot/iam-simulate, pinned in testdata/iamsim/package.json),
// on policy/request pairs drawn by a seeded random generator.
//
// iam-simulate is AGPL-3.0. It runs only here, in a separate Node process
// (testdata/iamsim/runner.mjs) that reads simulations as JSON lines on stdin
// and answers one line each; it is never linked into, vendored with or
// shipped with sesame. Install it with `make testdeps`; without it the test
// skips.
//
// The oracle is not AWS. Where it is known to differ from AWS's documented
// rules (iam-semantics.md §5, and what this test found), the test either
// never generates the shape (diffUnjudgeable says why) or hands the oracle
// an AWS-equivalent rewrite of the case whose answer is AWS's (oracleDoc).
// Every other disagreement fails the test with a minimal case.
//
// Handled by rewriting for the oracle (oracleDoc, oracleContext):
//   - §5: it ignores Version (${...} is literal text without 2012-10-17);
//   - §5: an unresolvable variable makes a negated operator fail;
//   - §5: it reads epoch dates as milliseconds;
//   - found here: NotResource with an unresolvable variable never applies;
//   - found here: a bare IPv4 address under NotIpAddress fails for IPv6;
//   - found here: 0.0.0.0/0 holds only 0.0.0.0 (a 32-bit shift);
//   - found here: ${*} ${?} ${$} stay literal in StringEquals and kin.
//
// Never generated (diffUnjudgeable, and the generator's choices):
//   - found here: a wildcard before the first / or : of a Resource's
//     resource part ("arn:aws:ec2:*:*:*/i-1" never matches in the oracle);
//   - found here: a resource-policy Allow naming the role session, with a
//     session policy (the oracle applies the session policy to it);
//   - found here: AWS-owned documents, whose ARNs have an empty account
//     (the oracle finds no resource type for them);
//   - undocumented in AWS's docs, so no expectation: ForAnyValue with
//     IfExists on a missing key, Null on an empty list, Principal "*" with
//     a permissions boundary, NotPrincipal naming only some of the caller's
//     identities, NotPrincipal with Allow (AWS does not support it).
//
//	go test -run TestDiffIAMSimulate ./internal/iam/                 10,000 cases
//	go test -run TestDiffIAMSimulate ./internal/iam/ -short          2,000 cases
//	go test -run TestDiffIAMSimulate ./internal/iam/ -iamsim.seed=7 -iamsim.n=50000
//	SESAME_IAMSIM_SEED=7 go test -run TestDiffIAMSimulate ./internal/iam/

package iam_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/iam"
)

var (
	diffSeedFlag = flag.Uint64("iamsim.seed", 0, "seed of TestDiffIAMSimulate's generator (0: $SESAME_IAMSIM_SEED, else the fixed default)")
	diffNFlag    = flag.Int("iamsim.n", 0, "number of cases TestDiffIAMSimulate generates (0: 10000, 2000 with -short)")
)

// diffDefaultSeed is the seed CI uses, so that a failure reproduces.
const diffDefaultSeed = 20250601

// diffShrunk is how many failing cases are shrunk and printed in full.
const diffShrunk = 3

func TestDiffIAMSimulate(t *testing.T) {
	orc := startOracle(t)
	seed := diffSeed(t)
	n := *diffNFlag
	if n <= 0 {
		n = 10000
		if testing.Short() {
			n = 2000
		}
	}
	g := &diffGen{r: rand.New(rand.NewPCG(seed, seed^0x5e5a4e))}
	start := time.Now()

	cases := make([]*diffCase, n)
	for i := range cases {
		cases[i] = g.newCase()
	}
	genTime := time.Since(start)

	// Everything the oracle must answer goes through one process in one
	// stream; each case remembers which answers are its own.
	var sims []json.RawMessage
	first := make([]int, n+1)
	for i, c := range cases {
		first[i] = len(sims)
		for _, s := range c.simulations() {
			sims = append(sims, s)
		}
	}
	first[n] = len(sims)
	if path := os.Getenv("SESAME_IAMSIM_DUMP"); path != "" {
		// The oracle's input, one simulation per line, to replay by hand.
		var b strings.Builder
		for _, s := range sims {
			b.Write(s)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The oracle works in its own process while sesame decides here.
	type oracleReply struct {
		answers []oracleAnswer
		err     error
		took    time.Duration
	}
	replies := make(chan oracleReply, 1)
	go func() {
		t0 := time.Now()
		as, err := orc.ask(sims)
		replies <- oracleReply{as, err, time.Since(t0)}
	}()
	got := make([]string, n)
	gotErr := make([]error, n)
	for i, c := range cases {
		got[i], gotErr[i] = c.sesame()
	}
	sesameTime := time.Since(start) - genTime
	reply := <-replies
	if reply.err != nil {
		t.Fatalf("iam-simulate: %v", reply.err)
	}

	tally := map[string]int{}
	features := map[string]int{}
	var failures []*diffCase
	errorsShown := 0
	for i, c := range cases {
		want, err := combineAnswers(reply.answers[first[i]:first[i+1]])
		if err != nil {
			t.Errorf("seed %d case %d: iam-simulate could not judge a generated case (a generator bug): %v\n%s", seed, i, err, c.report())
			continue
		}
		if err := gotErr[i]; err != nil {
			if errorsShown++; errorsShown <= diffShrunk {
				t.Errorf("seed %d case %d: sesame refused a valid case: %v\n%s", seed, i, err, c.report())
			} else {
				t.Errorf("seed %d case %d: sesame refused a valid case: %v", seed, i, err)
			}
			continue
		}
		tally[want]++
		for _, f := range c.features() {
			features[f]++
		}
		if got[i] != want {
			failures = append(failures, c)
		}
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	t.Logf("seed %d: %d cases (%d redrawn), %d simulations; AWS says allowed %d, implicit deny %d, explicit deny %d; generate %v, sesame %v, iam-simulate %v (in parallel), total %v",
		seed, n, g.rejected, len(sims), tally["allowed"], tally["implicit"], tally["explicit"], ms(genTime), ms(sesameTime), ms(reply.took), ms(time.Since(start)))
	if testing.Verbose() {
		names := slices.Sorted(maps.Keys(features))
		var b strings.Builder
		for _, f := range names {
			fmt.Fprintf(&b, " %s=%d", f, features[f])
		}
		t.Logf("cases with:%s", b.String())
	}
	for i, c := range failures {
		if i == diffShrunk {
			t.Errorf("... and %d more disagreements", len(failures)-diffShrunk)
			break
		}
		m := shrinkCase(orc, c)
		want, _ := m.oracle(orc)
		got, _ := m.sesame()
		t.Errorf("seed %d: sesame says %s, AWS (iam-simulate, divergences accounted for) says %s; minimal case:\n%s", seed, got, want, m.report())
	}
	if t.Failed() {
		t.Logf("reproduce with: go test ./internal/iam/ -run TestDiffIAMSimulate -iamsim.seed=%d -iamsim.n=%d", seed, n)
	}
}

func diffSeed(t *testing.T) uint64 {
	if *diffSeedFlag != 0 {
		return *diffSeedFlag
	}
	if s := os.Getenv("SESAME_IAMSIM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SESAME_IAMSIM_SEED=%q: %v", s, err)
		}
		return v
	}
	return diffDefaultSeed
}

// ---------------------------------------------------------------------------
// The oracle process.

// oracle is one node process running testdata/iamsim/runner.mjs.
type oracle struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	id  int
}

// iamsimDir is where the oracle's package.json, lock file and scripts live.
const iamsimDir = "testdata/iamsim"

// startOracle starts the oracle, or skips the test when it is not installed.
func startOracle(tb testing.TB) *oracle {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node is not installed; the IAM oracle (iam-simulate) needs Node.js: run make testdeps")
	}
	if _, err := os.Stat(filepath.Join(iamsimDir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		tb.Skipf("iam-simulate is not installed in %s (run make testdeps)", iamsimDir)
	}
	cmd := exec.Command(node, "runner.mjs")
	cmd.Dir = iamsimDir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start iam-simulate runner: %v", err)
	}
	o := &oracle{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
	tb.Cleanup(func() {
		o.in.Close()
		if err := o.cmd.Wait(); err != nil {
			tb.Logf("iam-simulate runner: %v", err)
		}
	})
	return o
}

// oracleAnswer is one line of the runner's output.
type oracleAnswer struct {
	ID      int      `json:"id"`
	Result  string   `json:"result"`
	Error   string   `json:"error"`
	Ignored []string `json:"ignored"`
}

// ask streams sims through the runner and returns its answers in order.
// Writing happens in its own goroutine so that neither pipe fills up.
func (o *oracle) ask(sims []json.RawMessage) ([]oracleAnswer, error) {
	base := o.id
	o.id += len(sims)
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(o.in, 1<<16)
		for i, s := range sims {
			fmt.Fprintf(w, `{"id":%d,"sim":%s}`+"\n", base+i, s)
		}
		werr <- w.Flush()
	}()
	answers := make([]oracleAnswer, len(sims))
	for i := range answers {
		line, err := o.out.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("read answer %d of %d: %w", i, len(sims), err)
		}
		if err := json.Unmarshal(line, &answers[i]); err != nil {
			return nil, fmt.Errorf("answer %q: %w", line, err)
		}
		if answers[i].ID != base+i {
			return nil, fmt.Errorf("answer for %d, want %d", answers[i].ID, base+i)
		}
	}
	return answers, <-werr
}

// combineAnswers turns the answers for a call's resources, in order, into
// the call's decision: the first resource that is not allowed decides, as
// in PolicySet.Authorize.
func combineAnswers(as []oracleAnswer) (string, error) {
	if len(as) == 0 {
		return "", errors.New("no simulations")
	}
	for _, a := range as {
		switch {
		case a.Error != "":
			return "", errors.New(a.Error)
		case len(a.Ignored) > 0:
			return "", fmt.Errorf("it ignored context keys %q (not in the Service Authorization Reference for the action)", a.Ignored)
		}
		if a.Result != "allowed" {
			return a.Result, nil
		}
	}
	return "allowed", nil
}

// ---------------------------------------------------------------------------
// Cases.

// diffCase is one generated call and the policies that govern it. It is
// written out as JSON when sesame and the oracle disagree.
type diffCase struct {
	Principal string         `json:"principal"`
	Action    string         `json:"action"`
	Context   diffCtx        `json:"context,omitempty"`
	Resources []diffResource `json:"resources,omitempty"`
	// Start, when set, makes the call an ssm:StartSession built by
	// iam.StartSession.Call; Resources is then unused.
	Start *diffStart `json:"startSession,omitempty"`

	Identity       []*diffDoc   `json:"identityPolicies,omitempty"`
	Boundary       *diffDoc     `json:"permissionsBoundary,omitempty"`
	Session        *diffDoc     `json:"sessionPolicy,omitempty"`
	SCPs           [][]*diffDoc `json:"scps,omitempty"`
	RCPs           [][]*diffDoc `json:"rcps,omitempty"`
	ResourcePolicy *diffDoc     `json:"resourcePolicy,omitempty"`
}

// diffCtx holds condition keys: a string, or a []string for a multivalued
// key. Key names never differ only in case.
type diffCtx map[string]any

func (c diffCtx) lookup(key string) (any, bool) {
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// UnmarshalJSON keeps multivalued keys as []string.
func (c *diffCtx) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = diffCtx{}
	for k, v := range raw {
		if list, ok := v.([]any); ok {
			vs := make([]string, len(list))
			for i, x := range list {
				vs[i], _ = x.(string)
			}
			v = vs
		}
		(*c)[k] = v
	}
	return nil
}

func (c diffCtx) clone() diffCtx {
	out := diffCtx{}
	for k, v := range c {
		out[k] = v
	}
	return out
}

type diffResource struct {
	ARN     string  `json:"arn"`
	Context diffCtx `json:"context,omitempty"` // the resource's own keys (tags)
}

// diffStart is an ssm:StartSession call.
type diffStart struct {
	Region       string            `json:"region"`
	Target       string            `json:"target"`
	Tags         map[string]string `json:"tags,omitempty"`
	Document     string            `json:"document,omitempty"`
	DocumentTags map[string]string `json:"documentTags,omitempty"`
	Exempt       bool              `json:"exemptDefaultDocument,omitempty"`
}

// diffRequest is one (resource, keys) pair the call authorizes.
type diffRequest struct {
	arn string
	ctx diffCtx
}

// requests returns what the call authorizes, in order, derived here
// independently of the engine: for StartSession the target, then the
// session document (none when the default document is exempt).
func (c *diffCase) requests() []diffRequest {
	if c.Start == nil {
		out := make([]diffRequest, len(c.Resources))
		for i, r := range c.Resources {
			ctx := c.Context.clone()
			for k, v := range r.Context {
				ctx[k] = v
			}
			out[i] = diffRequest{arn: r.ARN, ctx: ctx}
		}
		return out
	}
	s := c.Start
	tctx := c.Context.clone()
	for k, v := range s.Tags {
		tctx["aws:ResourceTag/"+k] = v
		tctx["ssm:resourceTag/"+k] = v
	}
	target := "arn:aws:ec2:" + s.Region + ":" + diffAcct + ":instance/" + s.Target
	if strings.HasPrefix(s.Target, "mi-") {
		target = "arn:aws:ssm:" + s.Region + ":" + diffAcct + ":managed-instance/" + s.Target
	}
	out := []diffRequest{{arn: target, ctx: tctx}}
	docName := s.Document
	if docName == "" {
		if s.Exempt {
			tctx["ssm:SessionDocumentAccessCheck"] = "false"
			return out
		}
		docName = iam.DefaultSessionDocument
	}
	dctx := c.Context.clone()
	for k, v := range s.DocumentTags {
		dctx["aws:ResourceTag/"+k] = v
		dctx["ssm:resourceTag/"+k] = v
	}
	return append(out, diffRequest{arn: "arn:aws:ssm:" + s.Region + ":" + diffAcct + ":document/" + docName, ctx: dctx})
}

// report writes the case for people: the request, and the policies as the
// IAM JSON both engines read (before the oracle's rewrites).
func (c *diffCase) report() string {
	doc := func(d *diffDoc) json.RawMessage {
		if d == nil {
			return nil
		}
		return d.policyJSON()
	}
	levels := func(ls [][]*diffDoc) [][]json.RawMessage {
		var out [][]json.RawMessage
		for _, l := range ls {
			var ps []json.RawMessage
			for _, d := range l {
				ps = append(ps, doc(d))
			}
			out = append(out, ps)
		}
		return out
	}
	identity := []json.RawMessage{}
	for _, d := range c.Identity {
		identity = append(identity, doc(d))
	}
	r := struct {
		Principal      string              `json:"principal"`
		Action         string              `json:"action"`
		Context        diffCtx             `json:"context,omitempty"`
		Resources      []diffResource      `json:"resources,omitempty"`
		Start          *diffStart          `json:"startSession,omitempty"`
		Identity       []json.RawMessage   `json:"identityPolicies"`
		Boundary       json.RawMessage     `json:"permissionsBoundary,omitempty"`
		Session        json.RawMessage     `json:"sessionPolicy,omitempty"`
		SCPs           [][]json.RawMessage `json:"scps,omitempty"`
		RCPs           [][]json.RawMessage `json:"rcps,omitempty"` // besides RCPFullAWSAccess
		ResourcePolicy json.RawMessage     `json:"resourcePolicy,omitempty"`
	}{c.Principal, c.Action, c.Context, c.Resources, c.Start, identity, doc(c.Boundary), doc(c.Session),
		levels(c.SCPs), levels(c.RCPs), doc(c.ResourcePolicy)}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func (c *diffCase) clone() *diffCase {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	out := &diffCase{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// diffDoc is a policy document. It keeps its parts typed so that the
// generator, the shrinker and the oracle rewrites can work on them.
type diffDoc struct {
	Version    string      `json:"version,omitempty"` // "" leaves Version out
	Statements []*diffStmt `json:"statements"`
}

type diffStmt struct {
	Effect       string          `json:"effect"`
	Principal    []diffPrincipal `json:"principal,omitempty"` // nil: no Principal element
	NotPrincipal bool            `json:"notPrincipal,omitempty"`
	Actions      []string        `json:"actions"`
	NotAction    bool            `json:"notAction,omitempty"`
	Resources    []string        `json:"resources,omitempty"` // nil: no Resource element
	NotResource  bool            `json:"notResource,omitempty"`
	Conds        []*diffCond     `json:"conditions,omitempty"`
	Scalar       bool            `json:"scalar,omitempty"` // write one-element lists as strings
}

// diffPrincipal is one principal: Kind "*" is the bare "*", else AWS or
// Service.
type diffPrincipal struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type diffCond struct {
	Op     string   `json:"op"`
	Key    string   `json:"key"`
	Values []string `json:"values"`
	Bare   bool     `json:"bare,omitempty"` // write values as JSON booleans or numbers
}

// policyJSON writes the document as IAM JSON, indented as people (and
// the console) write policies.
func (d *diffDoc) policyJSON() []byte {
	compact := d.render(func(s *diffStmt, res []string) []string { return res },
		func(c *diffCond) []string { return c.Values })
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// render writes the document, passing each statement's resources and each
// condition's values through the given rewrites.
func (d *diffDoc) render(res func(*diffStmt, []string) []string, vals func(*diffCond) []string) []byte {
	doc := map[string]any{}
	if d.Version != "" {
		doc["Version"] = d.Version
	}
	stmts := make([]any, len(d.Statements))
	for i, s := range d.Statements {
		m := map[string]any{"Effect": s.Effect}
		list := func(xs []string) any {
			if len(xs) == 1 && s.Scalar {
				return xs[0]
			}
			return xs
		}
		if s.Principal != nil {
			var p any
			if len(s.Principal) == 1 && s.Principal[0].Kind == "*" {
				p = "*"
			} else {
				byKind := map[string][]string{}
				for _, pr := range s.Principal {
					byKind[pr.Kind] = append(byKind[pr.Kind], pr.Value)
				}
				pm := map[string]any{}
				for k, v := range byKind {
					pm[k] = list(v)
				}
				p = pm
			}
			if s.NotPrincipal {
				m["NotPrincipal"] = p
			} else {
				m["Principal"] = p
			}
		}
		if s.NotAction {
			m["NotAction"] = list(s.Actions)
		} else {
			m["Action"] = list(s.Actions)
		}
		if s.Resources != nil {
			r := res(s, s.Resources)
			if s.NotResource {
				m["NotResource"] = list(r)
			} else {
				m["Resource"] = list(r)
			}
		}
		if len(s.Conds) > 0 {
			cm := map[string]map[string]any{}
			for _, c := range s.Conds {
				if cm[c.Op] == nil {
					cm[c.Op] = map[string]any{}
				}
				vs := vals(c)
				jv := make([]any, len(vs))
				for j, v := range vs {
					jv[j] = v
					if c.Bare {
						jv[j] = json.RawMessage(v)
					}
				}
				if len(jv) == 1 && s.Scalar {
					cm[c.Op][c.Key] = jv[0]
				} else {
					cm[c.Op][c.Key] = jv
				}
			}
			m["Condition"] = cm
		}
		stmts[i] = m
	}
	if len(stmts) == 1 && d.Statements[0].Scalar {
		doc["Statement"] = stmts[0]
	} else {
		doc["Statement"] = stmts
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// sesame's side.

const rcpFullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

func (c *diffCase) sesame() (string, error) {
	set := &iam.PolicySet{}
	load := func(name string, t iam.Type, d *diffDoc) (*iam.Policy, error) {
		return iam.NewPolicy(name, t, d.policyJSON())
	}
	var err error
	for i, d := range c.Identity {
		p, err := load(fmt.Sprintf("identity%d", i), iam.Identity, d)
		if err != nil {
			return "", err
		}
		set.Identity = append(set.Identity, p)
	}
	if c.Boundary != nil {
		if set.Boundary, err = load("boundary", iam.Boundary, c.Boundary); err != nil {
			return "", err
		}
	}
	if c.Session != nil {
		if set.Session, err = load("session", iam.SessionPolicy, c.Session); err != nil {
			return "", err
		}
	}
	for i, level := range c.SCPs {
		var ps []*iam.Policy
		for j, d := range level {
			p, err := load(fmt.Sprintf("scp%d.%d", i, j), iam.SCP, d)
			if err != nil {
				return "", err
			}
			ps = append(ps, p)
		}
		set.SCPs = append(set.SCPs, ps)
	}
	for i, level := range c.RCPs {
		// AWS attaches RCPFullAWSAccess to every level and it cannot be
		// detached; iam-simulate adds it by itself, sesame takes it as
		// one of the level's policies.
		full, err := iam.NewPolicy("RCPFullAWSAccess", iam.RCP, []byte(rcpFullAWSAccess))
		if err != nil {
			return "", err
		}
		ps := []*iam.Policy{full}
		for j, d := range level {
			p, err := load(fmt.Sprintf("rcp%d.%d", i, j), iam.RCP, d)
			if err != nil {
				return "", err
			}
			ps = append(ps, p)
		}
		set.RCPs = append(set.RCPs, ps)
	}
	var resPolicy *iam.Policy
	if c.ResourcePolicy != nil {
		if resPolicy, err = load("resource", iam.ResourceBased, c.ResourcePolicy); err != nil {
			return "", err
		}
	}
	p, err := iam.ParsePrincipal(c.Principal)
	if err != nil {
		return "", err
	}
	var call *iam.Call
	if s := c.Start; s != nil {
		ss := iam.StartSession{Principal: p, Region: s.Region, Account: diffAcct, Target: s.Target, Tags: s.Tags,
			Document: s.Document, DocumentTags: s.DocumentTags, Context: sesameContext(c.Context)}
		if s.Exempt {
			ss.Check = iam.ExemptDefaultDocument
		}
		if call, err = ss.Call(); err != nil {
			return "", err
		}
	} else {
		call = &iam.Call{Principal: p, Action: c.Action, Context: sesameContext(c.Context)}
		for _, r := range c.Resources {
			call.Resources = append(call.Resources, iam.Resource{ARN: r.ARN, Policy: resPolicy, Context: sesameContext(r.Context)})
		}
	}
	switch set.Authorize(call).Decision {
	case iam.Allowed:
		return "allowed", nil
	case iam.ExplicitDeny:
		return "explicit", nil
	}
	return "implicit", nil
}

func sesameContext(m diffCtx) *iam.Context {
	c := &iam.Context{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			c.Set(k, v)
		case []string:
			c.SetMulti(k, v)
		default:
			panic(fmt.Sprintf("context key %s: %T", k, v))
		}
	}
	return c
}

// ---------------------------------------------------------------------------
// The oracle's side: simulations, and the rewrites that make its answer
// AWS's.

type simPolicy struct {
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy"`
}

type simOrgLevel struct {
	OrgIdentifier string      `json:"orgIdentifier"`
	Policies      []simPolicy `json:"policies"`
}

type simRequest struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Resource  struct {
		Resource  string `json:"resource"`
		AccountID string `json:"accountId"`
	} `json:"resource"`
	ContextVariables diffCtx `json:"contextVariables"`
}

type simulation struct {
	Request                    simRequest      `json:"request"`
	IdentityPolicies           []simPolicy     `json:"identityPolicies"`
	ServiceControlPolicies     []simOrgLevel   `json:"serviceControlPolicies"`
	ResourceControlPolicies    []simOrgLevel   `json:"resourceControlPolicies"`
	PermissionBoundaryPolicies []simPolicy     `json:"permissionBoundaryPolicies,omitempty"`
	SessionPolicy              json.RawMessage `json:"sessionPolicy,omitempty"`
	ResourcePolicy             json.RawMessage `json:"resourcePolicy,omitempty"`
}

// simulations returns one iam-simulate simulation per resource the call
// authorizes (iam-simulate decides one resource per simulation).
func (c *diffCase) simulations() []json.RawMessage {
	var out []json.RawMessage
	for _, r := range c.requests() {
		s := simulation{IdentityPolicies: []simPolicy{}, ServiceControlPolicies: []simOrgLevel{}, ResourceControlPolicies: []simOrgLevel{}}
		s.Request.Principal = c.Principal
		s.Request.Action = c.Action
		s.Request.Resource.Resource = r.arn
		s.Request.Resource.AccountID = diffAcct
		s.Request.ContextVariables = oracleContext(r.ctx)
		for i, d := range c.Identity {
			s.IdentityPolicies = append(s.IdentityPolicies, simPolicy{fmt.Sprintf("identity%d", i), oracleDoc(d, r.ctx)})
		}
		if c.Boundary != nil {
			s.PermissionBoundaryPolicies = []simPolicy{{"boundary", oracleDoc(c.Boundary, r.ctx)}}
		}
		if c.Session != nil {
			s.SessionPolicy = oracleDoc(c.Session, r.ctx)
		}
		for i, level := range c.SCPs {
			l := simOrgLevel{OrgIdentifier: fmt.Sprintf("level%d", i), Policies: []simPolicy{}}
			for j, d := range level {
				l.Policies = append(l.Policies, simPolicy{fmt.Sprintf("scp%d.%d", i, j), oracleDoc(d, r.ctx)})
			}
			s.ServiceControlPolicies = append(s.ServiceControlPolicies, l)
		}
		for i, level := range c.RCPs {
			l := simOrgLevel{OrgIdentifier: fmt.Sprintf("level%d", i), Policies: []simPolicy{}}
			for j, d := range level {
				l.Policies = append(l.Policies, simPolicy{fmt.Sprintf("rcp%d.%d", i, j), oracleDoc(d, r.ctx)})
			}
			s.ResourceControlPolicies = append(s.ResourceControlPolicies, l)
		}
		if c.ResourcePolicy != nil {
			s.ResourcePolicy = oracleDoc(c.ResourcePolicy, r.ctx)
		}
		b, err := json.Marshal(s)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

// oracle asks the oracle about one case.
func (c *diffCase) oracle(o *oracle) (string, error) {
	as, err := o.ask(c.simulations())
	if err != nil {
		return "", err
	}
	return combineAnswers(as)
}

// Sentinels stand in, for the oracle, for policy values AWS says match
// nothing: an unresolvable policy variable makes its value (or Resource
// pattern) match nothing. No generated request value equals them.
const (
	sentinelString = "@@unresolvable-policy-variable@@"
	sentinelARN    = "arn:unresolvable:policy-variable:::sentinel"
)

// oracleDoc writes a document for the oracle, rewritten where iam-simulate
// diverges from AWS so that its answer is AWS's. ctx is the request the
// document will be evaluated against.
func oracleDoc(d *diffDoc, ctx diffCtx) json.RawMessage {
	vars := d.Version == iam.Version2012
	res := func(s *diffStmt, rs []string) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			switch {
			case !vars:
				// Divergence (§5): iam-simulate ignores Version and always
				// substitutes ${...}; AWS treats it as literal text without
				// "Version": "2012-10-17". ${$} is AWS's (and its) escape
				// for a literal $.
				r = strings.ReplaceAll(r, "${", "${$}{")
			case s.NotResource && unresolvable(r, ctx):
				// Divergence (found here): for an unresolvable variable in
				// NotResource iam-simulate neither matches nor excludes, so
				// the statement never applies; AWS: the pattern matches
				// nothing (iam-semantics §2), so it excludes nothing.
				r = sentinelARN
			}
			out[i] = r
		}
		return out
	}
	vals := func(c *diffCond) []string {
		base, negated, _ := diffOperator(c.Op)
		out := make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			switch {
			case strings.HasPrefix(base, "String") || strings.HasPrefix(base, "Arn"):
				// iam-simulate expands ${...} in its wildcard-aware
				// operators (Like, Arn) but reads the escapes ${*} ${?}
				// ${$} as literal text in the others.
				wild := strings.Contains(base, "Like") || strings.HasPrefix(base, "Arn")
				switch {
				case !vars && wild:
					v = strings.ReplaceAll(v, "${", "${$}{") // as above: Version
				case !vars && strings.Contains(v, "${"):
					// As above (Version), where ${$} is no escape for it:
					// without 2012-10-17 the value is literal text holding
					// "${", which no generated request value holds, so it
					// matches nothing, as the sentinel does.
					v = sentinelString
				case negated && unresolvable(v, ctx):
					// Divergence (§5): iam-simulate makes a value with an
					// unresolvable variable fail a negated operator; AWS
					// (reference_policies_variables, "no value"): the value
					// matches nothing, so the negated test passes for it.
					v = sentinelString
					if strings.HasPrefix(base, "Arn") {
						v = sentinelARN
					}
				case !wild:
					// Divergence (found here): in StringEquals and the
					// other operators without wildcards iam-simulate keeps
					// ${*} ${?} ${$} as text; AWS: they are the characters
					// * ? $ wherever variables are substituted
					// (reference_policies_variables, special characters).
					if r := strings.NewReplacer("${*}", "*", "${?}", "?", "${$}", "$").Replace(v); !strings.Contains(r, "${") {
						v = r
					}
				}
			case strings.HasPrefix(base, "Date") && isEpoch(v):
				// Divergence (§5): iam-simulate reads epoch numbers as
				// milliseconds; AWS as seconds.
				v += "000"
			case strings.HasSuffix(base, "IpAddress") && v == "0.0.0.0/0":
				// Divergence (found here): iam-simulate computes the /0
				// mask as -1 << 32, which JavaScript reads as -1 << 0, so
				// 0.0.0.0/0 holds only 0.0.0.0. AWS: it holds every IPv4
				// address, as do its two halves together (OR for
				// IpAddress; NotIpAddress must miss both).
				out = append(out, "0.0.0.0/1")
				v = "128.0.0.0/1"
			case strings.HasSuffix(base, "IpAddress") && !strings.Contains(v, "/"):
				// Divergence (found here): iam-simulate compares a bare
				// address as text, so NotIpAddress "10.1.2.3" fails for an
				// IPv6 request; AWS: a bare address is /32 (/128), and an
				// IPv4 range never matches IPv6, so NotIpAddress holds.
				if strings.Contains(v, ":") {
					v += "/128"
				} else {
					v += "/32"
				}
			}
			out = append(out, v)
		}
		return out
	}
	return d.render(res, vals)
}

// oracleContext rewrites request values for the oracle.
func oracleContext(ctx diffCtx) diffCtx {
	out := diffCtx{}
	for k, v := range ctx {
		if s, ok := v.(string); ok && diffKeyType(k) == typDate && isEpoch(s) {
			// Divergence (§5): epoch seconds, read as milliseconds.
			v = s + "000"
		}
		out[k] = v
	}
	return out
}

func isEpoch(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// unresolvable reports whether s holds a policy variable that has no value
// in ctx and no default.
func unresolvable(s string, ctx diffCtx) bool {
	for _, v := range variablesIn(s) {
		if v.hasDef {
			continue
		}
		if val, ok := ctx.lookup(v.key); !ok {
			return true
		} else if _, single := val.(string); !single {
			return true
		}
	}
	return false
}

type diffVariable struct {
	key    string
	hasDef bool
}

// variablesIn lists the ${key} and ${key, 'default'} variables of s (not
// the escapes ${*}, ${?}, ${$}).
func variablesIn(s string) []diffVariable {
	var out []diffVariable
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		body := s[i+2 : i+j]
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			continue
		}
		key, _, hasDef := strings.Cut(body, ", ")
		out = append(out, diffVariable{key: key, hasDef: hasDef})
	}
}

// diffOperator splits an operator name into its base operator, whether the
// base is negated, and its set qualifier.
func diffOperator(op string) (base string, negated bool, set string) {
	if q, rest, ok := strings.Cut(op, ":"); ok {
		set, op = q, rest
	}
	base = strings.TrimSuffix(op, "IfExists")
	negated = strings.Contains(base, "Not")
	return base, negated, set
}

// diffUnjudgeable says why the oracle cannot judge a case: shapes where
// iam-simulate differs from AWS (or AWS's documentation is silent) and no
// AWS-equivalent rewrite exists. The generator never returns such cases
// and the shrinker never produces them. It returns "" for a case the
// oracle can judge.
func diffUnjudgeable(c *diffCase) string {
	for _, r := range c.requests() {
		for _, d := range c.docs() {
			for _, s := range d.Statements {
				for _, cd := range s.Conds {
					if why := condUnjudgeable(cd, r.ctx); why != "" {
						return why
					}
				}
				for _, p := range s.Resources {
					if !literalProduct(p) {
						// Divergence (found here): iam-simulate requires the
						// resource part up to the first / or : ("instance/")
						// to match literally, so arn:aws:ec2:*:*:*/i-1 never
						// matches; AWS: * in the resource part crosses /.
						return "wildcard before the first / or : of a Resource's resource part"
					}
				}
			}
		}
	}
	if rp := c.ResourcePolicy; rp != nil {
		for _, s := range rp.Statements {
			for _, p := range s.Principal {
				wildcard := p.Kind == "*" || (p.Kind == "AWS" && p.Value == "*")
				switch {
				case s.Effect == "Allow" && wildcard && c.Boundary != nil:
					// AWS documents that an allow naming the user or the
					// session ARN is not cut by a boundary's implicit deny,
					// and that one naming the role is; it says nothing of
					// Principal "*". iam-simulate lets "*" pass the boundary.
					return `resource-policy Allow for Principal "*" with a permissions boundary (undocumented)`
				case s.Effect == "Allow" && p.Value == c.Principal && c.Session != nil && strings.Contains(c.Principal, ":assumed-role/"):
					// Divergence (found here): AWS: a same-account resource
					// policy naming the session ARN is not limited by the
					// session policy (access_policies, session policies);
					// iam-simulate applies the session policy first.
					return "resource-policy Allow naming the role session with a session policy"
				}
			}
			if !s.NotPrincipal {
				continue
			}
			if n, all := listedIdentities(s.Principal, c.Principal); n > 0 && n < all {
				// AWS checks several identities of one caller (account,
				// then role, then session; account, then user) and tells
				// to list them all to exempt a caller
				// (reference_policies_elements_notprincipal); a partial
				// list is undocumented. iam-simulate exempts on any one,
				// sesame only on all.
				return "NotPrincipal listing some but not all of the caller's identities (undocumented)"
			}
		}
	}
	return ""
}

// callerIdentities are the identities AWS checks against NotPrincipal for
// a caller: its account (either spelling), the role of a session, and the
// caller's own ARN.
func callerIdentities(caller string) [][]string {
	ids := [][]string{{diffAcct, "arn:aws:iam::" + diffAcct + ":root"}, {caller}}
	for _, p := range diffPrincipalSpecs {
		if p.arn == caller && p.role != "" {
			ids = append(ids, []string{p.role})
		}
	}
	return ids
}

// listedIdentities counts how many of the caller's identities a principal
// list names, of how many.
func listedIdentities(list []diffPrincipal, caller string) (n, all int) {
	ids := callerIdentities(caller)
	for _, forms := range ids {
		for _, p := range list {
			if p.Kind == "AWS" && slices.Contains(forms, p.Value) {
				n++
				break
			}
		}
	}
	return n, len(ids)
}

// condUnjudgeable is diffUnjudgeable for one condition and one request.
func condUnjudgeable(cd *diffCond, ctx diffCtx) string {
	base, _, set := diffOperator(cd.Op)
	val, present := ctx.lookup(cd.Key)
	list, multi := val.([]string)
	empty := multi && len(list) == 0
	switch {
	case set == "ForAnyValue" && strings.HasSuffix(cd.Op, "IfExists") && (!present || empty):
		// AWS documents IfExists (missing key: true) and ForAnyValue
		// (missing or empty key: false) but not the two together;
		// sesame says true, iam-simulate false.
		return "ForAnyValue:...IfExists on a missing or empty key (undocumented)"
	case base == "Null" && empty:
		// Undocumented: sesame treats an empty multivalued key as absent
		// for Null, iam-simulate as present.
		return "Null on an empty multivalued key (undocumented)"
	}
	return ""
}

// literalProduct reports whether the resource part of pattern p, up to its
// first / or :, holds no wildcard or variable.
func literalProduct(p string) bool {
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 6 {
		return true
	}
	rest := parts[5]
	i := strings.IndexAny(rest, "/:")
	if i < 0 {
		return true
	}
	return !strings.ContainsAny(rest[:i+1], "*?$")
}

// docs returns every policy document of the case.
func (c *diffCase) docs() []*diffDoc {
	out := slices.Clone(c.Identity)
	for _, d := range []*diffDoc{c.Boundary, c.Session, c.ResourcePolicy} {
		if d != nil {
			out = append(out, d)
		}
	}
	for _, l := range c.SCPs {
		out = append(out, l...)
	}
	for _, l := range c.RCPs {
		out = append(out, l...)
	}
	return out
}

// features names what a case exercises, for the coverage line of -v.
func (c *diffCase) features() []string {
	set := map[string]bool{}
	add := func(f string) { set[f] = true }
	if c.Start != nil {
		add("StartSession")
		if c.Start.Exempt {
			add("StartSession/exempt")
		}
	}
	if c.Boundary != nil {
		add("boundary")
	}
	if c.Session != nil {
		add("sessionPolicy")
	}
	if len(c.SCPs) > 0 {
		add("SCP")
	}
	if len(c.RCPs) > 0 {
		add("RCP")
	}
	if c.ResourcePolicy != nil {
		add("resourcePolicy")
	}
	if len(c.Identity) > 1 {
		add("severalIdentityPolicies")
	}
	reqs := c.requests()
	for _, d := range c.docs() {
		if d.Version != iam.Version2012 {
			add("noVersion2012")
		}
		for _, s := range d.Statements {
			if s.NotAction {
				add("NotAction")
			}
			if s.NotResource {
				add("NotResource")
			}
			if s.NotPrincipal {
				add("NotPrincipal")
			}
			if s.Effect == "Deny" {
				add("Deny")
			}
			for _, r := range s.Resources {
				if strings.Contains(r, "${") {
					add("variableInResource")
				}
			}
			for _, cd := range s.Conds {
				base, _, set := diffOperator(cd.Op)
				add("op:" + base)
				if set != "" {
					add(set)
				}
				if strings.HasSuffix(cd.Op, "IfExists") {
					add("IfExists")
				}
				if _, ok := reqs[0].ctx.lookup(cd.Key); !ok {
					add("missingKey")
				}
				for _, v := range cd.Values {
					if strings.Contains(v, "${") {
						add("variableInCondition")
						if d.Version == iam.Version2012 && unresolvable(v, reqs[0].ctx) {
							add("unresolvedVariable")
						}
					}
				}
			}
		}
	}
	return slices.Collect(maps.Keys(set))
}

// ---------------------------------------------------------------------------
// Shrinking.

// shrinkCase removes parts of a failing case while sesame and the oracle
// still disagree and the case stays judgeable, until nothing more can go.
func shrinkCase(o *oracle, c *diffCase) *diffCase {
	disagrees := func(x *diffCase) bool {
		if diffUnjudgeable(x) != "" {
			return false
		}
		got, err := x.sesame()
		if err != nil {
			return false
		}
		want, err := x.oracle(o)
		return err == nil && got != want
	}
	for changed := true; changed; {
		changed = false
		for _, cand := range shrinkSteps(c) {
			if disagrees(cand) {
				c, changed = cand, true
				break
			}
		}
	}
	return c
}

// shrinkSteps returns every case one removal smaller than c, coarse
// removals first.
func shrinkSteps(c *diffCase) []*diffCase {
	var out []*diffCase
	try := func(f func(x *diffCase) bool) {
		x := c.clone()
		if f(x) {
			out = append(out, x)
		}
	}
	try(func(x *diffCase) bool { ok := x.Boundary != nil; x.Boundary = nil; return ok })
	try(func(x *diffCase) bool { ok := x.Session != nil; x.Session = nil; return ok })
	try(func(x *diffCase) bool { ok := x.ResourcePolicy != nil; x.ResourcePolicy = nil; return ok })
	try(func(x *diffCase) bool { ok := x.SCPs != nil; x.SCPs = nil; return ok })
	try(func(x *diffCase) bool { ok := x.RCPs != nil; x.RCPs = nil; return ok })
	for i := range c.Identity {
		try(func(x *diffCase) bool { x.Identity = slices.Delete(x.Identity, i, i+1); return true })
	}
	for i := range c.SCPs {
		try(func(x *diffCase) bool { x.SCPs = slices.Delete(x.SCPs, i, i+1); return true })
		for j := range c.SCPs[i] {
			try(func(x *diffCase) bool { x.SCPs[i] = slices.Delete(x.SCPs[i], j, j+1); return len(x.SCPs[i]) > 0 })
		}
	}
	if c.Start != nil {
		try(func(x *diffCase) bool { ok := len(x.Start.Tags) > 0; x.Start.Tags = nil; return ok })
		try(func(x *diffCase) bool { ok := len(x.Start.DocumentTags) > 0; x.Start.DocumentTags = nil; return ok })
	}
	for k := range c.Context {
		try(func(x *diffCase) bool { delete(x.Context, k); return true })
	}
	for i, r := range c.Resources {
		for k := range r.Context {
			try(func(x *diffCase) bool { delete(x.Resources[i].Context, k); return true })
		}
	}
	// Inside documents: statements, conditions, values, list entries.
	nDocs := len(c.docs())
	for di := 0; di < nDocs; di++ {
		d := c.docs()[di]
		for si, s := range d.Statements {
			try(func(x *diffCase) bool {
				xd := x.docs()[di]
				xd.Statements = slices.Delete(xd.Statements, si, si+1)
				return len(xd.Statements) > 0
			})
			for ci, cd := range s.Conds {
				try(func(x *diffCase) bool {
					xs := x.docs()[di].Statements[si]
					xs.Conds = slices.Delete(xs.Conds, ci, ci+1)
					return true
				})
				for vi := range cd.Values {
					try(func(x *diffCase) bool {
						xc := x.docs()[di].Statements[si].Conds[ci]
						xc.Values = slices.Delete(xc.Values, vi, vi+1)
						return len(xc.Values) > 0
					})
				}
			}
			for ai := range s.Actions {
				try(func(x *diffCase) bool {
					xs := x.docs()[di].Statements[si]
					xs.Actions = slices.Delete(xs.Actions, ai, ai+1)
					return len(xs.Actions) > 0
				})
			}
			for ri := range s.Resources {
				try(func(x *diffCase) bool {
					xs := x.docs()[di].Statements[si]
					xs.Resources = slices.Delete(xs.Resources, ri, ri+1)
					return len(xs.Resources) > 0
				})
			}
			for pi := range s.Principal {
				try(func(x *diffCase) bool {
					xs := x.docs()[di].Statements[si]
					xs.Principal = slices.Delete(xs.Principal, pi, pi+1)
					return len(xs.Principal) > 0
				})
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// The generator.
//
// It draws the request first (principal, action, resource, keys) and then
// policies aimed at it: actions and resources derived from the request's
// (exact, wildcarded, case-changed, or other), conditions on keys the
// request has or lacks, values taken from the request or near it. Only
// actions, resources and keys the Service Authorization Reference lists
// together are used, since iam-simulate drops any other key (the runner
// reports it and the test fails).

const (
	diffAcct  = "111122223333"
	diffOther = "444455556666"
)

type diffGen struct {
	r        *rand.Rand
	rejected int // cases redrawn because the oracle cannot judge them
}

func (g *diffGen) chance(p float64) bool { return g.r.Float64() < p }

func pickOne[T any](g *diffGen, xs []T) T { return xs[g.r.IntN(len(xs))] }

type keyType uint8

const (
	typString keyType = iota
	typARN
	typList
	typBool
	typNum
	typDate
	typIP
)

type diffKey struct {
	name string
	typ  keyType
	vals []string // request values; policy values are drawn near them
}

var (
	diffRegions   = []string{"us-east-1", "ap-northeast-1"}
	diffBools     = []string{"true", "false"}
	diffNums      = []string{"0", "30", "3600", "7200", "10.5"}
	diffNumPolicy = []string{"0", "30", "30.0", "3600", "-1", "10.5", "7200", "7199.99"}
	diffIPs       = []string{"10.1.2.3", "10.9.9.9", "192.168.1.1", "172.16.0.1", "8.8.8.8", "2001:db8::1", "2001:db9::5"}
	diffIPPolicy  = []string{"10.0.0.0/8", "10.1.2.3/32", "10.1.2.3", "192.168.0.0/16", "172.16.0.0/12", "0.0.0.0/0", "2001:db8::/32", "2001:db8::1", "10.1.2.0/24"}
	diffTagKeys   = []string{"Env", "team", "Owner", "DIV"}
	diffTagValues = []string{"dev", "Dev", "prod", "APP", "alice", "ops", "a*b"}

	// diffDates are instants near 2024-05-01T12:00:00Z in every form both
	// engines read: RFC 3339 in UTC and with an offset, epoch seconds, and
	// plain dates for midnights.
	diffDates, diffDatePolicy = func() ([]string, []string) {
		base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		jst := time.FixedZone("JST", 9*3600)
		var req, pol []string
		for _, d := range []time.Duration{0, time.Second, -time.Second, 24 * time.Hour, -12 * time.Hour, -400 * 24 * time.Hour} {
			t := base.Add(d)
			forms := []string{t.Format(time.RFC3339), t.In(jst).Format(time.RFC3339), strconv.FormatInt(t.Unix(), 10)}
			if t.Hour() == 0 {
				forms = append(forms, t.Format("2006-01-02"))
			}
			req = append(req, forms[0], forms[2])
			pol = append(pol, forms...)
		}
		return req, pol
	}()

	diffGlobalKeys = []diffKey{
		{"aws:username", typString, []string{"alice", "bob", "Alice", "alice-admin"}},
		{"aws:userid", typString, []string{"AIDAALICEEXAMPLE", "AROADEVEXAMPLE:alice", "AIDABOBEXAMPLE"}},
		{"aws:PrincipalAccount", typString, []string{diffAcct, diffOther}},
		{"aws:PrincipalType", typString, []string{"User", "AssumedRole"}},
		{"aws:PrincipalOrgID", typString, []string{"o-abc123", "o-zzz999"}},
		{"aws:PrincipalTag/team", typString, []string{"ops", "dev", "Ops", "web"}},
		{"aws:RequestedRegion", typString, []string{"us-east-1", "ap-northeast-1", "eu-west-1"}},
		{"aws:SourceVpc", typString, []string{"vpc-1111", "vpc-2222"}},
		{"aws:UserAgent", typString, []string{"aws-cli/2.15.0", "Boto3/1.34.0", "c2VzYW1l"}},
		{"aws:RequestTag/Env", typString, []string{"dev", "prod"}},
		{"aws:PrincipalArn", typARN, []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::444455556666:user/alice"}},
		{"aws:SourceArn", typARN, []string{"arn:aws:ssm:us-east-1:111122223333:document/MyShell", "arn:aws:ec2:ap-northeast-1:444455556666:instance/i-0abc1234"}},
		{"aws:TagKeys", typList, []string{"Env", "team", "Owner"}},
		{"aws:PrincipalOrgPaths", typList, []string{"o-abc123/r-ab12/ou-ab12-11111111/", "o-abc123/r-ab12/ou-ab12-22222222/"}},
		{"aws:CalledVia", typList, []string{"cloudformation.amazonaws.com", "athena.amazonaws.com"}},
		{"aws:SecureTransport", typBool, diffBools},
		{"aws:MultiFactorAuthPresent", typBool, diffBools},
		{"aws:MultiFactorAuthAge", typNum, diffNums},
		{"aws:CurrentTime", typDate, diffDates},
		{"aws:EpochTime", typDate, diffDates},
		{"aws:TokenIssueTime", typDate, diffDates},
		{"aws:SourceIp", typIP, diffIPs},
		{"aws:VpcSourceIp", typIP, diffIPs},
	}

	diffServiceKeys = map[string]diffKey{
		"ssm:SessionDocumentAccessCheck":             {"ssm:SessionDocumentAccessCheck", typBool, diffBools},
		"ec2:InstanceType":                           {"ec2:InstanceType", typString, []string{"t3.micro", "m5.large", "T3.micro"}},
		"ec2:Region":                                 {"ec2:Region", typString, diffRegions},
		"ssm:Overwrite":                              {"ssm:Overwrite", typString, []string{"true", "false"}},
		"ssm:resourceTag/aws:ssmmessages:session-id": {"ssm:resourceTag/aws:ssmmessages:session-id", typString, []string{"AIDAALICEEXAMPLE", "AROADEVEXAMPLE:alice"}},
		"ssm:resourceTag/aws:ssmmessages:target-id":  {"ssm:resourceTag/aws:ssmmessages:target-id", typString, []string{"i-0abc1234", "i-0def5678"}},
	}

	diffKeyTypes = func() map[string]keyType {
		m := map[string]keyType{}
		for _, k := range diffGlobalKeys {
			m[strings.ToLower(k.name)] = k.typ
		}
		for _, k := range diffServiceKeys {
			m[strings.ToLower(k.name)] = k.typ
		}
		return m
	}()
)

// diffKeyType is the type of a condition key; tags are strings.
func diffKeyType(k string) keyType {
	return diffKeyTypes[strings.ToLower(k)]
}

// diffAction is an action with the resource kinds the Service
// Authorization Reference lists for it (none: the action takes "*"), its
// own condition keys, the resource's keys, and the prefixes under which
// the resource's tags appear.
type diffAction struct {
	name    string
	kinds   []string
	keys    []string // action-level keys
	resKeys []string // resource-level keys other than tags
	tags    []string
}

var (
	ssmTags     = []string{"aws:ResourceTag/", "ssm:resourceTag/"}
	ec2Tags     = []string{"aws:ResourceTag/", "ec2:ResourceTag/"}
	sessionKeys = []string{"ssm:resourceTag/aws:ssmmessages:session-id", "ssm:resourceTag/aws:ssmmessages:target-id"}
	ec2InstKeys = []string{"ec2:InstanceType"}

	diffActions = []diffAction{
		{name: "ssm:StartSession", kinds: []string{"instance", "managed-instance", "document"}, keys: []string{"ssm:SessionDocumentAccessCheck"}, tags: ssmTags},
		{name: "ssm:GetConnectionStatus", kinds: []string{"instance", "managed-instance"}, tags: ssmTags},
		{name: "ssm:SendCommand", kinds: []string{"instance", "managed-instance", "document"}, tags: ssmTags},
		{name: "ssm:GetDocument", kinds: []string{"document"}, tags: ssmTags},
		{name: "ssm:TerminateSession", kinds: []string{"session"}, resKeys: sessionKeys},
		{name: "ssm:ResumeSession", kinds: []string{"session"}, resKeys: sessionKeys},
		{name: "ssm:GetParameter", kinds: []string{"parameter"}, tags: ssmTags},
		{name: "ssm:PutParameter", kinds: []string{"parameter"}, keys: []string{"ssm:Overwrite"}, tags: ssmTags},
		{name: "ssm:DescribeSessions"},
		{name: "ssm:DescribeInstanceInformation"},
		{name: "ec2:StartInstances", kinds: []string{"instance"}, keys: []string{"ec2:Region"}, resKeys: ec2InstKeys, tags: ec2Tags},
		{name: "ec2:StopInstances", kinds: []string{"instance"}, keys: []string{"ec2:Region"}, resKeys: ec2InstKeys, tags: ec2Tags},
		{name: "ec2:RebootInstances", kinds: []string{"instance"}, resKeys: ec2InstKeys, tags: ec2Tags},
		{name: "ec2:DescribeInstances", keys: []string{"ec2:Region"}},
	}

	// diffOtherActions appear in policies only.
	diffOtherActions = []string{"s3:GetObject", "iam:PassRole", "ec2:*", "ssm:Describe*", "ssm:*Session", "kms:Decrypt", "sqs:SendMessage"}

	diffResourceIDs = map[string][]string{
		"instance":         {"i-0abc1234", "i-0def5678"},
		"managed-instance": {"mi-0abc1234", "mi-0123ffff"},
		"document":         {iam.DefaultSessionDocument, "MyShell", "Team-ops-Shell"},
		"session":          {"alice-0123456789abcdef0", "bob-0fedcba9876543210", "botocore-session-1700000000-0a1b2c3d4e5f60718"},
		"parameter":        {"app/db-password", "ops/token", "dev/config"},
	}

	// diffResourceVars are resource-part patterns with policy variables,
	// by resource kind; the part before the first / stays literal.
	diffResourceVars = map[string][]string{
		"instance":         {"instance/${aws:ResourceTag/Owner, 'i-0abc1234'}", "instance/${aws:username}*"},
		"managed-instance": {"managed-instance/${aws:PrincipalTag/team, 'mi-0abc1234'}"},
		"document":         {"document/Team-${aws:PrincipalTag/team}-Shell", "document/${aws:username, 'MyShell'}", "document/${*}"},
		"session":          {"session/${aws:username}-*", "session/${AWS:UserName}-*", "session/${aws:PrincipalTag/team, 'alice'}-*", "session/${aws:userid}-*"},
		"parameter":        {"parameter/${aws:PrincipalTag/team, 'app'}/*", "parameter/${aws:username}/*", "parameter/${aws:RequestedRegion}/${?}*"},
	}

	// diffVarForms are policy variables for condition values.
	diffVarForms = []string{
		"${aws:username}", "${AWS:UserName}", "${aws:userid}", "${aws:PrincipalTag/team}", "${aws:PrincipalTag/team, 'ops'}",
		"${aws:PrincipalAccount}", "${aws:ResourceTag/Env}", "${ssm:resourceTag/Env, 'dev'}", "${aws:RequestedRegion, 'us-east-1'}",
		"${aws:SourceVpc}", "${aws:username, 'a*'}", "${aws:ResourceTag/team, 'Ops'}",
	}

	diffPrincipalSpecs = []struct{ arn, name, userid, role string }{
		{"arn:aws:iam::111122223333:user/alice", "alice", "AIDAALICEEXAMPLE", ""},
		{"arn:aws:iam::111122223333:user/ops/bob", "bob", "AIDABOBEXAMPLE", ""},
		{"arn:aws:sts::111122223333:assumed-role/Dev/alice", "alice", "AROADEVEXAMPLE:alice", "arn:aws:iam::111122223333:role/Dev"},
		{"arn:aws:sts::111122223333:assumed-role/Admin/botocore-session-1700000000", "botocore-session-1700000000", "AROAADMINEXAMPLE:botocore-session-1700000000", "arn:aws:iam::111122223333:role/Admin"},
	}
)

func diffResourceARN(kind, region, id string) string {
	switch kind {
	case "instance":
		return "arn:aws:ec2:" + region + ":" + diffAcct + ":instance/" + id
	case "":
		return "*"
	}
	return "arn:aws:ssm:" + region + ":" + diffAcct + ":" + kind + "/" + id
}

// diffScope is what a policy is aimed at: the call's action, the ARNs it
// authorizes and their keys, and the keys conditions may test.
type diffScope struct {
	caller string
	action string
	arns   []string
	ctxs   []diffCtx
	keys   []diffKey
}

// newCase draws cases until one the oracle can judge comes up.
func (g *diffGen) newCase() *diffCase {
	for {
		c := g.draw()
		if diffUnjudgeable(c) == "" {
			return c
		}
		g.rejected++
	}
}

func (g *diffGen) draw() *diffCase {
	p := pickOne(g, diffPrincipalSpecs)
	c := &diffCase{Principal: p.arn, Context: g.principalContext(p.arn, p.name, p.userid, p.role)}
	sc := &diffScope{keys: slices.Clone(diffGlobalKeys)}
	region := pickOne(g, diffRegions)
	var act diffAction
	if g.chance(0.2) {
		// StartSession through iam.StartSession: target, then document.
		act = diffActions[0]
		kind := pickOne(g, []string{"instance", "instance", "managed-instance"})
		c.Start = &diffStart{Region: region, Target: pickOne(g, diffResourceIDs[kind]), Tags: g.tags(),
			Document: pickOne(g, []string{"", "", iam.DefaultSessionDocument, "MyShell", "Team-ops-Shell"}), Exempt: g.chance(0.3)}
		if g.chance(0.3) {
			c.Start.DocumentTags = g.tags()
		}
	} else {
		act = pickOne(g, diffActions)
		kind := ""
		if len(act.kinds) > 0 {
			kind = pickOne(g, act.kinds)
		}
		res := diffResource{ARN: "*", Context: diffCtx{}}
		if kind != "" {
			res.ARN = diffResourceARN(kind, region, pickOne(g, diffResourceIDs[kind]))
			tags := g.tags()
			for _, k := range slices.Sorted(maps.Keys(tags)) { // sorted: the draw must not depend on map order
				v := tags[k]
				for _, prefix := range act.tags {
					if g.chance(0.85) {
						res.Context[prefix+k] = v
					}
				}
			}
			for _, k := range act.resKeys {
				if g.chance(0.6) {
					res.Context[k] = g.requestValue(diffServiceKeys[k])
				}
			}
		}
		for _, k := range act.keys {
			if g.chance(0.4) {
				c.Context[k] = g.requestValue(diffServiceKeys[k])
			}
		}
		c.Resources = []diffResource{res}
	}
	c.Action = act.name
	for _, k := range append(slices.Clone(act.keys), act.resKeys...) {
		sc.keys = append(sc.keys, diffServiceKeys[k])
	}
	for _, prefix := range act.tags {
		for _, k := range diffTagKeys {
			sc.keys = append(sc.keys, diffKey{prefix + k, typString, diffTagValues})
		}
	}
	sc.action, sc.caller = c.Action, c.Principal
	for _, r := range c.requests() {
		sc.arns = append(sc.arns, r.arn)
		sc.ctxs = append(sc.ctxs, r.ctx)
	}

	role := p.role != ""
	switch x := g.r.IntN(20); {
	case x == 0:
	case x < 10:
		c.Identity = []*diffDoc{g.doc(sc, "identity")}
	case x < 16:
		c.Identity = []*diffDoc{g.doc(sc, "identity"), g.doc(sc, "identity")}
	default:
		c.Identity = []*diffDoc{g.doc(sc, "identity"), g.doc(sc, "identity"), g.doc(sc, "identity")}
	}
	if g.chance(0.25) {
		c.Boundary = g.doc(sc, "boundary")
	}
	if role && g.chance(0.35) {
		c.Session = g.doc(sc, "session")
	}
	if g.chance(0.25) {
		for range 1 + g.r.IntN(3) {
			var level []*diffDoc
			if g.chance(0.7) {
				level = append(level, &diffDoc{Version: iam.Version2012, Statements: []*diffStmt{{Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}, Scalar: true}}})
			} else {
				level = append(level, g.doc(sc, "scp"))
			}
			if g.chance(0.3) {
				level = append(level, g.doc(sc, "scp"))
			}
			c.SCPs = append(c.SCPs, level)
		}
	}
	if g.chance(0.15) {
		for range 1 + g.r.IntN(2) {
			c.RCPs = append(c.RCPs, []*diffDoc{g.doc(sc, "rcp")})
		}
	}
	if c.Start == nil && c.Resources[0].ARN != "*" && g.chance(0.25) {
		c.ResourcePolicy = g.doc(sc, "resource")
	}
	return c
}

// principalContext returns the keys AWS derives from the caller (each left
// out now and then) and a random set of other global keys.
func (g *diffGen) principalContext(arn, name, userid, role string) diffCtx {
	ctx := diffCtx{}
	add := func(k, v string) {
		if g.chance(0.85) {
			ctx[k] = v
		}
	}
	add("aws:PrincipalAccount", diffAcct)
	add("aws:userid", userid)
	if role == "" {
		add("aws:PrincipalArn", arn)
		add("aws:PrincipalType", "User")
		add("aws:username", name)
	} else {
		add("aws:PrincipalArn", role)
		add("aws:PrincipalType", "AssumedRole")
	}
	for _, k := range diffGlobalKeys {
		if _, ok := ctx[k.name]; !ok && g.chance(0.25) {
			ctx[k.name] = g.requestValue(k)
		}
	}
	return ctx
}

func (g *diffGen) requestValue(k diffKey) any {
	if k.typ == typList {
		var vs []string
		for _, v := range k.vals {
			if g.chance(0.45) {
				vs = append(vs, v)
			}
		}
		if vs == nil {
			vs = []string{}
		}
		return vs
	}
	return pickOne(g, k.vals)
}

// tags returns 0 to 2 resource tags.
func (g *diffGen) tags() map[string]string {
	m := map[string]string{}
	for range g.r.IntN(3) {
		m[pickOne(g, diffTagKeys)] = pickOne(g, diffTagValues)
	}
	return m
}

// doc draws a policy document of the given kind: identity, boundary,
// session, scp, rcp or resource.
func (g *diffGen) doc(sc *diffScope, kind string) *diffDoc {
	d := &diffDoc{Version: iam.Version2012}
	switch x := g.r.IntN(10); {
	case kind == "rcp":
	case x == 0:
		d.Version = iam.Version2008
	case x == 1:
		d.Version = ""
	}
	for range 1 + g.r.IntN(4) {
		d.Statements = append(d.Statements, g.stmt(sc, kind))
	}
	return d
}

func (g *diffGen) stmt(sc *diffScope, kind string) *diffStmt {
	s := &diffStmt{Effect: "Allow", Scalar: g.chance(0.5)}
	if g.chance(0.3) || kind == "rcp" {
		s.Effect = "Deny"
	}
	for range 1 + g.r.IntN(3) {
		s.Actions = append(s.Actions, g.actionPattern(sc.action))
	}
	s.NotAction = kind != "rcp" && g.chance(0.15)
	if kind == "rcp" {
		for i, a := range s.Actions {
			if a == "*" {
				s.Actions[i] = sc.action // RCPs may not use Action "*"
			}
		}
	}
	if kind != "resource" || g.chance(0.9) {
		for range 1 + g.r.IntN(2) {
			s.Resources = append(s.Resources, g.resourcePattern(sc))
		}
		s.NotResource = g.chance(0.15)
	}
	switch kind {
	case "rcp":
		s.Principal = []diffPrincipal{{"*", "*"}}
	case "resource":
		s.Principal = g.principals(s, sc.caller)
	}
	n := 0
	switch x := g.r.IntN(10); {
	case x < 4:
	case x < 7:
		n = 1
	case x < 9:
		n = 2
	default:
		n = 3
	}
	for range n {
		if c := g.cond(sc, s.Conds); c != nil {
			s.Conds = append(s.Conds, c)
		}
	}
	return s
}

// principals draws a resource policy's Principal (or, for a Deny,
// NotPrincipal).
func (g *diffGen) principals(s *diffStmt, caller string) []diffPrincipal {
	var out []diffPrincipal
	for range 1 + g.r.IntN(2) {
		p := pickOne(g, diffPrincipalSpecs)
		var pr diffPrincipal
		switch x := g.r.IntN(9); {
		case x == 0:
			return []diffPrincipal{{"*", "*"}}
		case x == 1:
			pr = diffPrincipal{"AWS", "*"}
		case x == 2:
			pr = diffPrincipal{"AWS", pickOne(g, []string{diffAcct, "arn:aws:iam::" + diffAcct + ":root", diffOther})}
		case x < 6:
			pr = diffPrincipal{"AWS", p.arn}
		case x < 8 && p.role != "":
			pr = diffPrincipal{"AWS", p.role}
		case x == 8:
			pr = diffPrincipal{"Service", "ssm.amazonaws.com"}
		default:
			pr = diffPrincipal{"AWS", "arn:aws:iam::" + diffOther + ":user/alice"}
		}
		out = append(out, pr)
	}
	if s.Effect == "Deny" && g.chance(0.15) {
		// NotPrincipal (Deny only, as AWS requires): every identity of a
		// caller, or none of them.
		s.NotPrincipal = true
		who := pickOne(g, diffPrincipalSpecs).arn
		if g.chance(0.6) {
			who = caller
		}
		out = nil
		for _, forms := range callerIdentities(who) {
			out = append(out, diffPrincipal{"AWS", pickOne(g, forms)})
		}
		if g.chance(0.3) {
			out = append(out, diffPrincipal{"AWS", "arn:aws:iam::" + diffOther + ":user/alice"})
		}
	}
	return out
}

// actionPattern draws an Action entry aimed at action.
func (g *diffGen) actionPattern(action string) string {
	svc, name, _ := strings.Cut(action, ":")
	switch x := g.r.IntN(20); {
	case x < 2:
		return "*"
	case x < 5:
		if g.chance(0.5) {
			return pickOne(g, diffOtherActions)
		}
		return pickOne(g, diffActions).name
	case x < 10:
		return g.mangleCase(svc) + ":" + g.mangleCase(name)
	}
	switch x := g.r.IntN(5); x {
	case 0:
		name = "*"
	case 1:
		name = name[:g.r.IntN(len(name))] + "*"
	case 2:
		name = "*" + name[g.r.IntN(len(name)):]
	case 3:
		i := g.r.IntN(len(name))
		name = name[:i] + "?" + name[i+1:]
	default:
		i, j := g.r.IntN(len(name)), g.r.IntN(len(name))
		if i > j {
			i, j = j, i
		}
		name = name[:i] + "*" + name[j:]
	}
	return g.mangleCase(svc) + ":" + g.mangleCase(name)
}

// mangleCase changes the case of s now and then.
func (g *diffGen) mangleCase(s string) string {
	switch g.r.IntN(8) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	case 2:
		b := []byte(s)
		i := g.r.IntN(len(b))
		switch c := b[i]; {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
		return string(b)
	}
	return s
}

// resourcePattern draws a Resource entry aimed at one of the scope's ARNs.
func (g *diffGen) resourcePattern(sc *diffScope) string {
	arn := pickOne(g, sc.arns)
	switch x := g.r.IntN(20); {
	case x < 3:
		return "*"
	case x < 6 || arn == "*":
		kind := pickOne(g, []string{"instance", "managed-instance", "document", "session", "parameter"})
		if g.chance(0.3) {
			return diffResourceARN(kind, "*", "*")
		}
		return diffResourceARN(kind, pickOne(g, diffRegions), pickOne(g, diffResourceIDs[kind]))
	case x < 9:
		return arn
	case x < 11:
		parts := strings.SplitN(arn, ":", 6)
		kind, _, _ := strings.Cut(parts[5], "/")
		parts[3], parts[4] = "*", pickOne(g, []string{"*", diffAcct})
		parts[5] = pickOne(g, diffResourceVars[kind])
		return strings.Join(parts, ":")
	}
	parts := strings.SplitN(arn, ":", 6)
	for range 1 + g.r.IntN(2) {
		switch g.r.IntN(9) {
		case 0:
			parts[1] = pickOne(g, []string{"*", "a?s", "AWS", "aws-cn"})
		case 1:
			parts[2] = strings.ToUpper(parts[2]) // service: no wildcard allowed
		case 2:
			parts[3] = pickOne(g, []string{"*", "us-*", "*-1", "", "AP-NORTHEAST-1", "?s-east-1"})
		case 3:
			parts[4] = pickOne(g, []string{"*", "1111?2223333", "", diffOther, "111122223333*"})
		default:
			parts[5] = g.mutateResourcePart(parts[5])
		}
	}
	return strings.Join(parts, ":")
}

// mutateResourcePart changes the part after the fifth colon: the type up
// to the first / stays literal (see literalProduct).
func (g *diffGen) mutateResourcePart(rp string) string {
	kind, id, _ := strings.Cut(rp, "/")
	if id == "" {
		return pickOne(g, []string{"*", strings.TrimSuffix(kind, "*") + "*"})
	}
	switch g.r.IntN(8) {
	case 0:
		return "*"
	case 1:
		return kind + "*"
	case 2:
		return kind + "/*"
	case 3:
		return kind + "/" + id[:g.r.IntN(len(id))] + "*"
	case 4:
		i := g.r.IntN(len(id))
		return kind + "/" + id[:i] + "?" + id[i+1:]
	case 5:
		return kind + "/" + strings.ToUpper(id) // the resource part is case-sensitive
	case 6:
		return kind + "/*" + id[g.r.IntN(len(id)):]
	}
	return strings.ToUpper(kind[:1]) + kind[1:] + "/" + id
}

// cond draws a condition on a key the scope's request has (about half the
// time) or may lack. It returns nil when it cannot add one that keeps the
// operator's keys unique.
func (g *diffGen) cond(sc *diffScope, existing []*diffCond) *diffCond {
	var k diffKey
	if ctx := pickOne(g, sc.ctxs); len(ctx) > 0 && g.chance(0.5) {
		names := make([]string, 0, len(ctx))
		for name := range ctx {
			names = append(names, name)
		}
		slices.Sort(names)
		name := pickOne(g, names)
		k = diffKey{name, diffKeyType(name), nil}
		for _, spec := range sc.keys {
			if strings.EqualFold(spec.name, name) {
				k = spec
			}
		}
		if k.vals == nil {
			k.vals = diffTagValues
		}
	} else {
		k = pickOne(g, sc.keys)
	}
	c := &diffCond{Key: k.name}
	if g.chance(0.15) {
		c.Key = g.mangleCase(k.name)
	}
	ifExists := g.chance(0.2)
	switch k.typ {
	case typString, typARN, typList:
		ops := []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}
		if k.typ == typARN {
			ops = append(ops, "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "ArnLike", "ArnNotLike")
		}
		c.Op = pickOne(g, ops)
		if k.name == "aws:UserAgent" && g.chance(0.3) {
			c.Op = "BinaryEquals"
		}
		if (k.typ == typList && g.chance(0.85)) || g.chance(0.05) {
			c.Op = pickOne(g, []string{"ForAllValues:", "ForAnyValue:"}) + c.Op
		}
		for range 1 + g.r.IntN(3) {
			c.Values = append(c.Values, g.stringValue(k, c.Op, sc))
		}
	case typBool:
		c.Op = "Bool"
		c.Bare = g.chance(0.25)
		for range 1 + g.r.IntN(2) {
			if c.Bare {
				c.Values = append(c.Values, pickOne(g, diffBools))
			} else {
				c.Values = append(c.Values, pickOne(g, []string{"true", "false", "True", "FALSE"}))
			}
		}
	case typNum:
		c.Op = pickOne(g, []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"})
		c.Bare = g.chance(0.2)
		for range 1 + g.r.IntN(2) {
			if c.Bare {
				c.Values = append(c.Values, pickOne(g, []string{"0", "30", "3600", "-1"}))
			} else {
				c.Values = append(c.Values, pickOne(g, diffNumPolicy))
			}
		}
	case typDate:
		c.Op = pickOne(g, []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"})
		for range 1 + g.r.IntN(2) {
			c.Values = append(c.Values, pickOne(g, diffDatePolicy))
		}
	case typIP:
		c.Op = pickOne(g, []string{"IpAddress", "NotIpAddress"})
		for range 1 + g.r.IntN(3) {
			c.Values = append(c.Values, pickOne(g, diffIPPolicy))
		}
	}
	if g.chance(0.1) {
		c.Op, ifExists = "Null", false
		c.Values = []string{pickOne(g, []string{"true", "false", "True"})}
		c.Bare = false
	}
	if ifExists {
		c.Op += "IfExists"
	}
	for _, e := range existing {
		if e.Op == c.Op && strings.EqualFold(e.Key, c.Key) {
			return nil
		}
	}
	return c
}

// stringValue draws a policy value for a string, ARN or list key.
func (g *diffGen) stringValue(k diffKey, op string, sc *diffScope) string {
	v := pickOne(g, k.vals)
	if g.chance(0.5) {
		// The request's own value, when it has one.
		if rv, ok := pickOne(g, sc.ctxs).lookup(k.name); ok {
			switch rv := rv.(type) {
			case string:
				v = rv
			case []string:
				if len(rv) > 0 {
					v = pickOne(g, rv)
				}
			}
		}
	}
	arnOp := strings.Contains(op, "Arn")
	switch {
	case g.chance(0.15):
		// A policy variable (literal text unless the document is
		// 2012-10-17), alone or inside text.
		vr := pickOne(g, diffVarForms)
		if arnOp {
			return "arn:aws:iam::" + diffAcct + ":user/" + vr
		}
		switch g.r.IntN(4) {
		case 0:
			return "pre-" + vr
		case 1:
			return vr + "*"
		}
		return vr
	case g.chance(0.03):
		esc := pickOne(g, []string{"a${*}b", "${?}", "$${$}", "${*}"})
		if arnOp {
			// Arn operators compare ARNs; a value that is not one is
			// undefined (iam-simulate: no match even when negated).
			return "arn:aws:iam::" + diffAcct + ":user/" + esc
		}
		return esc
	}
	switch {
	case strings.Contains(op, "IgnoreCase") && g.chance(0.5):
		v = g.mangleCase(v)
	case (strings.Contains(op, "Like") || arnOp) && g.chance(0.4):
		v = g.wildcard(v, arnOp)
	case g.chance(0.1):
		v = g.mangleCase(v)
	}
	return v
}

// wildcard puts * or ? into v; for an ARN, not across its colons.
func (g *diffGen) wildcard(v string, arn bool) string {
	if v == "" {
		return "*"
	}
	if arn {
		parts := strings.SplitN(v, ":", 6)
		if len(parts) == 6 {
			i := 1 + g.r.IntN(5)
			parts[i] = g.wildcard(parts[i], false)
			return strings.Join(parts, ":")
		}
	}
	switch g.r.IntN(5) {
	case 0:
		return "*"
	case 1:
		return v[:g.r.IntN(len(v))] + "*"
	case 2:
		return "*" + v[g.r.IntN(len(v)):]
	case 3:
		i := g.r.IntN(len(v))
		return v[:i] + "?" + v[i+1:]
	}
	i := g.r.IntN(len(v))
	return v[:i] + "*" + v[i:]
}
