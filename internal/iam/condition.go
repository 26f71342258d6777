package iam

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// condition is one compiled condition: an operator applied to one key with
// its policy values. A statement's conditions are AND-ed.
type condition struct {
	op     operator
	key    string // lower-cased
	entry  *ConditionEntry
	values []condValue
}

// condValue is one policy value, typed for the operator's family. ok is
// false when the value cannot be read as that type; it then matches
// nothing.
type condValue struct {
	raw  string
	ok   bool
	pat  pattern    // string families
	arn  arnPattern // Arn family
	num  float64
	date time.Time
	flag bool
	ip   netip.Prefix
}

func compileCondition(e *ConditionEntry, variables bool) (condition, error) {
	op, err := parseOperator(e.Operator)
	if err != nil {
		return condition{}, err
	}
	c := condition{op: op, key: strings.ToLower(e.Key), entry: e}
	vars := variables && op.family.takesVariables()
	for _, v := range e.Values {
		c.values = append(c.values, compileCondValue(op.family, v.Text, vars))
	}
	return c, nil
}

func compileCondValue(f family, s string, vars bool) condValue {
	v := condValue{raw: s, ok: true}
	switch f {
	case famStringEquals, famStringEqualsIgnoreCase:
		v.pat = compilePattern(s, false, vars)
	case famStringLike:
		v.pat = compilePattern(s, true, vars)
	case famArnLike:
		v.arn = compileArnPattern(s, vars)
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		v.num, v.ok = parseNumber(s)
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		v.date, v.ok = ParseDate(s)
	case famBool, famNull:
		v.flag, v.ok = parseBool(s)
	case famBinaryEquals:
	case famIPAddress:
		v.ip, v.ok = parsePrefix(s)
	}
	return v
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// dateLayouts are the W3C profile of ISO 8601 that AWS accepts.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// ParseDate reads a date as the Date condition operators read policy
// values and request values such as aws:CurrentTime and aws:EpochTime: a
// whole number of seconds since the epoch, or a date in the W3C profile of
// ISO 8601: 2006, 2006-01, 2006-01-02, 2006-01-02T15:04 or
// 2006-01-02T15:04:05 (a fraction of a second may follow), the last two
// with or without a zone (Z or +hh:mm; none is UTC). ok is false when s
// is neither.
func ParseDate(s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) || (s[0] == '-' && isDigits(s[1:])) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parsePrefix reads a CIDR block; a bare address is /32 or /128.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// condResult is why a condition held or not, for explanations.
type condResult uint8

const (
	condMatched condResult = iota
	condNoMatch
	condKeyMissing       // positive operator, key absent
	condMultiUnqualified // multivalued key under an operator without ForAllValues/ForAnyValue
)

// eval reports whether the condition holds for the request.
func (c *condition) eval(env *env) (bool, condResult) {
	v, present := env.getKey(c.key, c.entry.Key)
	if c.op.family == famNull {
		// Null: "true" means the key is absent, "false" that it is present.
		// An empty multivalued key counts as absent.
		absent := !present || (v.multi && len(v.vals) == 0)
		for i := range c.values {
			if c.values[i].ok && c.values[i].flag == absent {
				return true, condMatched
			}
		}
		return false, condNoMatch
	}
	if !present || (c.op.set != setNone && v.multi && len(v.vals) == 0) {
		switch {
		case c.op.ifExists:
			return true, condMatched
		case c.op.set == setForAll:
			return true, condMatched
		case c.op.set == setForAny:
			return false, condKeyMissing
		case c.op.negated:
			return true, condMatched
		}
		return false, condKeyMissing
	}
	if !v.multi {
		// A single value; under a set operator it is a one-element set.
		if c.test(v.one, env) {
			return true, condMatched
		}
		return false, condNoMatch
	}
	switch c.op.set {
	case setForAll:
		for _, s := range v.vals {
			if !c.test(s, env) {
				return false, condNoMatch
			}
		}
		return true, condMatched
	case setForAny:
		for _, s := range v.vals {
			if c.test(s, env) {
				return true, condMatched
			}
		}
		return false, condNoMatch
	}
	return false, condMultiUnqualified
}

// test applies the operator to one request value: for a positive operator
// whether any policy value matches, for a negated one whether none does.
func (c *condition) test(v string, env *env) bool {
	any := false
	for i := range c.values {
		if c.values[i].ok && c.matchOne(&c.values[i], v, env) {
			any = true
			break
		}
	}
	return any != c.op.negated
}

// matchOne compares a request value with one policy value under the base
// (positive) operator. A variable without a value matches nothing, so a
// negated operator holds (AWS: inverted operators match a null value).
func (c *condition) matchOne(pv *condValue, v string, env *env) bool {
	switch f := c.op.family; f {
	case famStringEquals, famStringLike:
		ok, _ := pv.pat.match(v, false, env)
		return ok
	case famStringEqualsIgnoreCase:
		ok, _ := pv.pat.match(v, true, env)
		return ok
	case famArnLike:
		return pv.arn.match(v, env, false)
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		switch f {
		case famNumericEquals:
			return n == pv.num
		case famNumericLessThan:
			return n < pv.num
		case famNumericLessThanEquals:
			return n <= pv.num
		case famNumericGreaterThan:
			return n > pv.num
		default:
			return n >= pv.num
		}
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		d, ok := ParseDate(v)
		if !ok {
			return false
		}
		switch cmp := d.Compare(pv.date); f {
		case famDateEquals:
			return cmp == 0
		case famDateLessThan:
			return cmp < 0
		case famDateLessThanEquals:
			return cmp <= 0
		case famDateGreaterThan:
			return cmp > 0
		default:
			return cmp >= 0
		}
	case famBool:
		b, ok := parseBool(v)
		return ok && b == pv.flag
	case famBinaryEquals:
		return v == pv.raw
	case famIPAddress:
		a, err := netip.ParseAddr(v)
		return err == nil && pv.ip.Contains(a)
	}
	return false
}
