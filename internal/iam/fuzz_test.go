package iam

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// seedPolicies adds the seed scenario policies to a fuzz corpus.
func seedPolicies(f *testing.F, add func(doc []byte)) {
	paths, _ := filepath.Glob("../cli/testdata/explain/*.json")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(data)
	}
	add([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`))
	add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b/${aws:username}/*"],"Condition":{"ForAnyValue:StringNotLikeIfExists":{"aws:TagKeys":["a*","${aws:PrincipalTag/t, 'x'}"]},"Null":{"aws:SourceIp":"false"}}}]}`))
	add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*","Condition":{"NumericLessThan":{"k:n":"10"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"Bool":{"aws:SecureTransport":"true"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}},]}`))
	add([]byte(`{"a":1,"a":2}`))
	add([]byte("{\"Statement\": [\"\u4e2d\"]}"))
}

// FuzzParseDocument checks that the parser never panics, that what it
// accepts is JSON, that strict and tolerant parsing agree, and that every
// document it accepts compiles.
func FuzzParseDocument(f *testing.F) {
	seedPolicies(f, func(doc []byte) { f.Add(doc) })
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, problems := CheckDocument(data, Identity)
		strict, err := ParseDocument(data, Identity)
		if (err == nil) != (len(problems) == 0) {
			t.Fatalf("ParseDocument err=%v but CheckDocument found %d problems", err, len(problems))
		}
		for _, p := range problems {
			if p.Pos.Line < 1 || p.Pos.Col < 1 {
				t.Fatalf("problem without a position: %v", p)
			}
		}
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON: %q", data)
		}
		if doc == nil || len(strict.Statements) != len(doc.Statements) {
			t.Fatal("strict and tolerant parses differ")
		}
		if _, err := Compile("fuzz", Identity, strict); err != nil {
			t.Fatalf("accepted document does not compile: %v", err)
		}
	})
}

// FuzzEvaluate checks that evaluation never panics, that Explain agrees
// with Evaluate, and that a Deny of everything always wins.
func FuzzEvaluate(f *testing.F) {
	seedPolicies(f, func(doc []byte) {
		f.Add(doc, "ssm:StartSession", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "Env", "Dev")
	})
	denyAll, err := NewPolicy("deny-all", Identity, []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`))
	if err != nil {
		f.Fatal(err)
	}
	principal, err := ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, tagKey, tagValue string) {
		p, err := NewPolicy("fuzz", Identity, doc)
		if err != nil {
			return
		}
		ctx := &Context{}
		ctx.SetPrincipal(principal, "AIDAEXAMPLE")
		rctx := &Context{}
		rctx.SetResourceTags(map[string]string{tagKey: tagValue}, true)
		req := &Request{Principal: principal, Action: action, Resource: resource, Context: ctx, ResourceContext: rctx}
		set := &PolicySet{Identity: []*Policy{p}}
		res := set.Evaluate(req)
		if again := set.Evaluate(req); again != res {
			t.Fatalf("evaluation is not deterministic: %v then %v", res, again)
		}
		if x := set.Explain(req); x.Decision != res.Decision {
			t.Fatalf("Explain says %v, Evaluate %v", x.Decision, res.Decision)
		}
		if res.Decision == Allowed && res.Policy == nil {
			t.Fatal("allowed without a deciding statement")
		}
		withDeny := &PolicySet{Identity: []*Policy{p, denyAll}}
		if d := withDeny.Evaluate(req).Decision; d != ExplicitDeny {
			t.Fatalf("a Deny of everything gave %v", d)
		}
	})
}
