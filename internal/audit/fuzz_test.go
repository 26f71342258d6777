package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzRead feeds arbitrary file contents to the reader: scan must never
// panic, yield a record only for a line that decodes, account for every
// byte it consumes, and lastLines (reading backwards) must find the same
// lines as a forward split.
func FuzzRead(f *testing.F) {
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice"},` +
		`"eventTime":"2024-05-01T12:00:01Z","eventSource":"ssm.amazonaws.com","eventName":"StartSession",` +
		`"requestParameters":{"target":"mi-0123456789abcdef0","n":12345678901234567890},"responseElements":null,` +
		`"additionalEventData":{"decision":"implicitDeny"},"eventID":"6ae6783f-4fbd-491b-aeb8-8b73a48ed247"}`
	for _, seed := range []string{
		"",
		rec + "\n",
		rec + "\n" + rec[:50],
		rec,
		rec + "\n\n  \n" + rec + "\n",
		"garbage\n" + rec + "\n{\n[]\nnull\n",
		rec[:len(rec)-1] + `,"eventTime":"not a time"}` + "\n",
		strings.Repeat("x", tailChunk+10) + "\n" + rec + "\n",
		"\n\n\n",
		`{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:01Z"}` + "\r\n",
	} {
		f.Add([]byte(seed), uint8(3), uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8, chunk uint16) {
		yield := func(r *Record, err error) bool {
			if (r == nil) == (err == nil) {
				t.Fatalf("yielded record %v and error %v", r, err)
			}
			var le *LineError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("yielded %v, not a LineError", err)
			}
			return true
		}
		end, ok := scan(context.Background(), bytes.NewReader(data), "fuzz", 0, yield)
		if !ok || end < 0 || end > int64(len(data)) {
			t.Fatalf("scan: end %d of %d, ok %v", end, len(data), ok)
		}
		if rest := data[end:]; bytes.IndexByte(rest, '\n') >= 0 {
			t.Fatalf("scan left whole lines unread: %q", rest)
		}

		want := lastN(splitLines(data, 0), int(n))
		got, err := readBack(bytes.NewReader(data), int64(len(data)), int(n), 1+int(chunk))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(span{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("lastLines(%d) (-forward +backward):\n%s", n, diff)
		}
		for _, s := range got {
			if !bytes.Equal(data[s.off:s.off+int64(len(s.b))], s.b) {
				t.Fatalf("span at %d is not the data there", s.off)
			}
			decodeLine(s.b)
		}
	})
}
