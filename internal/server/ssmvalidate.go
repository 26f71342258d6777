package server

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-sh/sesame/internal/awsapi"
)

// violations collects the constraint violations of one SSM request and
// reports them as AWS does: "2 validation errors detected: Value 'x' at
// 'target' failed to satisfy constraint: Member must ...; Value ...".
// Paths are the members' names with a lowercase first letter, and list
// elements are "filters.1.member.key" (1-based), as in AWS's messages.
type violations struct {
	msgs []string
}

func (v *violations) add(value *string, path, constraint string) {
	val := "null"
	if value != nil {
		val = "'" + *value + "'"
	}
	v.msgs = append(v.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", val, path, constraint))
}

// err returns the ValidationException for the violations, or nil.
func (v *violations) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: %s", v.msgs[0])
	}
	return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))
}

// required reports a required member left out.
func (v *violations) required(path string, present bool) bool {
	if !present {
		v.add(nil, path, "Member must not be null")
	}
	return present
}

// str checks a string's length in characters (max < 0: no maximum) and,
// when p is not nil, its pattern. A nil s is an absent member.
func (v *violations) str(path string, s *string, min, max int, p *pattern) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < min {
		v.add(s, path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(s, path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	if p != nil && !p.re.MatchString(*s) {
		v.add(s, path, "Member must satisfy regular expression pattern: "+p.src)
	}
}

// enum checks that s is one of values.
func (v *violations) enum(path string, s *string, values ...string) {
	if s == nil {
		return
	}
	for _, x := range values {
		if *s == x {
			return
		}
	}
	v.add(s, path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

// intRange checks a number's bounds.
func (v *violations) intRange(path string, n *int32, min, max int32) {
	if n == nil {
		return
	}
	s := strconv.Itoa(int(*n))
	if *n < min {
		v.add(&s, path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *n > max {
		v.add(&s, path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// count checks a list's length.
func (v *violations) count(path string, n, min, max int) {
	s := fmt.Sprintf("[%d members]", n)
	if n < min {
		v.add(&s, path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(&s, path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// tags checks a TagList: at most max tags, keys 1-128 and values 0-256
// characters of AWS's tag alphabet.
func (v *violations) tags(path string, tags []ssmTag, max int) {
	if len(tags) > max {
		v.count(path, len(tags), 0, max)
	}
	for i, t := range tags {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		if v.required(p+".key", t.Key != nil) {
			v.str(p+".key", t.Key, 1, 128, patTag)
		}
		if v.required(p+".value", t.Value != nil) {
			v.str(p+".value", t.Value, 0, 256, patTag)
		}
	}
}

// pattern is one of the SSM model's patterns: AWS's text (quoted in
// messages) and the same expression compiled.
type pattern struct {
	src string
	re  *regexp.Regexp
}

func newPattern(src string) *pattern {
	return &pattern{src: src, re: regexp.MustCompile(src)}
}

// Patterns of the SSM API model.
var (
	patActivationID  = newPattern(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	patTag           = newPattern(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	patDefaultName   = patTag
	patDocumentName  = newPattern(`^[a-zA-Z0-9_\-.]{3,128}$`)
	patDocumentARN   = newPattern(`^[a-zA-Z0-9_\-.:/]{3,128}$`)
	patDocVersion    = newPattern(`([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)`)
	patDocVersionNum = newPattern(`(^[1-9][0-9]*$)`)
	patVersionName   = newPattern(`^[a-zA-Z0-9_\-.]{1,128}$`)
	patSessionReason = newPattern(`^.{1,256}$`)
	patTargetType    = newPattern(`^\/[\w\.\-\:\/]*$`)
	patDisplayName   = newPattern(`^[\w\.\-\:\/ ]*$`)
	patInstanceID    = newPattern(`(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)`)
	patAgentVersion  = newPattern(`^[0-9]{1,6}(\.[0-9]{1,6}){2,3}$`)
)

// ssmTag is a Tag of the SSM API. Its members are pointers so that a
// missing Key or Value can be told from an empty one.
type ssmTag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// epoch is a timestamp of AWS's JSON 1.1 protocol: seconds since the
// epoch, with a fraction.
type epoch time.Time

func (t epoch) IsZero() bool { return time.Time(t).IsZero() }

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

func (t *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return fmt.Errorf("invalid timestamp %s: expected seconds since the epoch", b)
	}
	sec, frac := math.Modf(f)
	*t = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// when returns the time of an optional timestamp member, or zero.
func (t *epoch) when() time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t)
}

// maxResults returns a request's MaxResults, or def when absent.
func maxResults(n *int32, def int) int {
	if n == nil {
		return def
	}
	return int(*n)
}
