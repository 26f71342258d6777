package simulate

import (
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// buildContext turns the request's context entries into the engine's
// context: a list type makes a multivalued key, any other type a
// single-valued one. Every value must read as its type. An entry without a
// type is a string, or a string list when it has several values.
func buildContext(entries []ContextEntry) (*iam.Context, *Error) {
	ctx := &iam.Context{}
	seen := map[string]bool{}
	for _, e := range entries {
		lower := strings.ToLower(e.ContextKeyName)
		if seen[lower] {
			return nil, invalidInput("Context key %s is given more than once (key names ignore case).", e.ContextKeyName)
		}
		seen[lower] = true
		t := e.ContextKeyType
		if t == "" {
			t = KeyString
			if len(e.ContextKeyValues) != 1 {
				t = KeyStringList
			}
		}
		for _, v := range e.ContextKeyValues {
			if !valueOK(t.base(), v) {
				return nil, invalidInput("Context key %s: value %q is not a valid %s.", e.ContextKeyName, v, t.base())
			}
		}
		if t.List() {
			ctx.SetMulti(e.ContextKeyName, e.ContextKeyValues)
			continue
		}
		if len(e.ContextKeyValues) != 1 {
			return nil, invalidInput("Context key %s has %d values; a key of type %s takes exactly one (use %sList for several).", e.ContextKeyName, len(e.ContextKeyValues), t, t)
		}
		ctx.Set(e.ContextKeyName, e.ContextKeyValues[0])
	}
	return ctx, nil
}

// valueOK reports whether v reads as a value of type t, as the condition
// operators of its family read it.
func valueOK(t KeyType, v string) bool {
	switch t {
	case KeyNumeric:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case KeyBoolean:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case KeyIP:
		if strings.Contains(v, "/") {
			_, err := netip.ParsePrefix(v)
			return err == nil
		}
		_, err := netip.ParseAddr(v)
		return err == nil
	case KeyBinary:
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	case KeyDate:
		_, ok := iam.ParseDate(v)
		return ok
	}
	return true
}
