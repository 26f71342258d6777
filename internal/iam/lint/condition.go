package lint

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// checkConditions checks each condition key under its operator: the key
// (MISSING_TAG_KEY_IN_CONDITION, MISSING_QUALIFIER,
// FORALLVALUES_WITH_SINGLE_VALUED_KEY, NULL_WITH_QUALIFIER, TYPE_MISMATCH)
// and its values (the TYPE_MISMATCH_* family, INVALID_DATE_VALUE,
// IMPROVE_IP_RANGE, INVALID_CONDITION_MULTIPLE_BOOLEAN,
// REDUNDANT_CONDITION_VALUE_NUM, WILDCARD_WITHOUT_LIKE_OPERATOR).
// Operators the parser rejected are left to its finding.
func (l *linter) checkConditions() {
	for _, s := range l.stmts {
		for i := range s.Conditions {
			e := &s.Conditions[i]
			op, err := iam.ParseOperator(e.Operator)
			if err != nil {
				continue
			}
			l.checkKey(e, op)
			l.checkValues(s, e, op)
		}
	}
}

func (l *linter) checkKey(e *iam.ConditionEntry, op iam.Operator) {
	lower := strings.ToLower(e.Key)
	for _, p := range tagKeyPrefixes {
		if lower == p || lower+"/" == p {
			l.add(at(Finding{Severity: Error, Code: "MISSING_TAG_KEY_IN_CONDITION",
				Message: fmt.Sprintf("condition key %s names no tag: write %s/TAG-KEY", e.Key, strings.TrimSuffix(e.Key, "/")),
				Fix:     fmt.Sprintf("write the tag key after the slash, e.g. %s/Env", strings.TrimSuffix(e.Key, "/")),
			}, e.KeyPos, e.Path))
			return
		}
	}
	set := op.ForAllValues || op.ForAnyValue
	switch {
	case op.Family == "Null" && set:
		l.add(at(Finding{Severity: Suggestion, Code: "NULL_WITH_QUALIFIER",
			Message: fmt.Sprintf("%s: with ForAllValues: Null always holds and with ForAnyValue: it never does", e.Operator),
			Fix:     fmt.Sprintf("write Null without the qualifier to test whether %s is present", e.Key),
		}, e.OpPos, opPath(e)))
	case isMultivalued(lower) && !set && op.Family != "Null":
		l.add(at(Finding{Severity: Error, Code: "MISSING_QUALIFIER",
			Message: fmt.Sprintf("%s has several values in a request, and a multivalued key under a plain %s never matches", e.Key, e.Operator),
			Fix:     fmt.Sprintf("write ForAnyValue:%s (at least one value matches) or ForAllValues:%s (every value matches)", e.Operator, e.Operator),
		}, e.KeyPos, e.Path))
	case op.ForAllValues && isSingleValued(lower):
		l.add(at(Finding{Severity: SecurityWarning, Code: "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
			Message: fmt.Sprintf("%s is single-valued; ForAllValues: also holds when the key is missing, which can allow more than meant", e.Key),
			Fix:     fmt.Sprintf("write %s without ForAllValues:", strings.TrimPrefix(e.Operator, "ForAllValues:")),
		}, e.KeyPos, e.Path))
	}
	if fams := keyFamilies(lower); fams != nil && op.Family != "Null" && !slices.Contains(fams, op.Family) {
		l.add(at(Finding{Severity: Warning, Code: "TYPE_MISMATCH",
			Message: fmt.Sprintf("%s is a %s key, but %s compares %s values", e.Key, fams[0], e.Operator, op.Family),
			Fix:     fmt.Sprintf("use a %s operator for %s", fams[0], e.Key),
		}, e.KeyPos, e.Path))
	}
}

// opPath is the path of a condition entry's operator.
func opPath(e *iam.ConditionEntry) string {
	return strings.TrimSuffix(e.Path, "."+e.Key)
}

func (l *linter) checkValues(s *stmt, e *iam.ConditionEntry, op iam.Operator) {
	switch {
	case op.Family == "Bool" && len(e.Values) > 1:
		l.add(at(Finding{Severity: Error, Code: "INVALID_CONDITION_MULTIPLE_BOOLEAN",
			Message: fmt.Sprintf("%s has several Boolean values; a Boolean key takes one", e.Key),
			Fix:     "keep one value, true or false",
		}, e.KeyPos, e.Path))
	case op.Family == "Numeric" && len(e.Values) > 1 && !op.Negated && op.Base != "NumericEquals":
		l.add(at(Finding{Severity: Suggestion, Code: "REDUNDANT_CONDITION_VALUE_NUM",
			Message: fmt.Sprintf("%s has several values for %s; only the least or greatest one counts", e.Operator, e.Key),
			Fix:     "keep the one value that decides",
		}, e.KeyPos, e.Path))
	}
	for _, v := range e.Values {
		literal := v.Text // the text with ${*}, ${?} and ${$} taken out
		if l.vars {
			if hasVariable(v.Text) {
				continue // substituted at request time; reported elsewhere for typed operators
			}
			literal = strings.NewReplacer("${*}", "", "${?}", "", "${$}", "").Replace(v.Text)
		}
		if f, ok := valueFinding(op, e.Key, v.Text, literal); ok {
			l.add(at(f, v.Pos, s.condValuePath(e, v)))
		}
	}
}

// valueFinding checks one condition value against its operator. literal
// is v without the escapes ${*}, ${?} and ${$}, which are not wildcards.
func valueFinding(op iam.Operator, key, v, literal string) (Finding, bool) {
	bad := !op.Accepts(v)
	switch op.Family {
	case "Bool", "Null":
		if bad {
			return Finding{Severity: Warning, Code: "TYPE_MISMATCH_BOOLEAN",
				Message: fmt.Sprintf("%q is not a Boolean, so %s never matches it", v, op.Name),
				Fix:     `write "true" or "false"`}, true
		}
	case "Numeric":
		if bad {
			return Finding{Severity: Warning, Code: "TYPE_MISMATCH_NUMBER",
				Message: fmt.Sprintf("%q is not a number, so %s never matches it", v, op.Name),
				Fix:     `write an integer or a decimal, e.g. "3600"`}, true
		}
	case "Date":
		if bad {
			return Finding{Severity: Warning, Code: "TYPE_MISMATCH_DATE",
				Message: fmt.Sprintf("%q is not a date, so %s never matches it", v, op.Name),
				Fix:     `write an ISO 8601 date, e.g. "2026-01-31" or "2026-01-31T12:00:00Z"`}, true
		}
		if isEpoch(v) {
			return Finding{Severity: Warning, Code: "INVALID_DATE_VALUE",
				Message: fmt.Sprintf("%q is read as seconds since 1970; that may not be the date you expect", v),
				Fix:     `write an ISO 8601 date, e.g. "2026-01-31T12:00:00Z"`}, true
		}
	case "IpAddress":
		if bad {
			return Finding{Severity: Warning, Code: "TYPE_MISMATCH_IP_RANGE",
				Message: fmt.Sprintf("%q is not an IP address or CIDR range, so %s never matches it", v, op.Name),
				Fix:     `write a CIDR range such as "203.0.113.0/24" or "2001:db8::/32"`}, true
		}
		if p, err := netip.ParsePrefix(v); err == nil && p.Masked() != p {
			return Finding{Severity: Suggestion, Code: "IMPROVE_IP_RANGE",
				Message: fmt.Sprintf("the bits of %q after the /%d prefix are ignored", v, p.Bits()),
				Fix:     fmt.Sprintf("write %q", p.Masked().String())}, true
		}
	case "Binary":
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return Finding{Severity: Warning, Code: "TYPE_MISMATCH_STRING",
				Message: fmt.Sprintf("%q is not base64, which BinaryEquals compares", v),
				Fix:     "write the value base64-encoded"}, true
		}
	case "String":
		if !op.Wildcards && strings.ContainsAny(literal, "*?") {
			like := "StringLike"
			if op.Negated {
				like = "StringNotLike"
			}
			return Finding{Severity: Warning, Code: "WILDCARD_WITHOUT_LIKE_OPERATOR",
				Message: fmt.Sprintf("%q holds * or ?, which %s compares literally, not as wildcards", v, op.Name),
				Fix:     fmt.Sprintf("if you meant a wildcard, use %s (case-sensitive) for %s", like, key)}, true
		}
	}
	return Finding{}, false
}

func isEpoch(v string) bool {
	v = strings.TrimPrefix(v, "-")
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// hasVariable reports whether s holds a variable the engine substitutes.
func hasVariable(s string) bool {
	for _, x := range iam.Variables(s) {
		if x.Valid && !x.Escape {
			return true
		}
	}
	return false
}
