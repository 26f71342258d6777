package awscli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the type of a Shape.
type Kind uint8

const (
	Structure Kind = iota + 1
	List
	String
	Integer
	Boolean
)

// Shape is the part of a botocore input model that the aws CLI reads and
// checks parameters with.
type Shape struct {
	Kind     Kind
	Members  []Member // Structure, in the model's order
	Required []string // Structure
	Elem     *Shape   // List
	// Min is the least length of a String or List, or the least value of
	// an Integer; 0 means none.
	Min int
}

// Member is one member of a Structure.
type Member struct {
	Name  string
	Shape *Shape
}

func (s *Shape) member(name string) *Shape {
	for _, m := range s.Members {
		if m.Name == name {
			return m.Shape
		}
	}
	return nil
}

// ValidationError is botocore's client-side ParamValidationError: every
// problem found, one per line.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "Parameter validation failed:\n" + strings.Join(e.Problems, "\n")
}

// Validate checks parameters against a shape as botocore does before it
// sends a request: types, required and unknown members, least lengths and
// values. It returns a *ValidationError listing every problem, or nil.
func Validate(v any, s *Shape) error {
	var problems []string
	validate(v, s, "", &problems)
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

func validate(v any, s *Shape, name string, problems *[]string) {
	report := func(format string, args ...any) { *problems = append(*problems, fmt.Sprintf(format, args...)) }
	display := strings.TrimPrefix(name, ".")
	if display == "" {
		display = "input"
	}
	badType := func(valid string) {
		report("Invalid type for parameter %s, value: %s, type: %s, valid types: %s", display, str(v), pyType(v), valid)
	}
	switch s.Kind {
	case Structure:
		o, ok := v.(*Object)
		if !ok {
			badType("<class 'dict'>")
			return
		}
		for _, r := range s.Required {
			if _, ok := o.Get(r); !ok {
				report("Missing required parameter in %s: \"%s\"", display, r)
			}
		}
		names := make([]string, len(s.Members))
		for i, m := range s.Members {
			names[i] = m.Name
		}
		var known []string
		for _, k := range o.Keys {
			if s.member(k) == nil {
				report("Unknown parameter in %s: \"%s\", must be one of: %s", display, k, strings.Join(names, ", "))
				continue
			}
			known = append(known, k)
		}
		for _, k := range known {
			validate(o.Values[k], s.member(k), name+"."+k, problems)
		}
	case List:
		l, ok := v.([]any)
		if !ok {
			badType("<class 'list'>, <class 'tuple'>")
			return
		}
		if len(l) < s.Min {
			report("Invalid length for parameter %s, value: %d, valid min length: %d", display, len(l), s.Min)
		}
		for i, e := range l {
			validate(e, s.Elem, fmt.Sprintf("%s[%d]", name, i), problems)
		}
	case String:
		str, ok := v.(string)
		if !ok {
			badType("<class 'str'>")
			return
		}
		if n := len([]rune(str)); n < s.Min {
			report("Invalid length for parameter %s, value: %d, valid min length: %d", display, n, s.Min)
		}
	case Integer:
		n, ok := integer(v)
		if !ok {
			badType("<class 'int'>")
			return
		}
		if s.Min > 0 && n < int64(s.Min) {
			report("Invalid value for parameter %s, value: %d, valid min value: %d", display, n, s.Min)
		}
	case Boolean:
		if _, ok := v.(bool); !ok {
			badType("<class 'bool'>")
		}
	}
}

// integer reads an int as Python's isinstance(v, int) sees one (booleans
// included).
func integer(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		return n, err == nil
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// ApplyShorthand adjusts a parsed shorthand value to its shape, as the aws
// CLI's BackCompatVisitor does: a single value where the shape wants a list
// becomes a one-element list, and strings become the integers and booleans
// the shape wants.
func ApplyShorthand(v any, s *Shape) (any, error) {
	switch s.Kind {
	case Structure:
		o, ok := v.(*Object)
		if !ok {
			return v, nil
		}
		for _, k := range o.Keys {
			ms := s.member(k)
			if ms == nil {
				continue
			}
			nv, err := ApplyShorthand(o.Values[k], ms)
			if err != nil {
				return nil, err
			}
			o.Values[k] = nv
		}
		return o, nil
	case List:
		l, ok := v.([]any)
		if !ok {
			if v == nil {
				return nil, nil
			}
			l = []any{v}
		}
		for i := range l {
			nv, err := ApplyShorthand(l[i], s.Elem)
			if err != nil {
				return nil, err
			}
			l[i] = nv
		}
		return l, nil
	case Integer:
		if str, ok := v.(string); ok {
			if _, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64); err != nil {
				return nil, fmt.Errorf("invalid literal for int() with base 10: %s", pyQuote(str))
			}
			return json.Number(strings.TrimSpace(str)), nil
		}
	case Boolean:
		if str, ok := v.(string); ok {
			switch strings.ToLower(str) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	}
	return v, nil
}
