// Benchmarks of StartSession authorization (StartSession.Call, then
// PolicySet.Authorize on the target and the session document), and a
// side-by-side run of the same cases through iam-simulate.
//
//	go test -run '^$' -bench BenchmarkStartSession -benchmem ./internal/iam/
//	make bench-iam    both engines in one run, with the ratio
//
// make bench-iam runs TestBenchIAMSimulate with -iamsim.bench: it measures
// sesame with testing.Benchmark, writes the same cases as iam-simulate
// simulations (two per StartSession: target and document) to a temporary
// file, times them with testdata/iamsim/bench.mjs, and prints both.
package iam_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-sh/sesame/internal/iam"
)

var benchIAMSim = flag.Bool("iamsim.bench", false, "TestBenchIAMSimulate times sesame and iam-simulate on the benchmark cases (make bench-iam)")

// benchCase is one StartSession authorization to time.
type benchCase struct {
	name     string
	identity []string // policy documents
	start    iam.StartSession
	ctx      map[string]string // the request's global keys
	want     iam.Decision
}

const benchUser = "arn:aws:iam::111122223333:user/alice"

// benchCases are (a) seed S1 (fixed): the document in its own statement,
// the instances under three tag conditions; (b) 10 policies of 20
// statements with conditions and policy variables; (c) one document of
// 1,000 statements. Every case is allowed, so that both resources are
// decided and every policy is scanned for a Deny.
func benchCases() []benchCase {
	p, err := iam.ParsePrincipal(benchUser)
	if err != nil {
		panic(err)
	}
	ctx := map[string]string{
		"aws:username": "alice", "aws:userid": "AIDAALICEEXAMPLE", "aws:PrincipalTag/team": "ops",
		"aws:SourceIp": "10.1.2.3", "aws:MultiFactorAuthPresent": "true", "aws:PrincipalArn": benchUser,
	}
	start := iam.StartSession{Principal: p, Region: "ap-northeast-1", Account: diffAcct, Target: "i-0123456789abcdef0",
		Tags: map[string]string{"TAG1": "KEY1", "TAG2": "KEY2", "TAG3": "KEY3", "Env": "dev", "Owner": "alice"}}
	s1 := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ssm:StartSession",
      "Resource": "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell"
    },
    {
      "Effect": "Allow",
      "Action": ["ssm:StartSession", "ssm:DescribeSessions", "ssm:TerminateSession"],
      "Resource": "arn:aws:ec2:ap-northeast-1:111122223333:instance/*",
      "Condition": {
        "StringEquals": {
          "aws:ResourceTag/TAG1": "KEY1",
          "aws:ResourceTag/TAG2": "KEY2",
          "aws:ResourceTag/TAG3": "KEY3"
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": ["ec2:DescribeInstances", "ssm:DescribeInstanceInformation"],
      "Resource": "*"
    }
  ]
}`
	var tenByTwenty []string
	for i := range 10 {
		tenByTwenty = append(tenByTwenty, benchDocument(i, 20, i == 9))
	}
	return []benchCase{
		{name: "S1", identity: []string{s1}, start: start, ctx: ctx, want: iam.Allowed},
		{name: "10x20", identity: tenByTwenty, start: start, ctx: ctx, want: iam.Allowed},
		{name: "1000", identity: []string{benchDocument(0, 1000, true)}, start: start, ctx: ctx, want: iam.Allowed},
	}
}

// benchDocument writes a policy of n statements that look like real ones
// (conditions on tags and principal keys, policy variables, NotAction,
// Deny guards) but do not apply to the request; with last, the final
// statement allows it on the instances and the default document.
func benchDocument(p, n int, last bool) string {
	stmts := make([]string, 0, n)
	for j := range n {
		if last && j == n-1 {
			stmts = append(stmts, `{"Effect":"Allow","Action":"ssm:StartSession",`+
				`"Resource":["arn:aws:ec2:*:111122223333:instance/*","arn:aws:ssm:*:111122223333:document/SSM-SessionManagerRunShell"],`+
				`"Condition":{"StringEqualsIfExists":{"ssm:resourceTag/Owner":"${aws:username}"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}`)
			break
		}
		var s string
		switch j % 5 {
		case 0:
			s = fmt.Sprintf(`{"Effect":"Deny","Action":["ssm:StartSession","ssm:SendCommand"],"Resource":"arn:aws:ec2:*:*:instance/*",`+
				`"Condition":{"StringEquals":{"ssm:resourceTag/Env":"prod-%d-%d"},"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`, p, j)
		case 1:
			s = fmt.Sprintf(`{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:ap-northeast-1:111122223333:instance/*",`+
				`"Condition":{"StringEquals":{"ssm:resourceTag/Owner":"${aws:username}-%d-%d"}}}`, p, j)
		case 2:
			s = fmt.Sprintf(`{"Effect":"Allow","Action":["ssm:TerminateSession","ssm:ResumeSession"],"Resource":"arn:aws:ssm:*:*:session/${aws:username}-%d%d-*"}`, p, j)
		case 3:
			s = fmt.Sprintf(`{"Effect":"Deny","NotAction":["ssm:*","ec2:Describe*"],"Resource":"*","Condition":{"StringNotLike":{"aws:userid":"AIDA*%d"}}}`, j)
		default:
			s = fmt.Sprintf(`{"Effect":"Deny","Action":"ssm:*","Resource":"*",`+
				`"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/team, 'none'}"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"},"NumericLessThan":{"aws:MultiFactorAuthAge":"%d"}}}`, j)
		}
		stmts = append(stmts, s)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// setup compiles the case's policies. A document over AWS's size quota
// (case 1000: one document of 1,000 statements is larger than any policy
// AWS stores) is compiled anyway; any other problem is fatal.
func (bc *benchCase) setup(tb testing.TB) (*iam.PolicySet, *iam.StartSession) {
	tb.Helper()
	set := &iam.PolicySet{}
	for i, d := range bc.identity {
		doc, err := iam.ParseDocumentAnySize([]byte(d), iam.Identity)
		if err != nil {
			tb.Fatalf("%s policy %d: %v", bc.name, i, err)
		}
		p, err := iam.Compile(fmt.Sprintf("%s-%d", bc.name, i), iam.Identity, doc)
		if err != nil {
			tb.Fatal(err)
		}
		set.Identity = append(set.Identity, p)
	}
	ss := bc.start
	ss.Context = &iam.Context{}
	for k, v := range bc.ctx {
		ss.Context.Set(k, v)
	}
	call, err := ss.Call()
	if err != nil {
		tb.Fatal(err)
	}
	if got := set.Authorize(call).Decision; got != bc.want {
		tb.Fatalf("%s: sesame says %v, want %v", bc.name, got, bc.want)
	}
	return set, &ss
}

func BenchmarkStartSession(b *testing.B) {
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			set, ss := bc.setup(b)
			b.ReportAllocs()
			for b.Loop() {
				call, err := ss.Call()
				if err != nil {
					b.Fatal(err)
				}
				if set.Authorize(call).Decision != bc.want {
					b.Fatal("decision changed")
				}
			}
		})
	}
}

// simulations returns the case as iam-simulate simulations: the target,
// then the default session document.
func (bc *benchCase) simulations(tb testing.TB) []json.RawMessage {
	_, ss := bc.setup(tb)
	call, err := ss.Call()
	if err != nil {
		tb.Fatal(err)
	}
	var out []json.RawMessage
	for _, r := range call.Resources {
		s := simulation{IdentityPolicies: []simPolicy{}, ServiceControlPolicies: []simOrgLevel{}, ResourceControlPolicies: []simOrgLevel{}}
		s.Request.Principal = benchUser
		s.Request.Action = call.Action
		s.Request.Resource.Resource = r.ARN
		s.Request.Resource.AccountID = diffAcct
		s.Request.ContextVariables = diffCtx{}
		for k, v := range bc.ctx {
			s.Request.ContextVariables[k] = v
		}
		for _, k := range r.Context.Keys() {
			v, _, _ := r.Context.Get(k)
			s.Request.ContextVariables[k] = v[0]
		}
		for i, d := range bc.identity {
			s.IdentityPolicies = append(s.IdentityPolicies, simPolicy{fmt.Sprintf("%s-%d", bc.name, i), json.RawMessage(d)})
		}
		b, err := json.Marshal(s)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// benchNodeResult is one line of bench.mjs's output.
type benchNodeResult struct {
	Name    string   `json:"name"`
	NsPerOp float64  `json:"nsPerOp"`
	Ops     int      `json:"ops"`
	Results []string `json:"results"`
	Error   string   `json:"error"`
}

// TestBenchIAMSimulate times sesame and iam-simulate on the benchmark
// cases in one run (make bench-iam). It runs only with -iamsim.bench.
func TestBenchIAMSimulate(t *testing.T) {
	if !*benchIAMSim {
		t.Skip("run with -iamsim.bench (make bench-iam)")
	}
	orc := startOracle(t) // skips when iam-simulate is not installed
	cases := benchCases()

	// The cases for bench.mjs, checked against the oracle first.
	type nodeCase struct {
		Name string            `json:"name"`
		Sims []json.RawMessage `json:"sims"`
	}
	var nodeCases []nodeCase
	for i := range cases {
		sims := cases[i].simulations(t)
		as, err := orc.ask(sims)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := combineAnswers(as); err != nil || got != "allowed" {
			t.Fatalf("%s: iam-simulate says %q (%v), want allowed", cases[i].name, got, err)
		}
		nodeCases = append(nodeCases, nodeCase{cases[i].name, sims})
	}
	file := filepath.Join(t.TempDir(), "bench-cases.json")
	data, err := json.Marshal(nodeCases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}

	sesame := map[string]testing.BenchmarkResult{}
	for i := range cases {
		bc := &cases[i]
		set, ss := bc.setup(t)
		sesame[bc.name] = testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				call, _ := ss.Call()
				set.Authorize(call)
			}
		})
	}

	cmd := exec.Command("node", "bench.mjs", file)
	cmd.Dir = iamsimDir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench.mjs: %v", err)
	}
	node := map[string]benchNodeResult{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r benchNodeResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bench.mjs output %q: %v", line, err)
		}
		if r.Error != "" {
			t.Fatalf("bench.mjs %s: %s", r.Name, r.Error)
		}
		node[r.Name] = r
	}

	var b strings.Builder
	fmt.Fprintf(&b, "StartSession authorization (target + document), per call:\n")
	fmt.Fprintf(&b, "%-8s %14s %10s %12s %18s %14s\n", "case", "sesame ns/op", "allocs/op", "B/op", "iam-simulate ns/op", "iam-sim/sesame")
	for _, bc := range cases {
		s, n := sesame[bc.name], node[bc.name]
		ratio := n.NsPerOp / float64(s.NsPerOp())
		fmt.Fprintf(&b, "%-8s %14d %10d %12d %18.0f %13.0fx\n", bc.name, s.NsPerOp(), s.AllocsPerOp(), s.AllocedBytesPerOp(), n.NsPerOp, ratio)
	}
	fmt.Print(b.String())
}
