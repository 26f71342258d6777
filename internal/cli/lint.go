package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "lint FILE...",
		RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") },
	}
}
