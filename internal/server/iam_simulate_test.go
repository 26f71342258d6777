package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// decisions returns "action resource decision" for every result.
func decisions(rs []types.EvaluationResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, aws.ToString(r.EvalActionName)+" "+aws.ToString(r.EvalResourceName)+" "+string(r.EvalDecision))
	}
	return out
}

// sources returns "id type line:col-line:col" for matched statements.
func sources(st []types.Statement) []string {
	var out []string
	for _, s := range st {
		out = append(out, aws.ToString(s.SourcePolicyId)+" "+string(s.SourcePolicyType)+" "+
			pos(s.StartPosition)+"-"+pos(s.EndPosition))
	}
	return out
}

func pos(p *types.Position) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Column)
}

const startSessionDev = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringLike":{"ssm:resourceTag/Env":"Dev"}}},{"Effect":"Deny","Action":"ssm:TerminateSession","Resource":"*"}]}`

func TestIAMSimulateCustomPolicy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	const instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
	out := must(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{startSessionDev},
		ActionNames:     []string{"ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"},
		ResourceArns:    []string{instance},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("ssm:resourceTag/Env"),
			ContextKeyValues: []string{"Dev"}, ContextKeyType: types.ContextKeyTypeEnumString}},
	}))(t)
	want := []string{
		"ssm:StartSession " + instance + " allowed",
		"ssm:TerminateSession " + instance + " explicitDeny",
		"ssm:ResumeSession " + instance + " implicitDeny",
	}
	if diff := cmp.Diff(want, decisions(out.EvaluationResults)); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	r := out.EvaluationResults[0]
	if diff := cmp.Diff([]string{"PolicyInputList.1 IAM Policy 1:38-1:181"}, sources(r.MatchedStatements)); diff != "" {
		t.Errorf("matched statements (-want +got):\n%s", diff)
	}
	if len(r.ResourceSpecificResults) != 1 || r.ResourceSpecificResults[0].EvalResourceDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("ResourceSpecificResults = %+v", r.ResourceSpecificResults)
	}
	if r.EvalDecisionDetails == nil || len(r.EvalDecisionDetails) != 0 {
		t.Errorf("EvalDecisionDetails = %v, want present and empty", r.EvalDecisionDetails)
	}

	// Without the tag the condition key is missing.
	out = must(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{startSessionDev},
		ActionNames: []string{"ssm:StartSession"}, ResourceArns: []string{instance},
		PermissionsBoundaryPolicyInputList: []string{allowSSMStart}}))(t)
	r = out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || !cmp.Equal(r.MissingContextValues, []string{"ssm:resourceTag/Env"}) ||
		r.PermissionsBoundaryDecisionDetail == nil || !r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("without the tag: %+v", r)
	}

	// Paging by MaxItems and Marker.
	in := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowSSMStart}, ActionNames: []string{"ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"}, MaxItems: aws.Int32(2)}
	first := must(c.SimulateCustomPolicy(ctx, in))(t)
	if len(first.EvaluationResults) != 2 || !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first page: %d results, truncated %t", len(first.EvaluationResults), first.IsTruncated)
	}
	in.Marker = first.Marker
	if rest := must(c.SimulateCustomPolicy(ctx, in))(t); len(rest.EvaluationResults) != 1 || rest.IsTruncated {
		t.Fatalf("second page: %d results", len(rest.EvaluationResults))
	}

	tests := []struct {
		name string
		in   iam.SimulateCustomPolicyInput
		code string
	}{
		{"malformed", iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"ssm:StartSession"}}, "MalformedPolicyDocument"},
		{"wildcard action", iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowSSMStart}, ActionNames: []string{"ssm:*"}}, "InvalidInput"},
		{"bad context type", iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowSSMStart}, ActionNames: []string{"ssm:StartSession"},
			ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:MultiFactorAuthAge"), ContextKeyValues: []string{"x"}, ContextKeyType: types.ContextKeyTypeEnumNumeric}}}, "InvalidInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SimulateCustomPolicy(ctx, &tt.in)
			wantAPIError(t, err, tt.code, "")
		})
	}
}

func TestIAMSimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	newIAMUser(t, ts, "kim", startSessionDev)
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("terminate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:TerminateSession","Resource":"*"}]}`)}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/terminate")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("kim")}))(t)
	const instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"

	out := must(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/kim"),
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeSessions","Resource":"*"}]}`},
		ActionNames:     []string{"ssm:StartSession", "ssm:TerminateSession", "ssm:DescribeSessions"},
		ResourceArns:    []string{instance},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("ssm:resourceTag/Env"),
			ContextKeyValues: []string{"Dev"}, ContextKeyType: types.ContextKeyTypeEnumString}},
	}))(t)
	want := []string{
		"ssm:StartSession " + instance + " allowed",
		"ssm:TerminateSession " + instance + " explicitDeny", // kim's inline Deny wins over the group's Allow
		"ssm:DescribeSessions " + instance + " allowed",
	}
	if diff := cmp.Diff(want, decisions(out.EvaluationResults)); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	got := [][]string{sources(out.EvaluationResults[0].MatchedStatements), sources(out.EvaluationResults[1].MatchedStatements), sources(out.EvaluationResults[2].MatchedStatements)}
	wantSrc := [][]string{{"policy user 1:38-1:181"}, {"policy user 1:181-1:246"}, {"PolicyInputList.1 IAM Policy 1:38-1:103"}}
	if diff := cmp.Diff(wantSrc, got); diff != "" {
		t.Errorf("matched statements (-want +got):\n%s", diff)
	}

	// The user's boundary is part of the simulation.
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("b"), PolicyDocument: aws.String(allowIAMRead)}))(t)
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("kim"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/b")}))(t)
	out = must(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/kim"),
		ActionNames: []string{"ssm:StartSession"}, ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("ssm:resourceTag/Env"), ContextKeyValues: []string{"Dev"}}}}))(t)
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("with a boundary: %+v", r)
	}

	// Roles and groups are policy sources too.
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustAccount)}))(t)
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("start"), PolicyDocument: aws.String(allowSSMStart)}))(t)
	for src, want := range map[string][]string{
		"arn:aws:iam::123456789012:role/r":    {"ssm:StartSession * allowed", "ssm:TerminateSession * implicitDeny"},
		"arn:aws:iam::123456789012:group/ops": {"ssm:StartSession * implicitDeny", "ssm:TerminateSession * allowed"},
	} {
		out = must(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(src),
			ActionNames: []string{"ssm:StartSession", "ssm:TerminateSession"}}))(t)
		if diff := cmp.Diff(want, decisions(out.EvaluationResults)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", src, diff)
		}
	}

	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/ghost"), ActionNames: []string{"ssm:StartSession"}})
	wantAPIError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")
	_, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:ssm:us-east-1:123456789012:document/x"), ActionNames: []string{"ssm:StartSession"}})
	wantAPIError(t, err, "InvalidInput", "Invalid Entity Arn: arn:aws:ssm:us-east-1:123456789012:document/x does not clearly define entity type and name.")

	// The simulation is authorized on the policy source.
	lee := newIAMUser(t, ts, "lee", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`).IAM
	if _, err := lee.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/lee"), ActionNames: []string{"ssm:StartSession"}}); err != nil {
		t.Fatalf("simulating oneself: %v", err)
	}
	_, err = lee.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/kim"), ActionNames: []string{"ssm:StartSession"}})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/lee is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::123456789012:user/kim because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
}
