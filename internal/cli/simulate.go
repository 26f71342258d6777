package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSimulateCustomPolicyCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "simulate-custom-policy",
		RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") },
	}
}
