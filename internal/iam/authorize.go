package iam

import "strings"

// Resource is one resource a call touches, with its own keys (tags) and
// policy.
type Resource struct {
	ARN     string
	Account string   // owner; empty: the principal's account
	Policy  *Policy  // resource-based policy, if any
	Context *Context // the resource's keys: aws:ResourceTag/..., ...
}

// Call is one API call: an action on one or more resources, all of which
// must be allowed.
type Call struct {
	Principal *Principal
	Action    string
	Resources []Resource
	Context   *Context // the request's keys
}

// Authorization is the decision for a call: allowed only if every
// resource is. Denied is the index of the first denied resource, -1 when
// the call is allowed.
type Authorization struct {
	Decision Decision
	Denied   int
	Result   Result // the first denied resource's result, or the last allow
}

// Request returns the single-resource request for resource i of the call.
func (c *Call) Request(i int) Request {
	res := &c.Resources[i]
	return Request{Principal: c.Principal, Action: c.Action, Resource: res.ARN, ResourceAccount: res.Account,
		ResourcePolicy: res.Policy, Context: c.Context, ResourceContext: res.Context}
}

// Authorize decides a call: each resource is evaluated with its own
// context, in order, and the first denied one denies the call. A call
// without resources is denied.
func (s *PolicySet) Authorize(c *Call) Authorization {
	if len(c.Resources) == 0 {
		return Authorization{Decision: ImplicitDeny, Denied: 0}
	}
	var last Result
	for i := range c.Resources {
		r := c.Request(i)
		last = s.Evaluate(&r)
		if last.Decision != Allowed {
			return Authorization{Decision: last.Decision, Denied: i, Result: last}
		}
	}
	return Authorization{Decision: Allowed, Denied: -1, Result: last}
}

// Message returns AWS's AccessDenied text for a denied call, e.g.
// "User: arn:aws:iam::123456789012:user/test is not authorized to perform:
// ssm:StartSession on resource: arn:aws:ssm:...:document/... because no
// identity-based policy allows the ssm:StartSession action". It is empty
// for an allowed call.
func (a Authorization) Message(c *Call) string {
	if a.Decision == Allowed || c.Principal == nil {
		return ""
	}
	res := "*"
	if a.Denied >= 0 && a.Denied < len(c.Resources) {
		res = c.Resources[a.Denied].ARN
	}
	return AccessDeniedMessage(c.Principal.ARN, c.Action, res, a.Result)
}

// AccessDeniedMessage formats AWS's denial text for one request. The
// "on resource" part is left out for actions without a resource ("*").
func AccessDeniedMessage(principalARN, action, resource string, r Result) string {
	msg := "User: " + principalARN + " is not authorized to perform: " + action
	if resource != "" && resource != "*" {
		msg += " on resource: " + resource
	}
	return msg + " " + denialReason(action, r)
}

func denialReason(action string, r Result) string {
	t := r.Type
	if t == 0 {
		t = Identity
	}
	// AWS reports every SCP and RCP denial as explicit.
	if r.Decision == ExplicitDeny || t == SCP || t == RCP {
		w := policyWords(t)
		article := "a "
		if strings.HasPrefix(w, "identity") {
			article = "an "
		}
		msg := "with an explicit deny in " + article + w
		if r.Decision == ExplicitDeny && r.Policy != nil && strings.HasPrefix(r.Policy.Name, "arn:") {
			// Since 2025 AWS names the denying policy when it has an ARN.
			msg += ": " + r.Policy.Name
		}
		return msg
	}
	return "because no " + policyWords(t) + " allows the " + action + " action"
}

// policyWords is how AWS's messages name each policy type.
func policyWords(t Type) string {
	switch t {
	case Boundary:
		return "permissions boundary"
	case SessionPolicy:
		return "session policy"
	case ResourceBased:
		return "resource-based policy"
	case SCP:
		return "service control policy"
	case RCP:
		return "resource control policy"
	}
	return "identity-based policy"
}
