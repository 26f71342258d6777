package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/awscli"
	"github.com/sesame-sh/sesame/internal/iam/simulate"
)

const simulateLong = `Simulate how identity-based policies, a permissions boundary and a
resource-based policy decide a list of actions on a list of resources, with
sesame's policy engine and without a server or an AWS account.

The command takes the parameters of "aws iam simulate-custom-policy" (AWS
CLI v1) and prints what it prints: the SimulateCustomPolicy response as
JSON, with each matched statement's position in its policy.

Options:
  --policy-input-list <value>...   identity-based policies (JSON text or
                                   file://PATH); required
  --permissions-boundary-policy-input-list <value>
                                   one permissions boundary policy
  --action-names <value>...        actions to simulate, e.g. ssm:StartSession;
                                   required
  --resource-arns <value>...       resources (default "*")
  --resource-policy <value>        resource-based policy of every resource
  --resource-owner <value>         account owning resources whose ARN names
                                   none (arn:aws:iam::ACCOUNT:root)
  --caller-arn <value>             the IAM user to simulate (required with
                                   --resource-policy)
  --context-entries <value>...     condition keys, in shorthand
                                   ContextKeyName=string,ContextKeyValues=string,string,ContextKeyType=string
                                   or JSON [{"ContextKeyName": ..., "ContextKeyValues": [...], "ContextKeyType": ...}]
                                   types: string, numeric, boolean, ip, binary, date and
                                   their List forms (stringList, ...), which make
                                   multivalued keys
  --resource-handling-option <value>
                                   EC2-VPC-InstanceStore, EC2-VPC-InstanceStore-Subnet,
                                   EC2-VPC-EBS or EC2-VPC-EBS-Subnet
  --cli-input-json <value>         the request as JSON (inline or file://PATH);
                                   options given on the command line win
  --generate-cli-skeleton [input|output]
                                   print a template of the request or response
  --max-items <n>, --starting-token <token>, --page-size <n>, --no-paginate
                                   pagination, as in the aws CLI
  --output json                    the only output format

Every value may be read from a file with file://PATH or fileb://PATH
(relative to the working directory). Request errors are printed as the aws
CLI prints them, with exit status 255; command-line errors exit with 2.`

const simulateExample = `  # Seed S1: the tag condition also applies to the session document.
  sesame iam simulate-custom-policy \
      --policy-input-list file://policy.json \
      --action-names ssm:StartSession \
      --resource-arns arn:aws:ssm:ap-northeast-1:123456789012:document/SSM-SessionManagerRunShell

  # The same policy on an instance with the tags, given as context keys.
  sesame iam simulate-custom-policy \
      --policy-input-list file://policy.json \
      --action-names ssm:StartSession \
      --resource-arns arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0 \
      --context-entries ContextKeyName=aws:ResourceTag/TAG1,ContextKeyValues=KEY1,ContextKeyType=string \
                        ContextKeyName=aws:ResourceTag/TAG2,ContextKeyValues=KEY2,ContextKeyType=string`

func newSimulateCustomPolicyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "simulate-custom-policy --policy-input-list <value>... --action-names <value>... [options]",
		Short:   "Simulate policies offline, with the parameters and output of aws iam simulate-custom-policy",
		Long:    simulateLong,
		Example: simulateExample,
		// The aws CLI's options take several values each (--action-names a
		// b c), which pflag cannot parse: the command parses its own.
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cmd.Help()
				}
			}
			if len(args) > 0 && args[0] == "help" {
				return cmd.Help()
			}
			return runSimulate(cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
}

// simulateOptions are the command's options: the request's parameters, in
// the order of the operation's input members, then the aws CLI's own.
var simulateOptions = []awscli.Option{
	{Name: "policy-input-list", Values: awscli.Many},
	{Name: "permissions-boundary-policy-input-list", Values: awscli.Many},
	{Name: "action-names", Values: awscli.Many},
	{Name: "resource-arns", Values: awscli.Many},
	{Name: "resource-policy"},
	{Name: "resource-owner"},
	{Name: "caller-arn"},
	{Name: "context-entries", Values: awscli.Many},
	{Name: "resource-handling-option"},
	{Name: "max-items"},
	{Name: "cli-input-json"},
	{Name: "starting-token"},
	{Name: "page-size"},
	{Name: "generate-cli-skeleton", Values: awscli.Maybe},
	{Name: "no-paginate", Values: awscli.None},
	{Name: "output"},
}

// simulateParams maps the request's options to its input members.
var simulateParams = []struct{ option, member string }{
	{"policy-input-list", "PolicyInputList"},
	{"permissions-boundary-policy-input-list", "PermissionsBoundaryPolicyInputList"},
	{"action-names", "ActionNames"},
	{"resource-arns", "ResourceArns"},
	{"resource-policy", "ResourcePolicy"},
	{"resource-owner", "ResourceOwner"},
	{"caller-arn", "CallerArn"},
	{"context-entries", "ContextEntries"},
	{"resource-handling-option", "ResourceHandlingOption"},
}

// The request's input model, as botocore checks it before sending.
var (
	contextEntryShape = &awscli.Shape{Kind: awscli.Structure, Members: []awscli.Member{
		{Name: "ContextKeyName", Shape: stringShape(5)},
		{Name: "ContextKeyValues", Shape: listShape(stringShape(0))},
		{Name: "ContextKeyType", Shape: stringShape(0)},
	}}
	simulateInputShape = &awscli.Shape{Kind: awscli.Structure, Required: []string{"PolicyInputList", "ActionNames"}, Members: []awscli.Member{
		{Name: "PolicyInputList", Shape: listShape(stringShape(1))},
		{Name: "PermissionsBoundaryPolicyInputList", Shape: listShape(stringShape(1))},
		{Name: "ActionNames", Shape: listShape(stringShape(3))},
		{Name: "ResourceArns", Shape: listShape(stringShape(1))},
		{Name: "ResourcePolicy", Shape: stringShape(1)},
		{Name: "ResourceOwner", Shape: stringShape(1)},
		{Name: "CallerArn", Shape: stringShape(1)},
		{Name: "ContextEntries", Shape: listShape(contextEntryShape)},
		{Name: "ResourceHandlingOption", Shape: stringShape(1)},
		{Name: "MaxItems", Shape: &awscli.Shape{Kind: awscli.Integer, Min: 1}},
		{Name: "Marker", Shape: stringShape(1)},
	}}
)

func stringShape(min int) *awscli.Shape { return &awscli.Shape{Kind: awscli.String, Min: min} }

func listShape(elem *awscli.Shape) *awscli.Shape { return &awscli.Shape{Kind: awscli.List, Elem: elem} }

const simulateUsage = "usage: sesame iam simulate-custom-policy --policy-input-list <value>... --action-names <value>... [options]\n" +
	"To see help text, you can run:\n\n  sesame iam simulate-custom-policy --help\n"

// paramError is a parameter the aws CLI could not read ("Error parsing
// parameter '--x': ...").
type paramError struct {
	option string
	err    error
}

func (e *paramError) Error() string {
	return fmt.Sprintf("Error parsing parameter '%s': %v", e.option, e.err)
}

// runSimulate runs the command and reports errors as the aws CLI does:
// command-line errors with exit status 2, request errors with 255.
func runSimulate(stdout, stderr io.Writer, argv []string) error {
	err := simulateCommand(stdout, stderr, argv)
	var usage *awscli.UsageError
	var svc *simulate.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "%ssesame: error: %s\n", simulateUsage, usage.Msg)
		return &exitError{code: 2}
	case errors.As(err, &svc):
		fmt.Fprintf(stderr, "\nAn error occurred (%s) when calling the SimulateCustomPolicy operation: %s\n", svc.Code, svc.Message)
	default:
		fmt.Fprintf(stderr, "\n%v\n", err)
	}
	return &exitError{code: 255}
}

func simulateCommand(stdout, stderr io.Writer, argv []string) error {
	args, err := awscli.ParseArgs(argv, simulateOptions)
	if err != nil {
		return err
	}
	if v, ok := args["generate-cli-skeleton"]; ok {
		return printSkeleton(stdout, v)
	}
	if out, ok := args["output"]; ok && out[0] != "json" {
		return &awscli.UsageError{Msg: fmt.Sprintf("argument --output: sesame prints only json, not '%s'", out[0])}
	}
	pg, err := readPaging(args)
	if err != nil {
		return err
	}
	params, err := requestParams(args)
	if err != nil {
		return err
	}
	if err := awscli.Validate(params, simulateInputShape); err != nil {
		return err
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	var in simulate.Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return &paramError{"cli-input-json", err}
	}
	_, apiPaging := params.Get("MaxItems")
	if _, ok := params.Get("Marker"); ok || apiPaging || pg.off {
		// One call, printed as the service answered it.
		if !apiPaging && pg.max > 0 {
			in.MaxItems = &pg.max
		} else if !apiPaging && pg.size > 0 {
			in.MaxItems = &pg.size
		}
		if pg.start.Marker != nil {
			in.Marker = *pg.start.Marker
		}
		out, err := simulate.Run(&in)
		if err != nil {
			return err
		}
		return printJSON(stdout, out)
	}
	return paginate(stdout, &in, pg)
}

// requestParams gathers the request's parameters from the command line,
// then --cli-input-json for the members the command line did not give.
func requestParams(args awscli.Args) (*awscli.Object, error) {
	params := &awscli.Object{}
	for _, p := range simulateParams {
		vals, ok := args[p.option]
		if !ok {
			continue
		}
		v, err := paramValue(p.option, p.member, vals)
		if err != nil {
			return nil, &paramError{"--" + p.option, err}
		}
		params.Set(p.member, v)
	}
	js, ok := args["cli-input-json"]
	if !ok {
		var missing []string
		for _, req := range []string{"policy-input-list", "action-names"} {
			if _, ok := args[req]; !ok {
				missing = append(missing, "--"+req)
			}
		}
		if len(missing) > 0 {
			return nil, &awscli.UsageError{Msg: "the following arguments are required: " + strings.Join(missing, ", ")}
		}
		return params, nil
	}
	text, isFile, err := awscli.LoadParam(js[0])
	if err != nil {
		return nil, &paramError{"cli-input-json", err}
	}
	if !isFile {
		text = js[0]
	}
	v, err := awscli.DecodeJSON(text)
	obj, isObj := v.(*awscli.Object)
	if err != nil || !isObj {
		if err == nil {
			err = errors.New("the input must be a JSON object")
		}
		return nil, &paramError{"cli-input-json", fmt.Errorf("Invalid JSON: %v\nJSON received: %s", err, text)}
	}
	for _, k := range obj.Keys {
		if _, given := params.Get(k); !given {
			params.Set(k, obj.Values[k])
		}
	}
	return params, nil
}

// paramValue reads one option's values as the aws CLI does: each may be
// file:// or fileb://; a list given as one value starting with "[" is
// JSON; context entries are JSON objects or shorthand.
func paramValue(option, member string, vals []string) (any, error) {
	loaded := make([]string, len(vals))
	for i, v := range vals {
		s, ok, err := awscli.LoadParam(v)
		if err != nil {
			return nil, err
		}
		if !ok {
			s = v
		}
		loaded[i] = s
	}
	if simulateInputShape.Members[memberIndex(member)].Shape.Kind == awscli.String {
		return loaded[0], nil
	}
	if len(loaded) == 1 && strings.HasPrefix(strings.TrimSpace(loaded[0]), "[") {
		return decodeParamJSON(loaded[0])
	}
	if member != "ContextEntries" {
		list := make([]any, len(loaded))
		for i, s := range loaded {
			list[i] = s
		}
		return list, nil
	}
	return contextEntries(loaded)
}

// contextEntries reads --context-entries values: JSON objects when the
// first value looks like JSON, else shorthand.
func contextEntries(vals []string) ([]any, error) {
	list := make([]any, 0, len(vals))
	if strings.HasPrefix(strings.TrimSpace(vals[0]), "{") {
		for _, s := range vals {
			if !strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{") {
				return nil, fmt.Errorf("Invalid JSON:\n%s", s)
			}
			v, err := decodeParamJSON(s)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	for _, s := range vals {
		obj, err := awscli.ParseShorthand(s, awscli.Resolve)
		if err != nil {
			return nil, err
		}
		v, err := awscli.ApplyShorthand(obj, contextEntryShape)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, nil
}

func decodeParamJSON(s string) (any, error) {
	v, err := awscli.DecodeJSON(s)
	if err != nil {
		return nil, fmt.Errorf("Invalid JSON: %v\nJSON received: %s", err, s)
	}
	return v, nil
}

func memberIndex(name string) int {
	for i, m := range simulateInputShape.Members {
		if m.Name == name {
			return i
		}
	}
	panic("unknown member " + name)
}

// paging is the aws CLI's pagination options.
type paging struct {
	off   bool // --no-paginate
	max   int  // --max-items, 0: all
	size  int  // --page-size, 0: the service's default
	start pageToken
}

// pageToken is botocore's resume token: the Marker of the page to ask for
// and how many of its results were already printed.
type pageToken struct {
	Marker   *string `json:"Marker"`
	Truncate int     `json:"boto_truncate_amount,omitempty"`
}

// encode writes the token as botocore does: Python's json.dumps, base64.
func (t pageToken) encode() string {
	marker := "null"
	if t.Marker != nil {
		b, _ := json.Marshal(*t.Marker)
		marker = string(b)
	}
	s := `{"Marker": ` + marker
	if t.Truncate > 0 {
		s += fmt.Sprintf(`, "boto_truncate_amount": %d`, t.Truncate)
	}
	return base64.StdEncoding.EncodeToString([]byte(s + "}"))
}

func readPaging(args awscli.Args) (paging, error) {
	var pg paging
	_, pg.off = args["no-paginate"]
	for name, dst := range map[string]*int{"max-items": &pg.max, "page-size": &pg.size} {
		v, ok := args[name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v[0])
		if err != nil {
			return pg, &awscli.UsageError{Msg: fmt.Sprintf("argument --%s: invalid int value: '%s'", name, v[0])}
		}
		if n < 1 {
			return pg, &awscli.UsageError{Msg: fmt.Sprintf("argument --%s: must be a positive number, not %d", name, n)}
		}
		*dst = n
	}
	if v, ok := args["starting-token"]; ok {
		raw, err := base64.StdEncoding.DecodeString(v[0])
		if err == nil {
			err = json.Unmarshal(raw, &pg.start)
		}
		if err != nil || pg.start.Truncate < 0 {
			return pg, fmt.Errorf("Bad starting token: %s", v[0])
		}
	}
	return pg, nil
}

// paginate fetches every page and prints the results as one response, as
// the aws CLI does; with --max-items it stops there and prints a NextToken.
func paginate(stdout io.Writer, in *simulate.Input, pg paging) error {
	var full struct {
		EvaluationResults []simulate.EvaluationResult `json:"EvaluationResults"`
		NextToken         string                      `json:"NextToken,omitempty"`
	}
	full.EvaluationResults = []simulate.EvaluationResult{}
	if pg.size > 0 {
		in.MaxItems = &pg.size
	}
	tok := pg.start
	skip := tok.Truncate
	for {
		in.Marker = ""
		if tok.Marker != nil {
			in.Marker = *tok.Marker
		}
		out, err := simulate.Run(in)
		if err != nil {
			return err
		}
		page := out.EvaluationResults[min(skip, len(out.EvaluationResults)):]
		if pg.max > 0 && len(full.EvaluationResults)+len(page) > pg.max {
			keep := pg.max - len(full.EvaluationResults)
			full.EvaluationResults = append(full.EvaluationResults, page[:keep]...)
			full.NextToken = pageToken{Marker: tok.Marker, Truncate: skip + keep}.encode()
			break
		}
		skip = 0
		full.EvaluationResults = append(full.EvaluationResults, page...)
		if !out.IsTruncated {
			break
		}
		next := out.Marker
		tok = pageToken{Marker: &next}
		if pg.max > 0 && len(full.EvaluationResults) == pg.max {
			full.NextToken = tok.encode()
			break
		}
	}
	return printJSON(stdout, full)
}

// printJSON prints a response as the aws CLI's json output does.
func printJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	e.SetIndent("", "    ")
	return e.Encode(v)
}

func printSkeleton(w io.Writer, v []string) error {
	which := "input"
	if len(v) > 0 {
		which = v[0]
	}
	switch which {
	case "input":
		_, err := io.WriteString(w, inputSkeleton)
		return err
	case "output":
		_, err := io.WriteString(w, outputSkeleton)
		return err
	}
	return &awscli.UsageError{Msg: fmt.Sprintf("argument --generate-cli-skeleton: invalid choice: '%s' (choose from 'input', 'output')", which)}
}

// inputSkeleton is what aws iam simulate-custom-policy
// --generate-cli-skeleton input prints.
const inputSkeleton = `{
    "PolicyInputList": [
        ""
    ],
    "PermissionsBoundaryPolicyInputList": [
        ""
    ],
    "ActionNames": [
        ""
    ],
    "ResourceArns": [
        ""
    ],
    "ResourcePolicy": "",
    "ResourceOwner": "",
    "CallerArn": "",
    "ContextEntries": [
        {
            "ContextKeyName": "",
            "ContextKeyValues": [
                ""
            ],
            "ContextKeyType": "string"
        }
    ],
    "ResourceHandlingOption": "",
    "MaxItems": 0,
    "Marker": ""
}
`

// outputSkeleton is what --generate-cli-skeleton output prints.
const outputSkeleton = `{
    "EvaluationResults": [
        {
            "EvalActionName": "EvalActionName",
            "EvalResourceName": "EvalResourceName",
            "EvalDecision": "EvalDecision",
            "MatchedStatements": [
                {
                    "SourcePolicyId": "SourcePolicyId",
                    "SourcePolicyType": "SourcePolicyType",
                    "StartPosition": {
                        "Line": 0,
                        "Column": 0
                    },
                    "EndPosition": {
                        "Line": 0,
                        "Column": 0
                    }
                }
            ],
            "MissingContextValues": [
                "ContextKeyNameType"
            ],
            "OrganizationsDecisionDetail": {
                "AllowedByOrganizations": true
            },
            "PermissionsBoundaryDecisionDetail": {
                "AllowedByPermissionsBoundary": true
            },
            "EvalDecisionDetails": {
                "KeyName": ""
            },
            "ResourceSpecificResults": [
                {
                    "EvalResourceName": "EvalResourceName",
                    "EvalResourceDecision": "EvalResourceDecision",
                    "MatchedStatements": [
                        {
                            "SourcePolicyId": "SourcePolicyId",
                            "SourcePolicyType": "SourcePolicyType",
                            "StartPosition": {
                                "Line": 0,
                                "Column": 0
                            },
                            "EndPosition": {
                                "Line": 0,
                                "Column": 0
                            }
                        }
                    ],
                    "MissingContextValues": [
                        "ContextKeyNameType"
                    ],
                    "EvalDecisionDetails": {
                        "KeyName": ""
                    },
                    "PermissionsBoundaryDecisionDetail": {
                        "AllowedByPermissionsBoundary": true
                    }
                }
            ]
        }
    ],
    "IsTruncated": true,
    "Marker": "Marker"
}
`
