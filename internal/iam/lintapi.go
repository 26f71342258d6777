package iam

import (
	"sort"
	"strings"
)

// This file exports what the policy linter (internal/iam/lint) needs
// beyond Document: the JSON tree as written, with positions; condition
// operators read into their parts; the engine's own value parsers; policy
// variables as the engine reads them; and wildcard matching. Everything
// here answers with the engine's semantics, so the linter never disagrees
// with evaluation.

// NodeKind is the JSON type of a Node.
type NodeKind uint8

const (
	NodeObject NodeKind = iota + 1
	NodeArray
	NodeString
	NodeNumber
	NodeBool
	NodeNull
)

func (k NodeKind) String() string { return nodeKind(k).String() }

// Node is one JSON value of a policy document as written, with its
// position. Objects keep their members in document order, duplicates
// included.
type Node struct {
	Kind    NodeKind
	Pos     Pos
	Text    string // a string's value; the literal text of a number or boolean
	Members []Member
	Elems   []*Node
}

// Member is one key of a JSON object and its value.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// ParseTree reads a document into its JSON tree, stepping over the
// problems CheckDocument reports (a trailing comma, a duplicate key). It
// returns nil when the JSON cannot be read at all.
func ParseTree(data []byte) *Node {
	root, _ := parseJSON(string(data))
	return exportNode(root)
}

func exportNode(n *node) *Node {
	if n == nil {
		return nil
	}
	out := &Node{Kind: NodeKind(n.kind), Pos: n.pos, Text: n.str}
	for _, m := range n.members {
		out.Members = append(out.Members, Member{Key: m.key, KeyPos: m.keyPos, Value: exportNode(m.value)})
	}
	for _, e := range n.elems {
		out.Elems = append(out.Elems, exportNode(e))
	}
	return out
}

// Member returns the first member named key, or nil.
func (n *Node) Member(key string) *Member {
	if n == nil {
		return nil
	}
	for i := range n.Members {
		if n.Members[i].Key == key {
			return &n.Members[i]
		}
	}
	return nil
}

// Operator is a condition operator name read into its parts.
type Operator struct {
	Name string // as written, e.g. ForAnyValue:StringNotLikeIfExists
	Base string // without qualifier and IfExists, e.g. StringNotLike
	// Family is the type of values the operator compares: String,
	// Numeric, Date, Bool, Binary, IpAddress, Arn or Null.
	Family       string
	Negated      bool
	IfExists     bool
	ForAllValues bool
	ForAnyValue  bool
	// Wildcards is true when * and ? in values are wildcards (StringLike,
	// StringNotLike and the Arn operators).
	Wildcards bool
	// Variables is true when ${...} in values is a policy variable (String
	// and Arn operators, Version 2012-10-17).
	Variables bool

	op operator
}

// ParseOperator reads an operator name as the engine does. Names are
// case-sensitive.
func ParseOperator(name string) (Operator, error) {
	op, err := parseOperator(name)
	if err != nil {
		return Operator{Name: name}, err
	}
	base := name
	if _, rest, ok := strings.Cut(base, ":"); ok {
		base = rest
	}
	base = strings.TrimSuffix(base, "IfExists")
	return Operator{
		Name: name, Base: base, Family: op.family.String(),
		Negated: op.negated, IfExists: op.ifExists,
		ForAllValues: op.set == setForAll, ForAnyValue: op.set == setForAny,
		Wildcards: op.family == famStringLike || op.family == famArnLike,
		Variables: op.family.takesVariables(),
		op:        op,
	}, nil
}

// OperatorNames returns the base operator names the engine accepts,
// sorted.
func OperatorNames() []string {
	out := make([]string, 0, len(operatorNames))
	for n := range operatorNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Accepts reports whether the engine can read v as a value of the
// operator's type (a number, a date, a boolean, an IP range). A value it
// cannot read matches nothing. String, Arn and Binary values are always
// read.
func (o Operator) Accepts(v string) bool {
	if o.op.family == 0 {
		return false
	}
	return compileCondValue(o.op.family, v, false).ok
}

// Variable is one ${...} in a policy string, read as the engine reads it.
type Variable struct {
	// Text is the variable as written, from ${ to }, or to the end of the
	// string when the brace is missing.
	Text   string
	Offset int // byte offset of ${ in the string
	Closed bool
	// Escape marks ${*}, ${?} and ${$}, which stand for the character.
	Escape bool
	// Valid is true when the engine substitutes the variable: a key
	// without spaces, and an optional default written , 'value'.
	Valid      bool
	Key        string // the key as written, e.g. aws:username
	Default    string
	HasDefault bool
}

// Variables returns the ${...} of s in order, the malformed ones too.
// Under Version 2012-10-17 the valid ones are variables; otherwise all of
// them are literal text.
func Variables(s string) []Variable {
	var out []Variable
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], "${") {
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			out = append(out, Variable{Text: s[i:], Offset: i})
			break
		}
		v := Variable{Text: s[i : i+end+1], Offset: i, Closed: true}
		body := s[i+2 : i+end]
		switch body {
		case "*", "?", "$":
			v.Escape, v.Valid = true, true
		default:
			key, _, _ := strings.Cut(body, ",")
			v.Key = strings.TrimSpace(key)
			if pc, ok := parseVariable(body); ok {
				v.Valid = true
				v.Default, v.HasDefault = pc.def, pc.hasDef
			}
		}
		out = append(out, v)
		i += end + 1
	}
	return out
}

// MatchWildcard reports whether s matches pattern, in which * matches any
// run of characters and ? one character, comparing letters ignoring case
// when fold is set (as action names are). ${...} is literal text.
func MatchWildcard(pattern, s string, fold bool) bool {
	p := compilePattern(pattern, true, false)
	ok, _ := p.match(s, fold, nil)
	return ok
}

// MatchesAction reports whether the statement applies to action: one of
// its Action patterns matches it, or, for NotAction, none does.
func (s *Statement) MatchesAction(action string) bool {
	for _, a := range s.Action {
		if MatchWildcard(a.Text, action, true) {
			return !s.NotAction
		}
	}
	return s.NotAction
}
