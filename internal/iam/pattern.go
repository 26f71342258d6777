package iam

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pieceKind is what one piece of a compiled pattern matches.
type pieceKind uint8

const (
	pieceLit   pieceKind = iota // literal text
	pieceStar                   // any run of characters, also none
	pieceQmark                  // exactly one character
	pieceVar                    // the value of a policy variable, literally
)

type piece struct {
	kind   pieceKind
	text   string // literal text, or the lower-cased key of a variable
	def    string // default value of a variable
	hasDef bool
}

// pattern is a compiled policy string: literal text, wildcards and
// variables. Variables are resolved at match time so that compiled policies
// never change and matching allocates nothing.
type pattern struct {
	src    string
	pieces []piece
	vars   bool // holds at least one variable
	wild   bool // holds at least one wildcard
}

// compilePattern compiles s. wildcards makes * and ? wildcards; variables
// makes ${...} a policy variable (Version 2012-10-17 only).
func compilePattern(s string, wildcards, variables bool) pattern {
	p := pattern{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.pieces = append(p.pieces, piece{kind: pieceLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wildcards && c == '*':
			flush()
			if n := len(p.pieces); n == 0 || p.pieces[n-1].kind != pieceStar {
				p.pieces = append(p.pieces, piece{kind: pieceStar})
			}
			p.wild = true
			i++
		case wildcards && c == '?':
			flush()
			p.pieces = append(p.pieces, piece{kind: pieceQmark})
			p.wild = true
			i++
		case variables && c == '$' && strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				lit.WriteByte(c)
				i++
				continue
			}
			body := s[i+2 : i+end]
			i += end + 1
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			v, ok := parseVariable(body)
			if !ok {
				lit.WriteString("${" + body + "}")
				continue
			}
			flush()
			p.pieces = append(p.pieces, v)
			p.vars = true
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return p
}

// parseVariable reads the inside of ${...}: a key, optionally followed by
// ", 'default'".
func parseVariable(body string) (piece, bool) {
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '") {
		return piece{}, false
	}
	v := piece{kind: pieceVar, text: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return piece{}, false
		}
		v.def, v.hasDef = def[1:len(def)-1], true
	}
	return v, true
}

// resolve returns the value a variable piece stands for.
func (pc *piece) resolve(env *env) (string, bool) {
	if env != nil {
		if v, ok := env.get(pc.text); ok && !v.multi {
			return v.one, true
		}
	}
	if pc.hasDef {
		return pc.def, true
	}
	return "", false
}

// match reports whether s matches the pattern, comparing letters
// case-insensitively when fold is set. resolved is false when a variable
// had no value; the pattern then matches nothing.
func (p *pattern) match(s string, fold bool, env *env) (matched, resolved bool) {
	if len(p.pieces) == 1 && p.pieces[0].kind == pieceLit {
		return equal(p.pieces[0].text, s, fold), true
	}
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for {
		if pi < len(p.pieces) {
			pc := &p.pieces[pi]
			switch pc.kind {
			case pieceStar:
				starPi, starSi = pi, si
				pi++
				continue
			case pieceQmark:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					pi++
					continue
				}
			case pieceLit, pieceVar:
				text := pc.text
				if pc.kind == pieceVar {
					v, ok := pc.resolve(env)
					if !ok {
						return false, false
					}
					text = v
				}
				if n, ok := prefix(s[si:], text, fold); ok {
					si += n
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true, true
		}
		if starPi < 0 || starSi >= len(s) {
			return false, true
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		pi, si = starPi+1, starSi
	}
}

// prefix reports whether s starts with text, and the length in s.
func prefix(s, text string, fold bool) (int, bool) {
	if !fold {
		return len(text), strings.HasPrefix(s, text)
	}
	// ASCII fast path: most policy text is ASCII.
	i, j := 0, 0
	for j < len(text) && i < len(s) && text[j] < utf8.RuneSelf && s[i] < utf8.RuneSelf {
		if lowerASCII(text[j]) != lowerASCII(s[i]) {
			return 0, false
		}
		i++
		j++
	}
	if j == len(text) {
		return i, true
	}
	for _, r := range text[j:] {
		if i >= len(s) {
			return 0, false
		}
		c, w := utf8.DecodeRuneInString(s[i:])
		if c != r && unicode.ToLower(c) != unicode.ToLower(r) {
			return 0, false
		}
		i += w
	}
	return i, true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equal(a, b string, fold bool) bool {
	if !fold {
		return a == b
	}
	n, ok := prefix(b, a, true)
	return ok && n == len(b)
}

// literal returns the pattern's text when it is a fixed string: no
// wildcard, no variable.
func (p *pattern) literal() (string, bool) {
	if p.vars || p.wild {
		return "", false
	}
	if len(p.pieces) == 0 {
		return "", true
	}
	return p.pieces[0].text, true
}
