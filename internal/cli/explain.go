package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/iam"
)

type explainFlags struct {
	policies     []string
	boundary     string
	principal    string
	userID       string
	target       string
	region       string
	account      string
	tags         []string
	document     string
	documentTags []string
	context      []string
	exempt       bool
	format       string
}

func newExplainCmd() *cobra.Command {
	var f explainFlags
	c := &cobra.Command{
		Use:   "explain --policy FILE... --principal ARN --target ARN|ID [--tag K=V...] [--document NAME]",
		Short: "Explain an ssm:StartSession decision: per resource, AWS's error text, and the fix",
		Long: `explain authorizes ssm:StartSession exactly as sesame and AWS do: the target
(instance or managed instance) first, then the session document, each with its
own tags. For each resource it prints the decision and the statements that
decided it or nearly matched, then AWS's AccessDenied text for a denial and how
to fix the policy.

The document's ARN takes the target's region and account; documents owned by
AWS (AWS-*) have an empty account field. Without --document the default
document SSM-SessionManagerRunShell is checked too, as AWS accounts do today;
--exempt-default-document selects AWS's documented exemption instead.

Exit status: 0 when the session would start, 1 when it is denied, 2 on errors.`,
		Example: `  sesame policy explain --policy policy.json \
      --principal arn:aws:iam::111122223333:user/test \
      --target arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0123456789abcdef0 \
      --tag Env=Dev --document AWS-StartPortForwardingSession`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExplain(cmd.OutOrStdout(), &f)
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&f.policies, "policy", nil, "identity policy `FILE` (repeatable; file:// prefix allowed, - for stdin)")
	fl.StringVar(&f.boundary, "boundary", "", "permissions boundary policy `FILE`")
	fl.StringVar(&f.principal, "principal", "", "caller `ARN` (user, assumed-role session, ...)")
	fl.StringVar(&f.userID, "userid", "", "the caller's aws:userid (AIDA... for users, AROA...:session for roles)")
	fl.StringVar(&f.target, "target", "", "target instance `ARN`, or an instance id with --region and --account")
	fl.StringVar(&f.region, "region", "", "region for a target given by id (default: the principal's region is unknown, so us-east-1)")
	fl.StringVar(&f.account, "account", "", "account for a target given by id (default: the principal's account)")
	fl.StringArrayVar(&f.tags, "tag", nil, "target tag `KEY=VALUE` (repeatable)")
	fl.StringVar(&f.document, "document", "", "session document `NAME` given to StartSession (default: none named)")
	fl.StringArrayVar(&f.documentTags, "document-tag", nil, "document tag `KEY=VALUE` (repeatable)")
	fl.StringArrayVar(&f.context, "context", nil, "request condition key `KEY=VALUE` such as aws:SourceIp=10.0.0.1 (repeatable)")
	fl.BoolVar(&f.exempt, "exempt-default-document", false, "AWS's documented exemption: with no --document, authorize only the target")
	fl.StringVar(&f.format, "format", "text", "output `format`: text or json")
	return c
}

// resourceVerdict is one resource's decision in explain's output.
type resourceVerdict struct {
	Role        string          `json:"role"`
	ARN         string          `json:"arn"`
	Decision    string          `json:"decision"`
	Explanation iam.Explanation `json:"explanation"`
	Fix         string          `json:"fix,omitempty"`
}

type explainOutput struct {
	Action    string            `json:"action"`
	Principal string            `json:"principal"`
	Decision  string            `json:"decision"`
	Resources []resourceVerdict `json:"resources"`
	Error     *awsError         `json:"error,omitempty"`
}

type awsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func runExplain(w io.Writer, f *explainFlags) error {
	if len(f.policies) == 0 || f.principal == "" || f.target == "" {
		return usageError("--policy, --principal and --target are required")
	}
	if f.format != "text" && f.format != "json" {
		return usageError("--format must be text or json")
	}
	principal, err := iam.ParsePrincipal(f.principal)
	if err != nil {
		return usageError(err.Error())
	}
	set := &iam.PolicySet{}
	for _, path := range f.policies {
		p, err := loadPolicy(path, iam.Identity)
		if err != nil {
			return err
		}
		set.Identity = append(set.Identity, p)
	}
	if f.boundary != "" {
		if set.Boundary, err = loadPolicy(f.boundary, iam.Boundary); err != nil {
			return err
		}
	}
	ss := iam.StartSession{Principal: principal, Target: f.target, Document: f.document, Context: &iam.Context{}}
	if f.exempt {
		ss.Check = iam.ExemptDefaultDocument
	}
	if a, err := iam.ParseARN(f.target); err == nil {
		ss.Partition, ss.Region, ss.Account = a.Partition, a.Region, a.Account
	} else {
		ss.Region, ss.Account = f.region, f.account
		if ss.Region == "" {
			ss.Region = "us-east-1"
		}
		if ss.Account == "" {
			ss.Account = principal.Account
		}
	}
	if ss.Tags, err = parseKeyValues(f.tags, "--tag"); err != nil {
		return err
	}
	if ss.DocumentTags, err = parseKeyValues(f.documentTags, "--document-tag"); err != nil {
		return err
	}
	ss.Context.SetPrincipal(principal, f.userID)
	extra, err := parseKeyValues(f.context, "--context")
	if err != nil {
		return err
	}
	for k, v := range extra {
		ss.Context.Set(k, v)
	}
	call, err := ss.Call()
	if err != nil {
		return usageError(err.Error())
	}

	auth := set.Authorize(call)
	out := explainOutput{Action: call.Action, Principal: principal.ARN, Decision: "allowed"}
	for i := range call.Resources {
		req := call.Request(i)
		x := set.Explain(&req)
		role := "target"
		if i > 0 {
			role = "document"
		}
		out.Resources = append(out.Resources, resourceVerdict{Role: role, ARN: req.Resource,
			Decision: x.Decision.String(), Explanation: x, Fix: x.Fix(call.Action, req.Resource)})
	}
	if auth.Decision != iam.Allowed {
		out.Decision = "denied"
		out.Error = &awsError{Code: "AccessDeniedException", Message: auth.Message(call)}
	}
	if f.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		writeExplainText(w, &out, auth.Denied)
	}
	if auth.Decision != iam.Allowed {
		return &exitError{code: 1}
	}
	return nil
}

func writeExplainText(w io.Writer, out *explainOutput, denied int) {
	fmt.Fprintf(w, "%s by %s: %s\n", out.Action, out.Principal, strings.ToUpper(out.Decision))
	for _, r := range out.Resources {
		fmt.Fprintf(w, "\n%-9s %s\n", r.Role, r.ARN)
		fmt.Fprintf(w, "          %s", r.Decision)
		if r.Explanation.DeniedBy != "" {
			fmt.Fprintf(w, " (%s)", r.Explanation.DeniedBy)
		}
		fmt.Fprintln(w)
		for _, t := range r.Explanation.Statements {
			where := fmt.Sprintf("%s %s (line %d, column %d)", t.Policy, t.Path, t.Line, t.Column)
			if t.Sid != "" {
				where = fmt.Sprintf("%s %s Sid %q (line %d, column %d)", t.Policy, t.Path, t.Sid, t.Line, t.Column)
			}
			switch {
			case t.Decisive && t.Effect == "Deny":
				fmt.Fprintf(w, "          denied by %s\n", where)
			case t.Decisive:
				fmt.Fprintf(w, "          allowed by %s\n", where)
			case t.Applies:
				fmt.Fprintf(w, "          also matches: %s %s\n", t.Effect, where)
			case (t.Effect == "Allow" && r.Decision != "allowed") || t.Failed == "condition":
				fmt.Fprintf(w, "          nearly matched: %s %s: %s\n", t.Effect, where, t.Reason)
			}
		}
	}
	if out.Error == nil {
		fmt.Fprintln(w, "\nThe session would start.")
		return
	}
	fmt.Fprintf(w, "\nAWS says:\n  An error occurred (%s) when calling the StartSession operation: %s\n", out.Error.Code, out.Error.Message)
	if denied >= 0 && denied < len(out.Resources) && out.Resources[denied].Fix != "" {
		fmt.Fprintf(w, "\nFix:\n  %s\n", out.Resources[denied].Fix)
	}
}

// loadPolicy reads and compiles a policy file; "file://" is accepted as a
// prefix, as the aws CLI does, and "-" reads standard input.
func loadPolicy(path string, t iam.Type) (*iam.Policy, error) {
	path = strings.TrimPrefix(path, "file://")
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return iam.NewPolicy(path, t, data)
}

func parseKeyValues(vals []string, flag string) (map[string]string, error) {
	out := make(map[string]string, len(vals))
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError(fmt.Sprintf("%s %q: expected KEY=VALUE", flag, kv))
		}
		out[k] = v
	}
	return out, nil
}

// usageError is a mistake in the command line: exit status 2.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(msg string) error { return &usageErr{msg: msg} }
