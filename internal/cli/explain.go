package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "explain",
		RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") },
	}
}
