package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sesame-sh/sesame/internal/awscli"
	"github.com/sesame-sh/sesame/internal/client"
)

const sessionStartLong = `Open a session on a managed node (ssm start-session) and connect this
terminal to it: a shell by default, or what --document-name says.

--target is a node id (i-..., mi-...), name:NAME (the node's name or host
name) or tag:KEY=VALUE. When a name or tag matches several nodes, they are
listed and, on a terminal, you choose one; otherwise the command fails.

On a terminal the session is raw: Ctrl-C, Ctrl-Z and the window size go to
the remote shell. With stdin from a pipe or file, the input is typed into
the remote shell and followed by Ctrl-D, so a script runs and the shell
exits. The remote exit status becomes this command's; 255 means the
session ended without one (terminated, timed out, connection lost).
Messages of sesame's own go to stderr, so stdout carries only the
session's output.`

func newSessionStartCmd() *cobra.Command {
	var f clientFlags
	var (
		target, document, reason string
		params                   []string
	)
	c := &cobra.Command{
		Use:   "start --target ID|name:NAME|tag:KEY=VALUE [--document-name D] [--parameters k=v,...] [--reason R]",
		Short: "Open a shell or other session on a managed node (ssm start-session)",
		Long:  sessionStartLong,
		Example: `  sesame session start --target i-0123456789abcdef0
  sesame session start --target tag:Env=Dev
  sesame session start --target name:web-1 --document-name AWS-StartInteractiveCommand --parameters command="top -b -n1"
  printf 'uname -a\nexit 3\n' | sesame session start --target i-0123456789abcdef0; echo $?`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target == "" {
				return usageError("--target is required")
			}
			parameters, err := parseSessionParameters(params)
			if err != nil {
				return err
			}
			cfg, err := f.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			api := ssm.NewFromConfig(cfg)
			id, err := resolveTarget(cmd.Context(), api, target, chooserFor(cmd))
			if err != nil {
				return err
			}
			in := &ssm.StartSessionInput{Target: aws.String(id), Parameters: parameters}
			if document != "" {
				in.DocumentName = aws.String(document)
			}
			if reason != "" {
				in.Reason = aws.String(reason)
			}
			out, err := api.StartSession(cmd.Context(), in)
			if err != nil {
				return err
			}
			return runSession(cmd, cfg, api, sessionOf(out.SessionId, out.TokenValue, out.StreamUrl))
		},
	}
	f.register(c.Flags())
	fl := c.Flags()
	fl.StringVar(&target, "target", "", "the node: `ID`, name:NAME or tag:KEY=VALUE")
	fl.StringVar(&document, "document-name", "", "session `DOCUMENT` (default SSM-SessionManagerRunShell, a shell)")
	fl.StringArrayVar(&params, "parameters", nil, "document parameters: `k=v,k2=v2`, k=[v1,v2], JSON {\"k\":[\"v\"]} or file://PATH")
	fl.StringVar(&reason, "reason", "", "the `REASON` you open the session for (recorded with it)")
	return c
}

func newSessionResumeCmd() *cobra.Command {
	var f clientFlags
	c := &cobra.Command{
		Use:   "resume SESSION_ID",
		Short: "Reconnect to a session that is still running (ssm resume-session)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			api := ssm.NewFromConfig(cfg)
			id := strings.TrimSpace(args[0])
			out, err := api.ResumeSession(cmd.Context(), &ssm.ResumeSessionInput{SessionId: aws.String(id)})
			if err != nil {
				return err
			}
			if aws.ToString(out.TokenValue) == "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "Session: %s timed out.\n", id)
				return &exitError{255}
			}
			return runSession(cmd, cfg, api, sessionOf(out.SessionId, out.TokenValue, out.StreamUrl))
		},
	}
	f.register(c.Flags())
	return c
}

func sessionOf(id, token, url *string) client.Session {
	return client.Session{SessionID: aws.ToString(id), TokenValue: aws.ToString(token), StreamURL: aws.ToString(url)}
}

// sessionAPI is what running a session needs of the SSM client.
type sessionAPI interface {
	ResumeSession(context.Context, *ssm.ResumeSessionInput, ...func(*ssm.Options)) (*ssm.ResumeSessionOutput, error)
	TerminateSession(context.Context, *ssm.TerminateSessionInput, ...func(*ssm.Options)) (*ssm.TerminateSessionOutput, error)
}

// runSession connects the command's stdin, stdout and stderr to a
// session and turns its end into the command's exit status.
func runSession(cmd *cobra.Command, cfg aws.Config, api sessionAPI, s client.Session) error {
	stdin, stdout, stderr := cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "\nStarting session with SessionId: %s\n", s.SessionID)
	inFile, _ := stdin.(*os.File)
	outFile, _ := stdout.(*os.File)
	sigs := make(chan os.Signal, 8)
	client.NotifySignals(sigs)
	defer signal.Stop(sigs)
	c, err := client.New(client.Config{
		Session: s,
		Resume: func(ctx context.Context, id string) (client.Session, error) {
			out, err := api.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(id)})
			if err != nil {
				return client.Session{}, err
			}
			return sessionOf(out.SessionId, out.TokenValue, out.StreamUrl), nil
		},
		TLSConfig: tlsConfigOf(cfg),
		Stdin:     stdin,
		Stdout:    stdout,
		Stderr:    stderr,
		Terminal:  client.NewTerminal(inFile, outFile),
		Signals:   sigs,
	})
	if err != nil {
		return err
	}
	// Ctrl-C belongs to the remote shell now: the session runs until it
	// ends, whatever happens to the command's context.
	code, err := c.Run(context.WithoutCancel(cmd.Context()))
	if errors.Is(err, client.ErrInterrupted) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
		if _, terr := api.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(s.SessionID)}); terr != nil {
			fmt.Fprintf(stderr, "sesame: terminate session %s: %v\n", s.SessionID, terr)
		}
		cancel()
		return &exitError{130}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return &exitError{255}
	}
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

// tlsConfigOf returns the TLS configuration the AWS SDK built for cfg:
// the CA bundle of the profile's ca_bundle or AWS_CA_BUNDLE. Nil means
// the system's roots.
func tlsConfigOf(cfg aws.Config) *tls.Config {
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		return nil
	}
	if tr := bc.GetTransport(); tr != nil && tr.TLSClientConfig != nil {
		return tr.TLSClientConfig.Clone()
	}
	return nil
}

// parseSessionParameters reads --parameters values as the aws CLI does:
// shorthand (k=v,k2=v2; k=[a,b]; k=a,b is a list too), JSON
// ({"k":["v"]}, or "v" for a one-value list), or file://PATH holding
// either. Repeated flags add keys.
func parseSessionParameters(vals []string) (map[string][]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	params := map[string][]string{}
	add := func(k string, v any) error {
		if _, dup := params[k]; dup {
			return usageError(fmt.Sprintf("--parameters: %s given twice", k))
		}
		list, err := parameterValues(v)
		if err != nil {
			return usageError(fmt.Sprintf("--parameters: %s: %v", k, err))
		}
		params[k] = list
		return nil
	}
	for _, raw := range vals {
		s, isFile, err := awscli.LoadParam(raw)
		if err != nil {
			return nil, usageError("--parameters: " + err.Error())
		}
		if !isFile {
			s = raw
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(t))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				return nil, usageError("--parameters: invalid JSON: " + err.Error())
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if err := add(k, m[k]); err != nil {
					return nil, err
				}
			}
			continue
		}
		obj, err := awscli.ParseShorthand(s, loadShorthandFile)
		if err != nil {
			return nil, usageError("--parameters: " + err.Error())
		}
		for _, k := range obj.Keys {
			if err := add(k, obj.Values[k]); err != nil {
				return nil, err
			}
		}
	}
	return params, nil
}

func loadShorthandFile(v string) (string, error) {
	s, ok, err := awscli.LoadParam(v)
	if err != nil || !ok {
		return v, err
	}
	return s, nil
}

// parameterValues turns a parsed parameter value into its list of
// strings: a string is a list of one; numbers and booleans are written
// as JSON writes them.
func parameterValues(v any) ([]string, error) {
	scalar := func(v any) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a string or a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := scalar(e)
		if !ok {
			return nil, errors.New("want a string or a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// chooser picks one of several nodes, or fails.
type chooser func(nodes []ssmtypes.InstanceInformation) (string, error)

// chooserFor asks on the terminal when stdin and stderr are one, and
// fails otherwise.
func chooserFor(cmd *cobra.Command) chooser {
	in, ok1 := cmd.InOrStdin().(*os.File)
	errOut, ok2 := cmd.ErrOrStderr().(*os.File)
	if ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(errOut.Fd())) {
		return func(nodes []ssmtypes.InstanceInformation) (string, error) {
			return promptNode(in, errOut, nodes)
		}
	}
	return nil
}

// resolveTarget turns --target into a node id: name:NAME and
// tag:KEY=VALUE are looked up with DescribeInstanceInformation; anything
// else is passed to StartSession as it is. Several matches go to choose;
// nil choose makes them an error that lists them.
func resolveTarget(ctx context.Context, api ssm.DescribeInstanceInformationAPIClient, target string, choose chooser) (string, error) {
	var (
		in   ssm.DescribeInstanceInformationInput
		keep func(ssmtypes.InstanceInformation) bool
		what string
	)
	switch {
	case strings.HasPrefix(target, "name:"):
		name := strings.TrimPrefix(target, "name:")
		if name == "" {
			return "", usageError("--target name:NAME needs a name")
		}
		what = "name " + strconv.Quote(name)
		keep = func(n ssmtypes.InstanceInformation) bool {
			return aws.ToString(n.Name) == name || aws.ToString(n.ComputerName) == name
		}
	case strings.HasPrefix(target, "tag:"):
		k, v, ok := strings.Cut(strings.TrimPrefix(target, "tag:"), "=")
		if !ok || k == "" || v == "" {
			return "", usageError("--target tag:KEY=VALUE needs a key and a value")
		}
		what = "tag " + k + "=" + v
		in.Filters = []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("tag:" + k), Values: []string{v}}}
		keep = func(ssmtypes.InstanceInformation) bool { return true }
	default:
		return target, nil
	}
	var nodes []ssmtypes.InstanceInformation
	p := ssm.NewDescribeInstanceInformationPaginator(api, &in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("find the node with %s: %w", what, err)
		}
		for _, n := range page.InstanceInformationList {
			if keep(n) {
				nodes = append(nodes, n)
			}
		}
	}
	switch {
	case len(nodes) == 0:
		return "", fmt.Errorf("no managed node has %s", what)
	case len(nodes) == 1:
		return aws.ToString(nodes[0].InstanceId), nil
	case choose != nil:
		return choose(nodes)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d managed nodes have %s; pass one of their ids as --target:\n", len(nodes), what)
	writeNodeList(&b, nodes)
	return "", errors.New(strings.TrimRight(b.String(), "\n"))
}

func writeNodeList(w io.Writer, nodes []ssmtypes.InstanceInformation) {
	for i, n := range nodes {
		fmt.Fprintf(w, "  %d) %s  %s  %s  %s  %s\n", i+1, aws.ToString(n.InstanceId), dash(aws.ToString(n.Name)),
			dash(aws.ToString(n.ComputerName)), n.PingStatus, dash(aws.ToString(n.IPAddress)))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// promptNode lists nodes on out and reads the user's choice from in, a
// line at a time and one byte at a time so that nothing meant for the
// session is read ahead.
func promptNode(in io.Reader, out io.Writer, nodes []ssmtypes.InstanceInformation) (string, error) {
	fmt.Fprintf(out, "%d managed nodes match:\n", len(nodes))
	writeNodeList(out, nodes)
	for range 3 {
		fmt.Fprintf(out, "Which one? [1-%d]: ", len(nodes))
		line, err := readLine(in)
		if t := strings.TrimSpace(line); t != "" {
			if i, cerr := strconv.Atoi(t); cerr == nil && i >= 1 && i <= len(nodes) {
				return aws.ToString(nodes[i-1].InstanceId), nil
			}
			for _, n := range nodes {
				if aws.ToString(n.InstanceId) == t {
					return t, nil
				}
			}
			fmt.Fprintf(out, "%q is not one of them.\n", t)
		}
		if err != nil {
			return "", fmt.Errorf("no node chosen: %w", err)
		}
	}
	return "", errors.New("no node chosen")
}

func readLine(in io.Reader) (string, error) {
	var b bytes.Buffer
	var c [1]byte
	for {
		n, err := in.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(c[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
}
