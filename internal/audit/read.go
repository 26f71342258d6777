package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Denied, as Filter.Decision, selects both kinds of denial.
const Denied = "denied"

// maxLine is the longest line the reader accepts; longer ones are skipped
// with a LineError.
const maxLine = 16 << 20

// Filter selects records. The zero Filter selects every record; each set
// field narrows the selection.
type Filter struct {
	Since time.Time // records at or after; zero: no lower bound
	Until time.Time // records before; zero: no upper bound
	// User is matched, without regard to case, as a substring of the
	// caller's ARN, user name, principal id, access key id and session
	// issuer ARN.
	User        string
	EventName   string // StartSession; case-insensitive
	EventSource string // ssm.amazonaws.com, or just ssm
	Decision    string // Allowed, ImplicitDeny, ExplicitDeny, or Denied for either
	ErrorCode   string // AccessDenied, ...
	SourceIP    string // an address, or a CIDR prefix such as 10.0.0.0/8
	Limit       int    // at most this many records; zero: all
}

// LineError is a line of the log that is not a record. Query and Tail
// yield it and go on with the next line if the caller goes on.
type LineError struct {
	File   string
	Offset int64 // of the line's first byte
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s at byte %d: %v", e.File, e.Offset, e.Err)
}
func (e *LineError) Unwrap() error { return e.Err }

// Query yields the records of the log at path that match f, oldest first:
// the rotated files (path.N, ..., path.1) and then path itself. A line
// that is not a record yields a *LineError, and iteration goes on if the
// caller continues; any other error ends it. An incomplete last line (a
// record being written, or cut short by a crash) is left out without an
// error. A log with no file at all yields an error that wraps
// fs.ErrNotExist.
//
// Query reads the files as they are when it reaches them; a rotation while
// it runs can make it miss or repeat records.
func Query(ctx context.Context, path string, f Filter) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		match, err := f.compile()
		if err != nil {
			yield(nil, err)
			return
		}
		files, err := logFiles(path)
		if err != nil {
			yield(nil, fmt.Errorf("audit: %w", err))
			return
		}
		if len(files) == 0 {
			yield(nil, fmt.Errorf("audit: no log at %s: %w", path, fs.ErrNotExist))
			return
		}
		n := 0
		for _, name := range files {
			for r, err := range readFile(ctx, name) {
				if err != nil {
					var le *LineError
					if !yield(nil, err) || !errors.As(err, &le) {
						return
					}
					continue
				}
				if !match(r) {
					continue
				}
				if !yield(r, nil) {
					return
				}
				if n++; f.Limit > 0 && n >= f.Limit {
					return
				}
			}
		}
	}
}

// readFile yields the records of one file from its start. A file that has
// gone (rotated away under retention) yields nothing.
func readFile(ctx context.Context, name string) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		fh, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			yield(nil, fmt.Errorf("audit: %w", err))
			return
		}
		defer fh.Close()
		scan(ctx, fh, name, 0, yield)
	}
}

// scan yields the records of the lines read from r, whose first byte is
// at offset off of file name, and returns the offset just past what it
// consumed, and false if the caller stopped or an error ended the scan. A
// last line without its newline is consumed only if it is a whole record
// (a record whose newline a crash cut off); otherwise it is left for a
// later scan (a record being written, or one torn by a crash).
func scan(ctx context.Context, r io.Reader, name string, off int64, yield func(*Record, error) bool) (int64, bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return off, false
		}
		line, n, complete, err := readLine(br)
		if err != nil {
			if !errors.Is(err, errLineTooLong) {
				yield(nil, fmt.Errorf("audit: %s: %w", name, err))
				return off, false
			}
			if !yield(nil, &LineError{name, off, err}) {
				return off + n, false
			}
			off += n
			continue
		}
		if n == 0 {
			return off, true
		}
		rec, derr := decodeLine(line)
		switch {
		case derr == nil:
			if !yield(rec, nil) {
				return off + n, false
			}
		case !complete:
			return off, true
		case !isBlank(line):
			if !yield(nil, &LineError{name, off, derr}) {
				return off + n, false
			}
		}
		off += n
		if !complete {
			return off, true
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line and returns it without its newline, with n the
// bytes consumed. complete is false for a last line without a newline; n
// is 0 at the end of the input. A line longer than maxLine is consumed and
// reported as errLineTooLong.
func readLine(br *bufio.Reader) (line []byte, n int64, complete bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if len(line)+len(chunk) > maxLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				n += int64(len(chunk))
			}
			if err != nil && err != io.EOF {
				return nil, n, false, err
			}
			return nil, n, err == nil, errLineTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line[:len(line)-1], n, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			return line, n, false, nil
		default:
			return nil, n, false, err
		}
	}
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// decodeLine decodes one line as a record. Numbers in the parameters stay
// exact (json.Number).
func decodeLine(line []byte) (*Record, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	r := new(Record)
	if err := d.Decode(r); err != nil {
		return nil, err
	}
	if d.InputOffset() != int64(len(line)) {
		return nil, errors.New("data after the record")
	}
	if r.EventVersion == "" || r.EventTime.IsZero() {
		return nil, errors.New("not an audit record: no eventVersion or eventTime")
	}
	return r, nil
}

// compile checks f and returns its predicate.
func (f Filter) compile() (func(*Record) bool, error) {
	switch f.Decision {
	case "", Allowed, ImplicitDeny, ExplicitDeny, Denied:
	default:
		return nil, fmt.Errorf("audit: decision %q: want %s, %s, %s or %s", f.Decision, Allowed, Denied, ImplicitDeny, ExplicitDeny)
	}
	var ip func(string) bool
	switch {
	case f.SourceIP == "":
	case strings.Contains(f.SourceIP, "/"):
		p, err := netip.ParsePrefix(f.SourceIP)
		if err != nil {
			return nil, fmt.Errorf("audit: source address: %w", err)
		}
		ip = func(s string) bool {
			a, err := netip.ParseAddr(s)
			return err == nil && p.Contains(a.Unmap())
		}
	default:
		ip = func(s string) bool { return s == f.SourceIP }
	}
	user := strings.ToLower(f.User)
	return func(r *Record) bool {
		switch {
		case !f.Since.IsZero() && r.EventTime.Before(f.Since),
			!f.Until.IsZero() && !r.EventTime.Before(f.Until),
			f.EventName != "" && !strings.EqualFold(r.EventName, f.EventName),
			f.EventSource != "" && !sourceIs(r.EventSource, f.EventSource),
			f.ErrorCode != "" && r.ErrorCode != f.ErrorCode,
			ip != nil && !ip(r.SourceIPAddress),
			user != "" && !userMatches(&r.UserIdentity, user):
			return false
		}
		return decisionIs(r.Decision(), f.Decision)
	}, nil
}

func sourceIs(source, want string) bool {
	return strings.EqualFold(source, want) || strings.EqualFold(source, want+".amazonaws.com")
}

func decisionIs(d, want string) bool {
	switch want {
	case "":
		return true
	case Denied:
		return d == ImplicitDeny || d == ExplicitDeny
	}
	return d == want
}

// userMatches reports whether lower (lowercased) is in one of u's names.
func userMatches(u *UserIdentity, lower string) bool {
	names := []string{u.ARN, u.UserName, u.PrincipalID, u.AccessKeyID}
	if u.SessionContext != nil && u.SessionContext.SessionIssuer != nil {
		names = append(names, u.SessionContext.SessionIssuer.ARN)
	}
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), lower) {
			return true
		}
	}
	return false
}
