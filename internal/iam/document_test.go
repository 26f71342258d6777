package iam_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/iam"
)

// TestSizeQuota checks who holds a document to its type's size quota:
// ParseDocument, NewPolicy and CheckDocument do (stored policies);
// ParseDocumentAnySize does not, and reports the same grammar problems.
func TestSizeQuota(t *testing.T) {
	t.Parallel()
	// resources returns an identity policy of n resources of 36 characters.
	resources := func(effect string, n int) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Action":"s3:GetObject","Resource":[` +
			strings.Repeat(`"arn:aws:s3:::reports/0123456789ab",`, n) + `"*"]}]}`
	}
	tests := []struct {
		name  string
		doc   string
		codes []string // CheckDocument's problem codes
	}{
		{"small", resources("Allow", 1), nil},
		{"over the quota", resources("Allow", 200), []string{"POLICY_SIZE_EXCEEDED"}},
		{"malformed", resources("Alow", 1), []string{"INVALID_EFFECT"}},
		{"malformed and over the quota", resources("Alow", 200), []string{"INVALID_EFFECT", "POLICY_SIZE_EXCEEDED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, problems := iam.CheckDocument([]byte(tc.doc), iam.Identity)
			var codes []string
			for _, p := range problems {
				codes = append(codes, p.Code)
			}
			if diff := cmp.Diff(tc.codes, codes); diff != "" {
				t.Fatalf("CheckDocument codes (-want +got)\n%s", diff)
			}
			grammar := problems
			if n := len(problems); n > 0 && problems[n-1].Code == "POLICY_SIZE_EXCEEDED" {
				grammar = problems[:n-1]
			}

			_, strictErr := iam.ParseDocument([]byte(tc.doc), iam.Identity)
			_, policyErr := iam.NewPolicy("p", iam.Identity, []byte(tc.doc))
			anyDoc, anyErr := iam.ParseDocumentAnySize([]byte(tc.doc), iam.Identity)
			if (strictErr == nil) != (len(problems) == 0) || (policyErr == nil) != (len(problems) == 0) {
				t.Errorf("ParseDocument: %v, NewPolicy: %v; want errors exactly when CheckDocument has problems", strictErr, policyErr)
			}
			if strictErr != nil && !errors.Is(strictErr, iam.ErrMalformed) {
				t.Errorf("ParseDocument: %v does not wrap ErrMalformed", strictErr)
			}
			if len(grammar) == 0 {
				if anyErr != nil {
					t.Fatalf("ParseDocumentAnySize: %v, want no error", anyErr)
				}
				if anyDoc.Size != doc.Size {
					t.Errorf("ParseDocumentAnySize: Size %d, want %d", anyDoc.Size, doc.Size)
				}
				return
			}
			var pe *iam.ParseError
			if !errors.As(anyErr, &pe) {
				t.Fatalf("ParseDocumentAnySize: %v, want a *ParseError", anyErr)
			}
			if want := (&iam.ParseError{Problems: grammar}).Error(); pe.Error() != want {
				t.Errorf("ParseDocumentAnySize: %q, want %q", pe.Error(), want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time // zero: not a date
	}{
		{"1700000000", time.Unix(1700000000, 0)},
		{"-86400", time.Unix(-86400, 0)},
		{"2024", time.Unix(2024, 0)}, // digits alone are seconds, not a year
		{"2024-05", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-05-06", time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)},
		{"2024-05-06T07:08", time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)},
		{"2024-05-06T07:08Z", time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)},
		{"2024-05-06T07:08+09:00", time.Date(2024, 5, 5, 22, 8, 0, 0, time.UTC)},
		{"2024-05-06T07:08:09", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"2024-05-06T07:08:09.5", time.Date(2024, 5, 6, 7, 8, 9, 5e8, time.UTC)},
		{"2024-05-06T07:08:09Z", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"2024-05-06T07:08:09.123-05:00", time.Date(2024, 5, 6, 12, 8, 9, 123e6, time.UTC)},
		{"", time.Time{}},
		{"-", time.Time{}},
		{"+5", time.Time{}},
		{" 5", time.Time{}},
		{"99999999999999999999", time.Time{}},
		{"yesterday", time.Time{}},
		{"2024-05-06 07:08:09", time.Time{}},
		{"2024-05-06Z", time.Time{}},
	}
	for _, tc := range tests {
		got, ok := iam.ParseDate(tc.in)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, !tc.want.IsZero())
		}
	}
}
