package lint_test

import (
	"strings"
	"testing"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/iam/lint"
)

const (
	instances = `"arn:aws:ec2:us-east-1:123456789012:instance/*"`
	managed   = `"arn:aws:ssm:us-east-1:123456789012:managed-instance/*"`
	runShell  = `"arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"`
	envDev    = `"Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}`
)

// start is an Allow of ssm:StartSession on resources, with extra elements.
func start(resources, extra string) string {
	return stmtOf("Allow", `"ssm:StartSession"`, resources, extra)
}

func stmtOf(effect, actions, resources, extra string) string {
	s := `{"Effect": "` + effect + `", "Action": ` + actions + `, "Resource": [` + resources + `]`
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

var sessionCases = []struct {
	name   string
	typ    iam.Type
	policy string
	want   []string
}{
	{name: "ssm: document and targets allowed apart",
		policy: policy(start(instances+", "+managed, envDev), start(runShell, ""))},
	{name: "ssm: document under the tag condition (seed S1)",
		policy: policy(start(runShell+", "+instances+", "+managed, envDev)),
		want:   []string{"WARNING SSM_DOCUMENT_TAG_CONDITION Statement[0].Resource[0]"}},
	{name: "ssm: star under the tag condition",
		policy: policy(start(`"*"`, `"Condition": {"StringLike": {"aws:ResourceTag/Env": "dev*"}}`)),
		want:   []string{"WARNING SSM_DOCUMENT_TAG_CONDITION Statement[0].Resource[0]"}},
	{name: "ssm: star under the tag condition, document allowed elsewhere",
		policy: policy(start(`"*"`, envDev), start(runShell, ""))},
	{name: "ssm: a negated tag condition holds for the document",
		policy: policy(start(`"*"`, `"Condition": {"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}`))},
	{name: "ssm: IfExists holds for the document",
		policy: policy(start(runShell+", "+instances+", "+managed, `"Condition": {"StringEqualsIfExists": {"ssm:resourceTag/Env": "dev"}}`))},
	{name: "ssm: targets but no document (seed S2, S4)",
		policy: policy(start(instances+", "+managed, envDev)),
		want:   []string{"WARNING SSM_MISSING_SESSION_DOCUMENT Statement[0].Resource[0]"}},
	{name: "ssm: an AWS-owned document is a document",
		policy: policy(start(instances+", "+managed, envDev), start(`"arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession"`, ""))},
	{name: "ssm: Start* covers StartSession",
		policy: policy(stmtOf("Allow", `"ssm:Start*"`, managed, "")),
		want:   []string{"WARNING SSM_MISSING_SESSION_DOCUMENT Statement[0].Resource[0]"}},
	{name: "ssm: ssm:* covers StartSession",
		policy: policy(stmtOf("Allow", `["ssm:*"]`, managed, "")),
		want:   []string{"WARNING SSM_MISSING_SESSION_DOCUMENT Statement[0].Resource[0]"}},
	{name: "ssm: action names ignore case",
		policy: policy(stmtOf("Allow", `"SSM:startsession"`, managed, "")),
		want:   []string{"WARNING SSM_MISSING_SESSION_DOCUMENT Statement[0].Resource[0]"}},
	{name: "ssm: NotAction that excludes StartSession",
		policy: policy(`{"Effect": "Allow", "NotAction": "ssm:StartSession", "Resource": [` + managed + `]}`)},
	{name: "ssm: NotAction that keeps StartSession",
		policy: policy(`{"Effect": "Allow", "NotAction": "iam:*", "Resource": [` + managed + `]}`),
		want:   []string{"WARNING SSM_MISSING_SESSION_DOCUMENT Statement[0].Resource[0]"}},
	{name: "ssm: another action on targets is no session",
		policy: policy(stmtOf("Allow", `"ssm:SendCommand"`, managed, ""))},
	{name: "ssm: EC2 instances only",
		policy: policy(start(instances+", "+runShell, "")),
		want:   []string{"WARNING SSM_EC2_INSTANCES_ONLY Statement[0].Resource[0]"}},
	{name: "ssm: session ARN with aws:username",
		policy: policy(stmtOf("Allow", `["ssm:TerminateSession", "ssm:ResumeSession"]`, `"arn:aws:ssm:*:*:session/${aws:username}-*"`, "")),
		want:   []string{"SECURITY_WARNING SSM_SESSION_ARN_USERNAME Statement[0].Resource[0]"}},
	{name: "ssm: session ARN with aws:userid",
		policy: policy(stmtOf("Allow", `"ssm:ResumeSession"`, `"arn:aws:ssm:*:*:session/${aws:userid}-*"`, "")),
		want:   []string{"WARNING SSM_SESSION_ARN_USERID Statement[0].Resource[0]"}},
	{name: "ssm: session owner by tag",
		policy: policy(stmtOf("Allow", `"ssm:TerminateSession"`, `"arn:aws:ssm:*:*:session/*"`, `"Condition": {"StringEquals": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}`))},
	{name: "ssm: deny on the default document (seed S2)",
		policy: policy(stmtOf("Deny", `"ssm:StartSession"`, `"arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"`, "")),
		want:   []string{"WARNING SSM_DENY_ALL_SESSIONS Statement[0].Resource[0]"}},
	{name: "ssm: deny with SessionDocumentAccessCheck still blocks (seed S2)",
		policy: policy(stmtOf("Deny", `"ssm:StartSession"`, `"arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"`, `"Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}`)),
		want:   []string{"WARNING SSM_DENY_ALL_SESSIONS Statement[0].Resource[0]"}},
	{name: "ssm: deny on star",
		policy: policy(stmtOf("Deny", `"ssm:*"`, `"*"`, "")),
		want:   []string{"WARNING SSM_DENY_ALL_SESSIONS Statement[0].Resource[0]"}},
	{name: "ssm: deny of everything is meant",
		policy: policy(stmtOf("Deny", `"*"`, `"*"`, ""))},
	{name: "ssm: deny on tagged targets",
		policy: policy(stmtOf("Deny", `"ssm:StartSession"`, `"*"`, `"Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}`))},
	{name: "ssm: deny on some instances",
		policy: policy(stmtOf("Deny", `"ssm:StartSession"`, instances, ""))},
}

func TestSessionFixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy, code string
		fix                []string // substrings
	}{
		{"split the statement", policy(start(runShell+", "+instances, envDev)), "SSM_DOCUMENT_TAG_CONDITION",
			[]string{`{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": [` + runShell + `]}`, `"Resource": [` + instances + `]`}},
		{"split star", policy(start(`"*"`, envDev)), "SSM_DOCUMENT_TAG_CONDITION",
			[]string{`"arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"`, `["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"]`}},
		{"allow the document in the targets' region and account", policy(start(instances, envDev)), "SSM_MISSING_SESSION_DOCUMENT",
			[]string{`"arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"`, "arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession"}},
		{"add managed instances", policy(start(instances+", "+runShell, "")), "SSM_EC2_INSTANCES_ONLY",
			[]string{`add "arn:aws:ssm:us-east-1:123456789012:managed-instance/*"`}},
		{"session owner tag", policy(stmtOf("Allow", `"ssm:TerminateSession"`, `"arn:aws:ssm:us-east-1:123456789012:session/${aws:username}-*"`, "")), "SSM_SESSION_ARN_USERNAME",
			[]string{`"arn:aws:ssm:us-east-1:123456789012:session/*"`, `"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range lint.Lint([]byte(tc.policy), iam.Identity) {
				if f.Code != tc.code {
					continue
				}
				for _, want := range tc.fix {
					if !strings.Contains(f.Fix, want) {
						t.Errorf("fix %q lacks %q", f.Fix, want)
					}
				}
				return
			}
			t.Errorf("no %s finding", tc.code)
		})
	}
}
