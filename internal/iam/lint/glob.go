package lint

import (
	"strings"
	"unicode"
)

// Wildcard patterns compared with each other, for the redundancy and
// Session Manager checks. Matching a pattern against a fixed string is
// the engine's (iam.MatchWildcard); these answer questions about two
// patterns, soundly: true means certainly, false means not shown.

// covers reports whether every string matching specific also matches
// general. A * in general may stand for any run of specific's pieces,
// wildcards included; a ? for one piece that is not a *; a letter only
// for itself (ignoring case when fold is set).
func covers(general, specific string, fold bool) bool {
	g, s := []rune(general), []rune(specific)
	if fold {
		g, s = lowerRunes(g), lowerRunes(s)
	}
	// memo[i][j]: 0 unknown, 1 yes, 2 no.
	memo := make([][]uint8, len(g)+1)
	for i := range memo {
		memo[i] = make([]uint8, len(s)+1)
	}
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		if i == len(g) {
			return j == len(s)
		}
		if m := memo[i][j]; m != 0 {
			return m == 1
		}
		var ok bool
		switch g[i] {
		case '*':
			ok = walk(i+1, j) || (j < len(s) && walk(i, j+1))
		case '?':
			ok = j < len(s) && s[j] != '*' && walk(i+1, j+1)
		default:
			ok = j < len(s) && s[j] == g[i] && walk(i+1, j+1)
		}
		memo[i][j] = 2
		if ok {
			memo[i][j] = 1
		}
		return ok
	}
	return walk(0, 0)
}

func lowerRunes(r []rune) []rune {
	out := make([]rune, len(r))
	for i, c := range r {
		out[i] = unicode.ToLower(c)
	}
	return out
}

// canStartWith reports whether some string that matches pattern starts
// with prefix (and goes on).
func canStartWith(pattern, prefix string) bool {
	p, q := []rune(pattern), []rune(prefix)
	j := 0
	for _, c := range p {
		if j == len(q) {
			return true
		}
		switch c {
		case '*':
			return true
		case '?':
			j++
		default:
			if c != q[j] {
				return false
			}
			j++
		}
	}
	return false // the pattern ends at or before the end of the prefix: no name follows
}

// resourcePattern is a Resource element split as the engine matches it:
// partition, service, region and account field by field, then the
// resource part as one string.
type resourcePattern struct {
	text   string
	any    bool // "*"
	isARN  bool
	fields [5]string // arn, partition, service, region, account
	res    string
}

func parseResource(s string) resourcePattern {
	p := resourcePattern{text: s}
	if s == "*" {
		p.any = true
		return p
	}
	parts := strings.SplitN(s, ":", 6)
	if parts[0] != "arn" {
		p.res = s
		return p
	}
	p.isARN = true
	for i := range p.fields {
		p.fields[i] = "*"
		if i < len(parts) {
			p.fields[i] = parts[i]
		}
	}
	p.res = "*"
	if len(parts) == 6 {
		p.res = parts[5]
	}
	return p
}

func (p resourcePattern) partition() string { return p.fields[1] }
func (p resourcePattern) service() string   { return p.fields[2] }
func (p resourcePattern) region() string    { return p.fields[3] }
func (p resourcePattern) account() string   { return p.fields[4] }

// coversResource reports whether every resource specific matches is also
// matched by general.
func coversResource(general, specific resourcePattern) bool {
	switch {
	case general.any:
		return true
	case specific.any:
		return false
	case general.isARN != specific.isARN:
		return false
	case !general.isARN:
		return covers(general.res, specific.res, false)
	}
	for i := range general.fields {
		if !covers(general.fields[i], specific.fields[i], true) {
			return false
		}
	}
	return covers(general.res, specific.res, false)
}
