package iam

// Decision is the outcome of an authorization. The zero value is
// ImplicitDeny, so a decision never made denies.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String returns the names AWS's SimulateCustomPolicy uses.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// PolicySet is everything that governs a principal's requests besides the
// resource's own policy: identity policies (the user's inline and managed
// policies and its groups' policies, or the role's), the permissions
// boundary, the session policy, and the Organizations policies of every
// level of the account's path.
type PolicySet struct {
	Identity []*Policy
	Boundary *Policy // nil: no boundary
	Session  *Policy // nil: no session policy
	SCPs     [][]*Policy
	RCPs     [][]*Policy
}

// Request is one (action, resource) pair to authorize.
type Request struct {
	Principal *Principal
	Action    string
	// Resource is the resource's ARN, or "*" for actions without one.
	Resource string
	// ResourceAccount is the account that owns the resource; empty means
	// the principal's own account.
	ResourceAccount string
	// ResourcePolicy is the resource's policy, if it has one.
	ResourcePolicy *Policy
	// Context holds the request's keys; ResourceContext the resource's own
	// (its tags), read first.
	Context         *Context
	ResourceContext *Context
}

// Result is a decision and what decided it.
type Result struct {
	Decision Decision
	// Type is, for a denial, the policy type AWS's error message names;
	// for an allow, the policy type that granted (Identity or
	// ResourceBased).
	Type Type
	// Policy and Statement are the decisive statement: the matching Deny,
	// or the Allow that granted. Policy is nil for an implicit deny.
	Policy    *Policy
	Statement int
}

// scan finds the first statement of p that applies, preferring a Deny.
// deny and allow are statement indices or -1.
func scan(p *Policy, r *Request, e *env) (deny, allow int, pm principalMatch) {
	deny, allow = -1, -1
	for i := range p.stmts {
		s := &p.stmts[i]
		if s.effect == Allow && allow >= 0 && !s.hasPrinc {
			continue // one allow is enough; keep looking for denies only
		}
		m, _, spm := s.applies(r, e)
		if m != missNone {
			continue
		}
		if s.effect == Deny {
			return i, allow, pm
		}
		if allow < 0 || spm > pm {
			allow, pm = i, spm
		}
	}
	return deny, allow, pm
}

// Evaluate decides one request with AWS's policy evaluation logic:
// an explicit Deny in any policy wins; otherwise every guardrail (SCPs,
// RCPs, the permissions boundary, the session policy) must allow, and an
// identity policy or the resource policy must allow. It never fails: a
// request it cannot decide is denied.
func (s *PolicySet) Evaluate(r *Request) Result {
	e := env{res: r.ResourceContext, req: r.Context, boundary: s.Boundary != nil}
	if r.Principal == nil {
		return Result{Decision: ImplicitDeny, Type: Identity}
	}

	// Explicit denies first, in the order AWS names policy types.
	scpOK, scpAt := guardrail(s.SCPs, r, &e)
	if scpAt.Decision == ExplicitDeny {
		scpAt.Type = SCP
		return scpAt
	}
	rcpOK, rcpAt := guardrail(s.RCPs, r, &e)
	if rcpAt.Decision == ExplicitDeny {
		rcpAt.Type = RCP
		return rcpAt
	}
	resAllow, resPM := -1, principalNone
	if rp := r.ResourcePolicy; rp != nil {
		d, a, pm := scan(rp, r, &e)
		if d >= 0 {
			return Result{Decision: ExplicitDeny, Type: ResourceBased, Policy: rp, Statement: d}
		}
		resAllow, resPM = a, pm
	}
	var idAllow Result
	for _, p := range s.Identity {
		d, a, _ := scan(p, r, &e)
		if d >= 0 {
			return Result{Decision: ExplicitDeny, Type: Identity, Policy: p, Statement: d}
		}
		if a >= 0 && idAllow.Policy == nil {
			idAllow = Result{Decision: Allowed, Type: Identity, Policy: p, Statement: a}
		}
	}
	boundaryOK := true
	if p := s.Boundary; p != nil {
		d, a, _ := scan(p, r, &e)
		if d >= 0 {
			return Result{Decision: ExplicitDeny, Type: Boundary, Policy: p, Statement: d}
		}
		boundaryOK = a >= 0
	}
	sessionOK := r.Principal.Type != PrincipalFederatedUser
	if p := s.Session; p != nil {
		d, a, _ := scan(p, r, &e)
		if d >= 0 {
			return Result{Decision: ExplicitDeny, Type: SessionPolicy, Policy: p, Statement: d}
		}
		sessionOK = a >= 0
	}

	// No explicit deny: every guardrail must allow.
	if r.Principal.Type == PrincipalAnonymous {
		// Nothing governs an anonymous caller but the resource's side.
		if !rcpOK {
			return Result{Decision: ImplicitDeny, Type: RCP}
		}
		if resAllow < 0 || resPM == principalNone {
			return Result{Decision: ImplicitDeny, Type: ResourceBased}
		}
		return Result{Decision: Allowed, Type: ResourceBased, Policy: r.ResourcePolicy, Statement: resAllow}
	}
	if !scpOK {
		return Result{Decision: ImplicitDeny, Type: SCP}
	}
	if !rcpOK {
		return Result{Decision: ImplicitDeny, Type: RCP}
	}
	resGrant := Result{Decision: Allowed, Type: ResourceBased, Policy: r.ResourcePolicy, Statement: resAllow}
	cross := r.ResourceAccount != "" && r.ResourceAccount != r.Principal.Account
	if cross {
		// Both sides must allow: the principal's account and the resource's.
		if resAllow < 0 || resPM == principalNone {
			return Result{Decision: ImplicitDeny, Type: ResourceBased}
		}
		if idAllow.Policy == nil {
			return Result{Decision: ImplicitDeny, Type: Identity}
		}
	} else if resAllow >= 0 && resPM == principalDirect {
		// A same-account resource policy that names the user or the session
		// itself is enough on its own.
		return resGrant
	}
	if r.Principal.Type == PrincipalAccount && !cross {
		// The account's root user is the one exception to the default deny.
		if idAllow.Policy != nil {
			return idAllow
		}
		return Result{Decision: Allowed, Type: Identity}
	}
	granted := idAllow
	if granted.Policy == nil {
		if resAllow < 0 || resPM < principalOther {
			return Result{Decision: ImplicitDeny, Type: Identity}
		}
		granted = resGrant
	}
	if !boundaryOK {
		return Result{Decision: ImplicitDeny, Type: Boundary}
	}
	if !sessionOK {
		return Result{Decision: ImplicitDeny, Type: SessionPolicy}
	}
	return granted
}

// guardrail evaluates Organizations policies: every level must hold an
// Allow that applies. It returns whether all levels allow, and an explicit
// deny when one applies.
func guardrail(levels [][]*Policy, r *Request, e *env) (bool, Result) {
	ok := true
	for _, level := range levels {
		allowed := false
		for _, p := range level {
			d, a, _ := scan(p, r, e)
			if d >= 0 {
				return false, Result{Decision: ExplicitDeny, Policy: p, Statement: d}
			}
			allowed = allowed || a >= 0
		}
		ok = ok && allowed
	}
	return ok, Result{}
}
