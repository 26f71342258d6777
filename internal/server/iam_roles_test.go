package server

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestIAMRoles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trustAccount), Description: aws.String("CI deploys"),
		MaxSessionDuration: aws.Int32(7200), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ci")}}}))(t).Role
	if aws.ToString(r.Arn) != "arn:aws:iam::123456789012:role/ci/deployer" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") {
		t.Fatalf("CreateRole = %+v", r)
	}
	if got := decoded(t, r.AssumeRolePolicyDocument); got != trustAccount {
		t.Fatalf("trust policy = %s", got)
	}

	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")}))(t).Role
	if aws.ToString(got.Description) != "CI deploys" || aws.ToInt32(got.MaxSessionDuration) != 7200 || len(got.Tags) != 1 || got.RoleLastUsed == nil {
		t.Fatalf("GetRole = %+v", got)
	}
	if decoded(t, got.AssumeRolePolicyDocument) != trustAccount {
		t.Fatalf("GetRole trust policy = %s", aws.ToString(got.AssumeRolePolicyDocument))
	}

	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deployer"), Description: aws.String(""), MaxSessionDuration: aws.Int32(3600)}))(t)
	got = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")}))(t).Role
	if aws.ToString(got.Description) != "" || aws.ToInt32(got.MaxSessionDuration) != 3600 {
		t.Fatalf("after UpdateRole: %+v", got)
	}
	_, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deployer"), MaxSessionDuration: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")

	// The trust policy is evaluated by AssumeRole: the admin may assume
	// the role, and after UpdateAssumeRolePolicy no one may.
	if _, err := ts.admin().STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: got.Arn, RoleSessionName: aws.String("s1")}); err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	for name, msg := range map[string]string{
		"s":                           "Member must have length greater than or equal to 2",
		"s" + strings.Repeat("x", 64): "Member must have length less than or equal to 64",
		"s 1":                         "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
	} {
		_, err = ts.admin().STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: got.Arn, RoleSessionName: aws.String(name)})
		wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '"+name+"' at 'roleSessionName' failed to satisfy constraint: "+msg)
	}
	const trustNobody = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(trustNobody)}))(t)
	_, err = ts.admin().STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: got.Arn, RoleSessionName: aws.String("s2")})
	wantAPIError(t, err, "AccessDenied", "")

	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("deployer"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	must(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("deployer"), TagKeys: []string{"team"}}))(t)
	tags := must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("deployer")}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" {
		t.Fatalf("ListRoleTags = %+v", tags)
	}

	list := must(c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")}))(t).Roles
	if len(list) != 1 || aws.ToString(list[0].RoleName) != "deployer" {
		t.Fatalf("ListRoles = %+v", list)
	}

	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowSSMStart)}))(t)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deployer")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("p")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deployer")}))(t)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name deployer cannot be found.")
}

func TestIAMRoleValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	tests := []struct {
		name      string
		in        iam.CreateRoleInput
		code, msg string
	}{
		{"malformed trust policy", iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"`)},
			"MalformedPolicyDocument", ""},
		{"session too long", iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustAccount), MaxSessionDuration: aws.Int32(50000)},
			"ValidationError", "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"long name", iam.CreateRoleInput{RoleName: aws.String(strings.Repeat("r", 65)), AssumeRolePolicyDocument: aws.String(trustAccount)},
			"ValidationError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateRole(ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"`)})
	var msg string
	if err != nil {
		msg = err.Error()
	}
	if !strings.Contains(msg, "line 1, column") {
		t.Fatalf("MalformedPolicyDocument without a position: %s", msg)
	}
}
