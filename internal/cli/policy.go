package cli

import "github.com/spf13/cobra"

func newPolicyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Check and explain IAM policies offline",
	}
	c.AddCommand(newLintCmd(), newExplainCmd())
	return c
}

func newIAMCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "iam",
		Short: "AWS IAM commands that work offline, with the aws CLI's parameters",
	}
	c.AddCommand(newSimulateCustomPolicyCmd())
	return c
}
