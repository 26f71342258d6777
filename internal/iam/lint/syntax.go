package lint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// syntax turns the problems the parser found into ERROR findings, with a
// fix where the problem says what it is. A run of characters IAM does not
// allow, side by side in one string (a placeholder such as <アカウントID>
// pasted from a web page), is one finding rather than one per character.
func (l *linter) syntax(problems []*iam.Problem) {
	for i := 0; i < len(problems); i++ {
		p := problems[i]
		f := at(Finding{Severity: Error, Code: p.Code, Message: p.Msg}, p.Pos, p.Path)
		if r, ok := badChar(p); ok {
			run := []rune{r}
			for i+1 < len(problems) {
				q := problems[i+1]
				r2, ok := badChar(q)
				if !ok || q.Path != p.Path || q.Pos.Line != p.Pos.Line || q.Pos.Col != p.Pos.Col+len(run) {
					break
				}
				run = append(run, r2)
				i++
			}
			if len(run) > 1 {
				f.Message = fmt.Sprintf("characters %q are not allowed in a policy document (only TAB, LF, CR and U+0020 to U+00FF)", string(run))
			}
			f.Fix = "replace them with the value they stand for (an account id, a name), or with ASCII text"
		}
		switch {
		case p.Code == "JSON_SYNTAX_ERROR":
			f.Fix = jsonFix(p.Msg, f.Fix)
		case p.Code == "INVALID_CONDITION_OPERATOR":
			f = operatorFinding(f)
		}
		l.add(f)
	}
}

// badChar reads the problem the parser reports for a character IAM does
// not allow, written as itself: `character 'ア' (U+30A2) is not allowed`.
func badChar(p *iam.Problem) (rune, bool) {
	rest, ok := strings.CutPrefix(p.Msg, "character '")
	if p.Code != "JSON_SYNTAX_ERROR" || !ok {
		return 0, false
	}
	q, _, ok := strings.Cut(rest, " (U+")
	if !ok {
		return 0, false
	}
	s, err := strconv.Unquote("'" + q)
	if err != nil {
		return 0, false
	}
	r := []rune(s)
	return r[0], len(r) == 1
}

// jsonFix says how to repair a JSON syntax error when the message names a
// common mistake.
func jsonFix(msg, fix string) string {
	switch {
	case strings.HasPrefix(msg, "trailing comma"):
		return "remove the comma: JSON allows none after the last element"
	case strings.HasPrefix(msg, "duplicate key"):
		return "remove or rename one of the two: IAM refuses duplicate keys, and other parsers silently keep only one"
	case strings.HasPrefix(msg, "unexpected '{', expected a quoted member name"),
		strings.HasPrefix(msg, "unexpected '[', expected a quoted member name"):
		return "a closing '}' is probably missing above: the object before this point ends one level too early, so this value is read as a member name"
	case strings.HasPrefix(msg, `control character '\n'`), strings.HasPrefix(msg, `control character '\r'`):
		return "remove the line break: a JSON string cannot span lines (text copied from a web page often has them)"
	case strings.Contains(msg, "is a closing brace missing?"), strings.Contains(msg, "is a closing bracket missing?"):
		return "count the opening and closing braces and brackets: one is not closed"
	}
	return fix
}

// operatorFinding refines an invalid-operator finding: Null with IfExists
// has its own Access Analyzer code, and a misspelt name gets the right
// one as its fix.
func operatorFinding(f Finding) Finding {
	name := f.Path[strings.LastIndexByte(f.Path, '.')+1:]
	if i := strings.Index(f.Path, ".Condition."); i >= 0 {
		name = f.Path[i+len(".Condition."):]
	}
	if s := suggestOperator(name); s != "" {
		f.Fix = fmt.Sprintf("write %s (operator names are case-sensitive)", s)
		if strings.EqualFold(name, s+"IfExists") || strings.HasSuffix(strings.ToLower(name), "nullifexists") {
			f.Code = "NULL_WITH_IF_EXISTS"
			f.Fix = fmt.Sprintf("write %s: Null tests whether the key exists, so IfExists has no meaning", s)
		}
	}
	return f
}

// suggestOperator returns the valid operator name closest to name (the
// same letters in another case, ForAnyValues: for ForAnyValue:, Null
// without IfExists), or "".
func suggestOperator(name string) string {
	qual, rest, hasQual := strings.Cut(name, ":")
	if !hasQual {
		qual, rest = "", name
	}
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(qual, "s"), "S")) {
	case "":
	case "forallvalue":
		qual = "ForAllValues:"
	case "foranyvalue":
		qual = "ForAnyValue:"
	default:
		return ""
	}
	ifExists := ""
	if len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		rest, ifExists = rest[:len(rest)-len("IfExists")], "IfExists"
	}
	for _, base := range iam.OperatorNames() {
		if !strings.EqualFold(base, rest) {
			continue
		}
		if base == "Null" {
			ifExists = ""
		}
		s := qual + base + ifExists
		if _, err := iam.ParseOperator(s); err == nil && s != name {
			return s
		}
	}
	return ""
}
