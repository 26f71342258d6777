package iam

import (
	"strings"
	"testing"
)

func TestParseJSONProblems(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		wantCodes []string
		wantPos   []Pos
		wantMsg   string
	}{
		{"valid", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, nil, nil, ""},
		{"trailing comma in object", "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",}}",
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 59}}, "trailing comma"},
		{"trailing comma in array", "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"*\",],\"Resource\":\"*\"}]}",
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 46}}, "trailing comma"},
		{"duplicate key", "{\"Statement\":{\"Effect\":\"Allow\",\n\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}}",
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{2, 1}}, `duplicate key "Effect" (first at line 1, column 15)`},
		{"two documents", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, []string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 62}}, "only one top-level value"},
		{"missing brace", "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"]}",
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 60}}, "expected ',' or '}'"},
		{"character outside latin-1", "{\"Id\":\"a\u4e2d\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 9}}, "not allowed in a policy document"},
		{"escaped character outside latin-1", `{"Id":"\u4e2d","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			[]string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 8}}, "U+4E2D"},
		{"latin-1 accepted", "{\"Id\":\"caf\u00e9\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}", nil, nil, ""},
		{"comment", "{/* no */\"Statement\":[]}", []string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 2}}, "expected a quoted member name"},
		{"empty", "  \n ", []string{"JSON_SYNTAX_ERROR"}, []Pos{{2, 2}}, "empty"},
		{"unterminated string", `{"Statement`, []string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 12}}, "unterminated string"},
		{"bad number", `{"Statement":01}`, []string{"JSON_SYNTAX_ERROR"}, []Pos{{1, 14}}, "invalid number"},
		{"invalid version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			[]string{"INVALID_VERSION"}, []Pos{{1, 12}}, "invalid Version"},
		{"invalid effect", `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, []string{"INVALID_EFFECT"}, []Pos{{1, 24}}, "invalid Effect"},
		{"action and notaction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`,
			[]string{"UNSUPPORTED_ELEMENT_COMBINATION"}, []Pos{{1, 45}}, "Action or NotAction"},
		{"principal in identity policy", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
			[]string{"UNSUPPORTED_PRINCIPAL"}, []Pos{{1, 14}}, "cannot have a Principal"},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"a:b":"c"}}}}`,
			[]string{"INVALID_CONDITION_OPERATOR"}, []Pos{{1, 73}}, `invalid condition operator "StringEqual"`},
		{"null if exists", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}}`,
			[]string{"INVALID_CONDITION_OPERATOR"}, []Pos{{1, 73}}, "Null cannot be combined with IfExists"},
		{"key twice differing in case", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}}`,
			[]string{"DUPLICATE_KEYS_WITH_DIFFERENT_CASE"}, []Pos{{1, 108}}, "appears twice"},
		{"wildcard service", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:::x"}}`, []string{"INVALID_ARN_SERVICE"}, []Pos{{1, 56}}, "service segment"},
		{"missing statement", `{"Version":"2012-10-17"}`, []string{"MISSING_STATEMENT"}, []Pos{{1, 1}}, "no Statement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := CheckDocument([]byte(tc.doc), Identity)
			if len(problems) != len(tc.wantCodes) {
				t.Fatalf("got %d problems %v, want %v", len(problems), problems, tc.wantCodes)
			}
			for i, p := range problems {
				if p.Code != tc.wantCodes[i] || p.Pos != tc.wantPos[i] {
					t.Errorf("problem %d = %s at %v, want %s at %v (%v)", i, p.Code, p.Pos, tc.wantCodes[i], tc.wantPos[i], p)
				}
			}
			if tc.wantMsg != "" && !strings.Contains(problems[0].Msg, tc.wantMsg) {
				t.Errorf("message %q lacks %q", problems[0].Msg, tc.wantMsg)
			}
		})
	}
}

func TestParseSizeQuota(t *testing.T) {
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/` + strings.Repeat("a", 6200) + `"}`
	doc := `{"Version": "2012-10-17", "Statement": ` + stmt + `}`
	if _, err := ParseDocument([]byte(doc), Identity); err == nil || !strings.Contains(err.Error(), "more than the 6144") {
		t.Errorf("6,200-character resource in a managed policy: err = %v, want a size error", err)
	}
	small := `{"Version": "2012-10-17",` + strings.Repeat(" ", 10000) + `"Statement": {"Effect":"Allow","Action":"*","Resource":"*"}}`
	if _, err := ParseDocument([]byte(small), SessionPolicy); err != nil {
		t.Errorf("whitespace counted towards the quota: %v", err)
	}
}

func TestPatternMatch(t *testing.T) {
	ctx := &Context{}
	ctx.Set("aws:username", "Bob*")
	e := &env{req: ctx}
	tests := []struct {
		pattern, s           string
		wildcards, vars      bool
		fold, want, resolved bool
	}{
		{"s3:Get*", "s3:GetObject", true, false, true, true, true},
		{"s3:Get*", "S3:getobject", true, false, true, true, true},
		{"s3:Get*", "s3:PutObject", true, false, true, false, true},
		{"s3:?et*", "s3:GetObject", true, false, true, true, true},
		{"a*b*c", "aXXbYYbZc", true, false, false, true, true},
		{"a*b*c", "aXXbYYbZ", true, false, false, false, true},
		{"*", "", true, false, false, true, true},
		{"?", "", true, false, false, false, true},
		{"?", "\u00e9", true, false, false, true, true},
		{"a*", "A", true, false, false, false, true},
		{"home/${aws:username}/*", "home/Bob*/x", true, true, false, true, true},
		{"home/${aws:username}/*", "home/Bobby/x", true, true, false, false, true},
		{"home/${aws:userid}/*", "home/x/y", true, true, false, false, false},
		{"home/${aws:userid, 'none'}/*", "home/none/y", true, true, false, true, true},
		{"${*}${?}${$}", "*?$", true, true, false, true, true},
		{"${aws:username}", "${aws:username}", true, false, false, true, true},
		{"a*", "a*", false, false, false, true, true},
		{"a*", "ab", false, false, false, false, true},
	}
	for _, tc := range tests {
		p := compilePattern(tc.pattern, tc.wildcards, tc.vars)
		got, resolved := p.match(tc.s, tc.fold, e)
		if got != tc.want || resolved != tc.resolved {
			t.Errorf("%q ~ %q = %v,%v; want %v,%v", tc.pattern, tc.s, got, resolved, tc.want, tc.resolved)
		}
	}
}

func TestArnPattern(t *testing.T) {
	tests := []struct {
		pattern, arn string
		fold, want   bool
	}{
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/1/2/test/3/object.jpg", true, true},
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET//test/object.jpg", true, true},
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/1/test/", true, true},
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/1-test/object.jpg", true, false},
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/test/object.jpg", true, false},
		{"arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/1/2/test.jpg", true, false},
		{"arn:aws:ssm:*:*:document/*", "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession", true, true},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:us-east-1:1:managed-instance/mi-1", true, false},
		{"arn:aws:EC2:*:*:instance/*", "arn:aws:ec2:us-east-1:1:instance/i-1", true, true},
		{"arn:aws:EC2:*:*:instance/*", "arn:aws:ec2:us-east-1:1:instance/i-1", false, false},
		{"arn:aws:ec2:*:*:instance/I-*", "arn:aws:ec2:us-east-1:1:instance/i-1", true, false},
		{"arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", true, false},
		{"arn:aws:s3", "arn:aws:s3:::bucket", true, true},
		{"*", "anything", true, true},
		{"arn:aws:ec2:*:*:*", "*", true, false},
	}
	for _, tc := range tests {
		p := compileArnPattern(tc.pattern, true)
		if got := p.match(tc.arn, nil, tc.fold); got != tc.want {
			t.Errorf("%q ~ %q (fold %v) = %v, want %v", tc.pattern, tc.arn, tc.fold, got, tc.want)
		}
	}
}
