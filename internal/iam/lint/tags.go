package lint

import (
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// checkTagSupport: UNSUPPORTED_ACTION_FOR_CONDITION_KEY. A resource-tag
// key is absent from the requests of actions that do not support it
// (ssm:DescribeSessions has no resource; ssm:TerminateSession knows only
// the two aws:ssmmessages tags), so the condition never holds for them:
// an Allow never allows them and a Deny never denies them. With a negated
// operator, IfExists or ForAllValues: it is the other way round: the
// condition always holds. Like Access Analyzer, only actions written
// without wildcards are checked, and only those in actionTags.
func (l *linter) checkTagSupport() {
	for _, s := range l.stmts {
		if s.NotAction {
			continue
		}
		// One finding per statement and outcome, naming every key.
		var first [2]*iam.ConditionEntry
		var keys [2][]string
		var actions [2][]string
		for i := range s.Conditions {
			e := &s.Conditions[i]
			lower := strings.ToLower(e.Key)
			op, err := iam.ParseOperator(e.Operator)
			if err != nil || !resourceTagKey(lower) {
				continue
			}
			var unsupported []string
			for _, a := range s.Action {
				if ok, known := supportsTagKey(a.Text, lower); known && !ok {
					unsupported = append(unsupported, a.Text)
				}
			}
			if len(unsupported) == 0 {
				continue
			}
			h := 0
			if !requiresKey(op, e.Values) {
				h = 1
			}
			if first[h] == nil {
				first[h] = e
			}
			keys[h] = appendFold(keys[h], e.Key)
			for _, a := range unsupported {
				actions[h] = appendFold(actions[h], a)
			}
		}
		for h, e := range first {
			if e != nil {
				l.add(at(tagFinding(s.Effect, h == 1, keys[h], actions[h]), e.KeyPos, e.Path))
			}
		}
	}
}

// appendFold appends s unless list holds it, ignoring case.
func appendFold(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

func tagFinding(effect iam.Effect, holds bool, keys, actions []string) Finding {
	var outcome string
	switch {
	case effect == iam.Deny && holds:
		outcome = "the condition always holds for them and this Deny denies them whatever the tags"
	case effect == iam.Deny:
		outcome = "the condition never holds for them and this Deny never denies them"
	case holds:
		outcome = "the condition always holds for them and this Allow allows them whatever the tags"
	default:
		outcome = "the condition never holds for them and this Allow never allows them"
	}
	noun := "key"
	if len(keys) > 1 {
		noun = "keys"
	}
	f := Finding{Severity: Error, Code: "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
		Message: fmt.Sprintf("%s do not support the condition %s %s: it is absent from their requests, so %s",
			strings.Join(actions, ", "), noun, strings.Join(keys, ", "), outcome),
		Fix: fmt.Sprintf("move %s to a statement without these conditions", strings.Join(actions, ", ")),
	}
	if len(actions) == 1 {
		f.Message = strings.Replace(f.Message, " do not support ", " does not support ", 1)
	}
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "ssm:terminatesession", "ssm:resumesession":
			f.Fix += `; to limit sessions to their owner, test "ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"`
			return f
		}
	}
	return f
}

// requiresKey reports whether a condition fails when its key is absent:
// a positive operator without IfExists or ForAllValues:, ForAnyValue:
// without IfExists, or Null "false" (the evaluator's rules for a missing
// key).
func requiresKey(op iam.Operator, values []iam.Value) bool {
	switch {
	case op.Family == "Null":
		for _, v := range values {
			if !strings.EqualFold(v.Text, "false") {
				return false
			}
		}
		return len(values) > 0
	case op.IfExists:
		return false
	case op.ForAnyValue:
		return true
	case op.ForAllValues, op.Negated:
		return false
	}
	return true
}
