package awscli

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The value patterns of the aws CLI's shorthand parser (awscli/shorthand.py),
// as Go character classes. Python's \s (Unicode whitespace) is written out:
// the ASCII whitespace and U+001C..U+001F below U+007E, everything above is
// in the ranges anyway. Characters above U+FFFF never match, as in the aws
// CLI.
const (
	pyWhitespace = `\t\n\x0B\f\r \x1C-\x1F`
	startWord    = `!\x23-\x26\x28-\x2B\x2D-\x3C\x3E-\x5A\x5C-\x7A\x7C-\x{FFFF}`
	firstFollow  = pyWhitespace + `!\x23-\x26\x28-\x2B\x2D-\x5C\x5E-\x7C\x7E-\x{FFFF}`
	secondFollow = pyWhitespace + `!\x23-\x26\x28-\x2B\x2D-\x3C\x3E-\x{FFFF}`
	escapedComma = `\\,`
)

type namedRegex struct {
	name string
	re   *regexp.Regexp
}

// Go's regexp chooses among alternatives as a backtracking engine would,
// so these match exactly what Python's re matches.
var (
	singleQuoted = namedRegex{"singled quoted", regexp.MustCompile(`^'(?:\\'|[^'])*'`)}
	doubleQuoted = namedRegex{"double quoted", regexp.MustCompile(`^"(?:\\"|[^"])*"`)}
	firstValue   = namedRegex{"first", regexp.MustCompile(`^(?:` + escapedComma + `|[` + startWord + `])(?:` + escapedComma + `|[` + firstFollow + `])*`)}
	secondValue  = namedRegex{"second", regexp.MustCompile(`^(?:` + escapedComma + `|[` + startWord + `])(?:` + escapedComma + `|[` + secondFollow + `])*`)}
)

// SyntaxError is a shorthand value the parser could not read. Index counts
// characters, as the aws CLI does.
type SyntaxError struct {
	Input            string
	Expected, Actual string
	Index            int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("Expected: '%s', received: '%s' for input:\n%s", e.Expected, e.Actual, errorLocation(e.Input, e.Index))
}

// DuplicateKeyError is a key given twice in one shorthand value, usually a
// "," where a space was meant.
type DuplicateKeyError struct {
	Key, Input string
	Index      int
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("Second instance of key \"%s\" encountered for input:\n%s\nThis is often because there is a preceding \",\" instead of a space.", e.Key, errorLocation(e.Input, e.Index))
}

// errorLocation shows the input with a caret under character index.
func errorLocation(value string, index int) string {
	runes := []rune(value)
	index = min(max(index, 0), len(runes))
	before, rest := string(runes[:index]), string(runes[index:])
	consumed, remaining, spaces := value, "", index
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		spaces = utf8.RuneCountInString(before[i+1:])
	}
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		consumed, remaining = before+rest[:i], rest[i:]
	}
	return consumed + "\n" + strings.Repeat(" ", spaces) + "^" + remaining
}

// Resolver loads the value of a key written key@=value: the aws CLI reads
// file:// and fileb:// values there and keeps any other value as it is.
type Resolver func(value string) (string, error)

// ParseShorthand parses one shorthand value, such as
//
//	ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip
//
// into an Object of strings, lists ([]any) and objects, as the aws CLI's
// ShorthandParser does: a value with commas is a list until a key=value
// follows, [a,b] is an explicit list, {k=v} a nested object, quotes keep
// commas and spaces, \, is a literal comma, and key@=file://path reads the
// value from a file through resolve (nil: no files).
func ParseShorthand(s string, resolve Resolver) (*Object, error) {
	p := &shorthandParser{in: s, resolve: resolve}
	return p.parameter()
}

type shorthandParser struct {
	in      string
	i       int // byte offset
	resolve Resolver
	files   bool // the current key was written key@=
}

// index returns the current offset in characters, for messages.
func (p *shorthandParser) index(off int) int { return utf8.RuneCountInString(p.in[:off]) }

func (p *shorthandParser) syntax(expected, actual string) error {
	return &SyntaxError{Input: p.in, Expected: expected, Actual: actual, Index: p.index(p.i)}
}

func (p *shorthandParser) parameter() (*Object, error) {
	params := &Object{}
	key, val, err := p.keyval()
	if err != nil {
		return nil, err
	}
	params.Set(key, val)
	last := p.i
	for p.i < len(p.in) {
		if err := p.expect(',', true); err != nil {
			return nil, err
		}
		key, val, err := p.keyval()
		if err != nil {
			return nil, err
		}
		if _, dup := params.Get(key); dup {
			return nil, &DuplicateKeyError{Key: key, Input: p.in, Index: p.index(last) + 1}
		}
		params.Set(key, val)
		last = p.i
	}
	return params, nil
}

func (p *shorthandParser) keyval() (string, any, error) {
	key := p.key()
	if err := p.assign(); err != nil {
		return "", nil, err
	}
	v, err := p.values()
	return key, v, err
}

// assign reads "=" or "@=" after a key.
func (p *shorthandParser) assign() error {
	p.files = false
	save := p.i
	if p.expect('@', true) == nil {
		p.files = true
	} else {
		p.i = save
	}
	return p.expect('=', true)
}

func (p *shorthandParser) key() string {
	start := p.i
	for p.i < len(p.in) {
		c := p.in[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.#/:", c) >= 0) {
			break
		}
		p.i++
	}
	return p.in[start:p.i]
}

func (p *shorthandParser) values() (any, error) {
	switch {
	case p.eof():
		return "", nil
	case p.in[p.i] == '[':
		return p.explicitList()
	case p.in[p.i] == '{':
		return p.hashLiteral()
	}
	return p.csvValue()
}

func (p *shorthandParser) csvValue() (any, error) {
	first, err := p.firstValue()
	if err != nil {
		return nil, err
	}
	p.consumeWhitespace()
	if p.eof() || p.in[p.i] != ',' {
		return first, nil
	}
	if err := p.expect(',', true); err != nil {
		return nil, err
	}
	list := []any{first}
	for {
		cur, err := p.secondValue()
		if err == nil {
			p.consumeWhitespace()
			if p.eof() {
				list = append(list, cur)
				break
			}
			err = p.expect(',', true)
		}
		if err != nil {
			if p.eof() {
				return nil, err
			}
			// A key=value follows: give the comma back to parameter.
			p.backtrackTo(',')
			break
		}
		list = append(list, cur)
	}
	if len(list) == 1 {
		return first, nil
	}
	return list, nil
}

func (p *shorthandParser) value() (string, error) {
	m := firstValue.re.FindString(p.in[p.i:])
	if m == "" {
		return "", nil
	}
	p.i += len(m)
	return p.file(strings.TrimRightFunc(strings.ReplaceAll(m, `\,`, ","), pyIsSpace))
}

func (p *shorthandParser) explicitList() ([]any, error) {
	if err := p.expect('[', true); err != nil {
		return nil, err
	}
	values := []any{}
	for p.current() != ']' {
		v, err := p.explicitValues()
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		p.consumeWhitespace()
		if p.current() != ']' {
			if err := p.expect(',', false); err != nil {
				return nil, err
			}
			p.consumeWhitespace()
		}
	}
	return values, p.expect(']', false)
}

func (p *shorthandParser) explicitValues() (any, error) {
	switch p.current() {
	case '[':
		return p.explicitList()
	case '{':
		return p.hashLiteral()
	}
	return p.firstValue()
}

func (p *shorthandParser) hashLiteral() (*Object, error) {
	if err := p.expect('{', true); err != nil {
		return nil, err
	}
	obj := &Object{}
	for p.current() != '}' {
		key := p.key()
		if err := p.assign(); err != nil {
			return nil, err
		}
		v, err := p.explicitValues()
		if err != nil {
			return nil, err
		}
		p.consumeWhitespace()
		if p.current() != '}' {
			if err := p.expect(',', false); err != nil {
				return nil, err
			}
			p.consumeWhitespace()
		}
		obj.Set(key, v)
	}
	return obj, p.expect('}', false)
}

func (p *shorthandParser) firstValue() (string, error) {
	switch p.current() {
	case '\'':
		return p.quoted(singleQuoted, '\'')
	case '"':
		return p.quoted(doubleQuoted, '"')
	}
	return p.value()
}

func (p *shorthandParser) secondValue() (string, error) {
	switch p.current() {
	case '\'':
		return p.quoted(singleQuoted, '\'')
	case '"':
		return p.quoted(doubleQuoted, '"')
	}
	m, err := p.mustConsume(secondValue)
	if err != nil {
		return "", err
	}
	return p.file(strings.TrimRightFunc(strings.ReplaceAll(m, `\,`, ","), pyIsSpace))
}

func (p *shorthandParser) quoted(re namedRegex, quote byte) (string, error) {
	m, err := p.mustConsume(re)
	if err != nil {
		return "", err
	}
	v := m[1 : len(m)-1]
	v = strings.ReplaceAll(v, `\`+string(quote), string(quote))
	v = strings.ReplaceAll(v, `\\`, `\`)
	return p.file(v)
}

// file resolves a value written after key@=.
func (p *shorthandParser) file(v string) (string, error) {
	if !p.files || p.resolve == nil {
		return v, nil
	}
	return p.resolve(v)
}

func (p *shorthandParser) mustConsume(re namedRegex) (string, error) {
	m := re.re.FindString(p.in[p.i:])
	if m == "" {
		return "", p.syntax("<"+re.name+">", "<none>")
	}
	p.i += len(m)
	return m, nil
}

func (p *shorthandParser) expect(c byte, whitespace bool) error {
	if whitespace {
		p.consumeWhitespace()
	}
	if p.eof() {
		return p.syntax(string(c), "EOF")
	}
	if p.in[p.i] != c {
		r, _ := utf8.DecodeRuneInString(p.in[p.i:])
		return p.syntax(string(c), string(r))
	}
	p.i++
	if whitespace {
		p.consumeWhitespace()
	}
	return nil
}

// current returns the byte at the current offset, 0 at the end.
func (p *shorthandParser) current() byte {
	if p.eof() {
		return 0
	}
	return p.in[p.i]
}

func (p *shorthandParser) eof() bool { return p.i >= len(p.in) }

func (p *shorthandParser) backtrackTo(c byte) {
	for p.i >= 0 && (p.i >= len(p.in) || p.in[p.i] != c) {
		p.i--
	}
	p.i = max(p.i, 0)
}

// consumeWhitespace skips Python's string.whitespace (ASCII only).
func (p *shorthandParser) consumeWhitespace() {
	for p.i < len(p.in) && strings.IndexByte(" \t\n\r\x0b\x0c", p.in[p.i]) >= 0 {
		p.i++
	}
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F
}
