package lint

import (
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// checkVersion: MISSING_VERSION. Without a Version the document is read in
// the 2008-10-17 language, where ${...} is literal text.
func (l *linter) checkVersion() {
	if l.root.Kind != iam.NodeObject || member(l.root, "Version") != nil {
		return
	}
	l.add(at(Finding{Severity: Warning, Code: "MISSING_VERSION",
		Message: "the policy has no Version, so it is read in the 2008-10-17 language, in which policy variables such as ${aws:username} are literal text",
		Fix:     `add "Version": "2012-10-17" as the first element`,
	}, l.root.Pos, ""))
}

// checkSids: EMPTY_SID_VALUE, UNSUPPORTED_SID and UNIQUE_SIDS_REQUIRED
// (policies IAM stores, as the parser also says) or
// UNIQUE_SIDS_RECOMMENDED (policies other services or Organizations store,
// whose rules differ).
func (l *linter) checkSids() {
	var iamOwned bool
	switch l.typ {
	case iam.Identity, iam.Boundary, iam.SessionPolicy, iam.Trust:
		iamOwned = true
	}
	first := map[string]*stmt{}
	for _, s := range l.stmts {
		m := member(s.node, "Sid")
		if m == nil || m.Value.Kind != iam.NodeString {
			continue
		}
		path := s.Path + ".Sid"
		sid := m.Value.Text
		if sid == "" {
			l.add(at(Finding{Severity: Suggestion, Code: "EMPTY_SID_VALUE",
				Message: "the Sid is empty",
				Fix:     "name the statement with letters and digits, or remove the Sid element",
			}, m.Value.Pos, path))
			continue
		}
		if iamOwned && !alnum(sid) {
			l.add(at(Finding{Severity: Error, Code: "UNSUPPORTED_SID",
				Message: fmt.Sprintf("Sid %q has characters a %s does not accept: only A-Z, a-z and 0-9", sid, l.typ),
				Fix:     fmt.Sprintf("write the Sid as %q", alnumOnly(sid)),
			}, m.Value.Pos, path))
		}
		if prev, dup := first[sid]; dup {
			f := Finding{Severity: Error, Code: "UNIQUE_SIDS_REQUIRED",
				Message: fmt.Sprintf("Sid %q is also the Sid of %s; statement ids must be unique within a %s", sid, prev.Path, l.typ),
				Fix:     "give each statement its own Sid",
			}
			if !iamOwned {
				f.Severity, f.Code = Warning, "UNIQUE_SIDS_RECOMMENDED"
				f.Message = fmt.Sprintf("Sid %q is also the Sid of %s; unique statement ids make findings and denials easier to trace", sid, prev.Path)
			}
			l.add(at(f, m.Value.Pos, path))
			continue
		}
		first[sid] = s
	}
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func alnumOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if alnum(s[i : i+1]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// checkEmpty: EMPTY_ARRAY_ACTION, EMPTY_ARRAY_RESOURCE,
// EMPTY_ARRAY_PRINCIPAL, EMPTY_OBJECT_PRINCIPAL, EMPTY_OBJECT_CONDITION and
// the EMPTY_ARRAY_CONDITION family.
func (l *linter) checkEmpty() {
	for _, s := range l.stmts {
		for _, key := range []string{"Action", "NotAction", "Resource", "NotResource"} {
			m := member(s.node, key)
			if m == nil || m.Value.Kind != iam.NodeArray || len(m.Value.Elems) > 0 {
				continue
			}
			f := Finding{Severity: Suggestion, Code: "EMPTY_ARRAY_ACTION",
				Message: "Action is empty, so the statement matches no action and has no effect",
				Fix:     "list the actions, or remove the statement"}
			switch key {
			case "NotAction":
				f.Message = "NotAction is empty, so the statement applies to every action of every service"
				f.Fix = `write "Action": "*" if that is meant, or list the actions to exclude`
			case "Resource":
				f.Code = "EMPTY_ARRAY_RESOURCE"
				f.Message = "Resource is empty, so the statement matches no resource and has no effect"
				f.Fix = "list the resource ARNs, or remove the statement"
			case "NotResource":
				f.Code = "EMPTY_ARRAY_RESOURCE"
				f.Message = "NotResource is empty, so the statement applies to every resource"
				f.Fix = `write "Resource": "*" if that is meant, or list the resources to exclude`
			}
			l.add(at(f, m.Value.Pos, s.Path+"."+key))
		}
		for _, key := range []string{"Principal", "NotPrincipal"} {
			m := member(s.node, key)
			if m == nil || m.Value.Kind != iam.NodeObject {
				continue
			}
			if len(m.Value.Members) == 0 {
				l.add(at(Finding{Severity: Suggestion, Code: "EMPTY_OBJECT_PRINCIPAL",
					Message: key + " is an empty object, so the statement names no principal and has no effect",
					Fix:     `name the principals, e.g. {"AWS": "arn:aws:iam::123456789012:root"}`,
				}, m.Value.Pos, s.Path+"."+key))
			}
			for _, pm := range m.Value.Members {
				if pm.Value.Kind == iam.NodeArray && len(pm.Value.Elems) == 0 {
					l.add(at(Finding{Severity: Suggestion, Code: "EMPTY_ARRAY_PRINCIPAL",
						Message: fmt.Sprintf("the %s list of %s is empty and names no principal", pm.Key, key),
						Fix:     "list the principals, or remove the empty entry",
					}, pm.Value.Pos, s.Path+"."+key+"."+pm.Key))
				}
			}
		}
		l.checkEmptyCondition(s)
	}
}

func (l *linter) checkEmptyCondition(s *stmt) {
	cond := member(s.node, "Condition")
	if cond == nil || cond.Value.Kind != iam.NodeObject {
		return
	}
	path := s.Path + ".Condition"
	if len(cond.Value.Members) == 0 {
		l.add(at(Finding{Severity: Suggestion, Code: "EMPTY_OBJECT_CONDITION",
			Message: "the Condition block is empty and has no effect",
			Fix:     "remove the Condition element, or add the conditions",
		}, cond.Value.Pos, path))
		return
	}
	for _, op := range cond.Value.Members {
		if op.Value.Kind != iam.NodeObject {
			continue
		}
		opPath := path + "." + op.Key
		if len(op.Value.Members) == 0 {
			l.add(at(Finding{Severity: Suggestion, Code: "EMPTY_OBJECT_CONDITION",
				Message: fmt.Sprintf("the %s operator has no condition keys and has no effect", op.Key),
				Fix:     "remove the operator, or give it a condition key and values",
			}, op.Value.Pos, opPath))
			continue
		}
		parsed, _ := iam.ParseOperator(op.Key)
		for _, k := range op.Value.Members {
			if k.Value.Kind != iam.NodeArray || len(k.Value.Elems) > 0 {
				continue
			}
			f := Finding{Severity: Suggestion, Code: "EMPTY_ARRAY_CONDITION",
				Message: fmt.Sprintf("condition key %s has no values, so the condition never holds and the statement has no effect", k.Key),
				Fix:     "give the key its values, or remove it"}
			switch {
			case parsed.ForAllValues:
				f.Code = "EMPTY_ARRAY_CONDITION_FORALLVALUES"
				f.Message = fmt.Sprintf("ForAllValues: with no values holds only when %s is missing or empty", k.Key)
				f.Fix = fmt.Sprintf(`to test that the key is missing, write "Null": {%q: "true"}`, k.Key)
			case parsed.ForAnyValue:
				f.Code = "EMPTY_ARRAY_CONDITION_FORANYVALUE"
				f.Message = fmt.Sprintf("ForAnyValue: with no values never holds for %s, so the statement has no effect", k.Key)
			case parsed.IfExists:
				f.Code = "EMPTY_ARRAY_CONDITION_IFEXISTS"
				f.Message = fmt.Sprintf("%s with no values holds only when %s is missing", op.Key, k.Key)
				f.Fix = fmt.Sprintf(`to test that the key is missing, write "Null": {%q: "true"}`, k.Key)
			}
			l.add(at(f, k.Value.Pos, opPath+"."+k.Key))
		}
	}
}

// checkNotElements: ALLOW_WITH_NOT_PRINCIPAL (Access Analyzer) and
// ALLOW_WITH_NOT_RESOURCE (Parliament's NOTRESOURCE_WITH_ALLOW): both
// grant everything that is not listed, including what does not exist yet.
func (l *linter) checkNotElements() {
	for _, s := range l.stmts {
		if s.Effect != iam.Allow {
			continue
		}
		if s.NotPrincipal {
			if m := member(s.node, "NotPrincipal"); m != nil {
				l.add(at(Finding{Severity: SecurityWarning, Code: "ALLOW_WITH_NOT_PRINCIPAL",
					Message: "Allow with NotPrincipal grants access to every principal not listed, anonymous callers included",
					Fix:     "name the principals that need access in Principal instead",
				}, m.KeyPos, s.Path+".NotPrincipal"))
			}
		}
		if s.NotResource {
			if m := member(s.node, "NotResource"); m != nil {
				l.add(at(Finding{Severity: SecurityWarning, Code: "ALLOW_WITH_NOT_RESOURCE",
					Message: "Allow with NotResource grants the actions on every resource not listed, in every service and including resources created later",
					Fix:     "list the resources that need access in Resource instead",
				}, m.KeyPos, s.Path+".NotResource"))
			}
		}
	}
}

// checkServiceWildcards: WILDCARD_IN_SERVICE_NAME for actions such as
// "s*:Get*" (the parser rejects wildcards in an ARN's service field).
func (l *linter) checkServiceWildcards() {
	for _, s := range l.stmts {
		for _, a := range s.Action {
			svc, _, ok := strings.Cut(a.Text, ":")
			if !ok || !strings.ContainsAny(svc, "*?") {
				continue
			}
			l.add(at(Finding{Severity: Suggestion, Code: "WILDCARD_IN_SERVICE_NAME",
				Message: fmt.Sprintf("action %q has a wildcard in the service prefix, which may match services you did not mean, now or later", a.Text),
				Fix:     "name each service prefix in full, e.g. ssm:StartSession",
			}, a.Pos, s.valuePath(s.actionKey(), a)))
		}
	}
}
