package lint

import (
	"fmt"
	"strings"
)

// Severity is how bad a finding is: Access Analyzer's four findingType
// values.
type Severity uint8

const (
	Suggestion      Severity = iota + 1 // the policy works, but could be simpler
	Warning                             // the policy may not do what its author meant
	SecurityWarning                     // the policy may grant more than meant
	Error                               // IAM refuses the policy, or part of it can never work
)

func (s Severity) String() string {
	switch s {
	case Suggestion:
		return "SUGGESTION"
	case Warning:
		return "WARNING"
	case SecurityWarning:
		return "SECURITY_WARNING"
	case Error:
		return "ERROR"
	}
	return "UNKNOWN"
}

// MarshalText writes the severity as Access Analyzer names it.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Suggestion || s > Error {
		return nil, fmt.Errorf("invalid severity %d", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads ERROR, SECURITY_WARNING, WARNING or SUGGESTION.
func (s *Severity) UnmarshalText(b []byte) error {
	for v := Suggestion; v <= Error; v++ {
		if strings.EqualFold(string(b), v.String()) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("invalid severity %q", b)
}

// Finding is one thing a linter has to say about a policy document.
type Finding struct {
	Severity Severity `json:"severity"`
	// Code is Access Analyzer's issue code (JSON_SYNTAX_ERROR,
	// MISSING_VERSION, ...) or, for the Session Manager checks no other
	// tool has, one of sesame's, which start with SSM_.
	Code    string `json:"code"`
	Message string `json:"message"`
	// Path is the JSON path of the element, e.g.
	// Statement[0].Condition.StringEquals.aws:ResourceTag/TAG2; empty for
	// the document as a whole.
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Fix says how to repair the policy, when there is one obvious way.
	Fix string `json:"fix,omitempty"`
}

// String formats the finding as LINE:COL: SEVERITY CODE: message (at PATH).
func (f Finding) String() string {
	s := fmt.Sprintf("%d:%d: %s %s: %s", f.Line, f.Column, f.Severity, f.Code, f.Message)
	if f.Path != "" {
		s += " (at " + f.Path + ")"
	}
	return s
}
