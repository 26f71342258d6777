// The IAM conformance corpus: AWS's documented policy semantics written
// down as cases, one JSON file per topic in testdata/corpus, run by
// TestCorpus one subtest per case. Every expectation comes from AWS's
// documentation (see /work/shared/iam-semantics.md), never from what the
// engine returns. Cases the engine gets wrong wait in
// testdata/corpus-pending (same format); TestCorpus skips them unless run
// with -corpus.pending, which runs only them.
//
// A corpus file is a JSON array of cases. Every case has
//
//	"name"    unique across the corpus
//	"rule"    the AWS rule it encodes, in a few words
//	"source"  where AWS says so (a doc page, e.g.
//	          "reference_policies_elements_condition_operators.md")
//
// and is one of four kinds.
//
// Request: one (action, resource) pair, decided by PolicySet.Evaluate.
//
//	"policies": {
//	  "identity": [POLICY...],   user, group or role policies
//	  "boundary": POLICY,        permissions boundary
//	  "session":  POLICY,        session policy
//	  "scps":     [[POLICY...]], one array per level of the org path
//	  "rcps":     [[POLICY...]],
//	  "resource": POLICY         the resource's own policy
//	},
//	"request": {
//	  "principal": "arn:aws:iam::111122223333:user/alice",
//	  "userid": "AIDAEXAMPLE",           optional, sets aws:userid
//	  "action": "ssm:StartSession",
//	  "resource": "arn:...",             default "*" (no resource)
//	  "resourceAccount": "444455556666", default: the principal's account
//	  "context": {KEY: "v" | ["multi", "values"]},
//	  "resourceContext": {KEY: ...}      the resource's keys (tags)
//	},
//	"expect": "allowed" | "implicitDeny" | "explicitDeny",
//	"deniedBy": "identity-based policy" | "permissions boundary" | ...,
//	"message": "User: ... is not authorized to perform: ..."
//
// The principal's global keys (aws:username, aws:userid, aws:PrincipalArn,
// aws:PrincipalType, ...) are set as AWS sets them; "context" is applied
// on top. A "multi" array is a multivalued key (an empty array is a
// present but empty key).
//
// Call: one action on several resources, decided by PolicySet.Authorize.
//
//	"policies": {...},
//	"call": {
//	  "principal", "userid", "action", "context",
//	  "resources": [{"arn", "account", "context", "policy": POLICY}]
//	},
//	"expect", "expectDenied": index of the denied resource, "deniedBy", "message"
//
// StartSession: an ssm:StartSession call built by iam.StartSession.
//
//	"policies": {...},
//	"startSession": {
//	  "principal", "userid", "partition", "region", "account", "target",
//	  "tags": {K: V}, "document", "documentTags": {K: V},
//	  "check": "default" | "exempt", "context"
//	},
//	"expect", "expectDenied", "deniedBy", "message"
//
// Parse: strict parsing of one document, by CheckDocument.
//
//	"parse": {"type": "IDENTITY_POLICY", "document": RAW, "padTo": N},
//	"valid": false,
//	"code": "JSON_SYNTAX_ERROR", "path": "Statement[0].Effect",
//	"line": 3, "column": 5
//
// For an invalid document, one reported problem must carry every one of
// code, path, line and column that the case gives. Lines and columns
// count from 1, columns in characters. "padTo" replaces the text @PAD@ in
// the document by as many "a" as make the document exactly N characters
// long, whitespace outside strings not counted (reference_iam-quotas).
//
// A POLICY is a document, or {"name": N, "document": D} to name it. A
// document is a JSON object, kept byte for byte (key order and duplicate
// keys included), or a JSON string holding the raw text (for invalid
// JSON, Version-less documents and the like).
package iam_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/iam"
)

var corpusPending = flag.Bool("corpus.pending", false, "run the pending corpus (testdata/corpus-pending) instead of the corpus")

type corpusCase struct {
	Name   string `json:"name"`
	Rule   string `json:"rule"`
	Source string `json:"source"`

	Policies     *casePolicies     `json:"policies"`
	Request      *caseRequest      `json:"request"`
	Call         *caseCall         `json:"call"`
	StartSession *caseStartSession `json:"startSession"`
	Expect       string            `json:"expect"`
	ExpectDenied *int              `json:"expectDenied"`
	DeniedBy     string            `json:"deniedBy"`
	Message      string            `json:"message"`

	Parse  *caseParse `json:"parse"`
	Valid  *bool      `json:"valid"`
	Code   string     `json:"code"`
	Path   string     `json:"path"`
	Line   int        `json:"line"`
	Column int        `json:"column"`

	file string
}

type casePolicies struct {
	Identity []policyRef   `json:"identity"`
	Boundary *policyRef    `json:"boundary"`
	Session  *policyRef    `json:"session"`
	SCPs     [][]policyRef `json:"scps"`
	RCPs     [][]policyRef `json:"rcps"`
	Resource *policyRef    `json:"resource"`
}

// policyRef is a document, bare or named.
type policyRef struct {
	Name     string
	Document []byte
}

func (p *policyRef) UnmarshalJSON(b []byte) error {
	var named struct {
		Name     string          `json:"name"`
		Document json.RawMessage `json:"document"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		probe := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &probe); err != nil {
			return err
		}
		if _, ok := probe["document"]; ok {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&named); err != nil {
				return err
			}
			b = named.Document
		}
	}
	doc, err := rawDocument(b)
	if err != nil {
		return err
	}
	p.Name, p.Document = named.Name, doc
	return nil
}

// rawDocument returns a document's text: a JSON string's contents, or the
// JSON object itself byte for byte.
func rawDocument(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("a document is a JSON object or a string, got %.20s", b)
	}
	return append([]byte(nil), b...), nil
}

// contextMap is a request's or a resource's keys.
type contextMap map[string]json.RawMessage

func (m contextMap) apply(t *testing.T, c *iam.Context) {
	t.Helper()
	for k, raw := range m {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			c.Set(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			t.Fatalf("context key %q: want a string or an array of strings, got %s", k, raw)
		}
		if many == nil {
			many = []string{}
		}
		c.SetMulti(k, many)
	}
}

type caseRequest struct {
	Principal       string     `json:"principal"`
	UserID          string     `json:"userid"`
	Action          string     `json:"action"`
	Resource        string     `json:"resource"`
	ResourceAccount string     `json:"resourceAccount"`
	Context         contextMap `json:"context"`
	ResourceContext contextMap `json:"resourceContext"`
}

type caseCall struct {
	Principal string         `json:"principal"`
	UserID    string         `json:"userid"`
	Action    string         `json:"action"`
	Context   contextMap     `json:"context"`
	Resources []caseResource `json:"resources"`
}

type caseResource struct {
	ARN     string     `json:"arn"`
	Account string     `json:"account"`
	Context contextMap `json:"context"`
	Policy  *policyRef `json:"policy"`
}

type caseStartSession struct {
	Principal    string            `json:"principal"`
	UserID       string            `json:"userid"`
	Partition    string            `json:"partition"`
	Region       string            `json:"region"`
	Account      string            `json:"account"`
	Target       string            `json:"target"`
	Tags         map[string]string `json:"tags"`
	Document     string            `json:"document"`
	DocumentTags map[string]string `json:"documentTags"`
	Check        string            `json:"check"`
	Context      contextMap        `json:"context"`
}

type caseParse struct {
	Type     string          `json:"type"`
	Document json.RawMessage `json:"document"`
	PadTo    int             `json:"padTo"`
}

func TestCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "corpus")
	if *corpusPending {
		dir = filepath.Join("testdata", "corpus-pending")
	}
	cases := loadCorpus(t, dir)
	if !*corpusPending && len(cases) < 400 {
		t.Errorf("the corpus has %d cases, want at least 400", len(cases))
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".json")+"/"+c.Name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

func loadCorpus(t *testing.T, dir string) []*corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 && !*corpusPending {
		t.Fatalf("no corpus files in %s", dir)
	}
	var all []*corpusCase
	names := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []*corpusCase
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		base := filepath.Base(f)
		for i, c := range cases {
			c.file = base
			if err := c.check(); err != nil {
				t.Errorf("%s: case %d (%q): %v", base, i, c.Name, err)
				continue
			}
			if prev, dup := names[c.Name]; dup {
				t.Errorf("%s: case name %q already used in %s", base, c.Name, prev)
			}
			names[c.Name] = base
			all = append(all, c)
		}
	}
	return all
}

// check validates a case's shape.
func (c *corpusCase) check() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("no name")
	case c.Rule == "" || c.Source == "":
		return fmt.Errorf("every case needs a rule and a source")
	}
	kinds := 0
	for _, set := range []bool{c.Request != nil, c.Call != nil, c.StartSession != nil, c.Parse != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("a case needs exactly one of request, call, startSession and parse")
	}
	if c.Parse != nil {
		if c.Valid == nil {
			return fmt.Errorf("a parse case needs valid")
		}
		if *c.Valid && (c.Code != "" || c.Path != "" || c.Line != 0 || c.Column != 0) {
			return fmt.Errorf("a valid document has no problem to describe")
		}
		return nil
	}
	switch c.Expect {
	case "allowed", "implicitDeny", "explicitDeny":
	default:
		return fmt.Errorf("expect is %q, want allowed, implicitDeny or explicitDeny", c.Expect)
	}
	if c.Expect == "allowed" && (c.DeniedBy != "" || c.Message != "" || c.ExpectDenied != nil) {
		return fmt.Errorf("an allowed case has no deniedBy, message or expectDenied")
	}
	if c.Request != nil && c.ExpectDenied != nil {
		return fmt.Errorf("expectDenied is for calls")
	}
	return nil
}

func (c *corpusCase) run(t *testing.T) {
	switch {
	case c.Parse != nil:
		c.runParse(t)
	case c.Request != nil:
		c.runRequest(t)
	case c.Call != nil:
		set := c.policySet(t)
		call := c.Call.build(t)
		c.checkCall(t, set, call)
	case c.StartSession != nil:
		set := c.policySet(t)
		call := c.StartSession.build(t)
		c.checkCall(t, set, call)
	}
}

func compile(t *testing.T, name string, typ iam.Type, ref *policyRef) *iam.Policy {
	t.Helper()
	if ref.Name != "" {
		name = ref.Name
	}
	p, err := iam.NewPolicy(name, typ, ref.Document)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return p
}

func (c *corpusCase) policySet(t *testing.T) *iam.PolicySet {
	t.Helper()
	set := &iam.PolicySet{}
	ps := c.Policies
	if ps == nil {
		return set
	}
	for i := range ps.Identity {
		set.Identity = append(set.Identity, compile(t, fmt.Sprintf("identity[%d]", i), iam.Identity, &ps.Identity[i]))
	}
	if ps.Boundary != nil {
		set.Boundary = compile(t, "boundary", iam.Boundary, ps.Boundary)
	}
	if ps.Session != nil {
		set.Session = compile(t, "session", iam.SessionPolicy, ps.Session)
	}
	org := func(kind string, typ iam.Type, levels [][]policyRef) [][]*iam.Policy {
		var out [][]*iam.Policy
		for i, level := range levels {
			var ps []*iam.Policy
			for j := range level {
				ps = append(ps, compile(t, fmt.Sprintf("%s[%d][%d]", kind, i, j), typ, &level[j]))
			}
			out = append(out, ps)
		}
		return out
	}
	set.SCPs = org("scp", iam.SCP, ps.SCPs)
	set.RCPs = org("rcp", iam.RCP, ps.RCPs)
	return set
}

func principal(t *testing.T, arn, userID string) (*iam.Principal, *iam.Context) {
	t.Helper()
	p, err := iam.ParsePrincipal(arn)
	if err != nil {
		t.Fatalf("principal: %v", err)
	}
	ctx := &iam.Context{}
	ctx.SetPrincipal(p, userID)
	return p, ctx
}

func (c *corpusCase) runRequest(t *testing.T) {
	rq := c.Request
	set := c.policySet(t)
	p, ctx := principal(t, rq.Principal, rq.UserID)
	rq.Context.apply(t, ctx)
	rctx := &iam.Context{}
	rq.ResourceContext.apply(t, rctx)
	resource := rq.Resource
	if resource == "" {
		resource = "*"
	}
	r := &iam.Request{Principal: p, Action: rq.Action, Resource: resource, ResourceAccount: rq.ResourceAccount,
		Context: ctx, ResourceContext: rctx}
	if c.Policies != nil && c.Policies.Resource != nil {
		r.ResourcePolicy = compile(t, "resource", iam.ResourceBased, c.Policies.Resource)
	}
	res := set.Evaluate(r)
	got := outcome{Decision: res.Decision.String()}
	if res.Decision != iam.Allowed {
		got.DeniedBy = res.Type.String()
		got.Message = iam.AccessDeniedMessage(p.ARN, rq.Action, resource, res)
	}
	c.compare(t, got, -1)
}

func (cc *caseCall) build(t *testing.T) *iam.Call {
	t.Helper()
	p, ctx := principal(t, cc.Principal, cc.UserID)
	cc.Context.apply(t, ctx)
	call := &iam.Call{Principal: p, Action: cc.Action, Context: ctx}
	for i, r := range cc.Resources {
		rctx := &iam.Context{}
		r.Context.apply(t, rctx)
		res := iam.Resource{ARN: r.ARN, Account: r.Account, Context: rctx}
		if r.Policy != nil {
			res.Policy = compile(t, fmt.Sprintf("resource[%d]", i), iam.ResourceBased, r.Policy)
		}
		call.Resources = append(call.Resources, res)
	}
	return call
}

func (s *caseStartSession) build(t *testing.T) *iam.Call {
	t.Helper()
	p, ctx := principal(t, s.Principal, s.UserID)
	s.Context.apply(t, ctx)
	ss := &iam.StartSession{Principal: p, Partition: s.Partition, Region: s.Region, Account: s.Account,
		Target: s.Target, Tags: s.Tags, Document: s.Document, DocumentTags: s.DocumentTags, Context: ctx}
	switch s.Check {
	case "", "default":
		ss.Check = iam.CheckDefaultDocument
	case "exempt":
		ss.Check = iam.ExemptDefaultDocument
	default:
		t.Fatalf("check is %q, want default or exempt", s.Check)
	}
	call, err := ss.Call()
	if err != nil {
		t.Fatalf("StartSession.Call: %v", err)
	}
	return call
}

func (c *corpusCase) checkCall(t *testing.T, set *iam.PolicySet, call *iam.Call) {
	a := set.Authorize(call)
	got := outcome{Decision: a.Decision.String()}
	if a.Decision != iam.Allowed {
		got.DeniedBy = a.Result.Type.String()
		got.Message = a.Message(call)
	}
	c.compare(t, got, a.Denied)
}

// outcome is what a case checks: the decision always, the rest when the
// case gives it.
type outcome struct {
	Decision string
	Denied   int
	DeniedBy string
	Message  string
}

func (c *corpusCase) compare(t *testing.T, got outcome, denied int) {
	t.Helper()
	want := outcome{Decision: c.Expect, DeniedBy: c.DeniedBy, Message: c.Message}
	got.Denied = denied
	if c.ExpectDenied != nil {
		want.Denied = *c.ExpectDenied
	} else {
		want.Denied = got.Denied
	}
	if c.DeniedBy == "" {
		got.DeniedBy = ""
	}
	if c.Message == "" {
		got.Message = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule: %s (%s)\n(-want +got):\n%s", c.Rule, c.Source, diff)
	}
}

func (c *corpusCase) runParse(t *testing.T) {
	typ, err := iam.ParseType(c.Parse.Type)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := rawDocument(c.Parse.Document)
	if err != nil {
		t.Fatalf("document: %v", err)
	}
	if c.Parse.PadTo > 0 {
		doc = pad(t, doc, c.Parse.PadTo)
	}
	_, problems := iam.CheckDocument(doc, typ)
	if *c.Valid {
		if len(problems) > 0 {
			t.Errorf("rule: %s (%s)\nwant a valid document, got problems:\n%s", c.Rule, c.Source, listProblems(problems))
		}
		return
	}
	if len(problems) == 0 {
		t.Fatalf("rule: %s (%s)\nwant an invalid document, got no problem", c.Rule, c.Source)
	}
	for _, p := range problems {
		if (c.Code == "" || p.Code == c.Code) && (c.Path == "" || p.Path == c.Path) &&
			(c.Line == 0 || p.Pos.Line == c.Line) && (c.Column == 0 || p.Pos.Col == c.Column) {
			return
		}
	}
	t.Errorf("rule: %s (%s)\nwant a problem with code %q path %q at %d:%d, got:\n%s",
		c.Rule, c.Source, c.Code, c.Path, c.Line, c.Column, listProblems(problems))
}

func listProblems(ps []*iam.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s %s (path %q): %s\n", p.Pos, p.Code, p.Path, p.Msg)
	}
	return b.String()
}

// quotaSize counts a document's characters as IAM's quotas do: every
// character but whitespace.
func quotaSize(doc []byte) int {
	n := 0
	for _, r := range string(doc) {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

// pad replaces @PAD@ so that the document has exactly size characters.
func pad(t *testing.T, doc []byte, size int) []byte {
	t.Helper()
	const mark = "@PAD@"
	if bytes.Count(doc, []byte(mark)) != 1 {
		t.Fatalf("padTo needs exactly one %s in the document", mark)
	}
	n := size - (quotaSize(doc) - len(mark))
	if n < 0 {
		t.Fatalf("the document is longer than %d characters before padding", size)
	}
	out := bytes.Replace(doc, []byte(mark), bytes.Repeat([]byte("a"), n), 1)
	if got := quotaSize(out); got != size {
		t.Fatalf("padded document has %d characters, want %d", got, size)
	}
	return out
}
