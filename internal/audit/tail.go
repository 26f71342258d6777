package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"slices"
	"time"
)

// Tail yields the last n records of the log at path, oldest first,
// reaching back into rotated files when the live one holds fewer. With
// poll nil it then ends. Otherwise it follows the log: on every receive
// from poll it yields the records appended since, moving on to the new
// file when the log was rotated (after draining the old one), until ctx is
// done, when it yields ctx.Err(). A log with no file yet is waited for
// when following, and otherwise yields an error that wraps fs.ErrNotExist.
//
// Lines that are not records yield a *LineError, as in Query (they count
// towards n). A rotation that happens twice between two polls skips the
// middle file.
func Tail(ctx context.Context, path string, n int, poll <-chan time.Time) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		t := &tailer{path: path, yield: yield}
		defer t.close()
		if !t.last(ctx, n, poll != nil) || poll == nil {
			return
		}
		for {
			select {
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			case <-poll:
			}
			if !t.poll(ctx) {
				return
			}
		}
	}
}

// tailer follows one log file.
type tailer struct {
	path  string
	yield func(*Record, error) bool
	f     *os.File    // the live file being followed; nil until it exists
	fi    os.FileInfo // f's identity, to notice a rotation
	off   int64       // offset in f of the first byte not yet consumed
}

func (t *tailer) close() {
	if t.f != nil {
		t.f.Close()
	}
}

// last yields the last n records and leaves t positioned after them. It
// returns false if iteration is over. A log with no file is an error
// unless following, which waits for it.
func (t *tailer) last(ctx context.Context, n int, following bool) bool {
	files, err := logFiles(t.path)
	if err != nil {
		return t.yield(nil, fmt.Errorf("audit: %w", err))
	}
	if len(files) == 0 && !following {
		return t.yield(nil, fmt.Errorf("audit: no log at %s: %w", t.path, fs.ErrNotExist))
	}
	if len(files) > 0 && files[len(files)-1] == t.path {
		if err := t.open(); err != nil {
			return t.yield(nil, err)
		}
	}
	// Collect the last lines newest file first, then yield oldest first.
	type fileLines struct {
		name  string
		lines []span
	}
	var picked []fileLines
	for _, name := range slices.Backward(files) {
		if n <= 0 {
			break
		}
		var lines []span
		if name == t.path && t.f != nil {
			lines, err = lastLines(t.f, t.fi.Size(), n)
		} else {
			lines, err = lastLinesOf(name, n)
		}
		if err != nil {
			return t.yield(nil, fmt.Errorf("audit: %w", err))
		}
		picked = append(picked, fileLines{name, lines})
		n -= len(lines)
	}
	for _, fl := range slices.Backward(picked) {
		for _, s := range fl.lines {
			if err := ctx.Err(); err != nil {
				return t.yield(nil, err)
			}
			r, err := decodeLine(s.b)
			switch {
			case err == nil:
				if !t.yield(r, nil) {
					return false
				}
			case s.complete:
				if !t.yield(nil, &LineError{fl.name, s.off, err}) {
					return false
				}
			}
		}
	}
	if t.f != nil {
		// Follow from the end, or from the start of a last line still
		// being written.
		t.off = t.fi.Size()
		ls, err := lastLines(t.f, t.off, 1)
		if err != nil {
			return t.yield(nil, fmt.Errorf("audit: %w", err))
		}
		if len(ls) == 1 && !ls[0].complete {
			if _, err := decodeLine(ls[0].b); err != nil {
				t.off = ls[0].off
			}
		}
	}
	return true
}

// poll yields what was appended to the log since the last poll, following
// a rotation. It returns false if iteration is over.
func (t *tailer) poll(ctx context.Context) bool {
	cur, statErr := os.Stat(t.path) // before draining f: whatever went into f before its rotation is read below
	if t.f != nil {
		if statErr == nil && os.SameFile(t.fi, cur) && cur.Size() < t.off {
			t.off = 0 // truncated in place: start again
		}
		var ok bool
		if t.off, ok = scan(ctx, io.NewSectionReader(t.f, t.off, 1<<62), t.f.Name(), t.off, t.yield); !ok {
			return false
		}
	}
	if statErr != nil || (t.f != nil && os.SameFile(t.fi, cur)) {
		return true // no log yet, or no rotation
	}
	t.close()
	t.f = nil
	if err := t.open(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true // renamed away and not yet made again
		}
		return t.yield(nil, err)
	}
	var ok bool
	t.off, ok = scan(ctx, io.NewSectionReader(t.f, 0, 1<<62), t.f.Name(), 0, t.yield)
	return ok
}

// open opens the live file and notes its identity.
func (t *tailer) open() error {
	f, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	t.f, t.fi, t.off = f, fi, 0
	return nil
}

// span is one line of a file: its offset, its bytes without the newline,
// and whether it had one.
type span struct {
	off      int64
	b        []byte
	complete bool
}

func lastLinesOf(name string, n int) ([]span, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // rotated away meanwhile
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return lastLines(f, fi.Size(), n)
}

// tailChunk is how much lastLines reads backwards at a time.
const tailChunk = 64 << 10

// lastLines returns the last n non-blank lines of the first size bytes of
// r, oldest first, reading backwards from the end. The last may lack its
// newline (complete false).
func lastLines(r io.ReaderAt, size int64, n int) ([]span, error) {
	return readBack(r, size, n, tailChunk)
}

// readBack is lastLines reading chunk bytes at a time. It splits what it
// has read only once it holds enough newlines, so reading back over many
// lines is linear.
func readBack(r io.ReaderAt, size int64, n, chunk int) ([]span, error) {
	if n <= 0 || size <= 0 {
		return nil, nil
	}
	var chunks [][]byte // newest first
	pos, newlines, want := size, 0, n
	for {
		k := min(int64(chunk), pos)
		pos -= k
		c := make([]byte, k)
		if _, err := r.ReadAt(c, pos); err != nil && err != io.EOF {
			return nil, err
		}
		chunks = append(chunks, c)
		if newlines += bytes.Count(c, []byte{'\n'}); newlines <= want && pos > 0 {
			continue
		}
		slices.Reverse(chunks)
		buf := bytes.Join(chunks, nil) // bytes [pos, size) of r
		chunks = [][]byte{buf}
		lines := splitLines(buf, pos)
		if pos == 0 {
			return lastN(lines, n), nil
		}
		// The first line may have started before pos: trust only those after it.
		if len(lines) > n {
			return lastN(lines[1:], n), nil
		}
		want = newlines + n + 1 - len(lines) // blank lines: read on
	}
}

// splitLines splits buf, which starts at offset base, into its non-blank
// lines.
func splitLines(buf []byte, base int64) []span {
	var lines []span
	for off := 0; off < len(buf); {
		end := bytes.IndexByte(buf[off:], '\n')
		complete := end >= 0
		if !complete {
			end = len(buf) - off
		}
		if line := buf[off : off+end]; !isBlank(line) {
			lines = append(lines, span{base + int64(off), line, complete})
		}
		off += end + 1
	}
	return lines
}

func lastN(lines []span, n int) []span {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
