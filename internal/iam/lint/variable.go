package lint

import (
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// checkVariables: VARIABLE_UNSUPPORTED_IN_VERSION,
// VARIABLE_UNSUPPORTED_IN_ELEMENT, INVALID_VARIABLE_FOR_OPERATOR and the
// variable syntax errors (MISSING_BRACE_IN_VARIABLE, EMPTY_VARIABLE,
// UNSUPPORTED_SPACE_IN_VARIABLE, MISSING_QUOTE_IN_VARIABLE).
//
// Variables belong in the resource part of Resource ARNs and in the
// values of String and Arn conditions, and only under Version
// 2012-10-17. The parser already reports a variable in the other fields
// of a Resource ARN.
func (l *linter) checkVariables() {
	for _, s := range l.stmts {
		for _, a := range s.Action {
			l.variableInElement(a, s.valuePath(s.actionKey(), a), s.actionKey())
		}
		for _, p := range s.Principal {
			key := "Principal"
			if s.NotPrincipal {
				key = "NotPrincipal"
			}
			l.variableInElement(p.Value, elemPath(s.Path+"."+key+"."+p.Kind, principalMember(s, key, p.Kind), p.Pos), key)
		}
		for _, r := range s.Resource {
			l.variableText(r, s.valuePath(s.resourceKey(), r))
		}
		for i := range s.Conditions {
			e := &s.Conditions[i]
			l.variableInElement(iam.Value{Text: e.Key, Pos: e.KeyPos}, e.Path, "condition key")
			op, err := iam.ParseOperator(e.Operator)
			for _, v := range e.Values {
				path := s.condValuePath(e, v)
				if !l.variableText(v, path) || err != nil || op.Variables {
					continue
				}
				l.add(at(Finding{Severity: Error, Code: "INVALID_VARIABLE_FOR_OPERATOR",
					Message: fmt.Sprintf("%s does not take policy variables (only String and Arn operators do), so %q is compared as literal text", e.Operator, v.Text),
					Fix:     "use a String or Arn operator, or write the value itself",
				}, v.Pos, path))
			}
		}
	}
}

func principalMember(s *stmt, key, kind string) *iam.Member {
	m := member(s.node, key)
	if m == nil {
		return nil
	}
	return member(m.Value, kind)
}

// variableInElement reports a ${...} where no variable is allowed.
func (l *linter) variableInElement(v iam.Value, path, element string) {
	for _, x := range iam.Variables(v.Text) {
		if x.Closed && !x.Escape {
			l.add(at(Finding{Severity: Error, Code: "VARIABLE_UNSUPPORTED_IN_ELEMENT",
				Message: fmt.Sprintf("policy variable %s cannot be used in %s, only in Resource and in condition values; it is literal text here", x.Text, element),
				Fix:     "write the value itself, or move the test into a Condition",
			}, v.Pos, path))
			return
		}
	}
}

// variableText checks the variables of a string that may hold them and
// reports whether it holds one the engine substitutes.
func (l *linter) variableText(v iam.Value, path string) bool {
	vars := iam.Variables(v.Text)
	if len(vars) == 0 {
		return false
	}
	if !l.vars {
		if !vars[0].Closed || l.doc.Version != "" && l.doc.Version != iam.Version2008 {
			return false // not a variable anyway, or an invalid Version, reported already
		}
		f := Finding{Severity: Error, Code: "VARIABLE_UNSUPPORTED_IN_VERSION",
			Message: fmt.Sprintf("%s is literal text: policy variables need \"Version\": \"2012-10-17\"", vars[0].Text),
			Fix:     `add "Version": "2012-10-17" as the first element of the policy`,
		}
		if l.doc.Version == iam.Version2008 {
			f.Message = fmt.Sprintf("%s is literal text under Version 2008-10-17: policy variables need 2012-10-17", vars[0].Text)
			f.Fix = `change the Version to "2012-10-17"`
		}
		l.add(at(f, v.Pos, path))
		return false
	}
	subst := false
	for _, x := range vars {
		if x.Valid {
			subst = subst || !x.Escape
			if strings.Contains(strings.SplitN(x.Text[2:], ",", 2)[0], " ") {
				l.add(at(Finding{Severity: Error, Code: "UNSUPPORTED_SPACE_IN_VARIABLE",
					Message: fmt.Sprintf("policy variable %s has a space in its name", x.Text),
					Fix:     fmt.Sprintf("write ${%s%s}", x.Key, defaultText(x)),
				}, v.Pos, path))
			}
			continue
		}
		f := Finding{Severity: Error, Code: "MISSING_QUOTE_IN_VARIABLE", Message: fmt.Sprintf("policy variable %s is not valid and is literal text", x.Text)}
		body := strings.TrimSuffix(strings.TrimPrefix(x.Text, "${"), "}")
		key, _, hasDef := strings.Cut(body, ",")
		switch {
		case !x.Closed:
			f.Code = "MISSING_BRACE_IN_VARIABLE"
			f.Message = fmt.Sprintf("policy variable %s has no closing brace, so it is literal text", x.Text)
			f.Fix = "add } after the variable name"
		case strings.TrimSpace(key) == "":
			f.Code = "EMPTY_VARIABLE"
			f.Message = fmt.Sprintf("policy variable %s names no key", x.Text)
			f.Fix = "write a key inside the braces, e.g. ${aws:username}, or remove them"
		case strings.ContainsAny(strings.TrimSpace(key), " '"):
			f.Code = "UNSUPPORTED_SPACE_IN_VARIABLE"
			f.Message = fmt.Sprintf("policy variable %s has a space or quote in its name, so it is literal text", x.Text)
			f.Fix = "remove the space from the key name"
		case hasDef:
			f.Message = fmt.Sprintf("the default value of policy variable %s must be in single quotes after a comma and a space, so the whole is literal text", x.Text)
			f.Fix = fmt.Sprintf("write ${%s, 'default'}", strings.TrimSpace(key))
		}
		l.add(at(f, v.Pos, path))
	}
	return subst
}

func defaultText(x iam.Variable) string {
	if !x.HasDefault {
		return ""
	}
	return ", '" + x.Default + "'"
}
