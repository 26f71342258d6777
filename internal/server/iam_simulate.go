package server

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/simulate"
	"github.com/sesame-sh/sesame/internal/store"
)

// SimulateCustomPolicy and SimulatePrincipalPolicy, both run by package
// simulate. SimulatePrincipalPolicy feeds it the principal's own policies
// (inline, managed, its groups') ahead of the request's, and its
// permissions boundary unless the request gives one, then names the
// matched statements by their policies as AWS does.

func (s *Server) simulateCustomPolicy(ctx context.Context, c *call) (any, error) {
	var in simulate.Input
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	out, err := simulate.Run(&in)
	if err != nil {
		return nil, simulateError(err)
	}
	return simulateXML(out, nil), nil
}

type principalInput struct {
	PolicySourceArn string
}

func (s *Server) simulatePrincipalPolicy(ctx context.Context, c *call) (any, error) {
	var in simulate.Input
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var pin principalInput
	if err := c.decode(&pin); err != nil {
		return nil, err
	}
	if pin.PolicySourceArn == "" {
		return nil, awsapi.MissingParameter(awsapi.Query, "PolicySourceArn")
	}
	e, err := s.policySource(pin.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(iam.Resource{ARN: pin.PolicySourceArn}); err != nil {
		return nil, err
	}
	srcs, boundary, err := s.principalPolicies(ctx, e)
	if err != nil {
		return nil, err
	}
	docs := make([]string, 0, len(srcs)+len(in.PolicyInputList))
	for _, p := range srcs {
		docs = append(docs, p.doc)
	}
	in.PolicyInputList = append(docs, in.PolicyInputList...)
	var bound *policySrc
	if len(in.PermissionsBoundaryPolicyInputList) == 0 && boundary != nil {
		in.PermissionsBoundaryPolicyInputList = []string{boundary.doc}
		bound = boundary
	}
	if in.CallerArn == "" && e.Kind == store.EntityUser {
		in.CallerArn = pin.PolicySourceArn
	}
	out, err := simulate.Run(&in)
	if err != nil {
		return nil, simulateError(err)
	}
	return simulateXML(out, func(st *simulate.Statement) { renameSource(st, srcs, bound) }), nil
}

// policySrc is one of a principal's policies: its document and how
// AWS's simulator names it.
type policySrc struct {
	id, typ, doc string
}

// policySource reads PolicySourceArn: a user, group or role of this
// account.
func (s *Server) policySource(arn string) (store.Entity, error) {
	bad := awsapi.Errorf(http.StatusBadRequest, "InvalidInput", "Invalid Entity Arn: %s does not clearly define entity type and name.", arn)
	a, err := iam.ParseARN(arn)
	if err != nil || a.Service != "iam" {
		return store.Entity{}, bad
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var k store.EntityKind
	switch kind {
	case "user":
		k = store.EntityUser
	case "group":
		k = store.EntityGroup
	case "role":
		k = store.EntityRole
	default:
		return store.Entity{}, bad
	}
	if name == "" {
		return store.Entity{}, bad
	}
	if a.Account != s.cfg.Account {
		return store.Entity{}, storeError(store.ErrNotFound, entity{kindOf(k), name})
	}
	return store.Entity{Kind: k, Name: name}, nil
}

// principalPolicies reads the identity policies and the boundary of a
// user, group or role.
func (s *Server) principalPolicies(ctx context.Context, e store.Entity) ([]policySrc, *policySrc, error) {
	if e.Kind == store.EntityGroup {
		return s.groupPolicies(ctx, e)
	}
	set, err := s.cfg.Store.ResolvePolicies(ctx, e)
	if err != nil {
		return nil, nil, storeError(err, entity{kindOf(e.Kind), e.Name})
	}
	var out []policySrc
	for _, p := range set.Policies {
		typ := "user-managed"
		if !p.Managed {
			typ = string(p.From.Kind)
		}
		out = append(out, policySrc{id: p.Name, typ: typ, doc: p.Document})
	}
	var boundary *policySrc
	if set.BoundaryName != "" {
		boundary = &policySrc{id: set.BoundaryName, typ: simulate.TypeBoundaryPolicy, doc: set.Boundary}
	}
	return out, boundary, nil
}

// groupPolicies reads a group's inline and attached policies (a group has
// no boundary).
func (s *Server) groupPolicies(ctx context.Context, e store.Entity) ([]policySrc, *policySrc, error) {
	if _, err := s.cfg.Store.GetGroup(ctx, e.Name); err != nil {
		return nil, nil, storeError(err, entity{kGroup, e.Name})
	}
	var out []policySrc
	opts := store.ListOptions{Limit: store.MaxPageSize}
	for {
		p, err := s.cfg.Store.ListInlinePolicies(ctx, e, opts)
		if err != nil {
			return nil, nil, storeError(err, entity{kGroup, e.Name})
		}
		for _, name := range p.Items {
			ip, err := s.cfg.Store.GetInlinePolicy(ctx, e, name)
			if err != nil {
				return nil, nil, storeError(err, entity{kGroupPolicy, name})
			}
			out = append(out, policySrc{id: ip.Name, typ: "group", doc: ip.Document})
		}
		if p.NextToken == "" {
			break
		}
		opts.Token = p.NextToken
	}
	attached, err := s.cfg.Store.ListAttachedPolicies(ctx, e, store.ListOptions{Limit: store.MaxPageSize})
	if err != nil {
		return nil, nil, storeError(err, entity{kGroup, e.Name})
	}
	for _, p := range attached.Items {
		out = append(out, policySrc{id: p.Name, typ: "user-managed", doc: p.Document})
	}
	return out, nil, nil
}

// renameSource names a matched statement of the principal's own policies
// by its policy, and renumbers those of the request's PolicyInputList.
func renameSource(st *simulate.Statement, srcs []policySrc, bound *policySrc) {
	if n, ok := strings.CutPrefix(st.SourcePolicyId, "PolicyInputList."); ok {
		i, err := strconv.Atoi(n)
		switch {
		case err != nil:
		case i <= len(srcs):
			st.SourcePolicyId, st.SourcePolicyType = srcs[i-1].id, srcs[i-1].typ
		default:
			st.SourcePolicyId = fmt.Sprintf("PolicyInputList.%d", i-len(srcs))
		}
		return
	}
	if bound != nil && strings.HasPrefix(st.SourcePolicyId, "PermissionsBoundaryPolicyInputList.") {
		st.SourcePolicyId = bound.id
	}
}

// simulateError turns the simulator's request errors into AWS's.
func simulateError(err error) error {
	var se *simulate.Error
	if errors.As(err, &se) {
		return awsapi.Errorf(http.StatusBadRequest, se.Code, "%s", se.Message)
	}
	return err
}

// The simulation's response, as IAM's XML.

type simulateResult struct {
	EvaluationResults members[evalResultXML]
	listPage
}

type evalResultXML struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string
	MatchedStatements                 members[statementXML]
	MissingContextValues              members[string]
	OrganizationsDecisionDetail       *orgDetailXML          `xml:",omitempty"`
	PermissionsBoundaryDecisionDetail *boundaryDetailXML     `xml:",omitempty"`
	EvalDecisionDetails               *decisionMap           `xml:",omitempty"`
	ResourceSpecificResults           members[resultXMLItem] `xml:",omitempty"`
}

type resultXMLItem struct {
	EvalResourceName                  string
	EvalResourceDecision              string
	MatchedStatements                 members[statementXML]
	MissingContextValues              members[string]
	EvalDecisionDetails               *decisionMap       `xml:",omitempty"`
	PermissionsBoundaryDecisionDetail *boundaryDetailXML `xml:",omitempty"`
}

type statementXML struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    positionXML
	EndPosition      positionXML
}

type positionXML struct {
	Line   int
	Column int
}

type orgDetailXML struct {
	AllowedByOrganizations bool
}

type boundaryDetailXML struct {
	AllowedByPermissionsBoundary bool
}

// decisionMap is a Query protocol map:
// <entry><key>K</key><value>V</value></entry>..., in key order.
type decisionMap map[string]string

func (m decisionMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		entry := struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// simulateXML converts the simulator's output, renaming statements'
// sources with rename when it is not nil.
func simulateXML(out *simulate.Output, rename func(*simulate.Statement)) *simulateResult {
	statements := func(in []simulate.Statement) members[statementXML] {
		xs := members[statementXML]{}
		for _, st := range in {
			if rename != nil {
				rename(&st)
			}
			xs = append(xs, statementXML{SourcePolicyId: st.SourcePolicyId, SourcePolicyType: st.SourcePolicyType,
				StartPosition: positionXML(st.StartPosition), EndPosition: positionXML(st.EndPosition)})
		}
		return xs
	}
	details := func(d *simulate.DecisionDetails) *decisionMap {
		if d == nil {
			return nil
		}
		m := decisionMap(*d)
		return &m
	}
	boundary := func(b *simulate.PermissionsBoundaryDecisionDetail) *boundaryDetailXML {
		if b == nil {
			return nil
		}
		return &boundaryDetailXML{AllowedByPermissionsBoundary: b.AllowedByPermissionsBoundary}
	}
	res := &simulateResult{EvaluationResults: members[evalResultXML]{}, listPage: listPage{IsTruncated: out.IsTruncated, Marker: out.Marker}}
	for _, r := range out.EvaluationResults {
		x := evalResultXML{EvalActionName: r.EvalActionName, EvalResourceName: r.EvalResourceName, EvalDecision: r.EvalDecision,
			MatchedStatements: statements(r.MatchedStatements), MissingContextValues: append(members[string]{}, r.MissingContextValues...),
			PermissionsBoundaryDecisionDetail: boundary(r.PermissionsBoundaryDecisionDetail), EvalDecisionDetails: details(r.EvalDecisionDetails)}
		if o := r.OrganizationsDecisionDetail; o != nil {
			x.OrganizationsDecisionDetail = &orgDetailXML{AllowedByOrganizations: o.AllowedByOrganizations}
		}
		for _, rr := range r.ResourceSpecificResults {
			x.ResourceSpecificResults = append(x.ResourceSpecificResults, resultXMLItem{EvalResourceName: rr.EvalResourceName,
				EvalResourceDecision: rr.EvalResourceDecision, MatchedStatements: statements(rr.MatchedStatements),
				MissingContextValues: append(members[string]{}, rr.MissingContextValues...),
				EvalDecisionDetails:  details(rr.EvalDecisionDetails), PermissionsBoundaryDecisionDetail: boundary(rr.PermissionsBoundaryDecisionDetail)})
		}
		res.EvaluationResults = append(res.EvaluationResults, x)
	}
	return res
}
