package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Hidden replaces the value of a secret in a record, as CloudTrail does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretKeys are the keys whose values the log hides, lowercased and
// without '-', '_' and '.' (see IsSecret). Pagination and idempotency
// tokens (NextToken, ClientToken) are not secrets and stay.
var secretKeys = map[string]bool{
	"secretaccesskey":   true, // CreateAccessKey, AssumeRole responses
	"secretkey":         true,
	"secret":            true,
	"clientsecret":      true,
	"password":          true, // CreateLoginProfile, ChangePassword
	"newpassword":       true,
	"oldpassword":       true,
	"token":             true,
	"tokenvalue":        true, // StartSession, ResumeSession responses
	"sessiontoken":      true, // AssumeRole response, STS credentials
	"securitytoken":     true,
	"xamzsecuritytoken": true,
	"webidentitytoken":  true,
	"samlassertion":     true,
	"privatekey":        true,
	"activationcode":    true, // CreateActivation response, agent registration
	"authorization":     true,
}

// maxSecretKey is the length of the longest key in secretKeys.
const maxSecretKey = len("xamzsecuritytoken")

// IsSecret reports whether the log hides the value of key k: the key,
// compared without regard to case, '-', '_' or '.', is one of
// SecretAccessKey, SecretKey, Secret, ClientSecret, Password, NewPassword,
// OldPassword, Token, TokenValue, SessionToken, SecurityToken,
// X-Amz-Security-Token, WebIdentityToken, SAMLAssertion, PrivateKey,
// ActivationCode or Authorization. Case folds for ASCII letters only.
func IsSecret(k string) bool { return isSecret(k) }

// isSecret is IsSecret for a key as a string or as bytes, without
// allocating.
func isSecret[Key []byte | string](k Key) bool {
	var norm [maxSecretKey]byte
	n := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c >= utf8.RuneSelf:
			return false
		}
		if n == len(norm) {
			return false
		}
		norm[n] = c
		n++
	}
	return secretKeys[string(norm[:n])]
}

// appendElements appends v, a record's requestParameters or
// responseElements, to dst as redacted JSON text: JSON text
// (json.RawMessage) as it is, any other value marshaled first.
func appendElements(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case json.RawMessage:
		return AppendRedacted(dst, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("redact %T: %w", v, err)
	}
	return AppendRedacted(dst, b)
}

// AppendRedacted appends to dst the first JSON value in src with the value
// of every secret key (IsSecret), at any depth of objects and arrays,
// replaced by the string Hidden. What follows the first value is ignored;
// src holding only white space (as bytes.TrimSpace has it) is null.
//
// The result is what encoding/json writes (without HTML escaping) for the
// value src decodes to, except that objects keep their keys in src's
// order, duplicates included: no white space, numbers as they are, and
// every string in encoding/json's form (invalid UTF-8 and lone surrogates
// become U+FFFD). src's bytes are copied through in runs, and a compact
// value with plain strings is copied whole. A secret's bytes are never
// copied, though the value is checked like the rest. On malformed JSON,
// or nesting deeper than encoding/json's limit of 10000, AppendRedacted
// returns dst unchanged and an error.
func AppendRedacted(dst, src []byte) ([]byte, error) {
	if len(bytes.TrimSpace(src)) == 0 {
		return append(dst, "null"...), nil
	}
	p := redactor{src: src, dst: dst}
	p.space()
	p.mark = p.i
	if err := p.value(0); err != nil {
		return dst, fmt.Errorf("redact: %w", err)
	}
	p.flush(p.i)
	return p.dst, nil
}

// maxDepth is encoding/json's limit on nested objects and arrays.
const maxDepth = 10000

// redactor scans JSON text in src and appends it to dst, redacted and in
// canonical form. Bytes that stay as they are go over in runs: src[mark:i]
// has been scanned but not copied yet.
type redactor struct {
	src  []byte
	i    int // the next byte to scan
	mark int // the first byte not yet copied or skipped
	dst  []byte
	hide int // > 0 inside a hidden value: copy nothing
}

// syntaxError is malformed JSON at an offset of the text.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.offset, e.msg)
}

func (p *redactor) errorf(msg string) error {
	if p.i >= len(p.src) {
		return &syntaxError{"unexpected end of JSON input", p.i}
	}
	return &syntaxError{fmt.Sprintf("invalid character %q %s", p.src[p.i], msg), p.i}
}

// flush copies src[mark:end] to dst (unless hiding) and moves mark to end.
func (p *redactor) flush(end int) {
	if p.hide == 0 {
		p.dst = append(p.dst, p.src[p.mark:end]...)
	}
	p.mark = end
}

// space skips white space, which the output leaves out.
func (p *redactor) space() {
	if p.i >= len(p.src) || !isSpace(p.src[p.i]) {
		return
	}
	p.flush(p.i)
	for p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.i++
	}
	p.mark = p.i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next returns the byte at i, or 0 at the end of src.
func (p *redactor) next() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

// value scans the value at i, depth objects and arrays deep.
func (p *redactor) value(depth int) error {
	switch c := p.next(); {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		_, err := p.str()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return p.errorf("looking for beginning of value")
}

func (p *redactor) object(depth int) error {
	if depth > maxDepth {
		return p.errorf("exceeds the maximum nesting depth")
	}
	p.i++ // {
	p.space()
	if p.next() == '}' {
		p.i++
		return nil
	}
	for {
		if p.next() != '"' {
			return p.errorf("looking for beginning of object key string")
		}
		k, err := p.str()
		if err != nil {
			return err
		}
		secret := p.hide == 0 && isSecret(k)
		p.space()
		if p.next() != ':' {
			return p.errorf("after object key")
		}
		p.i++
		p.space()
		if secret {
			p.flush(p.i)
			p.dst = append(p.dst, `"`+Hidden+`"`...)
			p.hide++
		}
		err = p.value(depth)
		if secret {
			p.hide--
			p.mark = p.i
		}
		if err != nil {
			return err
		}
		p.space()
		switch p.next() {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("after object key:value pair")
		}
	}
}

func (p *redactor) array(depth int) error {
	if depth > maxDepth {
		return p.errorf("exceeds the maximum nesting depth")
	}
	p.i++ // [
	p.space()
	if p.next() == ']' {
		p.i++
		return nil
	}
	for {
		if err := p.value(depth); err != nil {
			return err
		}
		p.space()
		switch p.next() {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return nil
		default:
			return p.errorf("after array element")
		}
	}
}

func (p *redactor) literal(lit string) error {
	if len(p.src)-p.i < len(lit) || string(p.src[p.i:p.i+len(lit)]) != lit {
		for j := 0; j < len(lit) && p.src[p.i] == lit[j]; j++ {
			p.i++ // to the first byte that differs, or the end
			if p.i == len(p.src) {
				break
			}
		}
		return p.errorf("in literal " + lit)
	}
	p.i += len(lit)
	return nil
}

// number scans a number, which stays as it is.
func (p *redactor) number() error {
	if p.next() == '-' {
		p.i++
	}
	switch c := p.next(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return p.errorf("in numeric literal")
	}
	if p.next() == '.' {
		p.i++
		if c := p.next(); c < '0' || c > '9' {
			return p.errorf("after decimal point in numeric literal")
		}
		p.digits()
	}
	if c := p.next(); c == 'e' || c == 'E' {
		p.i++
		if c := p.next(); c == '+' || c == '-' {
			p.i++
		}
		if c := p.next(); c < '0' || c > '9' {
			return p.errorf("in exponent of numeric literal")
		}
		p.digits()
	}
	return nil
}

func (p *redactor) digits() {
	for p.i < len(p.src) && '0' <= p.src[p.i] && p.src[p.i] <= '9' {
		p.i++
	}
}

// str scans the string at i and returns its contents as written: the
// source's bytes when they are already in canonical form, else the
// canonical form appended to dst (not while hiding, when the result
// only serves to check the string).
func (p *redactor) str() ([]byte, error) {
	start := p.i
	p.i++ // "
	canonical := true
	for {
		for p.i < len(p.src) && plain[p.src[p.i]] {
			p.i++
		}
		if p.i >= len(p.src) {
			return nil, p.errorf("in string literal")
		}
		switch c := p.src[p.i]; {
		case c == '"':
			p.i++
			if canonical || p.hide > 0 {
				return p.src[start+1 : p.i-1], nil
			}
			p.flush(start)
			n := len(p.dst)
			p.dst = appendCanonical(p.dst, p.src[start+1:p.i-1])
			p.mark = p.i
			return p.dst[n+1 : len(p.dst)-1], nil
		case c == '\\':
			if err := p.escape(); err != nil {
				return nil, err
			}
			canonical = false
		case c < ' ':
			return nil, p.errorf("in string literal")
		default: // not ASCII
			r, size := utf8.DecodeRune(p.src[p.i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				canonical = false
			}
			p.i += size
		}
	}
}

// plain marks the bytes a string holds as they are in canonical form:
// printable ASCII but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape checks the escape sequence at i and moves past it.
func (p *redactor) escape() error {
	p.i++ // \
	switch p.next() {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.i++
		return nil
	case 'u':
		p.i++
		for range 4 {
			if !isHex(p.next()) {
				return p.errorf("in \\u hexadecimal character escape")
			}
			p.i++
		}
		return nil
	}
	return p.errorf("in string escape code")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// appendCanonical appends the contents s of a well-formed JSON string in
// the form encoding/json gives the string it decodes to: decoded as
// encoding/json decodes (invalid UTF-8 and lone surrogates are U+FFFD),
// and encoded as it encodes without HTML escaping.
func appendCanonical(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		var r rune
		switch c := s[i]; {
		case c == '\\' && s[i+1] == 'u':
			r = hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
		case c == '\\':
			r = rune(unescaped[s[i+1]])
			i += 2
		case c < utf8.RuneSelf:
			r = rune(c)
			i++
		default:
			var size int
			r, size = utf8.DecodeRune(s[i:])
			i += size
		}
		dst = appendRune(dst, r)
	}
	return append(dst, '"')
}

// unescaped maps the byte after '\\' in a short escape to what it stands for.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 decodes four hexadecimal digits, which the scan has checked.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendRune appends r as encoding/json writes it in a string without
// HTML escaping.
func appendRune(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch r {
	case '"', '\\':
		return append(dst, '\\', byte(r))
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\u2028', '\u2029':
		return append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
	}
	if r < ' ' {
		return append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
	}
	return utf8.AppendRune(dst, r)
}

// appendString appends s as a JSON string, as encoding/json writes it
// without HTML escaping.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendRune(dst, rune(c))
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = appendRune(dst, r)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
