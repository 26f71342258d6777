package lint_test

import (
	"fmt"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

func ExampleLint() {
	policy := `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ssm:StartSession",
    "Resource": [
      "arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell",
      "arn:aws:ssm:us-east-1:123456789012:managed-instance/*"
    ],
    "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}
  }]
}`
	for _, f := range lint.Lint([]byte(policy), iam.Identity) {
		fmt.Println(f.Line, f.Column, f.Severity, f.Code, f.Path)
	}
	// Output:
	// 7 7 WARNING SSM_DOCUMENT_TAG_CONDITION Statement[0].Resource[0]
}
