package iam

import (
	"fmt"
	"sort"
	"strings"
)

// Explanation says why a request got its decision.
type Explanation struct {
	Decision Decision `json:"decision"`
	// DeniedBy is the policy type AWS's denial message names; empty when
	// allowed.
	DeniedBy string `json:"deniedBy,omitempty"`
	// Statements traces every statement whose action matched the request,
	// in policy order: the decisive ones, and those that nearly matched.
	Statements []StatementTrace `json:"statements"`
	// MissingKeys are condition keys that statements read and the request
	// did not have (SimulateCustomPolicy's MissingContextValues).
	MissingKeys []string `json:"missingContextKeys,omitempty"`
}

// StatementTrace is what one statement made of a request.
type StatementTrace struct {
	Policy     string `json:"policy"`
	PolicyType string `json:"policyType"`
	Index      int    `json:"index"`
	Sid        string `json:"sid,omitempty"`
	Effect     string `json:"effect"`
	Path       string `json:"path"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	// Applies is true when every element matched.
	Applies bool `json:"applies"`
	// Decisive marks the statement the decision rests on.
	Decisive bool `json:"decisive,omitempty"`
	// Failed names the element that did not match: resource, principal or
	// condition (statements whose action did not match are not traced).
	Failed    string          `json:"failed,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Condition *ConditionTrace `json:"condition,omitempty"`

	policy *Policy
}

// ConditionTrace is a condition that did not hold.
type ConditionTrace struct {
	Operator      string   `json:"operator"`
	Key           string   `json:"key"`
	PolicyValues  []string `json:"policyValues"`
	RequestValues []string `json:"requestValues,omitempty"`
	Present       bool     `json:"present"`
	Line          int      `json:"line"`
	Column        int      `json:"column"`
}

// PolicyOf returns the policy a trace belongs to.
func (t *StatementTrace) PolicyOf() *Policy { return t.policy }

// Explain evaluates r as Evaluate does and says why.
func (s *PolicySet) Explain(r *Request) Explanation {
	res := s.Evaluate(r)
	x := Explanation{Decision: res.Decision}
	if res.Decision != Allowed {
		x.DeniedBy = policyWords(res.Type)
	}
	e := env{res: r.ResourceContext, req: r.Context, boundary: s.Boundary != nil}
	missing := map[string]string{}
	visit := func(p *Policy) {
		if p == nil {
			return
		}
		for i := range p.stmts {
			st := &p.stmts[i]
			if !st.matchAction(r.Action) {
				continue
			}
			m, ci, _ := st.applies(r, &e)
			tr := StatementTrace{Policy: p.Name, PolicyType: p.Type.String(), Index: i, Sid: st.src.Sid,
				Effect: st.effect.String(), Path: st.src.Path, Line: st.src.Pos.Line, Column: st.src.Pos.Col,
				Applies: m == missNone, policy: p}
			tr.Decisive = res.Policy == p && res.Statement == i
			if m != missNone {
				tr.Failed = m.String()
			}
			switch m {
			case missResource:
				tr.Reason = resourceReason(st, r.Resource)
			case missPrincipal:
				tr.Reason = fmt.Sprintf("the Principal does not name %s", r.Principal.ARN)
			case missCondition:
				tr.Condition, tr.Reason = conditionReason(&st.conds[ci], &e)
			}
			for j := range st.resources {
				for _, pc := range st.resources[j].res.pieces {
					if pc.kind == pieceVar && !pc.hasDef {
						if _, ok := e.get(pc.text); !ok {
							missing[pc.text] = pc.text
						}
					}
				}
			}
			if m == missNone || m == missCondition {
				for j := range st.conds {
					c := &st.conds[j]
					if _, ok := e.get(c.key); !ok {
						missing[c.key] = c.entry.Key
					}
					for _, v := range c.values {
						for _, pc := range v.pat.pieces {
							if pc.kind == pieceVar {
								if _, ok := e.get(pc.text); !ok {
									missing[pc.text] = pc.text
								}
							}
						}
					}
				}
			}
			x.Statements = append(x.Statements, tr)
		}
	}
	for _, level := range s.SCPs {
		for _, p := range level {
			visit(p)
		}
	}
	for _, level := range s.RCPs {
		for _, p := range level {
			visit(p)
		}
	}
	visit(r.ResourcePolicy)
	for _, p := range s.Identity {
		visit(p)
	}
	visit(s.Boundary)
	visit(s.Session)
	for _, name := range missing {
		x.MissingKeys = append(x.MissingKeys, name)
	}
	sort.Strings(x.MissingKeys)
	return x
}

func resourceReason(st *statement, res string) string {
	pats := make([]string, len(st.resources))
	for i := range st.resources {
		pats[i] = st.resources[i].src
	}
	if st.notRes {
		return fmt.Sprintf("%s is excluded by NotResource %s", res, quoteList(pats))
	}
	return fmt.Sprintf("%s matches none of %s", res, quoteList(pats))
}

func conditionReason(c *condition, e *env) (*ConditionTrace, string) {
	v, present := e.get(c.key)
	var vals []string
	if present {
		vals = v.list()
	}
	ct := &ConditionTrace{Operator: c.op.name, Key: c.entry.Key, Present: present,
		RequestValues: append([]string(nil), vals...), Line: c.entry.KeyPos.Line, Column: c.entry.KeyPos.Col}
	for _, v := range c.values {
		ct.PolicyValues = append(ct.PolicyValues, v.raw)
	}
	_, why := c.eval(e)
	var reason string
	switch {
	case why == condKeyMissing:
		reason = fmt.Sprintf("%s %s: the request has no %s (the policy wants %s)", c.op.name, c.entry.Key, c.entry.Key, quoteList(ct.PolicyValues))
	case why == condMultiUnqualified:
		reason = fmt.Sprintf("%s %s: the key has several values %s; a multivalued key needs ForAnyValue: or ForAllValues:", c.op.name, c.entry.Key, quoteList(vals))
	default:
		reason = fmt.Sprintf("%s %s: the request has %s, the policy wants %s", c.op.name, c.entry.Key, quoteList(vals), quoteList(ct.PolicyValues))
	}
	return ct, reason
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "[" + strings.Join(q, ", ") + "]"
}
