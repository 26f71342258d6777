package server

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestIAMGroups(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	g := must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")}))(t).Group
	if aws.ToString(g.Arn) != "arn:aws:iam::123456789012:group/eng/devs" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantAPIError(t, err, "EntityAlreadyExists", "Group with name DEVS already exists.")

	user := newIAMUser(t, ts, "dave", "")
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dave")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dave")}))(t) // idempotent
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ghost")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")

	got := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")}))(t)
	if aws.ToString(got.Group.GroupName) != "devs" || len(got.Users) != 1 || aws.ToString(got.Users[0].UserName) != "dave" {
		t.Fatalf("GetGroup = %+v, users %+v", got.Group, got.Users)
	}
	forUser := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("dave")}))(t)
	if len(forUser.Groups) != 1 || aws.ToString(forUser.Groups[0].GroupName) != "devs" {
		t.Fatalf("ListGroupsForUser = %+v", forUser.Groups)
	}
	list := must(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/eng")}))(t)
	if len(list.Groups) != 1 {
		t.Fatalf("ListGroups(/eng) = %+v", list.Groups)
	}

	// A group's policies apply to its members.
	_, err = user.IAM.GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/dave is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/dave because no identity-based policy allows the iam:GetUser action")
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))(t)
	if _, err := user.IAM.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("GetUser with the group's policy: %v", err)
	}

	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dave")}))(t)
	if _, err := user.IAM.GetUser(ctx, &iam.GetUserInput{}); err == nil {
		t.Fatal("GetUser allowed after the user left the group")
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read")}))(t)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")}))(t)
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "NoSuchEntity", "The group with name devs cannot be found.")
}
