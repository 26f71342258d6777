package server

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

func TestIAMUsers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM

	out := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))(t)
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/eng/alice" || aws.ToString(u.Path) != "/eng/" ||
		!strings.HasPrefix(aws.ToString(u.UserId), "AIDA") || len(aws.ToString(u.UserId)) != 21 || u.CreateDate == nil {
		t.Fatalf("CreateUser = %+v", u)
	}

	t.Run("get", func(t *testing.T) {
		got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")}))(t).User
		if aws.ToString(got.UserName) != "alice" || len(got.Tags) != 1 || aws.ToString(got.Tags[0].Value) != "blue" {
			t.Fatalf("GetUser = %+v", got)
		}
	})
	t.Run("get the caller", func(t *testing.T) {
		got := must(c.GetUser(ctx, &iam.GetUserInput{}))(t).User
		if aws.ToString(got.UserName) != "admin" {
			t.Fatalf("GetUser() = %s, want admin", aws.ToString(got.UserName))
		}
	})
	t.Run("exists", func(t *testing.T) {
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice")})
		wantAPIError(t, err, "EntityAlreadyExists", "User with name Alice already exists.")
	})
	t.Run("missing", func(t *testing.T) {
		_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
		wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	})
	t.Run("tags", func(t *testing.T) {
		must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{
			{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("red")}}}))(t)
		must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"env", "absent"}}))(t)
		got := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))(t)
		if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Key) != "team" || aws.ToString(got.Tags[0].Value) != "red" || got.IsTruncated {
			t.Fatalf("ListUserTags = %+v", got.Tags)
		}
	})
	t.Run("update", func(t *testing.T) {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
		must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/ops/")}))(t)
		got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robert")}))(t).User
		if aws.ToString(got.Arn) != "arn:aws:iam::123456789012:user/ops/robert" {
			t.Fatalf("after UpdateUser: %s", aws.ToString(got.Arn))
		}
		_, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("alice")})
		wantAPIError(t, err, "EntityAlreadyExists", "User with name alice already exists.")
	})
	t.Run("list by path", func(t *testing.T) {
		got := must(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")}))(t)
		if len(got.Users) != 1 || aws.ToString(got.Users[0].UserName) != "alice" {
			t.Fatalf("ListUsers(/eng/) = %+v", got.Users)
		}
	})
}

func TestIAMUserPaging(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	for i := range 5 {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user%d", i))}))(t)
	}
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		if len(out.Users) > 2 {
			t.Fatalf("page of %d users, MaxItems 2", len(out.Users))
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		pages++
	}
	want := []string{"admin", "user0", "user1", "user2", "user3", "user4"}
	if diff := cmp.Diff(want, names); diff != "" || pages != 3 {
		t.Fatalf("%d pages, users (-want +got):\n%s", pages, diff)
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("bogus")})
	wantAPIError(t, err, "InvalidInput", "")
}

func TestIAMUserValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	tests := []struct {
		name      string
		in        iam.CreateUserInput
		code, msg string
	}{
		{"bad name", iam.CreateUserInput{UserName: aws.String("a b")}, "ValidationError",
			`1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"long name", iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))}, "ValidationError",
			"1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"bad path", iam.CreateUserInput{UserName: aws.String("x"), Path: aws.String("eng")}, "ValidationError",
			`1 validation error detected: Value 'eng' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"duplicate tags", iam.CreateUserInput{UserName: aws.String("x"), Tags: []types.Tag{
			{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}}, "InvalidInput",
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"unknown boundary", iam.CreateUserInput{UserName: aws.String("x"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")},
			"NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/none does not exist or is not attachable."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateUser(ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("x")}); err == nil {
		t.Fatal("a refused CreateUser created the user")
	}
}

// TestIAMDeleteUserConflicts deletes a user's dependents one at a time,
// each DeleteUser naming the next one with AWS's text.
func TestIAMDeleteUserConflicts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	name := aws.String("carol")
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}))(t)
	key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}))(t).AccessKey
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String("p"), PolicyDocument: aws.String(allowSSMStart)}))(t)
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mp"), PolicyDocument: aws.String(allowSSMStart)}))(t)
	arn := aws.String("arn:aws:iam::123456789012:policy/mp")
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: arn}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: name}))(t)

	steps := []struct {
		want   string
		remove func() error
	}{
		{"Cannot delete entity, must delete access keys first.", func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: key.AccessKeyId})
			return err
		}},
		{"Cannot delete entity, must delete policies first.", func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String("p")})
			return err
		}},
		{"Cannot delete entity, must detach all policies first.", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: arn})
			return err
		}},
		{"Cannot delete entity, must remove users from group first.", func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: name})
			return err
		}},
	}
	for _, st := range steps {
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
		wantAPIError(t, err, "DeleteConflict", st.want)
		if err := st.remove(); err != nil {
			t.Fatal(err)
		}
	}
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}))(t)
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
	wantAPIError(t, err, "NoSuchEntity", "The user with name carol cannot be found.")
}

// TestIAMAccessDenied checks AWS's exact denial texts, and that a denied
// caller cannot tell whether an entity exists.
func TestIAMAccessDenied(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	reader := newIAMUser(t, ts, "reader", allowIAMRead).IAM
	nobody := newIAMUser(t, ts, "nobody", "").IAM
	must(ts.admin().IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops"), Path: aws.String("/team/")}))(t)

	const prefix = "User: arn:aws:iam::123456789012:user/"
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"create user", func() error {
			_, err := reader.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
			return err
		}, prefix + "reader is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x because no identity-based policy allows the iam:CreateUser action"},
		{"user with a path", func() error {
			_, err := nobody.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ops")})
			return err
		}, prefix + "nobody is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/team/ops because no identity-based policy allows the iam:GetUser action"},
		{"missing user", func() error {
			_, err := nobody.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
			return err
		}, prefix + "nobody is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/ghost because no identity-based policy allows the iam:GetUser action"},
		{"list", func() error {
			_, err := nobody.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, prefix + "nobody is not authorized to perform: iam:ListUsers because no identity-based policy allows the iam:ListUsers action"},
		{"policy", func() error {
			_, err := reader.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/AdministratorAccess")})
			return err
		}, prefix + "reader is not authorized to perform: iam:DeletePolicy on resource: arn:aws:iam::123456789012:policy/AdministratorAccess because no identity-based policy allows the iam:DeletePolicy action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.call(), "AccessDenied", tt.want)
		})
	}
	if _, err := reader.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("reader cannot list users: %v", err)
	}
	if _, err := reader.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")}); err == nil {
		t.Fatal("GetUser of a missing user succeeded")
	} else {
		wantAPIError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")
	}
}

// TestIAMRenameNeedsBothNames checks that UpdateUser is authorized on
// the user's old and new names, as AWS does.
func TestIAMRenameNeedsBothNames(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateUser","Resource":"arn:aws:iam::*:user/tmp-*"}]}`
	c := newIAMUser(t, ts, "renamer", policy).IAM
	must(ts.admin().IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tmp-a")}))(t)
	if _, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("tmp-a"), NewUserName: aws.String("tmp-b")}); err != nil {
		t.Fatalf("rename within tmp-*: %v", err)
	}
	_, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("tmp-b"), NewUserName: aws.String("final")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/renamer is not authorized to perform: iam:UpdateUser on resource: arn:aws:iam::123456789012:user/final because no identity-based policy allows the iam:UpdateUser action")
	must(ts.admin().IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("tmp-b")}))(t)
}

// TestIAMResourceConditions checks that IAM calls carry the entity's tags
// and the request's tags as condition keys.
func TestIAMResourceConditions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.admin().IAM
	const policy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
	  {"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}}]}`
	c := newIAMUser(t, ts, "tagger", policy).IAM
	for _, u := range []struct{ name, team string }{{"blue1", "blue"}, {"red1", "red"}} {
		must(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(u.team)}}}))(t)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("blue1")}); err != nil {
		t.Fatalf("GetUser of a blue user: %v", err)
	}
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("red1")})
	wantAPIError(t, err, "AccessDenied", "")
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("red1"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("x")}}}); err != nil {
		t.Fatalf("TagUser env: %v", err)
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("red1"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	wantAPIError(t, err, "AccessDenied", "")
}

// stable replaces what varies from run to run in an IAM response (the
// request id, entity ids, dates) by placeholders.
func stable(body string) string {
	s := rawRequestID.ReplaceAllString(body, "<RequestId>REQ</RequestId>")
	s = rawEntityID.ReplaceAllString(s, "${1}ID")
	return rawDate.ReplaceAllString(s, "DATE")
}

var (
	rawRequestID = regexp.MustCompile(`<RequestId>[^<]*</RequestId>`)
	rawEntityID  = regexp.MustCompile(`\b(AIDA|AGPA|AROA|ANPA)[A-Z0-9]{17}\b`)
	rawDate      = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestIAMListWire pins the XML of the IAM list and get results, their
// paging (IsTruncated, Marker) and their errors, byte for byte.
func TestIAMListWire(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("alice")}))(t)
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), Path: aws.String("/eng/"), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("deploys"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("audit"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)}))(t)
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*"}]}`
	pol := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("start"), PolicyDocument: aws.String(doc)}))(t).Policy
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("unused"), PolicyDocument: aws.String(doc)}))(t)
	must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Arn, PolicyDocument: aws.String(doc), SetAsDefault: true}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: pol.Arn}))(t)

	arn := aws.ToString(pol.Arn)
	queries := []string{
		"Action=ListUsers",
		"Action=ListUsers&MaxItems=2",
		"Action=ListUsers&MaxItems=2&Marker=YWxpY2U",
		"Action=ListUsers&PathPrefix=/eng",
		"Action=ListUsers&PathPrefix=eng",
		"Action=ListUsers&Marker=nonsense",
		"Action=ListUsers&MaxItems=0",
		"Action=ListRoles",
		"Action=ListRoles&MaxItems=1",
		"Action=ListRoles&PathPrefix=/eng/",
		"Action=ListRoles&Marker=nonsense",
		"Action=ListGroups",
		"Action=ListGroups&MaxItems=1",
		"Action=ListGroups&PathPrefix=/eng/",
		"Action=ListGroups&Marker=nonsense",
		"Action=ListGroupsForUser&UserName=alice",
		"Action=ListGroupsForUser&UserName=alice&MaxItems=1",
		"Action=ListGroupsForUser&UserName=nobody",
		"Action=ListGroupsForUser",
		"Action=ListGroupsForUser&UserName=alice&Marker=nonsense",
		"Action=GetGroup&GroupName=devs",
		"Action=GetGroup&GroupName=devs&MaxItems=1",
		"Action=GetGroup&GroupName=nobody",
		"Action=GetGroup&GroupName=devs&MaxItems=1001",
		"Action=GetUser&UserName=alice",
		"Action=GetUser",
		"Action=GetUser&UserName=nobody",
		"Action=GetRole&RoleName=deploy",
		"Action=GetRole&RoleName=nobody",
		"Action=ListUserTags&UserName=alice",
		"Action=ListUserTags&UserName=alice&MaxItems=1",
		"Action=ListUserTags&UserName=alice&MaxItems=1&Marker=env",
		"Action=ListUserTags&UserName=alice&Marker=nonsense",
		"Action=ListRoleTags&RoleName=deploy",
		"Action=ListRoleTags&RoleName=nobody",
		"Action=ListPolicies",
		"Action=ListPolicies&OnlyAttached=true",
		"Action=ListPolicies&MaxItems=1",
		"Action=ListPolicies&Scope=AWS",
		"Action=ListPolicies&PolicyUsageFilter=PermissionsPolicy",
		"Action=ListPolicies&PathPrefix=nope",
		"Action=ListPolicyVersions&PolicyArn=" + arn,
		"Action=ListPolicyVersions&MaxItems=1&PolicyArn=" + arn,
		"Action=ListPolicyVersions&Marker=v9&PolicyArn=" + arn,
		// Deletes last: they change what the lists above show.
		"Action=DeleteGroup&GroupName=devs",
		"Action=DeleteUser&UserName=bob",
		"Action=DeleteUser&UserName=nobody",
		"Action=DeleteUser",
		"Action=DeleteRole&RoleName=audit",
		"Action=DeleteRole&RoleName=audit",
		"Action=DeleteGroup&GroupName=Ops",
		"Action=RemoveUserFromGroup&GroupName=ops&UserName=alice",
		"Action=DeleteGroup&GroupName=ops",
		"Action=ListGroups",
	}
	var got strings.Builder
	for _, q := range queries {
		params, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		status, body := ts.rawIAM(t, params)
		fmt.Fprintf(&got, "### %s\n%d\n%s\n", q, status, stable(body))
	}
	const golden = "testdata/iam-list-wire.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("%s (-want +got; go test -update rewrites it)\n%s", golden, diff)
	}
}
