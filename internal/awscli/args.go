package awscli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Option is one command-line option of an aws CLI command.
type Option struct {
	Name string // without the leading --
	// Values is how many values the option takes: One, Many (one or more,
	// up to the next option, like argparse's nargs='+'), None (a flag) or
	// Maybe (zero or one).
	Values Arity
}

// Arity is how many values an Option takes.
type Arity uint8

const (
	One Arity = iota
	Many
	None
	Maybe
)

// UsageError is a command line the argument parser refuses (exit status 2
// in the aws CLI).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// UnknownOptionsError lists what the parser did not recognise (exit status
// 255 in the aws CLI).
type UnknownOptionsError struct{ Args []string }

func (e *UnknownOptionsError) Error() string {
	return "Unknown options: " + strings.Join(e.Args, ", ")
}

// Args is a parsed command line: each option given, with its values. An
// option given twice keeps its last values, as argparse does.
type Args map[string][]string

// ParseArgs splits a command line as the aws CLI's argparse does: --name
// value, --name=value, and for Many options every value up to the next
// option. A value that starts with "-" is an option unless it is a
// negative number or holds a space.
func ParseArgs(argv []string, opts []Option) (Args, error) {
	byName := map[string]Option{}
	for _, o := range opts {
		byName[o.Name] = o
	}
	out := Args{}
	var unknown []string
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		if !isOption(arg) {
			unknown = append(unknown, arg)
			continue
		}
		name, explicit, hasExplicit := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		o, ok := byName[name]
		if !ok || !strings.HasPrefix(arg, "--") {
			unknown = append(unknown, arg)
			continue
		}
		var vals []string
		switch {
		case hasExplicit && o.Values == None:
			return nil, &UsageError{fmt.Sprintf("argument --%s: ignored explicit argument '%s'", name, explicit)}
		case hasExplicit:
			vals = []string{explicit}
		case o.Values == None:
		default:
			for i+1 < len(argv) && !isOption(argv[i+1]) {
				i++
				vals = append(vals, argv[i])
				if o.Values != Many {
					break
				}
			}
			if len(vals) == 0 && o.Values != Maybe {
				msg := "expected one argument"
				if o.Values == Many {
					msg = "expected at least one argument"
				}
				return nil, &UsageError{fmt.Sprintf("argument --%s: %s", name, msg)}
			}
		}
		out[name] = vals
	}
	if len(unknown) > 0 {
		return nil, &UnknownOptionsError{Args: unknown}
	}
	return out, nil
}

// isOption reports whether argparse reads arg as an option.
func isOption(arg string) bool {
	if len(arg) < 2 || arg[0] != '-' || strings.Contains(arg, " ") {
		return false
	}
	rest := strings.TrimPrefix(arg[1:], "-")
	if rest == "" {
		return arg == "--"
	}
	// A negative number is a value.
	if isNumber(arg[1:]) {
		return false
	}
	return true
}

func isNumber(s string) bool {
	digits, dot := 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// LoadParam returns the contents of a parameter written file://PATH (text:
// valid UTF-8, line ends read as "\n") or fileb://PATH (the bytes as they
// are), and whether the value was one. PATH may start with ~ and hold
// $VARIABLES; a relative PATH is read from the working directory.
func LoadParam(value string) (string, bool, error) {
	var path string
	binary := false
	switch {
	case strings.HasPrefix(value, "file://"):
		path = value[len("file://"):]
	case strings.HasPrefix(value, "fileb://"):
		path, binary = value[len("fileb://"):], true
	default:
		return "", false, nil
	}
	path = expandUser(os.Expand(path, func(k string) string {
		if v, ok := os.LookupEnv(k); ok {
			return v
		}
		return "$" + k
	}))
	data, err := os.ReadFile(path)
	if err != nil {
		return "", true, fmt.Errorf("Unable to load paramfile %s: %v", value, err)
	}
	if binary {
		return string(data), true, nil
	}
	if !utf8.Valid(data) {
		return "", true, fmt.Errorf("Unable to load paramfile (%s), text contents could not be decoded.  If this is a binary file, please use the fileb:// prefix instead of the file:// prefix.", path)
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n"), true, nil
}

func expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

// Resolve is the Resolver the aws CLI uses for key@=value: file:// and
// fileb:// values are read, others kept.
func Resolve(value string) (string, error) {
	s, ok, err := LoadParam(value)
	if !ok {
		return value, err
	}
	return s, err
}
