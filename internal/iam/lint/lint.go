package lint

import (
	"fmt"
	"sort"

	"github.com/sesame-sh/sesame/internal/iam"
)

// Lint checks a policy document of type t (Identity when zero) and
// returns every finding, in document order. It never fails: a document
// that cannot be read at all gives the JSON syntax findings that say why.
func Lint(data []byte, t iam.Type) []Finding {
	if t == 0 {
		t = iam.Identity
	}
	doc, problems := iam.CheckDocument(data, t)
	l := &linter{typ: t, doc: doc}
	l.syntax(problems)
	if doc != nil {
		l.root = iam.ParseTree(data)
		l.vars = doc.Version == iam.Version2012
		l.collect()
		parsed := len(l.findings)
		for _, check := range checks {
			check(l)
		}
		l.dedupe(parsed)
	}
	sort.SliceStable(l.findings, func(i, j int) bool {
		a, b := l.findings[i], l.findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return l.findings
}

// checks run in this order on a document that could be read; each adds
// its findings to the linter. Findings are sorted by position afterwards.
var checks = []func(*linter){
	(*linter).checkVersion,
	(*linter).checkSids,
	(*linter).checkEmpty,
	(*linter).checkNotElements,
	(*linter).checkServiceWildcards,
	(*linter).checkVariables,
	(*linter).checkConditions,
	(*linter).checkTagSupport,
	(*linter).checkRedundantElements,
	(*linter).checkRedundantStatements,
	(*linter).checkSessionManager,
}

// linter holds one run of Lint.
type linter struct {
	typ      iam.Type
	doc      *iam.Document
	root     *iam.Node
	vars     bool // Version 2012-10-17: ${...} are policy variables
	stmts    []*stmt
	findings []Finding
}

// stmt is a statement of the Document with its JSON object.
type stmt struct {
	*iam.Statement
	node *iam.Node
}

// collect pairs the Document's statements with their JSON objects. The
// grammar reads the last Statement member, so this does too.
func (l *linter) collect() {
	var list *iam.Node
	for i := range l.root.Members {
		if l.root.Members[i].Key == "Statement" {
			list = l.root.Members[i].Value
		}
	}
	byPath := map[string]*iam.Node{}
	switch {
	case list == nil:
	case list.Kind == iam.NodeObject:
		byPath["Statement"] = list
	case list.Kind == iam.NodeArray:
		for i, e := range list.Elems {
			byPath[fmt.Sprintf("Statement[%d]", i)] = e
		}
	}
	for i := range l.doc.Statements {
		s := &l.doc.Statements[i]
		if n := byPath[s.Path]; n != nil {
			l.stmts = append(l.stmts, &stmt{Statement: s, node: n})
		}
	}
}

// dedupe drops the findings of the checks that the parser reported
// already (the same code at the same place), keeping the check's fix.
// findings[:parsed] are the parser's.
func (l *linter) dedupe(parsed int) {
	type key struct {
		code      string
		line, col int
	}
	seen := map[key]int{}
	for i, f := range l.findings[:parsed] {
		seen[key{f.Code, f.Line, f.Column}] = i
	}
	out := l.findings[:parsed]
	for _, f := range l.findings[parsed:] {
		if i, dup := seen[key{f.Code, f.Line, f.Column}]; dup {
			if out[i].Fix == "" {
				out[i].Fix = f.Fix
			}
			continue
		}
		out = append(out, f)
	}
	l.findings = out
}

func (l *linter) add(f Finding) {
	l.findings = append(l.findings, f)
}

// at fills a finding's position.
func at(f Finding, pos iam.Pos, path string) Finding {
	f.Line, f.Column, f.Path = pos.Line, pos.Col, path
	return f
}

// member returns the last member of n named key (the one the grammar
// keeps), or nil.
func member(n *iam.Node, key string) *iam.Member {
	if n == nil {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return &n.Members[i]
		}
	}
	return nil
}

// valuePath returns the JSON path of the value v of the element key of a
// statement: key[i] when the element is an array, key when it is a single
// string.
func (s *stmt) valuePath(key string, v iam.Value) string {
	return elemPath(s.Path+"."+key, member(s.node, key), v.Pos)
}

func elemPath(path string, m *iam.Member, pos iam.Pos) string {
	if m == nil || m.Value.Kind != iam.NodeArray {
		return path
	}
	for i, e := range m.Value.Elems {
		if e.Pos == pos {
			return fmt.Sprintf("%s[%d]", path, i)
		}
	}
	return path
}

// actionKey and resourceKey name the element a statement's actions and
// resources came from.
func (s *stmt) actionKey() string {
	if s.NotAction {
		return "NotAction"
	}
	return "Action"
}

func (s *stmt) resourceKey() string {
	if s.NotResource {
		return "NotResource"
	}
	return "Resource"
}

// conditionMember finds the JSON member of a condition entry (its key),
// so that value paths can tell arrays from single values.
func (s *stmt) conditionMember(e *iam.ConditionEntry) *iam.Member {
	cond := member(s.node, "Condition")
	if cond == nil || cond.Value.Kind != iam.NodeObject {
		return nil
	}
	for i := range cond.Value.Members {
		op := &cond.Value.Members[i]
		if op.KeyPos != e.OpPos || op.Value.Kind != iam.NodeObject {
			continue
		}
		for j := range op.Value.Members {
			if op.Value.Members[j].KeyPos == e.KeyPos {
				return &op.Value.Members[j]
			}
		}
	}
	return nil
}

// condValuePath returns the JSON path of value v of a condition entry.
func (s *stmt) condValuePath(e *iam.ConditionEntry, v iam.Value) string {
	return elemPath(e.Path, s.conditionMember(e), v.Pos)
}

// label names a statement for messages: its path, and its Sid if any.
func (s *stmt) label() string {
	if s.Sid != "" {
		return fmt.Sprintf("%s (Sid %s)", s.Path, s.Sid)
	}
	return s.Path
}
