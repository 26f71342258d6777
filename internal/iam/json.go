package iam

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pos is a position in a policy document: 1-based line and column, the
// column counted in characters.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Problem is one thing wrong with a policy document: where it is, what it
// is (an Access Analyzer issue code such as JSON_SYNTAX_ERROR) and a
// sentence that says so.
type Problem struct {
	Pos  Pos
	Path string // JSON path of the element, e.g. Statement[0].Effect
	Code string
	Msg  string
}

func (p *Problem) Error() string {
	if p.Path != "" {
		return fmt.Sprintf("line %d, column %d: %s (at %s)", p.Pos.Line, p.Pos.Col, p.Msg, p.Path)
	}
	return fmt.Sprintf("line %d, column %d: %s", p.Pos.Line, p.Pos.Col, p.Msg)
}

type nodeKind uint8

const (
	kindObject nodeKind = iota + 1
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
)

func (k nodeKind) String() string {
	switch k {
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindBool:
		return "boolean"
	case kindNull:
		return "null"
	}
	return "invalid"
}

// node is one JSON value with its position. Objects keep their members in
// document order, duplicates included (the parser reports them).
type node struct {
	kind    nodeKind
	pos     Pos
	str     string // string value; literal text of numbers and booleans
	members []member
	elems   []*node
}

type member struct {
	key    string
	keyPos Pos
	value  *node
}

// get returns the value of the first member named key.
func (n *node) get(key string) *node {
	for i := range n.members {
		if n.members[i].key == key {
			return n.members[i].value
		}
	}
	return nil
}

// jsonParser reads one JSON document strictly: no trailing commas, no
// comments, no duplicate keys, one top-level value, and only the characters
// IAM allows (TAB, LF, CR and U+0020 to U+00FF). Problems it can step over
// (a trailing comma, a duplicate key, a disallowed character) are recorded
// and parsing goes on, so that a linter can report all of them; anything
// else ends the parse.
type jsonParser struct {
	src      string
	off      int
	line     int
	lineOff  int // offset of the first byte of the current line
	colOff   int // an offset on the current line whose column is known...
	col      int // ...and that column, so pos is not quadratic on long lines
	problems []*Problem
	size     int // characters that count towards IAM's size quotas
	depth    int
}

const maxJSONDepth = 64

type stopParse struct{}

func parseJSON(src string) (*node, []*Problem) {
	p := &jsonParser{src: src, line: 1, col: 1}
	var root *node
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopParse); !ok {
					panic(r)
				}
			}
		}()
		p.skipSpace()
		if p.off >= len(p.src) {
			p.fatal(p.pos(), "", "the policy document is empty")
		}
		root = p.value("")
		p.skipSpace()
		if p.off < len(p.src) {
			p.fatal(p.pos(), "", "unexpected text after the end of the JSON document (only one top-level value is allowed)")
		}
	}()
	return root, p.problems
}

func (p *jsonParser) pos() Pos {
	if p.colOff < p.lineOff || p.colOff > p.off {
		p.colOff, p.col = p.lineOff, 1
	}
	p.col += utf8.RuneCountInString(p.src[p.colOff:p.off])
	p.colOff = p.off
	return Pos{Line: p.line, Col: p.col}
}

func (p *jsonParser) report(pos Pos, path, msg string) {
	p.problems = append(p.problems, &Problem{Pos: pos, Path: path, Code: "JSON_SYNTAX_ERROR", Msg: msg})
}

func (p *jsonParser) fatal(pos Pos, path, msg string) {
	p.report(pos, path, msg)
	panic(stopParse{})
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case ' ', '\t', '\r':
			p.off++
		case '\n':
			p.off++
			p.line++
			p.lineOff = p.off
		default:
			return
		}
	}
}

func describeByte(s string, off int) string {
	if off >= len(s) {
		return "end of document"
	}
	r, _ := utf8.DecodeRuneInString(s[off:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) value(path string) *node {
	p.depth++
	if p.depth > maxJSONDepth {
		p.fatal(p.pos(), path, "the document nests too deeply")
	}
	defer func() { p.depth-- }()
	if p.off >= len(p.src) {
		p.fatal(p.pos(), path, "unexpected end of document, expected a value")
	}
	start := p.pos()
	switch c := p.src[p.off]; {
	case c == '{':
		return p.object(path)
	case c == '[':
		return p.array(path)
	case c == '"':
		s := p.str(path)
		return &node{kind: kindString, pos: start, str: s}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(path)
	case strings.HasPrefix(p.src[p.off:], "true"):
		p.off += 4
		p.size += 4
		return &node{kind: kindBool, pos: start, str: "true"}
	case strings.HasPrefix(p.src[p.off:], "false"):
		p.off += 5
		p.size += 5
		return &node{kind: kindBool, pos: start, str: "false"}
	case strings.HasPrefix(p.src[p.off:], "null"):
		p.off += 4
		p.size += 4
		return &node{kind: kindNull, pos: start}
	default:
		p.fatal(start, path, fmt.Sprintf("unexpected %s, expected a value", describeByte(p.src, p.off)))
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *jsonParser) object(path string) *node {
	n := &node{kind: kindObject, pos: p.pos()}
	p.off++
	p.size++
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.off++
		p.size++
		return n
	}
	for {
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != '"' {
			p.fatal(p.pos(), path, fmt.Sprintf("unexpected %s, expected a quoted member name", describeByte(p.src, p.off)))
		}
		keyPos := p.pos()
		key := p.str(path)
		for _, m := range n.members {
			if m.key == key {
				p.report(keyPos, joinPath(path, key), fmt.Sprintf("duplicate key %q (first at line %d, column %d)", key, m.keyPos.Line, m.keyPos.Col))
				break
			}
		}
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			p.fatal(p.pos(), joinPath(path, key), fmt.Sprintf("unexpected %s, expected ':' after member name", describeByte(p.src, p.off)))
		}
		p.off++
		p.size++
		p.skipSpace()
		v := p.value(joinPath(path, key))
		n.members = append(n.members, member{key: key, keyPos: keyPos, value: v})
		p.skipSpace()
		if p.off >= len(p.src) {
			p.fatal(p.pos(), path, "unexpected end of document, expected ',' or '}' (is a closing brace missing?)")
		}
		switch p.src[p.off] {
		case '}':
			p.off++
			p.size++
			return n
		case ',':
			commaPos := p.pos()
			p.off++
			p.size++
			p.skipSpace()
			if p.off < len(p.src) && p.src[p.off] == '}' {
				p.report(commaPos, path, "trailing comma before '}'")
				p.off++
				p.size++
				return n
			}
		default:
			p.fatal(p.pos(), path, fmt.Sprintf("unexpected %s, expected ',' or '}' (is a comma or a closing brace missing?)", describeByte(p.src, p.off)))
		}
	}
}

func (p *jsonParser) array(path string) *node {
	n := &node{kind: kindArray, pos: p.pos()}
	p.off++
	p.size++
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.off++
		p.size++
		return n
	}
	for {
		p.skipSpace()
		v := p.value(fmt.Sprintf("%s[%d]", path, len(n.elems)))
		n.elems = append(n.elems, v)
		p.skipSpace()
		if p.off >= len(p.src) {
			p.fatal(p.pos(), path, "unexpected end of document, expected ',' or ']' (is a closing bracket missing?)")
		}
		switch p.src[p.off] {
		case ']':
			p.off++
			p.size++
			return n
		case ',':
			commaPos := p.pos()
			p.off++
			p.size++
			p.skipSpace()
			if p.off < len(p.src) && p.src[p.off] == ']' {
				p.report(commaPos, path, "trailing comma before ']'")
				p.off++
				p.size++
				return n
			}
		default:
			p.fatal(p.pos(), path, fmt.Sprintf("unexpected %s, expected ',' or ']'", describeByte(p.src, p.off)))
		}
	}
}

// allowedRune reports whether IAM accepts r in a policy document.
func allowedRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF)
}

func (p *jsonParser) str(path string) string {
	p.off++ // opening quote
	p.size++
	var b strings.Builder
	plain := p.off
	for {
		if p.off >= len(p.src) {
			p.fatal(p.pos(), path, "unterminated string")
		}
		c := p.src[p.off]
		switch {
		case c == '"':
			s := p.src[plain:p.off]
			if b.Len() > 0 {
				b.WriteString(s)
				s = b.String()
			}
			p.off++
			p.size++
			return s
		case c == '\\':
			b.WriteString(p.src[plain:p.off])
			p.escape(&b, path)
			plain = p.off
		case c < 0x20:
			p.fatal(p.pos(), path, fmt.Sprintf("control character %s inside a string (write it as an escape)", strconv.QuoteRune(rune(c))))
		default:
			r, w := utf8.DecodeRuneInString(p.src[p.off:])
			if r == utf8.RuneError && w == 1 {
				p.fatal(p.pos(), path, "invalid UTF-8 in string")
			}
			if !allowedRune(r) {
				p.report(p.pos(), path, fmt.Sprintf("character %s (U+%04X) is not allowed in a policy document (only TAB, LF, CR and U+0020 to U+00FF)", strconv.QuoteRune(r), r))
			}
			p.off += w
			p.size++
		}
	}
}

func (p *jsonParser) escape(b *strings.Builder, path string) {
	start := p.pos()
	p.off++ // backslash
	if p.off >= len(p.src) {
		p.fatal(p.pos(), path, "unterminated string")
	}
	c := p.src[p.off]
	p.off++
	p.size += 2
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r := p.hex4(path)
		if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(p.src[p.off:], `\u`) {
			p.off += 2
			lo := p.hex4(path)
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		}
		if !allowedRune(r) {
			p.report(start, path, fmt.Sprintf("character U+%04X is not allowed in a policy document (only TAB, LF, CR and U+0020 to U+00FF)", r))
		}
		b.WriteRune(r)
	default:
		p.fatal(start, path, fmt.Sprintf("invalid escape \\%c in string", c))
	}
}

func (p *jsonParser) hex4(path string) rune {
	if p.off+4 > len(p.src) {
		p.fatal(p.pos(), path, "invalid \\u escape")
	}
	v, err := strconv.ParseUint(p.src[p.off:p.off+4], 16, 32)
	if err != nil {
		p.fatal(p.pos(), path, "invalid \\u escape")
	}
	p.off += 4
	p.size += 4
	return rune(v)
}

func (p *jsonParser) number(path string) *node {
	start := p.pos()
	begin := p.off
	if p.src[p.off] == '-' {
		p.off++
	}
	digits := func() int {
		n := 0
		for p.off < len(p.src) && p.src[p.off] >= '0' && p.src[p.off] <= '9' {
			p.off++
			n++
		}
		return n
	}
	intStart := p.off
	if digits() == 0 || (p.src[intStart] == '0' && p.off-intStart > 1) {
		p.fatal(start, path, "invalid number")
	}
	if p.off < len(p.src) && p.src[p.off] == '.' {
		p.off++
		if digits() == 0 {
			p.fatal(start, path, "invalid number")
		}
	}
	if p.off < len(p.src) && (p.src[p.off] == 'e' || p.src[p.off] == 'E') {
		p.off++
		if p.off < len(p.src) && (p.src[p.off] == '+' || p.src[p.off] == '-') {
			p.off++
		}
		if digits() == 0 {
			p.fatal(start, path, "invalid number")
		}
	}
	p.size += p.off - begin
	return &node{kind: kindNumber, pos: start, str: p.src[begin:p.off]}
}
