package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lintDir holds the policies the lint tests read and their golden
// outputs; file names in the outputs are relative to the package.
var lintDir = filepath.Join("testdata", "lint")

func lintFile(name string) string { return filepath.Join(lintDir, name) }

// lintCases run sesame policy lint through Main; each output, with the
// exit status, is compared with testdata/lint/NAME.golden.
var lintCases = []struct {
	name  string
	args  []string
	stdin string // a file of testdata/lint given on standard input
	code  int
}{
	{"seed001-broken", []string{lintFile("seed001-broken.json")}, "", 1},
	{"seed001-fixed", []string{lintFile("seed001-fixed.json")}, "", 1},
	{"seed004-warnings-only", []string{lintFile("seed004-broken.json")}, "", 0},
	{"clean", []string{lintFile("clean.json")}, "", 0},
	{"two-files", []string{lintFile("clean.json"), lintFile("seed001-broken.json")}, "", 1},
	{"json", []string{"--format", "json", lintFile("seed001-fixed.json")}, "", 1},
	{"json-clean", []string{"--format=json", lintFile("clean.json")}, "", 0},
	{"stdin", []string{"-"}, "seed004-broken.json", 0},
	{"resource-policy", []string{"--type", "RESOURCE_POLICY", lintFile("bucket-policy.json")}, "", 0},
	{"resource-policy-as-identity", []string{"-t", "identity", lintFile("bucket-policy.json")}, "", 1},
	{"no-files", nil, "", 2},
	{"bad-type", []string{"--type", "BUCKET_POLICY", lintFile("clean.json")}, "", 2},
	{"bad-format", []string{"--format", "yaml", lintFile("clean.json")}, "", 2},
	{"missing-file", []string{lintFile("clean.json"), lintFile("no-such-file.json")}, "", 2},
	{"unknown-flag", []string{"--strict", lintFile("clean.json")}, "", 2},
	{"help", []string{"--help"}, "", 0},
}

func runLintMain(t *testing.T, args []string, stdin []byte) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, bytes.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLintCommand(t *testing.T) {
	for _, tc := range lintCases {
		t.Run(tc.name, func(t *testing.T) {
			var stdin []byte
			if tc.stdin != "" {
				var err error
				if stdin, err = os.ReadFile(lintFile(tc.stdin)); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"policy", "lint"}, tc.args...)
			code, stdout, stderr := runLintMain(t, args, stdin)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			got := fmt.Sprintf("$ sesame %s\n-- exit %d --\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), code, stdout, stderr)
			golden(t, lintFile(tc.name+".golden"), got)
		})
	}
}

// TestLintJSONShape decodes the JSON output: an array of objects with the
// file and every field of a finding.
func TestLintJSONShape(t *testing.T) {
	code, stdout, _ := runLintMain(t, []string{"policy", "lint", "--format", "json", lintFile("seed001-broken.json"), lintFile("clean.json")}, nil)
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, stdout)
	}
	if len(got) != 3 {
		t.Fatalf("%d findings, want 3:\n%s", len(got), stdout)
	}
	last := got[2]
	want := map[string]any{
		"file": lintFile("seed001-broken.json"), "severity": "ERROR", "code": "JSON_SYNTAX_ERROR",
		"path": "Statement[0]", "line": float64(22), "column": float64(3),
	}
	for k, v := range want {
		if last[k] != v {
			t.Errorf("%s = %v, want %v", k, last[k], v)
		}
	}
	for _, k := range []string{"message", "fix"} {
		if s, _ := last[k].(string); s == "" {
			t.Errorf("%s is empty", k)
		}
	}
}

// TestLintStdinOnce: "-" reads standard input, and names it <stdin>.
func TestLintStdinOnce(t *testing.T) {
	code, stdout, _ := runLintMain(t, []string{"policy", "lint", "-"}, []byte(`{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}`))
	if code != 0 || !strings.HasPrefix(stdout, "<stdin>:1:1: WARNING MISSING_VERSION: ") {
		t.Errorf("exit %d, output:\n%s", code, stdout)
	}
}
