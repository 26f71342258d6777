package simulate

import (
	"sort"
	"unicode/utf8"

	"github.com/sesame-sh/sesame/internal/iam"
)

// span is where AWS says a statement starts and ends.
type span struct {
	start, end Position
}

// statementSpans returns the span of every statement of a document, as
// AWS's simulator reports it. AWS's positions are those of a streaming JSON
// parser after it has read a token (line and column from 1, columns in
// characters):
//
//   - EndPosition is just past the statement's closing brace.
//   - StartPosition, in a Statement array, is just past the token before
//     the statement: the array's '[' for the first statement, the previous
//     statement's closing brace for the others (so the span of a later
//     statement starts with the comma that separates them). For a single
//     statement object ("Statement": {...}), it is just past its opening
//     brace.
//
// The rule reproduces every AWS response seen: the aws CLI's own example
// ("Statement":{...} on one line: 1:38 to 1:167), AdministratorAccess
// (3:17 to 8:6), a two-statement bucket policy (1:38 to 1:248 and 1:248 to
// 1:470) and a one-statement role policy (1:41 to 1:180).
func statementSpans(src string, doc *iam.Document) []span {
	lines := lineStarts(src)
	out := make([]span, len(doc.Statements))
	for i := range doc.Statements {
		open := offsetOf(src, lines, doc.Statements[i].Pos)
		if open < 0 || open >= len(src) || src[open] != '{' {
			continue // cannot happen for a document the engine parsed
		}
		sp := span{start: after(src, lines, open)}
		if k := skipBack(src, open-1); k >= 0 {
			switch src[k] {
			case '[':
				sp.start = after(src, lines, k)
			case ',':
				if j := skipBack(src, k-1); j >= 0 && src[j] == '}' {
					sp.start = after(src, lines, j)
				}
			}
		}
		if end := closing(src, open); end >= 0 {
			sp.end = after(src, lines, end)
		}
		out[i] = sp
	}
	return out
}

// lineStarts returns the byte offset of every line. Lines end at '\n', as
// the engine counts them.
func lineStarts(src string) []int {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offsetOf returns the byte offset of a position, -1 if it is outside src.
func offsetOf(src string, lines []int, p iam.Pos) int {
	if p.Line < 1 || p.Line > len(lines) || p.Col < 1 {
		return -1
	}
	off := lines[p.Line-1]
	for col := 1; col < p.Col; col++ {
		if off >= len(src) || src[off] == '\n' {
			return -1
		}
		_, w := utf8.DecodeRuneInString(src[off:])
		off += w
	}
	return off
}

// after returns the position just past the one-byte token at off.
func after(src string, lines []int, off int) Position {
	line := sort.Search(len(lines), func(i int) bool { return lines[i] > off })
	return Position{Line: line, Column: utf8.RuneCountInString(src[lines[line-1]:off]) + 2}
}

// skipBack returns the offset of the last non-whitespace byte at or before
// off, -1 if there is none.
func skipBack(src string, off int) int {
	for ; off >= 0; off-- {
		switch src[off] {
		case ' ', '\t', '\r', '\n':
		default:
			return off
		}
	}
	return -1
}

// closing returns the offset of the brace that closes the object opening
// at open, -1 if it is unclosed.
func closing(src string, open int) int {
	depth := 0
	for i := open; i < len(src); i++ {
		switch src[i] {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
