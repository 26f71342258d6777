package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// checkRedundantElements: REDUNDANT_ACTION and REDUNDANT_RESOURCE, an
// element that another of the same list already covers ("ssm:StartSession"
// next to "ssm:*"; a second copy of the same ARN).
func (l *linter) checkRedundantElements() {
	for _, s := range l.stmts {
		for i, a := range s.Action {
			if j := coveredBy(len(s.Action), i, func(j int) bool { return covers(s.Action[j].Text, a.Text, true) },
				func(j int) bool { return covers(a.Text, s.Action[j].Text, true) }); j >= 0 {
				l.add(at(Finding{Severity: Suggestion, Code: "REDUNDANT_ACTION",
					Message: fmt.Sprintf("action %q is redundant: %q in the same %s already covers it", a.Text, s.Action[j].Text, s.actionKey()),
					Fix:     fmt.Sprintf("remove %q", a.Text),
				}, a.Pos, s.valuePath(s.actionKey(), a)))
			}
		}
		res := make([]resourcePattern, len(s.Resource))
		for i, r := range s.Resource {
			res[i] = parseResource(r.Text)
		}
		for i, r := range s.Resource {
			if j := coveredBy(len(res), i, func(j int) bool { return coversResource(res[j], res[i]) },
				func(j int) bool { return coversResource(res[i], res[j]) }); j >= 0 {
				l.add(at(Finding{Severity: Suggestion, Code: "REDUNDANT_RESOURCE",
					Message: fmt.Sprintf("resource %q is redundant: %q in the same %s already covers it", r.Text, s.Resource[j].Text, s.resourceKey()),
					Fix:     fmt.Sprintf("remove %q", r.Text),
				}, r.Pos, s.valuePath(s.resourceKey(), r)))
			}
		}
	}
}

// coveredBy returns the index of an element that covers element i, or -1.
// Of two elements that cover each other (duplicates), the later one is the
// redundant one.
func coveredBy(n, i int, coversI, coveredByI func(j int) bool) int {
	for j := 0; j < n; j++ {
		if j == i || !coversI(j) {
			continue
		}
		if coveredByI(j) && j > i {
			continue // the same set: j is the redundant one
		}
		return j
	}
	return -1
}

// checkRedundantStatements: REDUNDANT_STATEMENT, a statement whose every
// request another statement with the same effect, principals and
// conditions already matches.
func (l *linter) checkRedundantStatements() {
	for i, s := range l.stmts {
		for j, t := range l.stmts {
			if i == j || !statementCovers(t, s) {
				continue
			}
			if j > i && statementCovers(s, t) {
				continue // identical: the later one is reported
			}
			l.add(at(Finding{Severity: Suggestion, Code: "REDUNDANT_STATEMENT",
				Message: fmt.Sprintf("%s is redundant: %s has the same effect and conditions and already covers its actions and resources", s.label(), t.label()),
				Fix:     fmt.Sprintf("remove %s", s.Path),
			}, s.Pos, s.Path))
			break
		}
	}
}

// statementCovers reports whether every request s matches, t matches too,
// with the same effect.
func statementCovers(t, s *stmt) bool {
	if t.Effect != s.Effect || t.Effect == 0 ||
		t.NotAction != s.NotAction || t.NotResource != s.NotResource || t.HasResource != s.HasResource ||
		t.NotPrincipal != s.NotPrincipal || t.HasPrincipal != s.HasPrincipal ||
		!slices.Equal(principalSet(t), principalSet(s)) || !slices.Equal(conditionSet(t), conditionSet(s)) {
		return false
	}
	if len(s.Action) == 0 || len(s.Resource) == 0 && s.HasResource {
		return false // an empty element is reported on its own
	}
	// With NotAction or NotResource, t matches less when it lists more: ask
	// for the same lists then.
	if t.NotAction {
		if !sameSet(t.Action, s.Action, true) {
			return false
		}
	} else if !allCovered(t.Action, s.Action, func(g, x string) bool { return covers(g, x, true) }) {
		return false
	}
	if t.NotResource {
		return sameSet(t.Resource, s.Resource, false)
	}
	return allCovered(t.Resource, s.Resource, func(g, x string) bool {
		return coversResource(parseResource(g), parseResource(x))
	})
}

func allCovered(general, specific []iam.Value, cov func(g, s string) bool) bool {
	for _, x := range specific {
		if !slices.ContainsFunc(general, func(g iam.Value) bool { return cov(g.Text, x.Text) }) {
			return false
		}
	}
	return true
}

func sameSet(a, b []iam.Value, fold bool) bool {
	return slices.Equal(textSet(a, fold), textSet(b, fold))
}

func textSet(vs []iam.Value, fold bool) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		t := v.Text
		if fold {
			t = strings.ToLower(t)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func principalSet(s *stmt) []string {
	out := make([]string, 0, len(s.Principal))
	for _, p := range s.Principal {
		out = append(out, p.Kind+"\x00"+p.Text)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// conditionSet normalises a statement's conditions: operator, key (its
// case ignored) and the set of values.
func conditionSet(s *stmt) []string {
	out := make([]string, 0, len(s.Conditions))
	for _, e := range s.Conditions {
		out = append(out, e.Operator+"\x00"+strings.ToLower(e.Key)+"\x00"+strings.Join(textSet(e.Values, false), "\x00"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
