package shell

import (
	"errors"
	"strings"
)

// Split splits a command line into words as a POSIX shell would,
// without expanding anything: blanks separate words, single quotes keep
// everything literal, double quotes keep everything but \" \\ \$ \` and
// an escaped newline, a backslash outside quotes escapes the next
// character, and # at the start of a word starts a comment. AWS's agent
// splits NonInteractiveCommands this way and runs the words directly.
func Split(s string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // inside a word (possibly an empty quoted one)
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		case c == '#' && !in:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("command ends with an unescaped backslash")
			}
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				in = true
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("command has an unterminated single quote")
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
			in = true
		case c == '"':
			j, err := doubleQuoted(s, i+1, &word)
			if err != nil {
				return nil, err
			}
			i = j
			in = true
		default:
			word.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, word.String())
	}
	return words, nil
}

// doubleQuoted copies the double-quoted text starting at s[i] into w and
// returns the index of the closing quote.
func doubleQuoted(s string, i int, w *strings.Builder) (int, error) {
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					w.WriteByte(s[i])
				}
				continue
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New("command has an unterminated double quote")
}
