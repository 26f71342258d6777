package iam

import (
	"errors"
	"fmt"
	"strings"
)

// Type is the kind of a policy. It decides which elements a document may
// hold, its size quota and, for denials, which words AWS's error uses.
type Type uint8

const (
	Identity      Type = iota + 1 // user, group or role policy (inline or managed)
	Boundary                      // permissions boundary
	SessionPolicy                 // policy passed to AssumeRole or GetFederationToken
	ResourceBased                 // policy attached to a resource
	SCP                           // AWS Organizations service control policy
	RCP                           // AWS Organizations resource control policy
	Trust                         // role trust policy
)

func (t Type) String() string {
	switch t {
	case Identity:
		return "identity-based policy"
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
	case Trust:
		return "role trust policy"
	}
	return "unknown policy type"
}

// ParseType reads the names the AWS APIs use for policy types
// (IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY, ...).
func ParseType(s string) (Type, error) {
	switch strings.ToUpper(strings.ReplaceAll(s, "-", "_")) {
	case "IDENTITY_POLICY", "IDENTITY":
		return Identity, nil
	case "PERMISSIONS_BOUNDARY", "BOUNDARY":
		return Boundary, nil
	case "SESSION_POLICY", "SESSION":
		return SessionPolicy, nil
	case "RESOURCE_POLICY", "RESOURCE":
		return ResourceBased, nil
	case "SERVICE_CONTROL_POLICY", "SCP":
		return SCP, nil
	case "RESOURCE_CONTROL_POLICY", "RCP":
		return RCP, nil
	case "TRUST_POLICY", "ROLE_TRUST_POLICY", "TRUST":
		return Trust, nil
	}
	return 0, fmt.Errorf("unknown policy type %q", s)
}

// MaxSize is AWS's quota, in characters not counting whitespace, for one
// policy document of the given type (reference_iam-quotas).
func (t Type) MaxSize() int {
	switch t {
	case Identity, Boundary:
		return 6144 // managed policy; inline policies share smaller per-principal totals
	case SessionPolicy, Trust:
		return 2048
	case SCP, RCP:
		return 5120
	case ResourceBased:
		return 20480
	}
	return 6144
}

// The two policy language versions. Without a Version element a document
// uses the old language, in which ${...} is literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is Allow or Deny.
type Effect uint8

const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Document is a parsed policy document, positions kept, not yet compiled.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
	Size       int // characters counted towards the size quota
}

// Value is a string from the document with the position it came from.
type Value struct {
	Text string
	Pos  Pos
}

// Statement is one statement as written.
type Statement struct {
	Sid    string
	Effect Effect
	Pos    Pos    // the statement's opening brace
	Path   string // e.g. Statement[1]

	Action      []Value
	NotAction   bool // Action holds the NotAction list
	Resource    []Value
	NotResource bool
	HasResource bool // Resource or NotResource present

	Principal    []PrincipalValue
	NotPrincipal bool
	HasPrincipal bool

	Conditions []ConditionEntry
}

// PrincipalValue is one principal: its kind ("*" for the bare wildcard,
// else AWS, Service, Federated, CanonicalUser) and value.
type PrincipalValue struct {
	Kind string
	Value
}

// ConditionEntry is one key of one operator of a Condition block.
type ConditionEntry struct {
	Operator string // as written, e.g. ForAnyValue:StringLikeIfExists
	OpPos    Pos
	Key      string
	KeyPos   Pos
	Values   []Value
	Path     string
}

// ErrMalformed is the kind of every parse error: the document is not a
// policy IAM would accept (AWS's MalformedPolicyDocument).
var ErrMalformed = errors.New("malformed policy document")

// ParseError lists what is wrong with a document. It wraps ErrMalformed.
type ParseError struct {
	Problems []*Problem
}

func (e *ParseError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems: ", len(e.Problems))
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return ErrMalformed }

// ParseDocument parses a policy document strictly: it returns a
// *ParseError for anything IAM would refuse to store, a document over its
// type's size quota (Type.MaxSize) included.
func ParseDocument(data []byte, t Type) (*Document, error) {
	doc, problems := CheckDocument(data, t)
	if len(problems) > 0 {
		return nil, &ParseError{Problems: problems}
	}
	return doc, nil
}

// ParseDocumentAnySize parses a policy document as strictly as
// ParseDocument but does not hold it to its type's size quota, which IAM
// applies only to the policies it stores. It is for documents that are
// evaluated and never stored, such as SimulateCustomPolicy's (its API
// takes up to 131,072 characters), and for callers that answer an
// oversized document with an error of their own: Document.Size is set.
func ParseDocumentAnySize(data []byte, t Type) (*Document, error) {
	doc, problems := checkGrammar(data, t)
	if len(problems) > 0 {
		return nil, &ParseError{Problems: problems}
	}
	return doc, nil
}

// CheckDocument parses a document as far as it can and returns every
// problem it found on the way, so that a linter can report them all; the
// last is POLICY_SIZE_EXCEEDED when the document is over its type's size
// quota. The document is nil when the JSON could not be read at all.
func CheckDocument(data []byte, t Type) (*Document, []*Problem) {
	doc, problems := checkGrammar(data, t)
	if doc != nil && doc.Size > t.MaxSize() {
		problems = append(problems, &Problem{Pos: Pos{1, 1}, Code: "POLICY_SIZE_EXCEEDED",
			Msg: fmt.Sprintf("the policy has %d characters (whitespace not counted), more than the %d a %s may have", doc.Size, t.MaxSize(), t)})
	}
	return doc, problems
}

// checkGrammar is CheckDocument without the size quota.
func checkGrammar(data []byte, t Type) (*Document, []*Problem) {
	root, problems := parseJSON(string(data))
	if root == nil {
		return nil, problems
	}
	g := &grammar{typ: t, problems: problems}
	doc := g.document(root)
	doc.Size = sizeOf(string(data))
	return doc, g.problems
}

// sizeOf counts the characters of a document that count towards IAM's
// quotas: everything but whitespace outside strings.
func sizeOf(s string) int {
	n, inStr, esc := 0, false, false
	for _, r := range s {
		switch {
		case inStr:
			n++
			switch {
			case esc:
				esc = false
			case r == '\\':
				esc = true
			case r == '"':
				inStr = false
			}
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
		default:
			n++
			if r == '"' {
				inStr = true
			}
		}
	}
	return n
}

type grammar struct {
	typ      Type
	version  string
	problems []*Problem
	sids     map[string]Pos
}

func (g *grammar) add(pos Pos, path, code, msg string) {
	g.problems = append(g.problems, &Problem{Pos: pos, Path: path, Code: code, Msg: msg})
}

func (g *grammar) document(root *node) *Document {
	doc := &Document{}
	if root.kind != kindObject {
		g.add(root.pos, "", "JSON_SYNTAX_ERROR", "a policy document must be a JSON object")
		return doc
	}
	var stmts *node
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.value.kind != kindString {
				g.add(m.value.pos, "Version", "INVALID_VERSION", "Version must be a string")
				continue
			}
			doc.Version = m.value.str
			if doc.Version != Version2012 && doc.Version != Version2008 {
				g.add(m.value.pos, "Version", "INVALID_VERSION", fmt.Sprintf("invalid Version %q: use %q", doc.Version, Version2012))
			}
		case "Id":
			if m.value.kind != kindString {
				g.add(m.value.pos, "Id", "INVALID_POLICY_ELEMENT", "Id must be a string")
				continue
			}
			doc.ID = m.value.str
		case "Statement":
			stmts = m.value
		default:
			g.add(m.keyPos, m.key, "INVALID_POLICY_ELEMENT", fmt.Sprintf("unknown policy element %q (expected Version, Id or Statement)", m.key))
		}
	}
	g.version = doc.Version
	switch {
	case stmts == nil:
		g.add(root.pos, "", "MISSING_STATEMENT", "the policy has no Statement")
	case stmts.kind == kindObject:
		doc.Statements = append(doc.Statements, g.statement(stmts, "Statement"))
	case stmts.kind == kindArray:
		for i, s := range stmts.elems {
			path := fmt.Sprintf("Statement[%d]", i)
			if s.kind != kindObject {
				g.add(s.pos, path, "INVALID_POLICY_ELEMENT", "each statement must be a JSON object")
				continue
			}
			doc.Statements = append(doc.Statements, g.statement(s, path))
		}
		if len(stmts.elems) == 0 {
			g.add(stmts.pos, "Statement", "MISSING_STATEMENT", "the Statement array is empty")
		}
	default:
		g.add(stmts.pos, "Statement", "INVALID_POLICY_ELEMENT", "Statement must be an object or an array of objects")
	}
	return doc
}

func (g *grammar) statement(n *node, path string) Statement {
	s := Statement{Pos: n.pos, Path: path}
	var hasAction bool
	for _, m := range n.members {
		p := path + "." + m.key
		switch m.key {
		case "Sid":
			if m.value.kind != kindString {
				g.add(m.value.pos, p, "INVALID_POLICY_ELEMENT", "Sid must be a string")
				continue
			}
			s.Sid = m.value.str
			g.checkSid(m.value, p)
		case "Effect":
			if m.value.kind != kindString {
				g.add(m.value.pos, p, "INVALID_EFFECT", "Effect must be the string Allow or Deny")
				continue
			}
			switch m.value.str {
			case "Allow":
				s.Effect = Allow
			case "Deny":
				s.Effect = Deny
			default:
				g.add(m.value.pos, p, "INVALID_EFFECT", fmt.Sprintf("invalid Effect %q: use Allow or Deny", m.value.str))
			}
		case "Action", "NotAction":
			if hasAction {
				g.add(m.keyPos, p, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement may have Action or NotAction, not both")
			}
			hasAction = true
			s.NotAction = m.key == "NotAction"
			s.Action = g.strings(m.value, p)
			for _, a := range s.Action {
				g.checkAction(a, p)
			}
		case "Resource", "NotResource":
			if s.HasResource {
				g.add(m.keyPos, p, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement may have Resource or NotResource, not both")
			}
			s.HasResource = true
			s.NotResource = m.key == "NotResource"
			s.Resource = g.strings(m.value, p)
			for _, r := range s.Resource {
				g.checkResource(r, p)
			}
		case "Principal", "NotPrincipal":
			if s.HasPrincipal {
				g.add(m.keyPos, p, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement may have Principal or NotPrincipal, not both")
			}
			s.HasPrincipal = true
			s.NotPrincipal = m.key == "NotPrincipal"
			s.Principal = g.principals(m.value, p)
		case "Condition":
			s.Conditions = g.conditions(m.value, p)
		default:
			g.add(m.keyPos, p, "INVALID_POLICY_ELEMENT", fmt.Sprintf("unknown statement element %q", m.key))
		}
	}
	if s.Effect == 0 && n.get("Effect") == nil {
		g.add(n.pos, path, "MISSING_EFFECT", "the statement has no Effect")
	}
	if !hasAction {
		g.add(n.pos, path, "MISSING_ACTION", "the statement has no Action or NotAction")
	}
	needsPrincipal := g.typ == ResourceBased || g.typ == Trust
	mayPrincipal := needsPrincipal || g.typ == RCP // RCPs name "Principal": "*"
	switch {
	case s.HasPrincipal && !mayPrincipal:
		g.add(n.pos, path, "UNSUPPORTED_PRINCIPAL", fmt.Sprintf("a %s cannot have a Principal or NotPrincipal element", g.typ))
	case !s.HasPrincipal && needsPrincipal:
		g.add(n.pos, path, "MISSING_PRINCIPAL", fmt.Sprintf("a statement in a %s needs a Principal or NotPrincipal element", g.typ))
	}
	if !s.HasResource && g.typ != Trust && g.typ != ResourceBased {
		g.add(n.pos, path, "MISSING_RESOURCE", "the statement has no Resource or NotResource")
	}
	return s
}

// strings reads a string-or-array-of-strings element.
func (g *grammar) strings(n *node, path string) []Value {
	switch n.kind {
	case kindString:
		return []Value{{Text: n.str, Pos: n.pos}}
	case kindArray:
		out := make([]Value, 0, len(n.elems))
		for i, e := range n.elems {
			if e.kind != kindString {
				g.add(e.pos, fmt.Sprintf("%s[%d]", path, i), "INVALID_POLICY_ELEMENT", fmt.Sprintf("expected a string, found %s", e.kind))
				continue
			}
			out = append(out, Value{Text: e.str, Pos: e.pos})
		}
		return out
	}
	g.add(n.pos, path, "INVALID_POLICY_ELEMENT", fmt.Sprintf("expected a string or an array of strings, found %s", n.kind))
	return nil
}

func (g *grammar) checkAction(a Value, path string) {
	if a.Text == "*" {
		return
	}
	svc, name, ok := strings.Cut(a.Text, ":")
	if !ok || svc == "" || name == "" {
		g.add(a.Pos, path, "INVALID_ACTION", fmt.Sprintf("invalid action %q: write service:Action, e.g. ssm:StartSession", a.Text))
	}
}

func (g *grammar) checkResource(r Value, path string) {
	if r.Text == "*" {
		return
	}
	if !strings.HasPrefix(r.Text, "arn:") {
		g.add(r.Pos, path, "INVALID_ARN_PREFIX", fmt.Sprintf("invalid resource %q: a resource is * or an ARN starting with arn:", r.Text))
		return
	}
	parts := strings.SplitN(r.Text, ":", 6)
	if len(parts) >= 3 && strings.ContainsAny(parts[2], "*?") {
		g.add(r.Pos, path, "INVALID_ARN_SERVICE", fmt.Sprintf("invalid resource %q: the service segment of an ARN cannot hold a wildcard", r.Text))
	}
	if g.variables() {
		for i := 0; i < len(parts)-1 && i < 5; i++ {
			if strings.Contains(parts[i], "${") {
				g.add(r.Pos, path, "VARIABLE_UNSUPPORTED_IN_ELEMENT", fmt.Sprintf("resource %q: policy variables may appear only in the resource part of an ARN", r.Text))
				break
			}
		}
	}
	if len(parts) < 6 && g.typ == SCP && !strings.HasSuffix(r.Text, "*") {
		g.add(r.Pos, path, "MISSING_ARN_FIELD", fmt.Sprintf("invalid resource %q: an ARN has six colon-separated fields", r.Text))
	}
}

// iamPolicy reports whether documents of the grammar's type are stored by
// IAM, which restricts Sids to letters and digits, unique in the policy.
func (g *grammar) iamPolicy() bool {
	switch g.typ {
	case Identity, Boundary, SessionPolicy, Trust:
		return true
	}
	return false
}

func (g *grammar) checkSid(n *node, path string) {
	if !g.iamPolicy() || n.str == "" {
		return
	}
	for _, r := range n.str {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			g.add(n.pos, path, "UNSUPPORTED_SID", fmt.Sprintf("invalid Sid %q: an IAM policy's Sid may hold only letters and digits", n.str))
			return
		}
	}
	if first, dup := g.sids[n.str]; dup {
		g.add(n.pos, path, "UNIQUE_SIDS_REQUIRED", fmt.Sprintf("duplicate Sid %q (first at line %d, column %d): Sids must be unique in an IAM policy", n.str, first.Line, first.Col))
		return
	}
	if g.sids == nil {
		g.sids = map[string]Pos{}
	}
	g.sids[n.str] = n.pos
}

func (g *grammar) variables() bool { return g.version == Version2012 }

func (g *grammar) principals(n *node, path string) []PrincipalValue {
	if n.kind == kindString {
		if n.str != "*" {
			g.add(n.pos, path, "INVALID_PRINCIPAL", fmt.Sprintf("invalid principal %q: use \"*\" or an object such as {\"AWS\": \"arn:...\"}", n.str))
			return nil
		}
		return []PrincipalValue{{Kind: "*", Value: Value{Text: "*", Pos: n.pos}}}
	}
	if n.kind != kindObject {
		g.add(n.pos, path, "INVALID_PRINCIPAL", "Principal must be \"*\" or an object")
		return nil
	}
	var out []PrincipalValue
	for _, m := range n.members {
		switch m.key {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			g.add(m.keyPos, path+"."+m.key, "INVALID_PRINCIPAL", fmt.Sprintf("unknown principal type %q (use AWS, Service, Federated or CanonicalUser)", m.key))
			continue
		}
		for _, v := range g.strings(m.value, path+"."+m.key) {
			out = append(out, PrincipalValue{Kind: m.key, Value: v})
		}
	}
	return out
}

func (g *grammar) conditions(n *node, path string) []ConditionEntry {
	if n.kind != kindObject {
		g.add(n.pos, path, "INVALID_POLICY_ELEMENT", "Condition must be an object of operators")
		return nil
	}
	var out []ConditionEntry
	for _, op := range n.members {
		opPath := path + "." + op.key
		if _, err := parseOperator(op.key); err != nil {
			g.add(op.keyPos, opPath, "INVALID_CONDITION_OPERATOR", err.Error())
		}
		if op.value.kind != kindObject {
			g.add(op.value.pos, opPath, "INVALID_POLICY_ELEMENT", fmt.Sprintf("condition operator %s must map condition keys to values", op.key))
			continue
		}
		seen := map[string]Pos{}
		for _, k := range op.value.members {
			kPath := opPath + "." + k.key
			lower := strings.ToLower(k.key)
			if first, dup := seen[lower]; dup && k.key != "" {
				g.add(k.keyPos, kPath, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE", fmt.Sprintf("condition key %q appears twice under %s (first at line %d, column %d; key names ignore case)", k.key, op.key, first.Line, first.Col))
			}
			seen[lower] = k.keyPos
			if !validConditionKey(k.key) {
				g.add(k.keyPos, kPath, "INVALID_CONDITION_KEY_FORMAT", fmt.Sprintf("invalid condition key %q: write prefix:name, e.g. aws:username", k.key))
			}
			vals := g.conditionValues(k.value, kPath)
			out = append(out, ConditionEntry{Operator: op.key, OpPos: op.keyPos, Key: k.key, KeyPos: k.keyPos, Values: vals, Path: kPath})
		}
	}
	return out
}

// conditionValues reads condition values: strings, or numbers and booleans
// written bare, each alone or in an array.
func (g *grammar) conditionValues(n *node, path string) []Value {
	one := func(e *node, p string) (Value, bool) {
		switch e.kind {
		case kindString, kindNumber, kindBool:
			return Value{Text: e.str, Pos: e.pos}, true
		}
		g.add(e.pos, p, "INVALID_POLICY_ELEMENT", fmt.Sprintf("a condition value must be a string, number or boolean, found %s", e.kind))
		return Value{}, false
	}
	if n.kind == kindArray {
		out := make([]Value, 0, len(n.elems))
		for i, e := range n.elems {
			if v, ok := one(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				out = append(out, v)
			}
		}
		return out
	}
	if v, ok := one(n, path); ok {
		return []Value{v}
	}
	return nil
}

func validConditionKey(k string) bool {
	prefix, name, ok := strings.Cut(k, ":")
	return ok && prefix != "" && name != "" && !strings.ContainsAny(prefix, " */")
}
