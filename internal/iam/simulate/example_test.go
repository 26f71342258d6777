package simulate_test

import (
	"fmt"

	"github.com/sesame-sh/sesame/internal/iam/simulate"
)

// Seed S1: a tag condition on a statement that also names the session
// document. The document has no such tags, so StartSession is denied on it;
// an instance with the tags is allowed.
func ExampleRun() {
	policy := `{
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": "ssm:StartSession",
        "Resource": [
            "arn:aws:ssm:ap-northeast-1:123456789012:document/SSM-SessionManagerRunShell",
            "arn:aws:ec2:ap-northeast-1:123456789012:instance/*"
        ],
        "Condition": {"StringEquals": {"aws:ResourceTag/Team": "web"}}
    }]
}`
	// Context entries apply to every resource of a simulation, so each
	// resource gets its own run with its own tags.
	tagged := []simulate.ContextEntry{{ContextKeyName: "aws:ResourceTag/Team", ContextKeyValues: []string{"web"}, ContextKeyType: simulate.KeyString}}
	runs := []struct {
		resource string
		tags     []simulate.ContextEntry
	}{
		{"arn:aws:ssm:ap-northeast-1:123456789012:document/SSM-SessionManagerRunShell", nil},
		{"arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0", tagged},
	}
	for _, run := range runs {
		out, err := simulate.Run(&simulate.Input{
			PolicyInputList: []string{policy},
			ActionNames:     []string{"ssm:StartSession"},
			ResourceArns:    []string{run.resource},
			ContextEntries:  run.tags,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		r := out.EvaluationResults[0]
		fmt.Println(r.EvalResourceName, r.EvalDecision, r.MissingContextValues)
		for _, m := range r.MatchedStatements {
			fmt.Printf("  %s (%s) %d:%d-%d:%d\n", m.SourcePolicyId, m.SourcePolicyType,
				m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
		}
	}
	// Output:
	// arn:aws:ssm:ap-northeast-1:123456789012:document/SSM-SessionManagerRunShell implicitDeny [aws:ResourceTag/Team]
	// arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0 allowed []
	//   PolicyInputList.1 (IAM Policy) 3:19-11:6
}
