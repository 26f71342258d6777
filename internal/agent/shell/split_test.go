package shell

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{"words", "ls -l  /tmp", []string{"ls", "-l", "/tmp"}, false},
		{"blank", "  \t\n", nil, false},
		{"single quotes", `sh -c 'echo $HOME; exit 3'`, []string{"sh", "-c", "echo $HOME; exit 3"}, false},
		{"double quotes", `echo "a \"b\" \$c \x"`, []string{"echo", `a "b" $c \x`}, false},
		{"empty quoted word", `printf '' x`, []string{"printf", "", "x"}, false},
		{"adjacent quotes join", `a'b'"c"d`, []string{"abcd"}, false},
		{"backslash", `a\ b c\\d`, []string{"a b", `c\d`}, false},
		{"line continuation", "a \\\nb", []string{"a", "b"}, false},
		{"comment", "echo hi # not me\necho", []string{"echo", "hi", "echo"}, false},
		{"hash inside word", "echo a#b", []string{"echo", "a#b"}, false},
		{"unterminated single", "echo 'a", nil, true},
		{"unterminated double", `echo "a`, nil, true},
		{"trailing backslash", `echo a\`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Split(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Split(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{`sh -c 'a b'`, `"a\"b"`, `a\ b # c`, `'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			return
		}
		for _, w := range words {
			if len(w) > len(s) {
				t.Fatalf("word %q longer than the input %q", w, s)
			}
		}
	})
}
