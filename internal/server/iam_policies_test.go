package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

func TestIAMManagedPolicies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	arn := aws.String("arn:aws:iam::123456789012:policy/ops/ssm-start")
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ssm-start"), Path: aws.String("/ops/"),
		PolicyDocument: aws.String(allowSSMStart), Description: aws.String("start sessions")}))(t).Policy
	if aws.ToString(p.Arn) != *arn || aws.ToString(p.DefaultVersionId) != "v1" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || !p.IsAttachable {
		t.Fatalf("CreatePolicy = %+v", p)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ssm-start"), PolicyDocument: aws.String(allowSSMStart)})
	wantAPIError(t, err, "EntityAlreadyExists", "A policy called ssm-start already exists. Duplicate names are not allowed.")

	t.Run("versions", func(t *testing.T) {
		const v2 = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ssm:*\", \"Resource\": \"arn:aws:ssm:*:*:document/a+b c\"}]\n}"
		v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(v2), SetAsDefault: true}))(t).PolicyVersion
		if aws.ToString(v.VersionId) != "v2" || !v.IsDefaultVersion || v.Document != nil {
			t.Fatalf("CreatePolicyVersion = %+v", v)
		}
		got := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")}))(t).PolicyVersion
		if doc := decoded(t, got.Document); doc != v2 {
			t.Fatalf("GetPolicyVersion document = %q, want %q", doc, v2)
		}
		if strings.ContainsAny(aws.ToString(got.Document), " +{") {
			t.Fatalf("document not URL-encoded as AWS does: %s", aws.ToString(got.Document))
		}
		if d := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t).Policy.DefaultVersionId; aws.ToString(d) != "v2" {
			t.Fatalf("default version = %s", aws.ToString(d))
		}
		for i := 3; i <= 5; i++ {
			must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowSSMStart)}))(t)
		}
		_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowSSMStart)})
		wantAPIError(t, err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
		var ids []string
		for _, v := range must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}))(t).Versions {
			ids = append(ids, fmt.Sprintf("%s:%t", aws.ToString(v.VersionId), v.IsDefaultVersion))
		}
		if diff := cmp.Diff([]string{"v5:false", "v4:false", "v3:false", "v2:true", "v1:false"}, ids); diff != "" {
			t.Fatalf("ListPolicyVersions (-want +got):\n%s", diff)
		}
		_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
		wantAPIError(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
		_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
		wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/ops/ssm-start version v9 does not exist or is not attachable.")
		_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
		wantAPIError(t, err, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
		for _, v := range []string{"v2", "v3", "v4", "v5"} {
			must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(v)}))(t)
		}
	})

	t.Run("list", func(t *testing.T) {
		tests := []struct {
			name string
			in   iam.ListPoliciesInput
			want []string
		}{
			{"local", iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}, []string{"AdministratorAccess", "ssm-start"}},
			{"aws", iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}, nil},
			{"path", iam.ListPoliciesInput{PathPrefix: aws.String("/ops/")}, []string{"ssm-start"}},
			{"only attached", iam.ListPoliciesInput{OnlyAttached: true}, []string{"AdministratorAccess"}},
		}
		for _, tt := range tests {
			var names []string
			for _, p := range must(c.ListPolicies(ctx, &tt.in))(t).Policies {
				names = append(names, aws.ToString(p.PolicyName))
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
	})

	t.Run("unknown", func(t *testing.T) {
		for _, a := range []string{"arn:aws:iam::123456789012:policy/none", "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/wrong/ssm-start"} {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(a)})
			wantAPIError(t, err, "NoSuchEntity", "Policy "+a+" does not exist or is not attachable.")
		}
		_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("not-an-arn-at-all-xyz")})
		wantAPIError(t, err, "InvalidInput", "ARN not-an-arn-at-all-xyz is not valid.")
	})

	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}))(t)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	wantAPIError(t, err, "NoSuchEntity", "")
}

func TestIAMPolicyDocuments(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("erin")}))(t)
	// big has n resources of 48 characters.
	big := func(n int) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":[` +
			strings.Repeat(`"arn:aws:ssm:us-east-1:123456789012:document/x",`, n) + `"*"]}]}`
	}
	tests := []struct {
		name      string
		put       func(doc string) error
		doc       string
		code, msg string
	}{
		{"malformed inline", func(doc string) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			return err
		}, `{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Action":"*","Resource":"*"}]}`, "MalformedPolicyDocument", ""},
		{"inline too big", func(doc string) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			return err
		}, big(50), "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user erin"},
		{"malformed managed", func(doc string) error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			return err
		}, `{"Statement":[`, "MalformedPolicyDocument", ""},
		{"managed too big", func(doc string) error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			return err
		}, big(150), "LimitExceeded", "Cannot exceed quota for PolicySize: 6144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.put(tt.doc)
			wantAPIError(t, err, tt.code, tt.msg)
			if tt.code == "MalformedPolicyDocument" && !strings.Contains(err.Error(), "line 1, column") {
				t.Fatalf("no position in %v", err)
			}
		})
	}
	if n := len(must(c.ListPolicies(ctx, &iam.ListPoliciesInput{}))(t).Policies); n != 1 {
		t.Fatalf("refused policies were stored: %d policies", n)
	}
}

func TestIAMInlinePolicies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	frank := newIAMUser(t, ts, "frank", "").IAM
	const readSelf = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]}`
	_, err := frank.GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "AccessDenied", "")
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("self"), PolicyDocument: aws.String(readSelf)}))(t)
	if _, err := frank.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("GetUser after PutUserPolicy: %v", err)
	}
	_, err = frank.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("admin")})
	wantAPIError(t, err, "AccessDenied", "")

	got := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("self")}))(t)
	if aws.ToString(got.UserName) != "frank" || aws.ToString(got.PolicyName) != "self" || decoded(t, got.PolicyDocument) != readSelf {
		t.Fatalf("GetUserPolicy = %+v", got)
	}
	names := must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("frank")}))(t).PolicyNames
	if diff := cmp.Diff([]string{"self"}, names); diff != "" {
		t.Fatalf("ListUserPolicies (-want +got):\n%s", diff)
	}
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The user policy with name nope cannot be found.")
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("ghost"), PolicyName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name ghost cannot be found.")

	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("self")}))(t)
	_, err = frank.GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("self")})
	wantAPIError(t, err, "NoSuchEntity", "The user policy with name self cannot be found.")

	// Required members an SDK would not leave out.
	status, body := ts.rawIAM(t, url.Values{"Action": {"PutUserPolicy"}, "UserName": {"frank"}, "PolicyName": {"p"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "<Code>ValidationError</Code>") ||
		!strings.Contains(body, "Value null at &#39;policyDocument&#39; failed to satisfy constraint: Member must not be null") {
		t.Fatalf("PutUserPolicy without a document: %d %s", status, body)
	}
}

func TestIAMAttachedPolicies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	gina := newIAMUser(t, ts, "gina", "").IAM
	arn := aws.String("arn:aws:iam::123456789012:policy/read")
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read"), PolicyDocument: aws.String(allowIAMRead)}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: arn}))(t)
	if _, err := gina.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with an attached policy: %v", err)
	}
	att := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("gina")}))(t).AttachedPolicies
	if len(att) != 1 || aws.ToString(att[0].PolicyArn) != *arn || aws.ToString(att[0].PolicyName) != "read" {
		t.Fatalf("ListAttachedUserPolicies = %+v", att)
	}
	if n := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t).Policy.AttachmentCount; aws.ToInt32(n) != 1 {
		t.Fatalf("AttachmentCount = %d", aws.ToInt32(n))
	}
	_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess does not exist or is not attachable.")

	// A new version takes effect at once.
	must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowSSMStart), SetAsDefault: true}))(t)
	_, err = gina.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)

	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: arn}))(t)
	_, err = gina.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: arn})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/read was not found.")

	// Roles and groups have the same operations.
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustAccount)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: arn}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn}))(t)
	if n := len(must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("r")}))(t).AttachedPolicies); n != 1 {
		t.Fatalf("ListAttachedRolePolicies: %d", n)
	}
	if n := len(must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g")}))(t).AttachedPolicies); n != 1 {
		t.Fatalf("ListAttachedGroupPolicies: %d", n)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")

	// At most ten managed policies per entity.
	for i := range 10 {
		name := fmt.Sprintf("p%d", i)
		must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(allowSSMStart)}))(t)
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/" + name)})
	}
	wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
}

func TestIAMPermissionsBoundaries(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	hal := newIAMUser(t, ts, "hal", allowAll).IAM
	boundary := aws.String("arn:aws:iam::123456789012:policy/read-only")
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-only"), PolicyDocument: aws.String(allowIAMRead)}))(t)
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("hal"), PermissionsBoundary: boundary}))(t)

	u := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("hal")}))(t).User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != *boundary ||
		u.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("GetUser boundary = %+v", u.PermissionsBoundary)
	}
	if _, err := hal.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers within the boundary: %v", err)
	}
	_, err := hal.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/hal is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x because no permissions boundary allows the iam:CreateUser action")
	if n := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: boundary}))(t).Policy.PermissionsBoundaryUsageCount; aws.ToInt32(n) != 1 {
		t.Fatalf("PermissionsBoundaryUsageCount = %d", aws.ToInt32(n))
	}

	must(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("hal")}))(t)
	if _, err := hal.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")}); err != nil {
		t.Fatalf("CreateUser without the boundary: %v", err)
	}

	// A role's boundary, set at creation and replaced.
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustAccount), PermissionsBoundary: boundary}))(t).Role
	if r.PermissionsBoundary == nil || aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != *boundary {
		t.Fatalf("CreateRole boundary = %+v", r.PermissionsBoundary)
	}
	must(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("bounded")}))(t)
	if b := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bounded")}))(t).Role.PermissionsBoundary; b != nil {
		t.Fatalf("boundary after DeleteRolePermissionsBoundary: %+v", b)
	}
	must(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: boundary}))(t)
	_, err = c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/none does not exist or is not attachable.")

	// A boundary's iam:PermissionsBoundary key: this user may only set
	// the read-only boundary.
	const onlyReadOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutUserPermissionsBoundary","Resource":"*",
	  "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/read-only"}}}]}`
	ivy := newIAMUser(t, ts, "ivy", onlyReadOnly).IAM
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)}))(t)
	if _, err := ivy.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("x"), PermissionsBoundary: boundary}); err != nil {
		t.Fatalf("PutUserPermissionsBoundary read-only: %v", err)
	}
	_, err = ivy.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("x"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/all")})
	wantAPIError(t, err, "AccessDenied", "")
}

// A role's inline policy may be up to 10,240 characters, past a managed
// policy's 6,144, and such a policy governs the role's sessions.
func TestIAMRoleInlinePolicySize(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trustAccount)}))(t).Role
	// doc has n resources of 48 characters.
	doc := func(n int) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeInstanceInformation","Resource":[` +
			strings.Repeat(`"arn:aws:ssm:us-east-1:123456789012:document/x",`, n) + `"*"]}]}`
	}
	put := func(d string) error {
		_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("big"), PolicyDocument: aws.String(d)})
		return err
	}
	wantAPIError(t, put(doc(215)), "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role ops")
	if err := put(doc(170)); err != nil { // about 8,300 characters
		t.Fatalf("PutRolePolicy of %d characters: %v", len(doc(170)), err)
	}
	creds := must(ts.admin().STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Arn, RoleSessionName: aws.String("s1")}))(t).Credentials
	ops := ts.clients(*creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken)
	if _, err := ops.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{}); err != nil {
		t.Fatalf("the role's inline policy does not apply: %v", err)
	}
}
