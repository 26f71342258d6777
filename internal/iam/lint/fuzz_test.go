package lint_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

// FuzzLint: Lint never panics, gives every finding a position, a known
// severity, a code and a message, and gives the same answer twice.
func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(iam.Identity))
	}
	for _, tc := range lintCases {
		f.Add([]byte(tc.policy), uint8(tc.typ))
	}
	for _, tc := range sessionCases {
		f.Add([]byte(tc.policy), uint8(tc.typ))
	}
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		typ %= uint8(iam.Trust) + 1
		got := lint.Lint(data, iam.Type(typ))
		for _, x := range got {
			if x.Line < 1 || x.Column < 1 || x.Code == "" || x.Message == "" {
				t.Fatalf("bad finding %+v", x)
			}
			if _, err := x.Severity.MarshalText(); err != nil {
				t.Fatalf("bad severity in %+v", x)
			}
		}
		if again := lint.Lint(data, iam.Type(typ)); !reflect.DeepEqual(got, again) {
			t.Fatalf("two runs differ:\n%v\n%v", got, again)
		}
		if _, err := iam.ParseDocument(data, iam.Type(max(typ, 1))); err != nil {
			for _, x := range got {
				if x.Severity == lint.Error {
					return
				}
			}
			t.Fatalf("the parser refused the document (%v) but no ERROR finding says so", err)
		}
	})
}
