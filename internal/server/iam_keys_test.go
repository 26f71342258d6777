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

func TestIAMAccessKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	// jo may manage her own keys only.
	const ownKeys = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*AccessKey*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	jo := newIAMUser(t, ts, "jo", ownKeys)

	// Without UserName the key is the caller's; its secret works at once.
	k := must(jo.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))(t).AccessKey
	if aws.ToString(k.UserName) != "jo" || !strings.HasPrefix(aws.ToString(k.AccessKeyId), "AKIA") || len(aws.ToString(k.AccessKeyId)) != 20 ||
		len(aws.ToString(k.SecretAccessKey)) != 40 || k.Status != types.StatusTypeActive || k.CreateDate == nil {
		t.Fatalf("CreateAccessKey = %+v", k)
	}
	second := ts.clients(*k.AccessKeyId, *k.SecretAccessKey, "")
	id := must(second.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/jo" {
		t.Fatalf("GetCallerIdentity with the new key = %s", aws.ToString(id.Arn))
	}

	// Two keys at most.
	_, err := jo.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = jo.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/jo is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::123456789012:user/admin because no identity-based policy allows the iam:CreateAccessKey action")

	keys := must(jo.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata
	if len(keys) != 2 {
		t.Fatalf("ListAccessKeys = %+v", keys)
	}
	for _, m := range keys {
		if aws.ToString(m.UserName) != "jo" || m.Status != types.StatusTypeActive {
			t.Fatalf("ListAccessKeys member %+v", m)
		}
	}

	// An inactive key no longer signs.
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("jo"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	_, err = second.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")
	status := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("jo")}))(t).AccessKeyMetadata
	inactive := 0
	for _, m := range status {
		if m.Status == types.StatusTypeInactive {
			inactive++
		}
	}
	if inactive != 1 {
		t.Fatalf("after UpdateAccessKey: %+v", status)
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("jo"), AccessKeyId: k.AccessKeyId, Status: "Paused"})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")

	last := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId}))(t)
	if aws.ToString(last.UserName) != "jo" || last.AccessKeyLastUsed == nil || aws.ToString(last.AccessKeyLastUsed.ServiceName) == "" {
		t.Fatalf("GetAccessKeyLastUsed = %+v", last)
	}

	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("jo"), AccessKeyId: k.AccessKeyId}))(t)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("jo"), AccessKeyId: k.AccessKeyId})
	wantAPIError(t, err, "NoSuchEntity", "The Access Key with id "+aws.ToString(k.AccessKeyId)+" cannot be found.")
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
	wantAPIError(t, err, "NoSuchEntity", "The Access Key with id "+aws.ToString(k.AccessKeyId)+" cannot be found.")
	// Another user's key is not found under this user.
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("admin"), AccessKeyId: keys[0].AccessKeyId})
	wantAPIError(t, err, "NoSuchEntity", "")
}

// TestIAMRoleSessionCaller checks the operations that default to the
// caller when the caller is a role session.
func TestIAMRoleSessionCaller(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.admin().IAM
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("admin-role"), AssumeRolePolicyDocument: aws.String(trustAccount)}))(t).Role
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("admin-role"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)}))(t)
	creds := must(ts.admin().STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Arn, RoleSessionName: aws.String("ops")}))(t).Credentials
	sess := ts.clients(*creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken).IAM
	_, err := sess.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
	_, err = sess.GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
	if _, err := sess.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("admin")}); err != nil {
		t.Fatalf("GetUser as a role session: %v", err)
	}
}
