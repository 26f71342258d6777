package simulate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// The policy types AWS's simulator names in MatchedStatements and
// EvalDecisionDetails.
const (
	TypeIAMPolicy      = "IAM Policy"
	TypeBoundaryPolicy = "Permissions Boundary Policy"
	TypeResourcePolicy = "Resource Policy"
)

// ResourcePolicyID is the SourcePolicyId of the resource policy.
const ResourcePolicyID = "ResourcePolicy"

// Run runs a SimulateCustomPolicy request: it compiles the policies, then
// evaluates every action on every resource ("*" when ResourceArns is
// empty), actions first, and returns one page of results. A request error
// is an *Error with AWS's code; evaluation itself never fails.
func Run(in *Input) (*Output, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	s, err := compile(in)
	if err != nil {
		return nil, err
	}
	resources := in.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	total := len(in.ActionNames) * len(resources)
	start := 0
	if in.Marker != "" {
		n, err := strconv.Atoi(in.Marker)
		if err != nil || n <= 0 || n >= total {
			return nil, invalidInput("Invalid Marker %s: pass the Marker of the previous response.", in.Marker)
		}
		start = n
	}
	size := defaultItems
	if in.MaxItems != nil {
		size = *in.MaxItems
	}
	end := min(start+size, total)
	out := &Output{EvaluationResults: make([]EvaluationResult, 0, end-start)}
	for i := start; i < end; i++ {
		action, res := in.ActionNames[i/len(resources)], resources[i%len(resources)]
		out.EvaluationResults = append(out.EvaluationResults, s.evaluate(action, res))
	}
	if end < total {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}

// simulation is a compiled request.
type simulation struct {
	set       iam.PolicySet
	resource  *iam.Policy // ResourcePolicy, or nil
	sources   map[*iam.Policy]*source
	principal *iam.Principal
	owner     string // ResourceOwner's account, or ""
	ctx       *iam.Context
}

// source is where a compiled policy came from.
type source struct {
	id, typ string
	spans   []span
}

func compile(in *Input) (*simulation, *Error) {
	if err := in.checkResourceHandling(); err != nil {
		return nil, err
	}
	for _, r := range in.ResourceArns {
		if _, err := iam.ParseARN(r); err != nil && r != "*" {
			return nil, invalidInput("Invalid resource %s: a resource is * or an ARN (arn:partition:service:region:account:resource).", r)
		}
	}
	ctx, err := buildContext(in.ContextEntries)
	if err != nil {
		return nil, err
	}
	s := &simulation{ctx: ctx, sources: map[*iam.Policy]*source{}}
	if s.principal, err = caller(in); err != nil {
		return nil, err
	}
	if in.ResourceOwner != "" {
		if s.owner, err = ownerAccount(in.ResourceOwner); err != nil {
			return nil, err
		}
	}
	for i, text := range in.PolicyInputList {
		p, err := s.load(fmt.Sprintf("PolicyInputList.%d", i+1), TypeIAMPolicy, iam.Identity, text)
		if err != nil {
			return nil, err
		}
		s.set.Identity = append(s.set.Identity, p)
	}
	for i, text := range in.PermissionsBoundaryPolicyInputList {
		if s.set.Boundary, err = s.load(fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1), TypeBoundaryPolicy, iam.Boundary, text); err != nil {
			return nil, err
		}
	}
	if in.ResourcePolicy != "" {
		if s.resource, err = s.load(ResourcePolicyID, TypeResourcePolicy, iam.ResourceBased, in.ResourcePolicy); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// load parses and compiles one input policy. The API takes documents of up
// to 131,072 characters, so the storage quota of a policy's type (6,144
// for a managed policy) does not apply to a simulation.
func (s *simulation) load(id, typ string, t iam.Type, text string) (*iam.Policy, *Error) {
	doc, err := iam.ParseDocumentAnySize([]byte(text), t)
	if err != nil {
		return nil, &Error{Code: CodeMalformedPolicyDocument, Message: id + ": " + err.Error(), Err: err}
	}
	p, err := iam.Compile(id, t, doc)
	if err != nil {
		return nil, &Error{Code: CodeMalformedPolicyDocument, Message: err.Error(), Err: err}
	}
	p.Source = text
	s.sources[p] = &source{id: id, typ: typ, spans: statementSpans(text, doc)}
	return p, nil
}

// caller reads CallerArn, which must name an IAM user. Without one the
// simulation runs as an unnamed user: only a resource policy's Principal
// would need a name, and a ResourcePolicy requires CallerArn.
func caller(in *Input) (*iam.Principal, *Error) {
	if in.CallerArn == "" {
		if in.ResourcePolicy != "" {
			return nil, invalidInput("CallerArn is required when you include a ResourcePolicy, so that the policy's Principal element has a caller to match.")
		}
		return &iam.Principal{Type: iam.PrincipalUser}, nil
	}
	p, err := iam.ParsePrincipal(in.CallerArn)
	switch {
	case err != nil || p.Type == iam.PrincipalAssumedRole || p.Type == iam.PrincipalFederatedUser || p.Type == iam.PrincipalService || p.Type == iam.PrincipalAnonymous:
		return nil, invalidInput("Invalid Entity Arn: %s does not clearly define entity type and name.", in.CallerArn)
	case p.Type != iam.PrincipalUser:
		return nil, invalidInput("Invalid caller %s: CallerArn must be the ARN of an IAM user (arn:aws:iam::ACCOUNT:user/NAME).", in.CallerArn)
	}
	return p, nil
}

// ownerAccount reads ResourceOwner: an account ARN such as
// arn:aws:iam::112233445566:root, or the bare account id.
func ownerAccount(s string) (string, *Error) {
	if len(s) == 12 && strings.Trim(s, "0123456789") == "" {
		return s, nil
	}
	a, err := iam.ParseARN(s)
	if err != nil || a.Account == "" {
		return "", invalidInput("Invalid ResourceOwner %s: use the account's ARN, arn:aws:iam::ACCOUNT:root.", s)
	}
	return a.Account, nil
}

// ownerOf returns the account owning a resource: the one its ARN names,
// else ResourceOwner, else the caller's.
func (s *simulation) ownerOf(res string) string {
	if a, err := iam.ParseARN(res); err == nil && a.Account != "" {
		return a.Account
	}
	if s.owner != "" {
		return s.owner
	}
	return s.principal.Account
}

// evaluate decides one action on one resource.
func (s *simulation) evaluate(action, res string) EvaluationResult {
	req := iam.Request{Principal: s.principal, Action: action, Resource: res, ResourcePolicy: s.resource, Context: s.ctx}
	cross := false
	if s.resource != nil {
		// Accounts matter only with a resource policy: without one, the
		// simulation is of the identity's policies alone.
		req.ResourceAccount = s.ownerOf(res)
		cross = req.ResourceAccount != s.principal.Account
	}
	x := s.set.Explain(&req)
	decision := x.Decision.String()
	matched := s.matched(&x)
	missing := append([]string{}, x.MissingKeys...) // [], not null, when none

	var boundary *PermissionsBoundaryDecisionDetail
	if s.set.Boundary != nil {
		boundary = &PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: s.sideDecision(&x, TypeBoundaryPolicy) == iam.Allowed}
	}
	var details *DecisionDetails
	if cross {
		d := DecisionDetails{
			TypeIAMPolicy:      s.sideDecision(&x, TypeIAMPolicy).String(),
			TypeResourcePolicy: s.sideDecision(&x, TypeResourcePolicy).String(),
		}
		if boundary != nil {
			d[TypeBoundaryPolicy] = s.sideDecision(&x, TypeBoundaryPolicy).String()
		}
		details = &d
	}
	r := EvaluationResult{EvalActionName: action, EvalResourceName: res, EvalDecision: decision,
		MatchedStatements: matched, MissingContextValues: missing,
		PermissionsBoundaryDecisionDetail: boundary, EvalDecisionDetails: details}
	if res == "*" {
		return r
	}
	if !cross {
		r.EvalDecisionDetails = &DecisionDetails{}
	}
	r.ResourceSpecificResults = []ResourceSpecificResult{{EvalResourceName: res, EvalResourceDecision: decision,
		MatchedStatements: append([]Statement{}, matched...), MissingContextValues: append([]string{}, missing...),
		EvalDecisionDetails: details, PermissionsBoundaryDecisionDetail: boundary}}
	return r
}

// matched returns the statements a decision rests on, in the engine's
// order (resource policy, identity policies, boundary): for an allow every
// Allow of the identity and resource policies that applies (the boundary's
// part is PermissionsBoundaryDecisionDetail); for an explicit deny every
// Deny that applies, which AWS lists alone; none for an implicit deny.
func (s *simulation) matched(x *iam.Explanation) []Statement {
	out := []Statement{}
	var want string
	switch x.Decision {
	case iam.Allowed:
		want = iam.Allow.String()
	case iam.ExplicitDeny:
		want = iam.Deny.String()
	default:
		return out
	}
	for i := range x.Statements {
		tr := &x.Statements[i]
		src := s.sources[tr.PolicyOf()]
		if !tr.Applies || tr.Effect != want || src == nil || tr.Index >= len(src.spans) {
			continue
		}
		if x.Decision == iam.Allowed && src.typ == TypeBoundaryPolicy {
			continue
		}
		sp := src.spans[tr.Index]
		out = append(out, Statement{SourcePolicyId: src.id, SourcePolicyType: src.typ, StartPosition: sp.start, EndPosition: sp.end})
	}
	return out
}

// sideDecision is the decision of the policies of one type on their own:
// explicitDeny when a Deny of theirs applies, allowed when an Allow does,
// else implicitDeny.
func (s *simulation) sideDecision(x *iam.Explanation, typ string) iam.Decision {
	d := iam.ImplicitDeny
	for i := range x.Statements {
		tr := &x.Statements[i]
		if src := s.sources[tr.PolicyOf()]; src == nil || src.typ != typ || !tr.Applies {
			continue
		}
		if tr.Effect == iam.Deny.String() {
			return iam.ExplicitDeny
		}
		d = iam.Allowed
	}
	return d
}
