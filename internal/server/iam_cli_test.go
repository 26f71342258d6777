package server

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
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
