package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

// lintStdin is how findings in a policy read from stdin name their file.
const lintStdin = "<stdin>"

func newLintCmd() *cobra.Command {
	var typ, format string
	c := &cobra.Command{
		Use:   "lint [--type TYPE] [--format text|json] FILE...",
		Short: "Check policy documents: Access Analyzer's checks plus Session Manager's",
		Long: `lint checks IAM policy documents offline, the way IAM Access Analyzer's
ValidatePolicy does (JSON syntax, grammar, variables, condition operators and
values, redundant elements, ...), and adds checks for Session Manager that no
other tool has: a tag condition that also covers the session document, targets
allowed without a session document, session ARNs built on ${aws:username},
EC2 instances allowed while hosts are managed instances, and a Deny that
blocks every session.

Each finding is printed as

  FILE:LINE:COL: SEVERITY CODE: message (at JSON.PATH)
      fix: how to repair it, when there is one obvious way

SEVERITY is ERROR, SECURITY_WARNING, WARNING or SUGGESTION, as in Access
Analyzer; CODE is Access Analyzer's issue code, or sesame's SSM_... for the
Session Manager checks. FILE - reads the policy from standard input.

Exit status: 1 when any finding is an ERROR, 0 otherwise, 2 on usage errors
and unreadable files.`,
		Example: `  sesame policy lint policy.json
  sesame policy lint --type RESOURCE_POLICY --format json bucket-policy.json
  cat policy.json | sesame policy lint -`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("lint: no policy file given (use - to read one from standard input)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), typ, format, args)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&typ, "type", "t", "IDENTITY_POLICY", "policy `TYPE`: IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, PERMISSIONS_BOUNDARY, SESSION_POLICY or TRUST_POLICY")
	fl.StringVarP(&format, "format", "f", "text", "output `FORMAT`: text or json")
	return c
}

// fileFinding is one finding of the JSON output.
type fileFinding struct {
	File string `json:"file"`
	lint.Finding
}

func runLint(stdin io.Reader, stdout, stderr io.Writer, typName, format string, files []string) error {
	t, err := iam.ParseType(typName)
	if err != nil {
		return fmt.Errorf("lint: invalid --type %q: use IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, PERMISSIONS_BOUNDARY, SESSION_POLICY or TRUST_POLICY", typName)
	}
	if format != "text" && format != "json" {
		return fmt.Errorf("lint: invalid --format %q: use text or json", format)
	}
	// Read every file first: an unreadable one is a usage error, reported
	// before any finding.
	docs := make([][]byte, len(files))
	for i, name := range files {
		if name == "-" {
			docs[i], err = io.ReadAll(stdin)
		} else {
			docs[i], err = os.ReadFile(name)
		}
		if err != nil {
			return fmt.Errorf("lint: read policy: %w", err)
		}
	}
	var all []fileFinding
	for i, name := range files {
		if name == "-" {
			name = lintStdin
		}
		for _, f := range lint.Lint(docs[i], t) {
			all = append(all, fileFinding{File: name, Finding: f})
		}
	}
	if format == "json" {
		err = writeLintJSON(stdout, all)
	} else {
		err = writeLintText(stdout, stderr, all, len(files))
	}
	if err != nil {
		return err
	}
	for _, f := range all {
		if f.Severity == lint.Error {
			return &exitError{code: 1}
		}
	}
	return nil
}

func writeLintText(stdout, stderr io.Writer, all []fileFinding, files int) error {
	var b strings.Builder
	count := map[lint.Severity]int{}
	for _, f := range all {
		fmt.Fprintf(&b, "%s:%s\n", f.File, f.Finding)
		if f.Fix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
		}
		count[f.Severity]++
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	var parts []string
	for s := lint.Error; s >= lint.Suggestion; s-- {
		if n := count[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	summary := "no findings"
	if len(parts) > 0 {
		summary = lintPlural(len(all), "finding") + " (" + strings.Join(parts, ", ") + ")"
	}
	_, err := fmt.Fprintf(stderr, "%s in %s\n", summary, lintPlural(files, "file"))
	return err
}

func lintPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func writeLintJSON(w io.Writer, all []fileFinding) error {
	if all == nil {
		all = []fileFinding{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(all)
}
