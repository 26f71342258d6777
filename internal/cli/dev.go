package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/agent"
	"github.com/sesame-sh/sesame/internal/agent/shell"
)

// The dev environment's fixed names.
const (
	devUser    = "demo"
	devNodeDev = "i-0000000000000dev1"
	devNodePrd = "i-0000000000000prd1"
)

func newDevCmd() *cobra.Command {
	var opts serverOptions
	c := &cobra.Command{
		Use:   "dev [--data-dir DIR] [--listen HOST:PORT]",
		Short: "Run a local sesame for a first look: server, demo user, a Dev and a Prod node",
		Long: `dev starts a sesame server on loopback (plain HTTP; data in DIR, or in a new
temporary directory), then sets up a demo through the real APIs:

  - nodes i-0000000000000dev1 tagged Env=Dev and i-0000000000000prd1 tagged Env=Prod,
    registered with activations;
  - user "demo" whose policy allows ssm:StartSession on the session document and
    on nodes tagged Env=Dev only (seed scenario S1, fixed), plus Terminate and
    Resume of its own sessions; its key goes into DIR/aws as profile "demo",
    next to the administrator's profile "sesame".

It prints the commands to try. Stop it with Ctrl-C; run it again with the same
--data-dir to keep its state.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.DataDir == "" {
				dir, err := os.MkdirTemp("", "sesame-dev-")
				if err != nil {
					return err
				}
				opts.DataDir = dir
			}
			out := cmd.OutOrStdout()
			ctx, cancel := context.WithCancelCause(cmd.Context())
			defer cancel(nil)
			err := runServer(ctx, out, cmd.ErrOrStderr(), opts, func(url string) {
				go func() {
					if err := setUpDev(ctx, out, opts, url); err != nil {
						cancel(fmt.Errorf("set up the demo: %w", err))
					}
				}()
			})
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return cause
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&opts.DataDir, "data-dir", "", "data `DIR` (default: a new temporary directory)")
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "`HOST:PORT` to listen on (loopback)")
	opts.Account, opts.Region, opts.HTTP, opts.LogLevel = "123456789012", "us-east-1", true, "warn"
	return c
}

// devPolicy is seed S1's fixed policy for Env=Dev, plus the caller's own
// sessions, identified by their session-id tag (which works for users and
// roles alike, unlike session/${aws:username}-*).
func devPolicy(region, account string) string {
	return `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SessionDocument",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": "arn:aws:ssm:` + region + `:` + account + `:document/SSM-SessionManagerRunShell"
        },
        {
            "Sid": "DevNodes",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": [
                "arn:aws:ec2:` + region + `:` + account + `:instance/*",
                "arn:aws:ssm:` + region + `:` + account + `:managed-instance/*"
            ],
            "Condition": {
                "StringEquals": {
                    "ssm:resourceTag/Env": "Dev"
                }
            }
        },
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": [
                "ssm:DescribeSessions",
                "ssm:DescribeInstanceInformation",
                "ssm:DescribeInstanceProperties",
                "ssm:GetConnectionStatus",
                "sts:GetCallerIdentity"
            ],
            "Resource": "*"
        },
        {
            "Sid": "OwnSessions",
            "Effect": "Allow",
            "Action": [
                "ssm:TerminateSession",
                "ssm:ResumeSession"
            ],
            "Resource": "arn:aws:ssm:*:*:session/*",
            "Condition": {
                "StringEquals": {
                    "ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"
                }
            }
        }
    ]
}`
}

// setUpDev creates the demo user, its profile and the two nodes through
// the server's APIs, as the administrator. Every step is idempotent, so a
// second run on the same data directory changes nothing.
func setUpDev(ctx context.Context, out io.Writer, opts serverOptions, url string) error {
	awsDir := filepath.Join(opts.DataDir, "aws")
	credsFile, configFile := filepath.Join(awsDir, "credentials"), filepath.Join(awsDir, "config")
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedCredentialsFiles([]string{credsFile}),
		config.WithSharedConfigFiles([]string{configFile}), config.WithSharedConfigProfile("sesame"),
		config.WithRegion(opts.Region))
	if err != nil {
		return err
	}
	cfg.BaseEndpoint = aws.String(url)
	iamc, ssmc := awsiam.NewFromConfig(cfg), ssm.NewFromConfig(cfg)

	if _, err := iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(devUser)}); err != nil && !isCode(err, "EntityAlreadyExists") {
		return err
	}
	if _, err := iamc.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(devUser), PolicyName: aws.String("SessionManagerDev"),
		PolicyDocument: aws.String(devPolicy(opts.Region, opts.Account))}); err != nil {
		return err
	}
	if !hasProfile(credsFile, devUser) {
		key, err := iamc.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(devUser)})
		if err != nil {
			return err
		}
		if err := writeProfile(opts.DataDir, devUser, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), opts.Region, url, ""); err != nil {
			return err
		}
	}
	for _, n := range []struct{ id, env string }{{devNodeDev, "Dev"}, {devNodePrd, "Prod"}} {
		if err := startDevAgent(ctx, ssmc, url, opts.DataDir, n.id, n.env); err != nil {
			return fmt.Errorf("node %s: %w", n.id, err)
		}
	}
	env := fmt.Sprintf("AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s", credsFile, configFile)
	fmt.Fprintf(out, `
sesame dev is ready (data in %s). In another terminal:

  export %s

  # who am I, and which nodes are there
  aws --profile demo sts get-caller-identity
  aws --profile demo ssm describe-instance-information

  # a shell on the Dev node: allowed by the demo policy
  sesame session start --profile demo --target %s
  aws --profile demo ssm start-session --target %s      # with session-manager-plugin on PATH

  # the Prod node: denied with AWS's text, and why
  aws --profile demo ssm start-session --target %s
  sesame policy explain --policy <(aws --profile sesame iam get-user-policy --user-name demo --policy-name SessionManagerDev --query PolicyDocument) \
      --principal arn:aws:iam::%s:user/demo --target arn:aws:ec2:%s:%s:instance/%s --tag Env=Prod

`, opts.DataDir, env, devNodeDev, devNodeDev, devNodePrd, opts.Account, opts.Region, opts.Account, devNodePrd)
	return nil
}

// startDevAgent registers a node with its own activation, as a host's
// agent would, and runs its agent in this process until ctx ends. The
// credentials are kept in DIR/agents/ID, so a second run reuses the node.
// Sessions run as the user who runs sesame dev (no ssm-user is created).
func startDevAgent(ctx context.Context, client *ssm.Client, url, dataDir, id, env string) error {
	stateDir := filepath.Join(dataDir, "agents", id)
	creds, err := agent.LoadCredentials(stateDir)
	if errors.Is(err, agent.ErrNotRegistered) {
		act, err := client.CreateActivation(ctx, &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"),
			DefaultInstanceName: aws.String("dev-" + strings.ToLower(env)), Description: aws.String("sesame dev " + env + " node"),
			Tags: []ssmtypes.Tag{{Key: aws.String("Env"), Value: aws.String(env)}}})
		if err != nil {
			return err
		}
		creds, err = agent.Register(ctx, agent.Registration{Endpoint: url, ActivationID: aws.ToString(act.ActivationId),
			ActivationCode: aws.ToString(act.ActivationCode), InstanceID: id, Info: agent.HostInfo(ctx, url)})
		if err != nil {
			return err
		}
		if err := agent.SaveCredentials(stateDir, creds); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	users := &shell.Users{Lookup: func(context.Context, string) (*shell.User, error) { return (&shell.Users{}).Current() }}
	a, err := agent.New(agent.Config{Credentials: creds, Users: users,
		SaveCredentials: func(c agent.Credentials) error { return agent.SaveCredentials(stateDir, c) }})
	if err != nil {
		return err
	}
	go a.Run(ctx)
	return nil
}

func hasProfile(credsFile, profile string) bool {
	data, err := os.ReadFile(credsFile)
	return err == nil && strings.Contains(string(data), "["+profile+"]\n")
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
