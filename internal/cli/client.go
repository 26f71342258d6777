package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clientFlags are the flags of every command that calls a sesame server:
// the AWS SDK reads the usual credential and config files and
// environment; these override them.
type clientFlags struct {
	profile  string
	endpoint string
	region   string
	format   string
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS CLI `PROFILE` to use (default: $AWS_PROFILE or default)")
	fs.StringVar(&f.endpoint, "endpoint-url", "", "the sesame server's `URL` (default: the profile's endpoint_url or $AWS_ENDPOINT_URL)")
	fs.StringVar(&f.region, "region", "", "`REGION` (default: the profile's)")
	fs.StringVar(&f.format, "format", "text", "output `format`: text or json")
}

func (f *clientFlags) awsConfig(ctx context.Context) (aws.Config, error) {
	if f.format != "text" && f.format != "json" {
		return aws.Config{}, usageError("--format must be text or json")
	}
	var opts []func(*config.LoadOptions) error
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if f.endpoint != "" {
		cfg.BaseEndpoint = aws.String(f.endpoint)
	}
	if cfg.BaseEndpoint == nil {
		return aws.Config{}, usageError("no sesame endpoint: pass --endpoint-url or use a profile with endpoint_url (sesame server writes one: profile sesame)")
	}
	return cfg, nil
}

func (f *clientFlags) ssm(ctx context.Context) (*ssm.Client, error) {
	cfg, err := f.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return ssm.NewFromConfig(cfg), nil
}

func (f *clientFlags) printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

func newWhoamiCmd() *cobra.Command {
	var f clientFlags
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the server thinks you are (sts get-caller-identity)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(cmd.Context(), &sts.GetCallerIdentityInput{})
			if err != nil {
				return err
			}
			if f.format == "json" {
				return f.printJSON(cmd.OutOrStdout(), map[string]string{"Account": aws.ToString(out.Account), "Arn": aws.ToString(out.Arn), "UserId": aws.ToString(out.UserId)})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%s) in account %s\n", aws.ToString(out.Arn), aws.ToString(out.UserId), aws.ToString(out.Account))
			return nil
		},
	}
	f.register(c.Flags())
	return c
}

func newNodeCmd() *cobra.Command {
	c := &cobra.Command{Use: "node", Short: "Managed nodes: list them"}
	var f clientFlags
	var tags []string
	list := &cobra.Command{
		Use:   "list [--tag KEY=VALUE...]",
		Short: "List managed nodes with their status (ssm describe-instance-information)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := f.ssm(cmd.Context())
			if err != nil {
				return err
			}
			in := &ssm.DescribeInstanceInformationInput{}
			kv, err := parseKeyValues(tags, "--tag")
			if err != nil {
				return err
			}
			for k, v := range kv {
				in.Filters = append(in.Filters, ssmtypes.InstanceInformationStringFilter{Key: aws.String("tag:" + k), Values: []string{v}})
			}
			var nodes []ssmtypes.InstanceInformation
			p := ssm.NewDescribeInstanceInformationPaginator(client, in)
			for p.HasMorePages() {
				page, err := p.NextPage(cmd.Context())
				if err != nil {
					return err
				}
				nodes = append(nodes, page.InstanceInformationList...)
			}
			if f.format == "json" {
				return f.printJSON(cmd.OutOrStdout(), map[string]any{"InstanceInformationList": nodes})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tLAST PING\tPLATFORM\tIP\tAGENT")
			for _, n := range nodes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(n.InstanceId), aws.ToString(n.Name), n.PingStatus,
					formatTime(n.LastPingDateTime), aws.ToString(n.PlatformName), aws.ToString(n.IPAddress), aws.ToString(n.AgentVersion))
			}
			return tw.Flush()
		},
	}
	f.register(list.Flags())
	list.Flags().StringArrayVar(&tags, "tag", nil, "only nodes with tag `KEY=VALUE` (repeatable)")
	c.AddCommand(list)
	return c
}

func newActivationCmd() *cobra.Command {
	c := &cobra.Command{Use: "activation", Short: "Activations: codes that register hosts as managed nodes"}
	var f clientFlags
	var (
		name, role, desc string
		limit            int32
		expires          time.Duration
		tags             []string
	)
	create := &cobra.Command{
		Use:   "create [--name NAME] [--tag KEY=VALUE...] [--limit N] [--expires 24h]",
		Short: "Create an activation (ssm create-activation) and print how to register a host with it",
		Example: `  sesame activation create --name web --tag Env=Dev --limit 10
  sesame-agent register --code CODE --id ID --endpoint URL`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := f.ssm(cmd.Context())
			if err != nil {
				return err
			}
			kv, err := parseKeyValues(tags, "--tag")
			if err != nil {
				return err
			}
			in := &ssm.CreateActivationInput{IamRole: aws.String(role), RegistrationLimit: aws.Int32(limit)}
			if name != "" {
				in.DefaultInstanceName = aws.String(name)
			}
			if desc != "" {
				in.Description = aws.String(desc)
			}
			if expires > 0 {
				in.ExpirationDate = aws.Time(time.Now().Add(expires))
			}
			for k, v := range kv {
				in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			out, err := client.CreateActivation(cmd.Context(), in)
			if err != nil {
				return err
			}
			if f.format == "json" {
				return f.printJSON(cmd.OutOrStdout(), map[string]string{"ActivationId": aws.ToString(out.ActivationId), "ActivationCode": aws.ToString(out.ActivationCode)})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ActivationId:   %s\nActivationCode: %s\n\nOn each host:\n  sesame-agent register --id %s --code %s --endpoint <server URL>\n",
				aws.ToString(out.ActivationId), aws.ToString(out.ActivationCode), aws.ToString(out.ActivationId), aws.ToString(out.ActivationCode))
			return nil
		},
	}
	f.register(create.Flags())
	fl := create.Flags()
	fl.StringVar(&name, "name", "", "default `NAME` of the nodes it registers")
	fl.StringVar(&role, "role", "SSMServiceRole", "IAM `ROLE` the nodes act as")
	fl.StringVar(&desc, "description", "", "a `TEXT` to remember it by")
	fl.Int32Var(&limit, "limit", 1, "how many hosts may register with it")
	fl.DurationVar(&expires, "expires", 24*time.Hour, "how long it stays valid (at most 720h)")
	fl.StringArrayVar(&tags, "tag", nil, "tag `KEY=VALUE` for the nodes it registers (repeatable)")
	c.AddCommand(create)
	return c
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// sessionStates maps --history to DescribeSessions' State.
func sessionState(history bool) ssmtypes.SessionState {
	if history {
		return ssmtypes.SessionStateHistory
	}
	return ssmtypes.SessionStateActive
}

func newSessionListCmd() *cobra.Command {
	var f clientFlags
	var history bool
	c := &cobra.Command{
		Use:   "list [--history]",
		Short: "List your active sessions, or ended ones with --history (ssm describe-sessions)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := f.ssm(cmd.Context())
			if err != nil {
				return err
			}
			var sessions []ssmtypes.Session
			p := ssm.NewDescribeSessionsPaginator(client, &ssm.DescribeSessionsInput{State: sessionState(history)})
			for p.HasMorePages() {
				page, err := p.NextPage(cmd.Context())
				if err != nil {
					return err
				}
				sessions = append(sessions, page.Sessions...)
			}
			if f.format == "json" {
				return f.printJSON(cmd.OutOrStdout(), map[string]any{"Sessions": sessions})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SESSION\tTARGET\tSTATUS\tSTARTED\tOWNER\tDOCUMENT")
			for _, s := range sessions {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(s.SessionId), aws.ToString(s.Target), s.Status,
					formatTime(s.StartDate), aws.ToString(s.Owner), aws.ToString(s.DocumentName))
			}
			return tw.Flush()
		},
	}
	f.register(c.Flags())
	c.Flags().BoolVar(&history, "history", false, "list ended sessions")
	return c
}

func newSessionTerminateCmd() *cobra.Command {
	var f clientFlags
	c := &cobra.Command{
		Use:   "terminate SESSION_ID...",
		Short: "End sessions (ssm terminate-session)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := f.ssm(cmd.Context())
			if err != nil {
				return err
			}
			for _, id := range args {
				if _, err := client.TerminateSession(cmd.Context(), &ssm.TerminateSessionInput{SessionId: aws.String(strings.TrimSpace(id))}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "terminated %s\n", id)
			}
			return nil
		},
	}
	f.register(c.Flags())
	return c
}

func newSessionCmd() *cobra.Command {
	c := &cobra.Command{Use: "session", Short: "Session Manager sessions"}
	c.AddCommand(newSessionStartCmd(), newSessionResumeCmd(), newSessionListCmd(), newSessionTerminateCmd())
	return c
}
