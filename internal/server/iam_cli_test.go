package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// awsCLI runs the real aws CLI against the test server with the given
// credentials and returns its output; it skips the test when the CLI is
// missing.
func (ts *testServer) awsCLI(t *testing.T, keyID, secret string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path, lerr := exec.LookPath("aws")
	if lerr != nil {
		t.Skip("the aws CLI is not installed: skipping the end-to-end check")
	}
	cmd := exec.Command(path, append(args, "--endpoint-url", ts.URL, "--output", "json", "--region", ts.cfg.Region)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// adminCLI runs the aws CLI as the bootstrap admin and decodes its JSON
// output; a failure fails the test.
func (ts *testServer) adminCLI(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errOut, err := ts.awsCLI(t, ts.Admin.AccessKeyID, ts.Admin.SecretAccessKey, args...)
	if err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, errOut)
	}
	m := map[string]any{}
	if out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, out)
		}
	}
	return m
}

// TestIAMAWSCLI drives the server with the real aws CLI: its request
// encoding, its XML parsing (lists, URL-encoded documents it decodes,
// dates) and its error output.
func TestIAMAWSCLI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	const doc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*"}]}`

	u := ts.adminCLI(t, "iam", "create-user", "--user-name", "cli-user", "--path", "/cli/", "--tags", "Key=team,Value=blue")
	user, _ := u["User"].(map[string]any)
	if user["Arn"] != "arn:aws:iam::123456789012:user/cli/cli-user" || user["CreateDate"] == nil {
		t.Fatalf("create-user: %v", u)
	}
	ts.adminCLI(t, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "start", "--policy-document", doc)
	got := ts.adminCLI(t, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "start")
	var want map[string]any
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got["PolicyDocument"], want) {
		t.Fatalf("get-user-policy: the CLI did not decode the document: %v", got["PolicyDocument"])
	}

	ts.adminCLI(t, "iam", "create-policy", "--policy-name", "read", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)
	ts.adminCLI(t, "iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn", "arn:aws:iam::123456789012:policy/read")
	att := ts.adminCLI(t, "iam", "list-attached-user-policies", "--user-name", "cli-user")
	if fmt.Sprint(att["AttachedPolicies"]) != "[map[PolicyArn:arn:aws:iam::123456789012:policy/read PolicyName:read]]" {
		t.Fatalf("list-attached-user-policies: %v", att)
	}

	k := ts.adminCLI(t, "iam", "create-access-key", "--user-name", "cli-user")
	key, _ := k["AccessKey"].(map[string]any)
	id, _ := key["AccessKeyId"].(string)
	secret, _ := key["SecretAccessKey"].(string)
	if len(id) != 20 || len(secret) != 40 {
		t.Fatalf("create-access-key: %v", k)
	}

	// The new user may read IAM but not change it: AWS's exact text.
	if out, errOut, err := ts.awsCLI(t, id, secret, "iam", "list-users"); err != nil || !strings.Contains(out, `"UserName": "cli-user"`) {
		t.Fatalf("list-users as cli-user: %v\n%s%s", err, out, errOut)
	}
	_, errOut, err := ts.awsCLI(t, id, secret, "iam", "create-user", "--user-name", "x")
	const denied = "An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:iam::123456789012:user/cli/cli-user " +
		"is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x because no identity-based policy allows the iam:CreateUser action"
	if err == nil || strings.TrimSpace(errOut) != denied {
		t.Fatalf("create-user as cli-user: %v\n%s\nwant %s", err, errOut, denied)
	}

	sim := ts.adminCLI(t, "iam", "simulate-custom-policy", "--policy-input-list", doc,
		"--action-names", "ssm:StartSession", "ssm:TerminateSession",
		"--resource-arns", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0")
	results, _ := sim["EvaluationResults"].([]any)
	var decisions []string
	for _, r := range results {
		m, _ := r.(map[string]any)
		decisions = append(decisions, fmt.Sprint(m["EvalActionName"], " ", m["EvalDecision"], " ", len(m["MatchedStatements"].([]any))))
	}
	if fmt.Sprint(decisions) != "[ssm:StartSession allowed 1 ssm:TerminateSession implicitDeny 0]" {
		t.Fatalf("simulate-custom-policy: %v", sim)
	}

	_, errOut, err = ts.awsCLI(t, ts.Admin.AccessKeyID, ts.Admin.SecretAccessKey, "iam", "put-user-policy",
		"--user-name", "cli-user", "--policy-name", "bad", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`)
	if err == nil || !strings.Contains(errOut, "(MalformedPolicyDocument) when calling the PutUserPolicy operation: 2 problems: line 1, column 38: the statement has no Action or NotAction") {
		t.Fatalf("put-user-policy with a malformed document: %v\n%s", err, errOut)
	}
}
