package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	apne1Instance = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0123456789abcdef0"
	usw2Instance  = "arn:aws:ec2:us-west-2:111122223333:instance/i-02573cafcfEXAMPLE"
	testUser      = "arn:aws:iam::111122223333:user/test"
)

// denial is AWS's AccessDenied text for ssm:StartSession.
func denial(user, resource, reason string) string {
	return "User: " + user + " is not authorized to perform: ssm:StartSession on resource: " + resource + " " + reason
}

const noIdentity = "because no identity-based policy allows the ssm:StartSession action"

// The seed scenarios (../shared/seed-scenarios.md): each outcome AWS
// produced, with its exact error text.
var explainCases = []struct {
	name    string
	args    []string
	code    int
	message string // AWS's AccessDenied text; empty when allowed
}{
	{"s0-tagged-strict", []string{"--policy", "s0.json", "--principal", testUser, "--target", apne1Instance, "--tag", "DIV=APP"}, 1,
		denial(testUser, "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell", noIdentity)},
	{"s0-tagged-exempt", []string{"--policy", "s0.json", "--principal", testUser, "--target", apne1Instance, "--tag", "DIV=APP", "--exempt-default-document"}, 0, ""},
	{"s0-untagged", []string{"--policy", "s0.json", "--principal", testUser, "--target", apne1Instance, "--exempt-default-document"}, 1,
		denial(testUser, apne1Instance, noIdentity)},
	{"s0-two-tags-one-missing", []string{"--policy", "s0-two-tags.json", "--principal", testUser, "--target", apne1Instance,
		"--tag", "tag-key1=tag-value1", "--exempt-default-document"}, 1, denial(testUser, apne1Instance, noIdentity)},
	{"s0-two-tags-both", []string{"--policy", "s0-two-tags.json", "--principal", testUser, "--target", apne1Instance,
		"--tag", "tag-key1=tag-value1", "--tag", "tag-key2=tag-value2", "--exempt-default-document"}, 0, ""},
	{"s1-broken", []string{"--policy", "s1-broken.json", "--principal", testUser, "--target", apne1Instance,
		"--tag", "TAG1=KEY1", "--tag", "TAG2=KEY2", "--tag", "TAG3=KEY3"}, 1,
		denial(testUser, "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell", noIdentity)},
	{"s1-fixed-tagged", []string{"--policy", "s1-fixed.json", "--principal", testUser, "--target", apne1Instance,
		"--tag", "TAG1=KEY1", "--tag", "TAG2=KEY2", "--tag", "TAG3=KEY3"}, 0, ""},
	{"s1-fixed-untagged", []string{"--policy", "s1-fixed.json", "--principal", testUser, "--target", apne1Instance}, 1,
		denial(testUser, apne1Instance, noIdentity)},
	{"s2-allow", []string{"--policy", "s2-allow.json", "--principal", testUser, "--target", apne1Instance}, 0, ""},
	{"s2-instance-only", []string{"--policy", "s2-instance-only.json", "--principal", testUser, "--target", apne1Instance}, 1,
		denial(testUser, "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell", noIdentity)},
	{"s2-instance-only-check", []string{"--policy", "s2-instance-only-check.json", "--principal", testUser, "--target", apne1Instance}, 1,
		denial(testUser, "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell", noIdentity)},
	{"s2-admin-deny", []string{"--policy", "administrator-access.json", "--policy", "s2-deny.json",
		"--principal", "arn:aws:sts::111122223333:assumed-role/Admin/alice", "--target", apne1Instance}, 1,
		denial("arn:aws:sts::111122223333:assumed-role/Admin/alice", "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell",
			"with an explicit deny in an identity-based policy")},
	{"s2-admin-deny-check", []string{"--policy", "administrator-access.json", "--policy", "s2-deny-check.json",
		"--principal", "arn:aws:sts::111122223333:assumed-role/Admin/alice", "--target", apne1Instance}, 1,
		denial("arn:aws:sts::111122223333:assumed-role/Admin/alice", "arn:aws:ssm:ap-northeast-1:111122223333:document/SSM-SessionManagerRunShell",
			"with an explicit deny in an identity-based policy")},
	{"s3-enduser", []string{"--policy", "s3-enduser.json", "--principal", testUser, "--target", usw2Instance}, 0, ""},
	{"s3-enduser-other-instance", []string{"--policy", "s3-enduser.json", "--principal", testUser,
		"--target", "arn:aws:ec2:us-west-2:111122223333:instance/i-0ffffffffffffffff"}, 1,
		denial(testUser, "arn:aws:ec2:us-west-2:111122223333:instance/i-0ffffffffffffffff", noIdentity)},
	{"s3-admin-finance", []string{"--policy", "s3-admin.json", "--principal", testUser, "--target", usw2Instance, "--tag", "Finance=WebServers"}, 0, ""},
	{"s4-port-forward", []string{"--policy", "s4.json", "--principal", "arn:aws:iam::111122223333:user/IAMUserName",
		"--target", apne1Instance, "--tag", "Env=Dev", "--document", "AWS-StartPortForwardingSession"}, 1,
		denial("arn:aws:iam::111122223333:user/IAMUserName", "arn:aws:ssm:ap-northeast-1::document/AWS-StartPortForwardingSession", noIdentity)},
	{"s4-fixed-dev", []string{"--policy", "s4-fixed.json", "--principal", "arn:aws:iam::111122223333:user/IAMUserName",
		"--target", apne1Instance, "--tag", "Env=Dev", "--document", "AWS-StartPortForwardingSession"}, 0, ""},
	{"s4-fixed-prod", []string{"--policy", "s4-fixed.json", "--principal", "arn:aws:iam::111122223333:user/IAMUserName",
		"--target", apne1Instance, "--tag", "Env=Prod", "--document", "AWS-StartPortForwardingSession"}, 1,
		denial("arn:aws:iam::111122223333:user/IAMUserName", apne1Instance, noIdentity)},
}

func TestExplainSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "explain")
	for _, tc := range explainCases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"policy", "explain"}
			for i, a := range tc.args {
				if i > 0 && (tc.args[i-1] == "--policy") {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d; stderr: %s\n%s", code, tc.code, stderr.String(), stdout.String())
			}
			if tc.message != "" && !strings.Contains(stdout.String(), "An error occurred (AccessDeniedException) when calling the StartSession operation: "+tc.message+"\n") {
				t.Errorf("output lacks AWS's text %q:\n%s", tc.message, stdout.String())
			}
			// The golden keeps the rest of the output (explanation and fix)
			// from drifting unnoticed.
			golden(t, filepath.Join(dir, tc.name+".golden"), stdout.String())

			// The JSON form carries the same decision and message.
			stdout.Reset()
			Main(context.Background(), append(args, "--format", "json"), strings.NewReader(""), &stdout, &stderr)
			var out explainOutput
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("json output: %v\n%s", err, stdout.String())
			}
			gotMsg := ""
			if out.Error != nil {
				gotMsg = out.Error.Message
			}
			if gotMsg != tc.message {
				t.Errorf("json error message:\n got %q\nwant %q", gotMsg, tc.message)
			}
		})
	}
}

func TestExplainUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no policy", []string{"--principal", testUser, "--target", apne1Instance}, "--policy, --principal and --target are required"},
		{"bad principal", []string{"--policy", "x", "--principal", "bob", "--target", apne1Instance}, "invalid ARN"},
		{"bad tag", []string{"--policy", "testdata/explain/s0.json", "--principal", testUser, "--target", apne1Instance, "--tag", "novalue"}, "expected KEY=VALUE"},
		{"bad target", []string{"--policy", "testdata/explain/s0.json", "--principal", testUser, "--target", "host-1"}, "invalid target"},
		{"missing file", []string{"--policy", "testdata/explain/nope.json", "--principal", testUser, "--target", apne1Instance}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"policy", "explain"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestExplainMalformedPolicy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.json")
	if err := os.WriteFile(path, []byte("{\"Version\": \"2012-10-17\",\n \"Statement\": [],}"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"policy", "explain", "--policy", path, "--principal", testUser, "--target", apne1Instance}, strings.NewReader(""), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "line 2, column 17: trailing comma") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
