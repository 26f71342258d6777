package simulate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/iam"
)

const (
	alice    = "arn:aws:iam::111122223333:user/alice"
	bucket   = "arn:aws:s3:::reports/q1.csv"
	document = "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell"
	instance = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0123456789abcdef0"
)

func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allow(action, resource string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}`
}

func deny(action, resource string) string {
	return `{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}`
}

// summary is what a test checks of one result.
type summary struct {
	Decision string
	Matched  []string // SourcePolicyId@start
	Missing  []string
	Boundary string            // "", "true", "false"
	Details  map[string]string // nil: absent
	Specific bool              // has ResourceSpecificResults
}

func summarize(r EvaluationResult) summary {
	s := summary{Decision: r.EvalDecision, Missing: r.MissingContextValues, Specific: len(r.ResourceSpecificResults) > 0}
	for _, m := range r.MatchedStatements {
		s.Matched = append(s.Matched, fmt.Sprintf("%s@%d:%d", m.SourcePolicyId, m.StartPosition.Line, m.StartPosition.Column))
	}
	if b := r.PermissionsBoundaryDecisionDetail; b != nil {
		s.Boundary = fmt.Sprint(b.AllowedByPermissionsBoundary)
	}
	if r.EvalDecisionDetails != nil {
		s.Details = map[string]string(*r.EvalDecisionDetails)
	}
	return s
}

func TestRun(t *testing.T) {
	t.Parallel()
	tagCondition := `{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"dev"}}}`
	tests := []struct {
		name string
		in   Input
		want summary
	}{{
		name: "identity allow",
		in:   Input{PolicyInputList: []string{policy(allow("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "allowed", Matched: []string{"PolicyInputList.1@1:38"}, Missing: []string{}},
	}, {
		name: "every applicable allow",
		in:   Input{PolicyInputList: []string{policy(allow("s3:GetObject", "*"), allow("s3:Get*", "*")), policy(allow("s3:*", "*"))}, ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "allowed", Matched: []string{"PolicyInputList.1@1:38", "PolicyInputList.1@1:95", "PolicyInputList.2@1:38"}, Missing: []string{}},
	}, {
		name: "implicit deny lists nothing",
		in:   Input{PolicyInputList: []string{policy(allow("s3:PutObject", "*"))}, ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "implicitDeny", Missing: []string{}},
	}, {
		name: "explicit deny lists the deny alone",
		in:   Input{PolicyInputList: []string{policy(allow("s3:*", "*")), policy(deny("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "explicitDeny", Matched: []string{"PolicyInputList.2@1:38"}, Missing: []string{}},
	}, {
		name: "boundary without allow",
		in: Input{PolicyInputList: []string{policy(allow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{policy(allow("ec2:*", "*"))},
			ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "implicitDeny", Missing: []string{}, Boundary: "false"},
	}, {
		name: "boundary allows",
		in: Input{PolicyInputList: []string{policy(allow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{policy(allow("s3:Get*", "*"))},
			ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "allowed", Matched: []string{"PolicyInputList.1@1:38"}, Missing: []string{}, Boundary: "true"},
	}, {
		name: "boundary denies",
		in: Input{PolicyInputList: []string{policy(allow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{policy(allow("*", "*"), deny("s3:GetObject", "*"))},
			ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "explicitDeny", Matched: []string{"PermissionsBoundaryPolicyInputList.1@1:84"}, Missing: []string{}, Boundary: "false"},
	}, {
		name: "same-account resource policy naming the user",
		in: Input{PolicyInputList: []string{policy(allow("ec2:*", "*"))}, CallerArn: alice, ResourceOwner: "arn:aws:iam::111122223333:root",
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"*"}]}`,
			ActionNames:    []string{"s3:GetObject"}, ResourceArns: []string{bucket}},
		want: summary{Decision: "allowed", Matched: []string{"ResourcePolicy@1:38"}, Missing: []string{}, Details: map[string]string{}, Specific: true},
	}, {
		name: "cross-account, both sides allow",
		in: Input{PolicyInputList: []string{policy(allow("s3:GetObject", "*"))}, CallerArn: alice, ResourceOwner: "444455556666",
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}]}`,
			ActionNames:    []string{"s3:GetObject"}, ResourceArns: []string{bucket}},
		want: summary{Decision: "allowed", Matched: []string{"ResourcePolicy@1:38", "PolicyInputList.1@1:38"}, Missing: []string{},
			Details: map[string]string{"IAM Policy": "allowed", "Resource Policy": "allowed"}, Specific: true},
	}, {
		name: "cross-account without identity allow",
		in: Input{PolicyInputList: []string{policy(allow("ec2:*", "*"))}, CallerArn: alice, ResourceOwner: "444455556666",
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"*"}]}`,
			ActionNames:    []string{"s3:GetObject"}},
		want: summary{Decision: "implicitDeny", Missing: []string{}, Details: map[string]string{"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}},
	}, {
		name: "missing condition key and resource variable",
		in: Input{PolicyInputList: []string{policy(tagCondition, allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*"))},
			ActionNames: []string{"ssm:StartSession", "ssm:TerminateSession"}},
		want: summary{Decision: "implicitDeny", Missing: []string{"aws:ResourceTag/Env"}},
	}, {
		name: "keys listed once, ignoring case",
		in: Input{PolicyInputList: []string{policy(
			allow("s3:GetObject", "arn:aws:s3:::reports/${AWS:UserName}/*"),
			`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"},"StringEquals":{"AWS:UserName":"alice"}}}`)},
			ActionNames: []string{"s3:GetObject"}},
		want: summary{Decision: "implicitDeny", Missing: []string{"AWS:UserName", "s3:prefix"}}, // as the condition spells it
	}, {
		name: "context key given",
		in: Input{PolicyInputList: []string{policy(tagCondition)}, ActionNames: []string{"ssm:StartSession"}, ResourceArns: []string{instance},
			ContextEntries: []ContextEntry{{"aws:ResourceTag/Env", []string{"dev"}, KeyString}}},
		want: summary{Decision: "allowed", Matched: []string{"PolicyInputList.1@1:38"}, Missing: []string{}, Details: map[string]string{}, Specific: true},
	}, {
		name: "list type makes a multivalued key",
		in: Input{PolicyInputList: []string{policy(`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Env","Team"]}}}`)},
			ActionNames: []string{"ec2:CreateTags"}, ContextEntries: []ContextEntry{{"aws:TagKeys", []string{"Env", "Team"}, KeyStringList}}},
		want: summary{Decision: "allowed", Matched: []string{"PolicyInputList.1@1:38"}, Missing: []string{}},
	}, {
		name: "a multivalued key under a plain operator does not match",
		in: Input{PolicyInputList: []string{policy(`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"Env"}}}`)},
			ActionNames: []string{"ec2:CreateTags"}, ContextEntries: []ContextEntry{{"aws:TagKeys", []string{"Env"}, KeyStringList}}},
		want: summary{Decision: "implicitDeny", Missing: []string{}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := Run(&tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(out.EvaluationResults[0])
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestRunResourceVariable(t *testing.T) {
	t.Parallel()
	in := Input{PolicyInputList: []string{policy(allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*"),
		allow("ssm:ResumeSession", "arn:aws:ssm:*:*:session/${aws:userid, 'nobody'}-*"))},
		ActionNames:  []string{"ssm:TerminateSession", "ssm:ResumeSession"},
		ResourceArns: []string{"arn:aws:ssm:us-east-1:111122223333:session/alice-0123456789abcdef0"}}
	out, err := Run(&in)
	if err != nil {
		t.Fatal(err)
	}
	got := []summary{summarize(out.EvaluationResults[0]), summarize(out.EvaluationResults[1])}
	want := []summary{
		{Decision: "implicitDeny", Missing: []string{"aws:username"}, Details: map[string]string{}, Specific: true},
		{Decision: "implicitDeny", Missing: []string{}, Details: map[string]string{}, Specific: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("without aws:username (-want +got)\n%s", diff)
	}
	in.ContextEntries = []ContextEntry{{"aws:username", []string{"alice"}, KeyString}}
	if out, err = Run(&in); err != nil {
		t.Fatal(err)
	}
	if d := out.EvaluationResults[0].EvalDecision; d != "allowed" {
		t.Errorf("with aws:username: %s, want allowed", d)
	}
}

func TestRunPages(t *testing.T) {
	t.Parallel()
	four := 4
	in := Input{PolicyInputList: []string{policy(allow("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"},
		ResourceArns: []string{"arn:aws:s3:::a", "arn:aws:s3:::b"}, MaxItems: &four}
	var got []string
	for page := 0; ; page++ {
		out, err := Run(&in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.EvaluationResults {
			got = append(got, fmt.Sprintf("%d %s %s %s", page, r.EvalActionName, r.EvalResourceName, r.EvalDecision))
		}
		if !out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	want := []string{
		"0 s3:GetObject arn:aws:s3:::a allowed", "0 s3:GetObject arn:aws:s3:::b allowed",
		"0 s3:PutObject arn:aws:s3:::a implicitDeny", "0 s3:PutObject arn:aws:s3:::b implicitDeny",
		"1 s3:ListBucket arn:aws:s3:::a implicitDeny", "1 s3:ListBucket arn:aws:s3:::b implicitDeny",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	ok := []string{policy(allow("s3:*", "*"))}
	act := []string{"s3:GetObject"}
	zero := 0
	big := policy(allow("s3:GetObject", "arn:aws:s3:::"+strings.Repeat("x", 7000)))
	tests := []struct {
		name string
		in   Input
		code string // "" for no error
		msg  string // a part of the message
	}{
		{"no policies", Input{ActionNames: act}, CodeValidation, "Value null at 'policyInputList'"},
		{"no actions", Input{PolicyInputList: ok}, CodeValidation, "Value null at 'actionNames'"},
		{"short action", Input{PolicyInputList: ok, ActionNames: []string{"s3"}}, CodeValidation, "Member must have length greater than or equal to 3"},
		{"wildcard action", Input{PolicyInputList: ok, ActionNames: []string{"s3:Get*"}}, CodeInvalidInput, "wildcards"},
		{"action without service", Input{PolicyInputList: ok, ActionNames: []string{"GetObject"}}, CodeInvalidInput, "service:Action"},
		{"two boundaries", Input{PolicyInputList: ok, ActionNames: act, PermissionsBoundaryPolicyInputList: []string{ok[0], ok[0]}}, CodeInvalidInput, "cannot exceed 1"},
		{"malformed", Input{PolicyInputList: []string{ok[0], `{"Statement": [}`}, ActionNames: act}, CodeMalformedPolicyDocument, "PolicyInputList.2: line 1, column 16"},
		{"principal in identity policy", Input{PolicyInputList: []string{policy(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`)}, ActionNames: act}, CodeMalformedPolicyDocument, "Principal"},
		{"large policy", Input{PolicyInputList: []string{big}, ActionNames: act}, "", ""},
		{"resource policy without caller", Input{PolicyInputList: ok, ActionNames: act, ResourcePolicy: policy(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`)}, CodeInvalidInput, "CallerArn is required"},
		{"role caller", Input{PolicyInputList: ok, ActionNames: act, CallerArn: "arn:aws:iam::111122223333:role/admin"}, CodeInvalidInput, "must be the ARN of an IAM user"},
		{"session caller", Input{PolicyInputList: ok, ActionNames: act, CallerArn: "arn:aws:sts::111122223333:assumed-role/admin/alice"}, CodeInvalidInput, "Invalid Entity Arn"},
		{"bad owner", Input{PolicyInputList: ok, ActionNames: act, ResourceOwner: "me"}, CodeInvalidInput, "ResourceOwner"},
		{"bad resource", Input{PolicyInputList: ok, ActionNames: act, ResourceArns: []string{"bucket"}}, CodeInvalidInput, "Invalid resource bucket"},
		{"bad key type", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:SourceIp", []string{"10.0.0.1"}, "address"}}}, CodeValidation, "enum value set"},
		{"bad number", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:MultiFactorAuthAge", []string{"ten"}, KeyNumeric}}}, CodeInvalidInput, "not a valid numeric"},
		{"bad ip in list", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:SourceIp", []string{"10.0.0.1", "x"}, KeyIPList}}}, CodeInvalidInput, "not a valid ip"},
		{"date as seconds", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:CurrentTime", []string{"1700000000"}, KeyDate}}}, "", ""},
		{"dates", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:CurrentTime", []string{"2024", "2024-05-06T07:08Z", "2024-05-06T07:08:09.5+09:00"}, KeyDateList}}}, "", ""},
		{"bad date", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:CurrentTime", []string{"yesterday"}, KeyDate}}}, CodeInvalidInput, "not a valid date"},
		{"two values for a single key", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:username", []string{"a", "b"}, KeyString}}}, CodeInvalidInput, "exactly one"},
		{"same key twice", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"aws:username", []string{"a"}, KeyString}, {"AWS:UserName", []string{"b"}, KeyString}}}, CodeInvalidInput, "more than once"},
		{"short key", Input{PolicyInputList: ok, ActionNames: act, ContextEntries: []ContextEntry{{"a:b", []string{"a"}, KeyString}}}, CodeValidation, "contextEntries.1.member.contextKeyName"},
		{"page size", Input{PolicyInputList: ok, ActionNames: act, MaxItems: &zero}, CodeValidation, "maxItems"},
		{"marker", Input{PolicyInputList: ok, ActionNames: act, Marker: "7"}, CodeInvalidInput, "Invalid Marker"},
		{"scenario without volume", Input{PolicyInputList: ok, ActionNames: []string{"ec2:RunInstances"}, ResourceHandlingOption: "EC2-VPC-EBS",
			ResourceArns: []string{"arn:aws:ec2:us-east-1:111122223333:instance/*", "arn:aws:ec2:us-east-1::image/ami-1", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1", "arn:aws:ec2:us-east-1:111122223333:network-interface/eni-1"}},
			CodeInvalidInput, "type volume"},
		{"unknown scenario", Input{PolicyInputList: ok, ActionNames: act, ResourceHandlingOption: "EC2-Classic-EBS"}, CodeInvalidInput, "Invalid ResourceHandlingOption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(&tc.in)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error with code %s", err, tc.code)
			}
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
			if tc.code == CodeMalformedPolicyDocument && !errors.Is(err, iam.ErrMalformed) {
				t.Errorf("err = %v does not wrap iam.ErrMalformed", err)
			}
		})
	}
}
