package awscli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// generic turns a parsed value into plain maps and slices for comparison.
func generic(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseShorthand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "v.txt")
	if err := os.WriteFile(file, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		want     string // JSON, or "" when err is set
		err      string
	}{
		{"one key", "a=b", `{"a":"b"}`, ""},
		{"context entry", "ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip",
			`{"ContextKeyName":"aws:SourceIp","ContextKeyValues":"10.0.0.1","ContextKeyType":"ip"}`, ""},
		{"list until the next key", "ContextKeyName=aws:TagKeys,ContextKeyValues=Env,Team,ContextKeyType=stringList",
			`{"ContextKeyName":"aws:TagKeys","ContextKeyValues":["Env","Team"],"ContextKeyType":"stringList"}`, ""},
		{"quoted values", `ContextKeyName='aws:CurrentTime',ContextKeyValues="2019-04-25T11:00:00Z"`,
			`{"ContextKeyName":"aws:CurrentTime","ContextKeyValues":"2019-04-25T11:00:00Z"}`, ""},
		{"quotes keep commas", `a="x,y",b='p q'`, `{"a":"x,y","b":"p q"}`, ""},
		{"escaped comma", `a=x\,y,b=2`, `{"a":"x,y","b":"2"}`, ""},
		{"escaped quote", `a='it\'s'`, `{"a":"it's"}`, ""},
		{"explicit list", "a=[x, y ,z]", `{"a":["x","y","z"]}`, ""},
		{"nested", "a={b=c,d=[e,f]}", `{"a":{"b":"c","d":["e","f"]}}`, ""},
		{"empty value", "a=,b=c", `{"a":"","b":"c"}`, ""},
		{"trailing space trimmed", "a= spaced value ,b= c", `{"a":"spaced value","b":"c"}`, ""},
		{"value with =", "a=b=c", `{"a":"b=c"}`, ""},
		{"file value", "a@=file://" + file, `{"a":"from a file"}`, ""},
		{"file:// without @ is text", "a=file://x", `{"a":"file://x"}`, ""},
		{"missing =", "a", "", "Expected: '=', received: 'EOF' for input:\na\n ^"},
		{"spaces and = inside a value", "a=b c=d", `{"a":"b c=d"}`, ""},
		{"text after a list", "a=[x]y\nb=c", "", "Expected: ',', received: 'y' for input:\na=[x]y\n     ^\nb=c"},
		{"duplicate key", "ContextKeyName=a:b,ContextKeyName=c",
			"", "Second instance of key \"ContextKeyName\" encountered for input:\nContextKeyName=a:b,ContextKeyName=c\n                   ^\nThis is often because there is a preceding \",\" instead of a space."},
		{"unclosed list", "a=[x", "", "Expected: ',', received: 'EOF' for input:\na=[x\n    ^"},
		{"error on the second line", "a=[x,\ny,z", "", "Expected: ',', received: 'EOF' for input:\na=[x,\ny,z\n   ^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseShorthand(tc.in, Resolve)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want\n%s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, generic(t, got)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestShorthandCorpus replays values parsed by the aws CLI's own parser
// (awscli/shorthand.py of aws-cli 1.45.11) and checks that sesame parses
// each the same way and fails with the same message. (That release prints
// "{self._error_location()}" instead of the location, an f-string slip;
// the corpus holds the message it means.)
func TestShorthandCorpus(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/shorthand.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In  string  `json:"in"`
		Out any     `json:"out"`
		Err *string `json:"err"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		got, err := ParseShorthand(c.In, nil)
		switch {
		case c.Err != nil && (err == nil || err.Error() != *c.Err):
			t.Errorf("%q: err = %v, want\n%s", c.In, err, *c.Err)
		case c.Err == nil && err != nil:
			t.Errorf("%q: %v, want %v", c.In, err, c.Out)
		case c.Err == nil:
			if diff := cmp.Diff(c.Out, generic(t, got)); diff != "" {
				t.Errorf("%q (-aws +sesame)\n%s", c.In, diff)
			}
		}
	}
}

func FuzzParseShorthand(f *testing.F) {
	for _, s := range []string{"a=b", "a=b,c,d=e", `a="x,y",b='z'`, "a=[x,{y=z}]", `a=x\,y`, "a@=file://x", "a=b\nc", "=", "a=[", "a={"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseShorthand(s, nil)
		if err != nil {
			var se *SyntaxError
			var de *DuplicateKeyError
			if !errors.As(err, &se) && !errors.As(err, &de) {
				t.Fatalf("%q: unexpected error type %T: %v", s, err, err)
			}
			_ = err.Error()
			return
		}
		if len(v.Keys) == 0 {
			t.Fatalf("%q: parsed to an empty object", s)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
