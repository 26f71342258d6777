package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/awscli"
	"github.com/sesame-sh/sesame/internal/iam/simulate"
)

const (
	s1Document = "arn:aws:ssm:ap-northeast-1:123456789012:document/SSM-SessionManagerRunShell"
	s1Instance = "arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0"
	awsExample = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`
)

// simulateCases run `sesame iam simulate-custom-policy ARGS` from
// testdata/simulate; each has a golden file there, NAME.golden, holding
// the exit status, stdout and stderr.
var simulateCases = []struct {
	name string
	args []string
}{
	// Seed S1: one statement for the document and the instances, under a
	// tag condition the document cannot meet.
	{"s1-document-implicit-deny", []string{"--policy-input-list", "file://s1-broken.json", "--action-names", "ssm:StartSession", "--resource-arns", s1Document}},
	{"s1-tagged-instance-allowed", []string{"--policy-input-list", "file://s1-broken.json", "--action-names", "ssm:StartSession", "--resource-arns", s1Instance,
		"--context-entries", "ContextKeyName=aws:ResourceTag/TAG1,ContextKeyValues=KEY1,ContextKeyType=string",
		"ContextKeyName=aws:ResourceTag/TAG2,ContextKeyValues=KEY2,ContextKeyType=string",
		"ContextKeyName=aws:ResourceTag/TAG3,ContextKeyValues=KEY3,ContextKeyType=string"}},
	{"s1-fixed", []string{"--policy-input-list", "file://s1-fixed.json", "--action-names", "ssm:StartSession", "ssm:TerminateSession",
		"--resource-arns", s1Document, s1Instance, "--context-entries", "file://s1-tags.json"}},
	{"s1-fixed-untagged-instance", []string{"--policy-input-list", "file://s1-fixed.json", "--action-names", "ssm:StartSession", "--resource-arns", s1Instance}},
	{"s1-published-malformed", []string{"--policy-input-list", "file://s1-published.json", "--action-names", "ssm:StartSession"}},
	// The aws CLI's own examples, whose output this must reproduce.
	{"aws-example-allowed", []string{"--policy-input-list", awsExample, "--action-names", "dynamodb:CreateBackup",
		"--context-entries", "ContextKeyName='aws:CurrentTime',ContextKeyValues='2019-04-25T11:00:00Z',ContextKeyType=date"}},
	{"aws-example-denied", []string{"--policy-input-list", awsExample, "--action-names", "dynamodb:CreateBackup",
		"--context-entries", "ContextKeyName='aws:CurrentTime',ContextKeyValues='2014-04-25T11:00:00Z',ContextKeyType=date"}},
	// Seed S2: AdministratorAccess with a Deny on the default document,
	// under a boundary.
	{"s2-deny-document-boundary", []string{"--policy-input-list", "file://admin.json", "file://deny-document.json",
		"--permissions-boundary-policy-input-list", "file://boundary-ssm.json",
		"--action-names", "ssm:StartSession", "iam:CreateUser", "--resource-arns", s1Document, s1Instance}},
	// Seed S0: ${aws:username} needs a context value.
	{"s0-username-missing", []string{"--policy-input-list", "file://s0.json", "--action-names", "ssm:TerminateSession",
		"--resource-arns", "arn:aws:ssm:ap-northeast-1:123456789012:session/test-0123456789abcdef0"}},
	{"s0-username-given", []string{"--policy-input-list", "file://s0.json", "--action-names", "ssm:TerminateSession", "ssm:StartSession",
		"--resource-arns", "arn:aws:ssm:ap-northeast-1:123456789012:session/test-0123456789abcdef0",
		"--context-entries", "ContextKeyName=aws:username,ContextKeyValues=test,ContextKeyType=string"}},
	// A cross-account resource policy, the request from --cli-input-json
	// and its actions from the command line.
	{"cross-account-cli-input-json", []string{"--cli-input-json", "file://cross-account.json", "--action-names", "s3:GetObject", "s3:DeleteObject"}},
	{"context-json-list", []string{"--policy-input-list", "file://tag-keys.json", "--action-names", "ec2:CreateTags",
		"--context-entries", `[{"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["Env", "Team"], "ContextKeyType": "stringList"}]`}},
	// Pagination as the aws CLI does it.
	{"max-items", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "--max-items", "2"}},
	{"starting-token", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "s3:PutObject", "s3:ListBucket",
		"--starting-token", "eyJNYXJrZXIiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAyfQ=="}},
	{"page-size", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "s3:PutObject", "--page-size", "1", "--output", "json"}},
	{"no-paginate", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "s3:PutObject", "--no-paginate", "--max-items", "1"}},
	{"skeleton", []string{"--generate-cli-skeleton"}},
	{"help", []string{"--help"}},
	// Errors, as the aws CLI prints them.
	{"error-missing-required", []string{"--action-names", "ssm:StartSession"}},
	{"error-unknown-option", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "--endpoint", "x"}},
	{"error-shorthand", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject",
		"--context-entries", "ContextKeyName=aws:username,ContextKeyName=test"}},
	{"error-parameter-validation", []string{"--cli-input-json", `{"PolicyInputList": "{}", "ActionNames": ["s3"], "Bogus": 1}`}},
	{"error-missing-file", []string{"--policy-input-list", "file://none.json", "--action-names", "s3:GetObject"}},
	{"error-role-caller", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject", "--caller-arn", "arn:aws:iam::123456789012:role/admin"}},
	{"error-context-type", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject",
		"--context-entries", "ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=address"}},
	{"error-context-value", []string{"--policy-input-list", "file://admin.json", "--action-names", "s3:GetObject",
		"--context-entries", "ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,10.0.0.300,ContextKeyType=ipList"}},
}

func TestSimulateGolden(t *testing.T) {
	t.Chdir("testdata/simulate")
	for _, tc := range simulateCases {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name+".golden", runGolden(t, tc.args))
		})
	}
}

// runGolden runs the command and formats what it did.
func runGolden(t *testing.T, args []string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"iam", "simulate-custom-policy"}, args...), strings.NewReader(""), &stdout, &stderr)
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if a == "" || strings.ContainsAny(a, " \"'{}[]$\\") {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return "$ sesame iam simulate-custom-policy " + strings.Join(quoted, " ") + "\n" +
		"exit status " + strconv.Itoa(code) + "\n" +
		"-- stdout --\n" + stdout.String() +
		"-- stderr --\n" + stderr.String()
}

// TestSimulateStdoutIsJSON checks that every successful golden run prints
// one JSON document that decodes into the response.
func TestSimulateStdoutIsJSON(t *testing.T) {
	t.Chdir("testdata/simulate")
	for _, tc := range simulateCases {
		if strings.HasPrefix(tc.name, "error-") || tc.name == "help" || tc.name == "skeleton" {
			continue
		}
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), append([]string{"iam", "simulate-custom-policy"}, tc.args...), nil, &stdout, &stderr); code != 0 {
			continue
		}
		var out simulate.Output
		d := json.NewDecoder(&stdout)
		if err := d.Decode(&out); err != nil || d.More() {
			t.Errorf("%s: stdout is not one JSON response: %v", tc.name, err)
		}
	}
}

// TestSimulateContextEntries checks how --context-entries values become
// the request's entries.
func TestSimulateContextEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vals []string
		want []simulate.ContextEntry
		err  string
	}{
		{"shorthand", []string{"ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip"},
			[]simulate.ContextEntry{{ContextKeyName: "aws:SourceIp", ContextKeyValues: []string{"10.0.0.1"}, ContextKeyType: "ip"}}, ""},
		{"shorthand list and several entries", []string{"ContextKeyName=aws:TagKeys,ContextKeyValues=Env,Team,ContextKeyType=stringList", "ContextKeyName=aws:username,ContextKeyValues=alice"},
			[]simulate.ContextEntry{{ContextKeyName: "aws:TagKeys", ContextKeyValues: []string{"Env", "Team"}, ContextKeyType: "stringList"},
				{ContextKeyName: "aws:username", ContextKeyValues: []string{"alice"}}}, ""},
		{"explicit list", []string{"ContextKeyName=aws:TagKeys,ContextKeyValues=[Env,\"a,b\"]"},
			[]simulate.ContextEntry{{ContextKeyName: "aws:TagKeys", ContextKeyValues: []string{"Env", "a,b"}}}, ""},
		{"JSON list", []string{`[{"ContextKeyName":"aws:username","ContextKeyValues":["alice"],"ContextKeyType":"string"}]`},
			[]simulate.ContextEntry{{ContextKeyName: "aws:username", ContextKeyValues: []string{"alice"}, ContextKeyType: "string"}}, ""},
		{"JSON objects", []string{`{"ContextKeyName":"aws:username","ContextKeyValues":["alice"]}`, ` {"ContextKeyName":"aws:userid","ContextKeyValues":["AIDA1"]}`},
			[]simulate.ContextEntry{{ContextKeyName: "aws:username", ContextKeyValues: []string{"alice"}}, {ContextKeyName: "aws:userid", ContextKeyValues: []string{"AIDA1"}}}, ""},
		{"JSON then shorthand", []string{`{"ContextKeyName":"aws:username","ContextKeyValues":["alice"]}`, "ContextKeyName=aws:userid"}, nil, "Invalid JSON:\nContextKeyName=aws:userid"},
		{"shorthand then JSON", []string{"ContextKeyName=aws:userid", `{"ContextKeyName":"aws:username"}`}, nil, "Expected: '=', received: '{'"},
		{"bad JSON", []string{`[{"ContextKeyName":}]`}, nil, "Invalid JSON:"},
		{"duplicate key", []string{"ContextKeyName=aws:userid,ContextKeyName=x"}, nil, "Second instance of key \"ContextKeyName\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := paramValue("context-entries", "ContextEntries", tc.vals)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(got)
			var entries []simulate.ContextEntry
			if err := json.Unmarshal(raw, &entries); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, entries); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// FuzzContextEntries feeds --context-entries values through the whole
// path: parse, check against the model, decode, simulate.
func FuzzContextEntries(f *testing.F) {
	for _, s := range []string{
		"ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip",
		"ContextKeyName=aws:TagKeys,ContextKeyValues=[a,b],ContextKeyType=stringList",
		`[{"ContextKeyName":"aws:username","ContextKeyValues":["x"],"ContextKeyType":"string"}]`,
		`{"ContextKeyName":"aws:CurrentTime","ContextKeyValues":["2020-01-01"],"ContextKeyType":"date"}`,
		"ContextKeyName=aws:MultiFactorAuthAge,ContextKeyValues=1e3,ContextKeyType=numericList",
		"ContextKeyValues@=file://x",
	} {
		f.Add(s)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:username":"${aws:userid}"}}}]}`
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "@=") {
			return // reads files
		}
		list, err := paramValue("context-entries", "ContextEntries", []string{s})
		if err != nil {
			return
		}
		params := &awscli.Object{}
		params.Set("PolicyInputList", []any{policy})
		params.Set("ActionNames", []any{"s3:GetObject"})
		params.Set("ContextEntries", list)
		if awscli.Validate(params, simulateInputShape) != nil {
			return
		}
		raw, err := json.Marshal(params)
		if err != nil {
			t.Fatal(err)
		}
		var in simulate.Input
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatalf("%q: validated parameters do not decode: %v", s, err)
		}
		if _, err := simulate.Run(&in); err != nil {
			if _, ok := err.(*simulate.Error); !ok {
				t.Fatalf("%q: %T %v", s, err, err)
			}
		}
	})
}

// TestSimulateAWSSkeleton checks, when the aws CLI is installed, that the
// request skeleton it generates is the one sesame prints, and that
// --cli-input-json takes every one of its fields.
func TestSimulateAWSSkeleton(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	cmd := exec.Command(aws, "iam", "simulate-custom-policy", "--generate-cli-skeleton", "input")
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	skeleton, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws --generate-cli-skeleton: %v", err)
	}
	// The aws CLI fills an enum with a value of its choice, which varies.
	normal := regexp.MustCompile(`"ContextKeyType": "[A-Za-z]*"`).ReplaceAllString(string(skeleton), `"ContextKeyType": "string"`)
	if diff := cmp.Diff(normal, inputSkeleton); diff != "" {
		t.Errorf("skeleton (-aws +sesame)\n%s", diff)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(skeleton, &fields); err != nil {
		t.Fatal(err)
	}
	// A valid value for every field of the skeleton; a field sesame does
	// not know fails the test.
	values := map[string]any{
		"PolicyInputList":                    []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`},
		"PermissionsBoundaryPolicyInputList": []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`},
		"ActionNames":                        []string{"ec2:RunInstances"},
		"ResourceArns": []string{"arn:aws:ec2:us-east-1:123456789012:instance/*", "arn:aws:ec2:us-east-1::image/ami-1",
			"arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1"},
		"ResourcePolicy":         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"ec2:*","Resource":"*"}]}`,
		"ResourceOwner":          "arn:aws:iam::123456789012:root",
		"CallerArn":              "arn:aws:iam::123456789012:user/alice",
		"ContextEntries":         []simulate.ContextEntry{{ContextKeyName: "aws:SourceIp", ContextKeyValues: []string{"10.0.0.1"}, ContextKeyType: "ip"}},
		"ResourceHandlingOption": "EC2-VPC-InstanceStore",
		"MaxItems":               10,
		"Marker":                 "1",
	}
	req := map[string]any{}
	for k := range fields {
		v, ok := values[k]
		if !ok {
			t.Errorf("the aws CLI's skeleton has field %s, which sesame does not know", k)
			continue
		}
		req[k] = v
	}
	raw, _ := json.Marshal(req)
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&simulate.Input{}); err != nil {
		t.Errorf("simulate.Input: %v", err)
	}
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"iam", "simulate-custom-policy", "--cli-input-json", "file://" + path}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("--cli-input-json with every field: exit status %d\n%s", code, stderr.String())
	}
}
