package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Main runs the sesame-agent command with args and returns its exit
// status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "sesame-agent:", err)
		return 1
	}
	return 0
}

func newRoot(stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sesame-agent",
		Short: "The host agent of sesame, a self-hosted AWS Session Manager",
		Long: `sesame-agent runs on each host that sesame users open sessions on. It
registers the host once with an activation, then keeps an outbound
connection to the sesame server and runs the sessions users start:
shells on a pseudo-terminal, interactive and non-interactive commands.

  sesame-agent register --code CODE --id ID --endpoint https://sesame.example:8443 --ca-file ca.pem
  sesame-agent run`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRegisterCmd(), newRunCmd(stderr))
	return root
}

func stateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "`DIR` of the node's credentials (default /var/lib/sesame-agent as root, else ~/.local/state/sesame-agent)")
}

func stateDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return DefaultStateDir()
}

func newRegisterCmd() *cobra.Command {
	var (
		r           Registration
		caFile, dir string
		force       bool
	)
	cmd := &cobra.Command{
		Use:   "register --code CODE --id ID --endpoint URL",
		Short: "Register this host with a sesame server",
		Long: `register registers this host as a managed node, with an activation made by
"aws ssm create-activation --endpoint-url URL" (or "sesame activation create"):
the node gets the activation's tags and default name, and an id mi-... (or
the EC2 instance id given with --instance-id). The node's credentials go to
the state directory (mode 0600); "sesame-agent run" uses them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := stateDir(dir)
			if err != nil {
				return err
			}
			if old, err := LoadCredentials(dir); err == nil && !force {
				return fmt.Errorf("this host is already registered as %s (credentials in %s): pass --force to register it again", old.InstanceID, dir)
			}
			if caFile != "" {
				b, err := os.ReadFile(caFile)
				if err != nil {
					return fmt.Errorf("--ca-file: %w", err)
				}
				r.CA = string(b)
			}
			r.Info = HostInfo(cmd.Context(), r.Endpoint)
			creds, err := Register(cmd.Context(), r)
			if err != nil {
				return fmt.Errorf("register: %w", err)
			}
			if err := SaveCredentials(dir, creds); err != nil {
				return fmt.Errorf("registered as %s, but %w", creds.InstanceID, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Registered this host as %s with %s; credentials are in %s.\nStart the agent with: sesame-agent run%s\n",
				creds.InstanceID, creds.Endpoint, dir, dirArg(dir, cmd))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.ActivationCode, "code", "", "the activation `CODE` (ActivationCode of create-activation)")
	f.StringVar(&r.ActivationID, "id", "", "the activation `ID` (ActivationId of create-activation)")
	f.StringVar(&r.Endpoint, "endpoint", "", "the sesame server's `URL`, e.g. https://sesame.example:8443")
	f.StringVar(&r.InstanceID, "instance-id", "", "register as this EC2 instance id (`i-...`) instead of a new mi-... id")
	f.StringVar(&caFile, "ca-file", "", "`PEM` file of the CA that signed the server's certificate (default: the system's roots)")
	f.BoolVar(&force, "force", false, "register again even if this host already has credentials")
	stateDirFlag(cmd, &dir)
	for _, name := range []string{"code", "id", "endpoint"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func dirArg(dir string, cmd *cobra.Command) string {
	if cmd.Flags().Changed("state-dir") {
		return " --state-dir " + dir
	}
	return ""
}

func newRunCmd(stderr io.Writer) *cobra.Command {
	var dir, level string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Connect to the server and run sessions until stopped",
		Long: `run connects to the sesame server with the credentials of "sesame-agent
register", reports this host (Online in describe-instance-information), and
runs the sessions users start. It reconnects on its own when the connection
drops. SIGTERM or SIGINT stop it: running sessions are told and ended first.

Sessions run as ssm-user (created when missing) when the agent runs as root,
as the user a session names (RunAs) if any, else as the agent's own user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var lv slog.Level
			if err := lv.UnmarshalText([]byte(level)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
			dir, err := stateDir(dir)
			if err != nil {
				return err
			}
			creds, err := LoadCredentials(dir)
			if err != nil {
				return err
			}
			a, err := New(Config{
				Credentials:     creds,
				SaveCredentials: func(c Credentials) error { return SaveCredentials(dir, c) },
				Logger:          log,
			})
			if err != nil {
				return err
			}
			log.Info("sesame-agent starting", "version", Version, "instance_id", creds.InstanceID, "endpoint", creds.Endpoint)
			err = a.Run(cmd.Context())
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	stateDirFlag(cmd, &dir)
	cmd.Flags().StringVar(&level, "log-level", "info", "log `LEVEL`: "+strings.Join([]string{"debug", "info", "warn", "error"}, ", "))
	return cmd
}
