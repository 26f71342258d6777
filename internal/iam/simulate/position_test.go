package simulate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/iam"
)

// TestStatementSpans checks the positions against responses AWS gave for
// known documents.
func TestStatementSpans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []span
	}{{
		// aws iam simulate-custom-policy, example 1 of the aws CLI's help.
		name: "object statement",
		doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`,
		want: []span{{Position{1, 38}, Position{1, 167}}},
	}, {
		// AdministratorAccess as AWS stores it: 3:17 to 8:6.
		name: "managed policy",
		doc:  "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}",
		want: []span{{Position{3, 17}, Position{8, 6}}},
	}, {
		// A role policy serialised by Python's json.dumps: 1:41 to 1:180.
		name: "json.dumps",
		doc:  `{"Version": "2012-10-17", "Statement": [{"Sid": "s3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::tims-fancy-bucket/only-here/*"]}]}`,
		want: []span{{Position{1, 41}, Position{1, 180}}},
	}, {
		// An S3 bucket policy: the second statement starts at the end of
		// the first (1:38-1:248, 1:248-1:470).
		name: "two statements",
		doc:  `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::tims-fancy-bucket/*","arn:aws:s3:::tims-fancy-bucket"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Sid":"DenyTimDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::tims-fancy-bucket/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::112233445566:role/tims-test-role"}}}]}`,
		want: []span{{Position{1, 38}, Position{1, 248}}, {Position{1, 248}, Position{1, 470}}},
	}, {
		name: "tabs, braces in strings, multi-line second statement",
		doc:  "{\n\t\"Statement\": [\n\t\t{\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"arn:aws:s3:::b/{x}\"},\n\t\t{\n\t\t\t\"Effect\": \"Deny\", \"Action\": \"s3:Put*\", \"Resource\": \"arn:aws:s3:::b/\\\"}\"\n\t\t}\n\t]\n}",
		want: []span{{Position{2, 16}, Position{3, 77}}, {Position{3, 77}, Position{6, 4}}},
	}, {
		name: "non-ASCII columns count characters",
		doc:  `{"Id":"é","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::é"}]}`,
		want: []span{{Position{1, 24}, Position{1, 94}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			typ := iam.Identity
			if tc.name == "two statements" {
				typ = iam.ResourceBased
			}
			doc, err := iam.ParseDocument([]byte(tc.doc), typ)
			if err != nil {
				t.Fatal(err)
			}
			got := statementSpans(tc.doc, doc)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(span{})); diff != "" {
				t.Errorf("spans (-want +got)\n%s", diff)
			}
		})
	}
}
