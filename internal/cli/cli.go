// Package cli holds the sesame command's subcommands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs the sesame command with args and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return 130
	default:
		fmt.Fprintln(stderr, "sesame:", err)
		return 2
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "sesame",
		Short: "Self-hosted session manager with AWS-IAM-style policies",
		Long: `sesame gives keyless shell and port-forward access to hosts, governed by
AWS IAM policies evaluated exactly as AWS does, with every decision explained.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDevCmd(), newServerCmd(), newWhoamiCmd(), newNodeCmd(), newActivationCmd(), newSessionCmd(), newPolicyCmd(), newIAMCmd(), newAuditCmd(), newBenchCmd())
	return root
}
