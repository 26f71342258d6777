package simulate

import (
	"sort"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// missingKeys merges the condition keys the engine found missing with the
// policy variables of the Resource elements of the statements it traced
// (the engine reports only the variables of conditions). Names are
// compared ignoring case and sorted.
func missingKeys(x *iam.Explanation, ctx *iam.Context) []string {
	seen := map[string]bool{}
	out := []string{}
	add := func(k string) {
		if l := strings.ToLower(k); !seen[l] {
			seen[l] = true
			out = append(out, k)
		}
	}
	for _, k := range x.MissingKeys {
		add(k)
	}
	for i := range x.Statements {
		tr := &x.Statements[i]
		p := tr.PolicyOf()
		if p == nil || p.Doc == nil || p.Doc.Version != iam.Version2012 || tr.Index >= len(p.Doc.Statements) {
			continue
		}
		for _, r := range p.Doc.Statements[tr.Index].Resource {
			for _, k := range resourceVariables(r.Text) {
				if _, _, ok := ctx.Get(k); !ok {
					add(k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// resourceVariables returns the keys of the policy variables in a Resource
// value that have no default, as the engine reads them: ${key} or
// ${key, 'default'}; ${*}, ${?} and ${$} are escapes; anything else
// between ${ and } is literal text.
func resourceVariables(s string) []string {
	var keys []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return keys
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return keys
		}
		body := s[i+2 : i+end]
		s = s[i+end+1:]
		if body == "*" || body == "?" || body == "$" {
			continue
		}
		key, _, hasDef := strings.Cut(body, ",")
		key = strings.TrimSpace(key)
		if key == "" || strings.ContainsAny(key, " '") {
			continue
		}
		if hasDef {
			continue // a default stands in for a missing key; a bad one is literal text
		}
		keys = append(keys, key)
	}
}
