package lint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

// policy wraps statements in a 2012-10-17 document.
func policy(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ",\n") + `]}`
}

// summary is what the table compares: severity, code and path.
func summary(fs []lint.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s", f.Severity, f.Code, f.Path))
	}
	return out
}

const (
	s3Get = `"Action": "s3:GetObject"`
	s3Any = `"Resource": "arn:aws:s3:::bucket/*"`
)

// allow is an Allow statement on s3 with extra elements.
func allow(extra string) string {
	s := `{"Effect": "Allow", ` + s3Get + `, ` + s3Any
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

func cond(op, key, values string) string {
	return fmt.Sprintf(`"Condition": {%q: {%q: %s}}`, op, key, values)
}

var lintCases = []struct {
	name   string
	typ    iam.Type
	policy string
	want   []string
}{
	// Parser problems, each an ERROR.
	{name: "json syntax", policy: `{"Version": "2012-10-17", "Statement": [}`,
		want: []string{"ERROR JSON_SYNTAX_ERROR Statement[0]"}},
	{name: "trailing comma", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",}`),
		want: []string{"ERROR JSON_SYNTAX_ERROR Statement[0]"}},
	{name: "invalid version", policy: strings.Replace(policy(allow("")), "2012-10-17", "2012-10-18", 1),
		want: []string{"ERROR INVALID_VERSION Version"}},
	{name: "duplicate keys with different case", policy: policy(allow(`"Condition": {"StringEquals": {"aws:username": "a", "AWS:UserName": "b"}}`)),
		want: []string{"ERROR DUPLICATE_KEYS_WITH_DIFFERENT_CASE Statement[0].Condition.StringEquals.AWS:UserName"}},
	{name: "invalid condition operator", policy: policy(allow(cond("stringEquals", "aws:username", `"a"`))),
		want: []string{"ERROR INVALID_CONDITION_OPERATOR Statement[0].Condition.stringEquals"}},
	{name: "null with if exists", policy: policy(allow(cond("NullIfExists", "aws:username", `"true"`))),
		want: []string{"ERROR NULL_WITH_IF_EXISTS Statement[0].Condition.NullIfExists"}},
	{name: "characters not allowed, one finding per run", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::バケット/*"}`),
		want: []string{"ERROR JSON_SYNTAX_ERROR Statement[0].Resource"}},

	// Document.
	{name: "missing version", policy: `{"Statement": [` + allow("") + `]}`,
		want: []string{"WARNING MISSING_VERSION "}},
	{name: "empty sid", policy: policy(allow(`"Sid": ""`)),
		want: []string{"SUGGESTION EMPTY_SID_VALUE Statement[0].Sid"}},
	{name: "unsupported sid", policy: policy(allow(`"Sid": "read objects"`)),
		want: []string{"ERROR UNSUPPORTED_SID Statement[0].Sid"}},
	{name: "unique sids required", policy: policy(allow(`"Sid": "A"`), `{"Sid": "A", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}`),
		want: []string{"ERROR UNIQUE_SIDS_REQUIRED Statement[1].Sid"}},
	{name: "unique sids recommended in resource policies", typ: iam.ResourceBased,
		policy: policy(`{"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "*"}`,
			`{"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:PutObject", "Resource": "*"}`),
		want: []string{"WARNING UNIQUE_SIDS_RECOMMENDED Statement[1].Sid"}},
	{name: "unique sids recommended in SCPs", typ: iam.SCP,
		policy: policy(`{"Sid": "A", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}`, `{"Sid": "A", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}`),
		want:   []string{"WARNING UNIQUE_SIDS_RECOMMENDED Statement[1].Sid"}},
	{name: "empty array action", policy: policy(`{"Effect": "Allow", "Action": [], "Resource": "*"}`),
		want: []string{"SUGGESTION EMPTY_ARRAY_ACTION Statement[0].Action"}},
	{name: "empty array resource", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": []}`),
		want: []string{"SUGGESTION EMPTY_ARRAY_RESOURCE Statement[0].Resource"}},
	{name: "empty object condition", policy: policy(allow(`"Condition": {}`)),
		want: []string{"SUGGESTION EMPTY_OBJECT_CONDITION Statement[0].Condition"}},
	{name: "empty operator", policy: policy(allow(`"Condition": {"StringEquals": {}}`)),
		want: []string{"SUGGESTION EMPTY_OBJECT_CONDITION Statement[0].Condition.StringEquals"}},
	{name: "empty array condition", policy: policy(allow(cond("StringEquals", "aws:username", `[]`))),
		want: []string{"SUGGESTION EMPTY_ARRAY_CONDITION Statement[0].Condition.StringEquals.aws:username"}},
	{name: "empty array condition ForAllValues", policy: policy(allow(cond("ForAllValues:StringEquals", "aws:TagKeys", `[]`))),
		want: []string{"SUGGESTION EMPTY_ARRAY_CONDITION_FORALLVALUES Statement[0].Condition.ForAllValues:StringEquals.aws:TagKeys"}},
	{name: "empty array condition ForAnyValue", policy: policy(allow(cond("ForAnyValue:StringEquals", "aws:TagKeys", `[]`))),
		want: []string{"SUGGESTION EMPTY_ARRAY_CONDITION_FORANYVALUE Statement[0].Condition.ForAnyValue:StringEquals.aws:TagKeys"}},
	{name: "empty array condition IfExists", policy: policy(allow(cond("StringEqualsIfExists", "aws:username", `[]`))),
		want: []string{"SUGGESTION EMPTY_ARRAY_CONDITION_IFEXISTS Statement[0].Condition.StringEqualsIfExists.aws:username"}},
	{name: "empty principal", typ: iam.ResourceBased, policy: policy(`{"Effect": "Allow", "Principal": {}, "Action": "s3:GetObject", "Resource": "*"}`),
		want: []string{"SUGGESTION EMPTY_OBJECT_PRINCIPAL Statement[0].Principal"}},
	{name: "empty principal array", typ: iam.ResourceBased, policy: policy(`{"Effect": "Allow", "Principal": {"AWS": []}, "Action": "s3:GetObject", "Resource": "*"}`),
		want: []string{"SUGGESTION EMPTY_ARRAY_PRINCIPAL Statement[0].Principal.AWS"}},
	{name: "allow with not principal", typ: iam.ResourceBased, policy: policy(`{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "s3:GetObject", "Resource": "*"}`),
		want: []string{"SECURITY_WARNING ALLOW_WITH_NOT_PRINCIPAL Statement[0].NotPrincipal"}},
	{name: "deny with not principal is fine", typ: iam.ResourceBased, policy: policy(`{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "s3:GetObject", "Resource": "*"}`)},
	{name: "allow with not resource", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}`),
		want: []string{"SECURITY_WARNING ALLOW_WITH_NOT_RESOURCE Statement[0].NotResource"}},
	{name: "wildcard in service name", policy: policy(`{"Effect": "Allow", "Action": "s3*:GetObject", "Resource": "*"}`),
		want: []string{"SUGGESTION WILDCARD_IN_SERVICE_NAME Statement[0].Action"}},

	// Variables.
	{name: "variable without version", policy: `{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}}`,
		want: []string{"WARNING MISSING_VERSION ", "ERROR VARIABLE_UNSUPPORTED_IN_VERSION Statement.Resource"}},
	{name: "variable under 2008-10-17", policy: strings.Replace(policy(allow(cond("StringEquals", "s3:prefix", `"${aws:username}/"`))), "2012-10-17", "2008-10-17", 1),
		want: []string{"ERROR VARIABLE_UNSUPPORTED_IN_VERSION Statement[0].Condition.StringEquals.s3:prefix"}},
	{name: "variable in action", policy: policy(`{"Effect": "Allow", "Action": "s3:${aws:username}", "Resource": "*"}`),
		want: []string{"ERROR VARIABLE_UNSUPPORTED_IN_ELEMENT Statement[0].Action"}},
	{name: "variable with a numeric operator", policy: policy(allow(cond("NumericLessThan", "s3:max-keys", `["${aws:PrincipalTag/max}"]`))),
		want: []string{"ERROR INVALID_VARIABLE_FOR_OPERATOR Statement[0].Condition.NumericLessThan.s3:max-keys[0]"}},
	{name: "variable missing brace", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username/*"}`),
		want: []string{"ERROR MISSING_BRACE_IN_VARIABLE Statement[0].Resource"}},
	{name: "empty variable", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${}/*"}`),
		want: []string{"ERROR EMPTY_VARIABLE Statement[0].Resource"}},
	{name: "space in variable", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${ aws:username}/*"}`),
		want: []string{"ERROR UNSUPPORTED_SPACE_IN_VARIABLE Statement[0].Resource"}},
	{name: "variable default without quotes", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:PrincipalTag/team, shared}/*"}`),
		want: []string{"ERROR MISSING_QUOTE_IN_VARIABLE Statement[0].Resource"}},
	{name: "variable default with quotes", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:PrincipalTag/team, 'shared'}/*"}`)},

	// Conditions.
	{name: "wildcard without like operator", policy: policy(allow(cond("StringEquals", "aws:PrincipalTag/job", `"admin-*"`))),
		want: []string{"WARNING WILDCARD_WITHOUT_LIKE_OPERATOR Statement[0].Condition.StringEquals.aws:PrincipalTag/job"}},
	{name: "escaped wildcard is literal", policy: policy(allow(cond("StringEquals", "aws:PrincipalTag/job", `"admin-${*}"`)))},
	{name: "forallvalues with single valued key", policy: policy(allow(cond("ForAllValues:StringEquals", "aws:username", `["alice", "bob"]`))),
		want: []string{"SECURITY_WARNING FORALLVALUES_WITH_SINGLE_VALUED_KEY Statement[0].Condition.ForAllValues:StringEquals.aws:username"}},
	{name: "forallvalues with multivalued key", policy: policy(allow(cond("ForAllValues:StringEquals", "aws:TagKeys", `["Env", "Owner"]`)))},
	{name: "missing qualifier", policy: policy(allow(cond("StringEquals", "aws:TagKeys", `"Env"`))),
		want: []string{"ERROR MISSING_QUALIFIER Statement[0].Condition.StringEquals.aws:TagKeys"}},
	{name: "missing qualifier aws:CalledVia", policy: policy(allow(cond("StringEquals", "aws:CalledVia", `"cloudformation.amazonaws.com"`))),
		want: []string{"ERROR MISSING_QUALIFIER Statement[0].Condition.StringEquals.aws:CalledVia"}},
	{name: "null with qualifier", policy: policy(allow(cond("ForAnyValue:Null", "aws:TagKeys", `"true"`))),
		want: []string{"SUGGESTION NULL_WITH_QUALIFIER Statement[0].Condition.ForAnyValue:Null"}},
	{name: "null on a multivalued key needs no qualifier", policy: policy(allow(cond("Null", "aws:TagKeys", `"false"`)))},
	{name: "type mismatch", policy: policy(allow(cond("StringEquals", "aws:SecureTransport", `"true"`))),
		want: []string{"WARNING TYPE_MISMATCH Statement[0].Condition.StringEquals.aws:SecureTransport"}},
	{name: "type mismatch boolean", policy: policy(allow(cond("Bool", "aws:SecureTransport", `"yes"`))),
		want: []string{"WARNING TYPE_MISMATCH_BOOLEAN Statement[0].Condition.Bool.aws:SecureTransport"}},
	{name: "null value not boolean", policy: policy(allow(cond("Null", "aws:username", `"maybe"`))),
		want: []string{"WARNING TYPE_MISMATCH_BOOLEAN Statement[0].Condition.Null.aws:username"}},
	{name: "bare boolean is fine", policy: policy(allow(cond("Bool", "aws:SecureTransport", `true`)))},
	{name: "multiple boolean", policy: policy(allow(cond("Bool", "aws:SecureTransport", `["true", "false"]`))),
		want: []string{"ERROR INVALID_CONDITION_MULTIPLE_BOOLEAN Statement[0].Condition.Bool.aws:SecureTransport"}},
	{name: "type mismatch number", policy: policy(allow(cond("NumericLessThan", "aws:MultiFactorAuthAge", `"one hour"`))),
		want: []string{"WARNING TYPE_MISMATCH_NUMBER Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge"}},
	{name: "redundant condition value num", policy: policy(allow(cond("NumericLessThan", "aws:MultiFactorAuthAge", `["2700", "3600"]`))),
		want: []string{"SUGGESTION REDUNDANT_CONDITION_VALUE_NUM Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge"}},
	{name: "type mismatch date", policy: policy(allow(cond("DateLessThan", "aws:CurrentTime", `"next monday"`))),
		want: []string{"WARNING TYPE_MISMATCH_DATE Statement[0].Condition.DateLessThan.aws:CurrentTime"}},
	{name: "invalid date value", policy: policy(allow(cond("DateLessThan", "aws:CurrentTime", `"1767225600"`))),
		want: []string{"WARNING INVALID_DATE_VALUE Statement[0].Condition.DateLessThan.aws:CurrentTime"}},
	{name: "type mismatch ip range", policy: policy(allow(cond("IpAddress", "aws:SourceIp", `"10.0.0.0/33"`))),
		want: []string{"WARNING TYPE_MISMATCH_IP_RANGE Statement[0].Condition.IpAddress.aws:SourceIp"}},
	{name: "improve ip range", policy: policy(allow(cond("IpAddress", "aws:SourceIp", `["10.0.0.1/8", "192.0.2.0/24"]`))),
		want: []string{"SUGGESTION IMPROVE_IP_RANGE Statement[0].Condition.IpAddress.aws:SourceIp[0]"}},
	{name: "binary not base64", policy: policy(allow(cond("BinaryEquals", "s3:x", `"not base64!"`))),
		want: []string{"WARNING TYPE_MISMATCH_STRING Statement[0].Condition.BinaryEquals.s3:x"}},
	{name: "missing tag key", policy: policy(allow(cond("StringEquals", "aws:ResourceTag/", `"x"`))),
		want: []string{"ERROR MISSING_TAG_KEY_IN_CONDITION Statement[0].Condition.StringEquals.aws:ResourceTag/"}},

	// Tag keys the action does not support.
	{name: "allow with unsupported tag key", policy: policy(`{"Effect": "Allow", "Action": ["ssm:DescribeSessions", "ssm:GetConnectionStatus"], "Resource": "*", ` + cond("StringEquals", "ssm:resourceTag/Env", `"dev"`) + `}`),
		want: []string{"ERROR UNSUPPORTED_ACTION_FOR_CONDITION_KEY Statement[0].Condition.StringEquals.ssm:resourceTag/Env"}},
	{name: "deny with unsupported tag key", policy: policy(`{"Effect": "Deny", "Action": "ssm:TerminateSession", "Resource": "*", ` + cond("StringEquals", "aws:ResourceTag/Env", `"prod"`) + `}`),
		want: []string{"ERROR UNSUPPORTED_ACTION_FOR_CONDITION_KEY Statement[0].Condition.StringEquals.aws:ResourceTag/Env"}},
	{name: "session tags are supported by TerminateSession", policy: policy(`{"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/*", ` + cond("StringEquals", "ssm:resourceTag/aws:ssmmessages:session-id", `"${aws:userid}"`) + `}`)},

	// Redundancy.
	{name: "redundant action", policy: policy(`{"Effect": "Allow", "Action": ["s3:Get*", "s3:GetObject", "S3:getobject"], "Resource": "*"}`),
		want: []string{"SUGGESTION REDUNDANT_ACTION Statement[0].Action[1]", "SUGGESTION REDUNDANT_ACTION Statement[0].Action[2]"}},
	{name: "duplicate action, the second is redundant", policy: policy(`{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObject"], "Resource": "*"}`),
		want: []string{"SUGGESTION REDUNDANT_ACTION Statement[0].Action[1]"}},
	{name: "redundant resource", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/jane-admin", "arn:aws:s3:::b/jane*"]}`),
		want: []string{"SUGGESTION REDUNDANT_RESOURCE Statement[0].Resource[0]"}},
	{name: "resource wildcard stays in its field", policy: policy(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/x", "arn:aws:s3:*:b/x"]}`)},
	{name: "redundant statement", policy: policy(`{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}`, allow("")),
		want: []string{"SUGGESTION REDUNDANT_STATEMENT Statement[1]"}},
	{name: "statements with different conditions are not redundant", policy: policy(`{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}`, allow(cond("Bool", "aws:SecureTransport", `"true"`)))},
}

func TestLint(t *testing.T) {
	t.Parallel()
	for _, tc := range append(lintCases, sessionCases...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := lint.Lint([]byte(tc.policy), tc.typ)
			if diff := cmp.Diff(tc.want, summary(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nall:\n%s", diff, render(got))
			}
			for _, f := range got {
				if f.Line < 1 || f.Column < 1 || f.Message == "" {
					t.Errorf("finding without position or message: %+v", f)
				}
			}
		})
	}
}

// render formats findings as the golden files do.
func render(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
		if f.Fix != "" {
			b.WriteString("    fix: " + f.Fix + "\n")
		}
	}
	return b.String()
}

func TestFixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy, code, fix string
	}{
		{"operator case", policy(allow(cond("stringequals", "aws:username", `"a"`))), "INVALID_CONDITION_OPERATOR", "write StringEquals (operator names are case-sensitive)"},
		{"qualifier spelling", policy(allow(cond("ForAnyValues:StringEquals", "aws:TagKeys", `"a"`))), "INVALID_CONDITION_OPERATOR", "write ForAnyValue:StringEquals (operator names are case-sensitive)"},
		{"null if exists", policy(allow(cond("NullIfExists", "aws:username", `"true"`))), "NULL_WITH_IF_EXISTS", "write Null: Null tests whether the key exists, so IfExists has no meaning"},
		{"improve ip range", policy(allow(cond("IpAddress", "aws:SourceIp", `"10.0.0.1/8"`))), "IMPROVE_IP_RANGE", `write "10.0.0.0/8"`},
		{"unsupported sid", policy(allow(`"Sid": "read-objects"`)), "UNSUPPORTED_SID", `write the Sid as "readobjects"`},
		{"forallvalues", policy(allow(cond("ForAllValues:StringLike", "aws:username", `"a*"`))), "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "write StringLike without ForAllValues:"},
		{"missing qualifier", policy(allow(cond("StringEquals", "aws:TagKeys", `"Env"`))), "MISSING_QUALIFIER", "write ForAnyValue:StringEquals (at least one value matches) or ForAllValues:StringEquals (every value matches)"},
		{"wildcard without like", policy(allow(cond("StringNotEquals", "aws:username", `"a*"`))), "WILDCARD_WITHOUT_LIKE_OPERATOR", "if you meant a wildcard, use StringNotLike (case-sensitive) for aws:username"},
		{"line break in a string", "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b\n/*\"}}", "JSON_SYNTAX_ERROR", "remove the line break: a JSON string cannot span lines (text copied from a web page often has them)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range lint.Lint([]byte(tc.policy), iam.Identity) {
				if f.Code == tc.code {
					if f.Fix != tc.fix {
						t.Errorf("fix = %q, want %q", f.Fix, tc.fix)
					}
					return
				}
			}
			t.Errorf("no %s finding", tc.code)
		})
	}
}

func TestSeverityText(t *testing.T) {
	t.Parallel()
	for s := lint.Suggestion; s <= lint.Error; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back lint.Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s: round trip gave %v, %v", s, back, err)
		}
	}
	if _, err := lint.Severity(0).MarshalText(); err == nil {
		t.Error("the zero severity marshalled")
	}
	var s lint.Severity
	if err := s.UnmarshalText([]byte("FATAL")); err == nil {
		t.Error("FATAL unmarshalled")
	}
}

func TestFindingsAreSorted(t *testing.T) {
	t.Parallel()
	doc := policy(
		`{"Sid": "", "Effect": "Allow", "Action": ["s3:*", "s3:GetObject"], "Resource": "*", `+cond("StringEquals", "aws:TagKeys", `"x"`)+`}`,
		`{"Effect": "Allow", "Action": "s3*:Get", "Resource": []}`)
	got := lint.Lint([]byte(doc), iam.Identity)
	if len(got) < 4 {
		t.Fatalf("want several findings, got %v", summary(got))
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.Line > b.Line || a.Line == b.Line && a.Column > b.Column {
			t.Errorf("finding %d (%d:%d) comes after %d (%d:%d)", i-1, a.Line, a.Column, i, b.Line, b.Column)
		}
	}
}
