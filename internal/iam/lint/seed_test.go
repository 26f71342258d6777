package lint_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden lints every testdata/*.json (the seeds' policies, see
// testdata/README.md) and compares the findings with testdata/*.golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := render(lint.Lint(data, iam.Identity))
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// at is a finding's code and position, what the seed tests pin down.
type at struct {
	Code         string
	Line, Column int
}

func positions(fs []lint.Finding, severity lint.Severity) []at {
	var out []at
	for _, f := range fs {
		if f.Severity == severity {
			out = append(out, at{f.Code, f.Line, f.Column})
		}
	}
	return out
}

// TestSeed001 pins the errors of seed 001's published policies, as
// printed in the post: the broken one lacks the } that closes its
// StringEquals block, the fixed one has a trailing comma and the key
// aws:ResourceTag/TAG2 twice. Both hold the placeholder <AWSアカウントID>,
// whose katakana IAM does not accept either.
func TestSeed001(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []at
	}{
		{"testdata/seed001-broken.json", []at{
			{"JSON_SYNTAX_ERROR", 12, 37}, // アカウント in the document ARN
			{"JSON_SYNTAX_ERROR", 13, 37}, // and in the instance ARN
			{"JSON_SYNTAX_ERROR", 22, 3},  // the next statement's { where the missing } should have closed one
		}},
		{"testdata/seed001-fixed.json", []at{
			{"JSON_SYNTAX_ERROR", 9, 57},
			{"JSON_SYNTAX_ERROR", 18, 57},
			{"UNSUPPORTED_ACTION_FOR_CONDITION_KEY", 21, 21},
			{"JSON_SYNTAX_ERROR", 23, 21},                  // duplicate key "aws:ResourceTag/TAG2"
			{"DUPLICATE_KEYS_WITH_DIFFERENT_CASE", 23, 21}, // the same, as Access Analyzer names it
			{"JSON_SYNTAX_ERROR", 23, 51},                  // trailing comma
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got := lint.Lint(data, iam.Identity)
			if diff := cmp.Diff(tc.want, positions(got, lint.Error)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\n%s", diff, render(got))
			}
		})
	}
}

// TestSeedSessionFindings: each seed's policy gets the Session Manager
// findings that explain what the seed observed.
func TestSeedSessionFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
	}{
		// S0: instances only, allowed in 2022 (exemption mode), denied on the
		// document in sesame's default mode; Terminate with ${aws:username}.
		{"seed000.json", []string{"SSM_MISSING_SESSION_DOCUMENT", "SSM_EC2_INSTANCES_ONLY", "SSM_SESSION_ARN_USERNAME"}},
		// S1: the document under the tag condition is the cause of the denial.
		{"seed001-broken-valid.json", []string{"SSM_DOCUMENT_TAG_CONDITION", "SSM_EC2_INSTANCES_ONLY"}},
		{"seed001-fixed-valid.json", []string{"SSM_EC2_INSTANCES_ONLY"}},
		// S2: what connects, what does not, and how to forbid.
		{"seed002-allow.json", []string{"SSM_EC2_INSTANCES_ONLY"}},
		{"seed002-instances-only.json", []string{"SSM_MISSING_SESSION_DOCUMENT", "SSM_EC2_INSTANCES_ONLY"}},
		{"seed002-deny.json", []string{"SSM_DENY_ALL_SESSIONS"}},
		{"seed002-deny-check.json", []string{"SSM_DENY_ALL_SESSIONS"}},
		// S3: AWS's samples allow the document; their session ARNs use ${aws:userid}.
		{"seed003-enduser-console.json", []string{"SSM_EC2_INSTANCES_ONLY", "SSM_SESSION_ARN_USERID"}},
		{"seed003-admin-cli.json", []string{"SSM_EC2_INSTANCES_ONLY", "SSM_SESSION_ARN_USERID"}},
		// S4: port forwarding denied on AWS-StartPortForwardingSession; the fix allows it.
		{"seed004-broken.json", []string{"SSM_MISSING_SESSION_DOCUMENT", "SSM_EC2_INSTANCES_ONLY", "SSM_SESSION_ARN_USERID"}},
		{"seed004-fixed.json", []string{"SSM_EC2_INSTANCES_ONLY", "SSM_SESSION_ARN_USERNAME"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range lint.Lint(data, iam.Identity) {
				if strings.HasPrefix(f.Code, "SSM_") {
					got = append(got, f.Code)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Session Manager findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSeedTextsVerbatim checks that the seed 001 testdata are the policies
// exactly as published, when the seed posts are at hand.
func TestSeedTextsVerbatim(t *testing.T) {
	t.Parallel()
	seeds, _ := filepath.Glob("/work/shared/seeds/001_*.txt")
	if len(seeds) != 1 {
		t.Skip("seed 001 not available")
	}
	post, err := os.ReadFile(seeds[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(post, []byte("\n"))
	for file, span := range map[string][2]int{
		"testdata/seed001-broken.json": {28, 58},
		"testdata/seed001-fixed.json":  {80, 115},
	} {
		want := bytes.Join(lines[span[0]-1:span[1]], nil)
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from lines %d-%d of %s", file, span[0], span[1], seeds[0])
		}
	}
}
