package iam

import (
	"fmt"
)

// Policy is a compiled policy: parsed once, evaluated many times, never
// changed. It is safe for concurrent use.
type Policy struct {
	Name string
	Type Type
	Doc  *Document
	// Source is the document's text, kept for explanations.
	Source string

	stmts []statement
}

type statement struct {
	src        *Statement
	effect     Effect
	actions    []pattern
	notAction  bool
	resources  []arnPattern
	notRes     bool
	hasRes     bool
	principals []principalPattern
	notPrinc   bool
	hasPrinc   bool
	conds      []condition
}

// NewPolicy parses and compiles a document. name labels the policy in
// explanations (a managed policy's name or ARN, an inline policy's name).
func NewPolicy(name string, t Type, data []byte) (*Policy, error) {
	doc, err := ParseDocument(data, t)
	if err != nil {
		return nil, fmt.Errorf("policy %q: %w", name, err)
	}
	p, err := Compile(name, t, doc)
	if err != nil {
		return nil, err
	}
	p.Source = string(data)
	return p, nil
}

// Compile compiles a parsed document.
func Compile(name string, t Type, doc *Document) (*Policy, error) {
	p := &Policy{Name: name, Type: t, Doc: doc, stmts: make([]statement, len(doc.Statements))}
	vars := doc.Version == Version2012
	for i := range doc.Statements {
		src := &doc.Statements[i]
		s := statement{src: src, effect: src.Effect, notAction: src.NotAction, notRes: src.NotResource,
			hasRes: src.HasResource, notPrinc: src.NotPrincipal, hasPrinc: src.HasPrincipal}
		if s.effect == 0 {
			return nil, fmt.Errorf("policy %q: %s: %w: no Effect", name, src.Path, ErrMalformed)
		}
		for _, a := range src.Action {
			s.actions = append(s.actions, compilePattern(a.Text, true, false))
		}
		for _, r := range src.Resource {
			s.resources = append(s.resources, compileArnPattern(r.Text, vars))
		}
		for _, pv := range src.Principal {
			s.principals = append(s.principals, principalPattern{kind: pv.Kind, value: pv.Text})
		}
		for j := range src.Conditions {
			c, err := compileCondition(&src.Conditions[j], vars)
			if err != nil {
				return nil, fmt.Errorf("policy %q: %s: %w: %v", name, src.Conditions[j].Path, ErrMalformed, err)
			}
			s.conds = append(s.conds, c)
		}
		p.stmts[i] = s
	}
	return p, nil
}

// miss says which element of a statement did not match a request.
type miss uint8

const (
	missNone      miss = iota // the statement applies
	missAction                // no Action matched (or a NotAction did)
	missResource              // no Resource matched (or a NotResource did)
	missPrincipal             // the Principal does not name the caller
	missCondition             // a condition did not hold
)

func (m miss) String() string {
	switch m {
	case missNone:
		return "matched"
	case missAction:
		return "action"
	case missResource:
		return "resource"
	case missPrincipal:
		return "principal"
	case missCondition:
		return "condition"
	}
	return "unknown"
}

// applies evaluates one statement against a request. It returns which
// element failed (missNone when the statement applies), the index of the
// failed condition, and how the Principal named the caller.
func (s *statement) applies(r *Request, e *env) (miss, int, principalMatch) {
	if !s.matchAction(r.Action) {
		return missAction, -1, principalNone
	}
	if s.hasRes && !s.matchResource(r.Resource, e) {
		return missResource, -1, principalNone
	}
	pm := principalNone
	if s.hasPrinc {
		for i := range s.principals {
			if m := s.principals[i].match(r.Principal); m > pm {
				pm = m
			}
		}
		if s.notPrinc {
			if s.notPrincipalExcludes(r.Principal, e) {
				return missPrincipal, -1, principalNone
			}
			pm = principalOther
		} else if pm == principalNone {
			return missPrincipal, -1, principalNone
		}
	}
	for i := range s.conds {
		if ok, _ := s.conds[i].eval(e); !ok {
			return missCondition, i, pm
		}
	}
	return missNone, -1, pm
}

// notPrincipalExcludes reports whether a NotPrincipal list exempts the
// caller. AWS evaluates several identities for one caller (a user: its
// ARN and its account; a role session: the session ARN, the role ARN and
// the account; the root user: the account). A Deny spares the caller only
// when every one of them is listed; an Allow leaves it out as soon as one
// is. Either way the reading that grants less wins. A Deny never spares a
// principal that has a permissions boundary (reference_policies_elements_
// notprincipal: such a Deny "will always deny" it).
func (s *statement) notPrincipalExcludes(p *Principal, e *env) bool {
	if p == nil || (s.effect == Deny && e != nil && e.boundary) {
		return false
	}
	if s.effect == Allow {
		for i := range s.principals {
			if s.principals[i].match(p) != principalNone {
				return true
			}
		}
		return false
	}
	listed := func(want principalMatch, pr *Principal) bool {
		for i := range s.principals {
			if s.principals[i].match(pr) == want {
				return true
			}
		}
		return false
	}
	switch p.Type {
	case PrincipalAccount:
		return listed(principalAccount, p)
	case PrincipalUser, PrincipalFederatedUser:
		return listed(principalDirect, p) && listed(principalAccount, p)
	case PrincipalAssumedRole:
		return listed(principalDirect, p) && listed(principalOther, p) && listed(principalAccount, p)
	}
	for i := range s.principals {
		if s.principals[i].match(p) != principalNone {
			return true
		}
	}
	return false
}

func (s *statement) matchAction(action string) bool {
	for i := range s.actions {
		if ok, _ := s.actions[i].match(action, true, nil); ok {
			return !s.notAction
		}
	}
	return s.notAction
}

func (s *statement) matchResource(res string, e *env) bool {
	for i := range s.resources {
		if s.resources[i].match(res, e, true) {
			return !s.notRes
		}
	}
	return s.notRes
}

// Statements returns the number of statements.
func (p *Policy) Statements() int { return len(p.stmts) }

// StatementLabel names statement i for people: its Sid, else its path.
func (p *Policy) StatementLabel(i int) string {
	s := p.stmts[i].src
	if s.Sid != "" {
		return fmt.Sprintf("%s (Sid %s)", s.Path, s.Sid)
	}
	return s.Path
}

// ValidateFor reports a problem when a policy of another type is used where
// t is expected.
func (p *Policy) ValidateFor(t Type) error {
	if p.Type != t {
		return fmt.Errorf("policy %q is a %s, not a %s", p.Name, p.Type, t)
	}
	return nil
}

// Allows reports whether this policy alone allows the request: an Allow
// statement applies and no Deny does. Role trust policies must allow
// AssumeRole this way, whatever the identity policies say.
func (p *Policy) Allows(r *Request) bool {
	e := env{res: r.ResourceContext, req: r.Context}
	deny, allow, _ := scan(p, r, &e)
	return deny < 0 && allow >= 0
}
