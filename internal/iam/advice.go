package iam

import (
	"fmt"
	"strings"
)

// Fix returns a sentence that says how to turn a denial of action on
// resource into an allow, read off the explanation. It is empty when the
// request was allowed.
func (x *Explanation) Fix(action, resource string) string {
	if x.Decision == Allowed {
		return ""
	}
	if x.Decision == ExplicitDeny {
		for _, t := range x.Statements {
			if t.Decisive {
				return fmt.Sprintf("The Deny statement %s of %s (line %d, column %d) matches %s on %s; remove it, or narrow its Action, Resource or Condition so that it no longer does.",
					label(t), t.Policy, t.Line, t.Column, action, resource)
			}
		}
		return fmt.Sprintf("A Deny statement in a %s matches %s on %s; remove or narrow it.", x.DeniedBy, action, resource)
	}
	switch x.DeniedBy {
	case policyWords(Boundary):
		return fmt.Sprintf("The permissions boundary must allow %s on %s too: add it to the boundary, or remove the boundary.", action, resource)
	case policyWords(SessionPolicy):
		return fmt.Sprintf("The session policy passed when the role was assumed must allow %s on %s too.", action, resource)
	case policyWords(SCP):
		return fmt.Sprintf("Every service control policy on the account's path must allow %s on %s.", action, resource)
	case policyWords(RCP):
		return fmt.Sprintf("Every resource control policy on the resource's account path must allow %s on %s.", action, resource)
	case policyWords(ResourceBased):
		return fmt.Sprintf("The resource's policy must allow %s on %s for this principal (cross-account access needs both sides).", action, resource)
	}
	// No identity-based policy allows: say what came closest. A statement
	// that failed only on a condition matched action and resource, so it
	// is closer than one that failed on the resource.
	for _, want := range []string{"condition", "resource"} {
		for _, t := range x.Statements {
			if t.Effect != "Allow" || t.Applies || t.Failed != want {
				continue
			}
			if want == "resource" {
				return fmt.Sprintf("%s of %s allows %s but not on this resource; add %q to its Resource list, or add a statement that allows %s on %s.",
					label(t), t.Policy, action, resource, action, resource)
			}
			c := t.Condition
			if isResourceTagKey(c.Key) && isDocumentARN(resource) {
				return fmt.Sprintf("%s of %s puts the session document under the condition %s on %s, but documents carry no such tag, so it never matches the document. Split it: one statement that allows %s on %s with no tag condition, and one for the instances with the condition.",
					label(t), t.Policy, c.Operator, c.Key, action, resource)
			}
			if isResourceTagKey(c.Key) {
				return fmt.Sprintf("%s of %s allows %s on this resource only when %s is %s (%s); %s. Tag the resource accordingly, or change the condition.",
					label(t), t.Policy, action, c.Key, quoteList(c.PolicyValues), c.Operator, present(c))
			}
			return fmt.Sprintf("%s of %s would allow it, but its condition fails: %s.", label(t), t.Policy, t.Reason)
		}
	}
	return fmt.Sprintf("No statement allows %s on %s. Add one: {\"Effect\": \"Allow\", \"Action\": \"%s\", \"Resource\": \"%s\"}.", action, resource, action, resource)
}

func label(t StatementTrace) string {
	if t.Sid != "" {
		return fmt.Sprintf("%s (Sid %q)", t.Path, t.Sid)
	}
	return t.Path
}

func present(c *ConditionTrace) string {
	if !c.Present {
		return "the resource has no such tag"
	}
	return "the resource has " + quoteList(c.RequestValues)
}

func isResourceTagKey(k string) bool {
	l := strings.ToLower(k)
	return strings.HasPrefix(l, "aws:resourcetag/") || strings.HasPrefix(l, "ssm:resourcetag/")
}

func isDocumentARN(arn string) bool {
	a, err := ParseARN(arn)
	return err == nil && a.Service == "ssm" && strings.HasPrefix(a.Resource, "document/")
}
