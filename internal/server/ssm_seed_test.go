package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// The seed scenarios (shared/seed-scenarios.md) at the API level: the
// seeds' policies (internal/cli/testdata/explain) attached to users,
// StartSession on tagged and untagged nodes that heartbeat, and the
// exact AccessDenied text, from the SDK and from the real aws CLI.

const (
	seedAccount  = "111122223333"
	seedRegion   = "ap-northeast-1"
	seedTagged   = "i-0123456789abcdef0"
	seedUntagged = "i-0fedcba987654321f"
)

// seedServer is a server in the seeds' account and region.
func seedServer(t *testing.T, region string, check iam.DocumentCheck) *testServer {
	t.Helper()
	return newTestServer(t, func(c *Config) {
		c.Account, c.Region, c.DocumentCheck = seedAccount, region, check
	})
}

// denied is AWS's implicit denial of StartSession for an IAM user.
func denied(user, resource string) string {
	return "User: arn:aws:iam::" + seedAccount + ":user/" + user + " is not authorized to perform: ssm:StartSession on resource: " +
		resource + " because no identity-based policy allows the ssm:StartSession action"
}

func instanceARN(region, id string) string {
	return "arn:aws:ec2:" + region + ":" + seedAccount + ":instance/" + id
}

func runShellARN(region string) string {
	return "arn:aws:ssm:" + region + ":" + seedAccount + ":document/SSM-SessionManagerRunShell"
}

// start calls StartSession; document and parameters are optional.
func start(c clients, target, document string, params map[string][]string) (*ssm.StartSessionOutput, error) {
	in := &ssm.StartSessionInput{Target: aws.String(target), Parameters: params}
	if document != "" {
		in.DocumentName = aws.String(document)
	}
	return c.SSM.StartSession(context.Background(), in)
}

// wantStarted fails unless the session started for user.
func wantStarted(t *testing.T, out *ssm.StartSessionOutput, err error, user string) string {
	t.Helper()
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if !strings.HasPrefix(*out.SessionId, user+"-") {
		t.Errorf("session id %q does not start with %s-", *out.SessionId, user)
	}
	return *out.SessionId
}

// wantCLIDenied runs `aws ssm start-session` as u and checks the text the
// CLI prints.
func wantCLIDenied(t *testing.T, ts *testServer, u ssmUser, msg string, args ...string) {
	t.Helper()
	_, stderr, err := ts.awsCLI(t, u.KeyID, u.Secret, append([]string{"ssm", "start-session"}, args...)...)
	want := "An error occurred (AccessDeniedException) when calling the StartSession operation: " + msg
	if err == nil || !strings.Contains(stderr, want+"\n") {
		t.Errorf("aws ssm start-session %v: err %v, stderr:\n%s\nwant:\n%s", args, err, stderr, want)
	}
}

func TestSeedS0(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name  string
		check iam.DocumentCheck
	}{{"strict", iam.CheckDefaultDocument}, {"exempt", iam.ExemptDefaultDocument}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			ts := seedServer(t, seedRegion, mode.check)
			taggedNode(t, ts, seedTagged, map[string]string{"DIV": "APP"})
			taggedNode(t, ts, seedUntagged, nil)
			u := newSSMUser(t, ts, "test", seedPolicy(t, "s0"))

			out, err := start(u.clients, seedTagged, "", nil)
			if mode.check == iam.CheckDefaultDocument {
				wantAPIError(t, err, "AccessDeniedException", denied("test", runShellARN(seedRegion)))
			} else {
				id := wantStarted(t, out, err, "test")
				// Statement 3: session/${aws:username}-* lets test end it.
				if _, err := u.SSM.TerminateSession(context.Background(), &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil {
					t.Errorf("TerminateSession of the user's own session: %v", err)
				}
			}
			_, err = start(u.clients, seedUntagged, "", nil)
			msg := denied("test", instanceARN(seedRegion, seedUntagged))
			wantAPIError(t, err, "AccessDeniedException", msg)
			wantCLIDenied(t, ts, u, msg, "--target", seedUntagged)

			// Windows hosts: the same.
			id, code := newActivation(t, ts, 1, nil)
			status, reg := agentPost(t, ts, "/agent/v1/register", "", map[string]any{"ActivationId": id, "ActivationCode": code,
				"InstanceId": "i-0aaaaaaaaaaaaaaaa", "Hostname": "WIN-1", "PlatformType": "Windows", "PlatformName": "Microsoft Windows Server 2022"})
			if status != 200 {
				t.Fatalf("register: %v", reg)
			}
			heartbeat(t, ts, testNode{ID: "i-0aaaaaaaaaaaaaaaa", Token: reg["Token"].(string)})
			_, err = start(u.clients, "i-0aaaaaaaaaaaaaaaa", "", nil)
			wantAPIError(t, err, "AccessDeniedException", denied("test", instanceARN(seedRegion, "i-0aaaaaaaaaaaaaaaa")))
		})
	}
}

// TestSeedS0SeveralTags: several keys under one StringLike must all match.
func TestSeedS0SeveralTags(t *testing.T) {
	t.Parallel()
	ts := seedServer(t, seedRegion, iam.ExemptDefaultDocument)
	taggedNode(t, ts, seedTagged, map[string]string{"tag-key1": "tag-value1", "tag-key2": "tag-value2"})
	taggedNode(t, ts, seedUntagged, map[string]string{"tag-key1": "tag-value1"})
	u := newSSMUser(t, ts, "test", seedPolicy(t, "s0-two-tags"))
	out, err := start(u.clients, seedTagged, "", nil)
	wantStarted(t, out, err, "test")
	_, err = start(u.clients, seedUntagged, "", nil)
	wantAPIError(t, err, "AccessDeniedException", denied("test", instanceARN(seedRegion, seedUntagged)))
}

func TestSeedS1(t *testing.T) {
	t.Parallel()
	ts := seedServer(t, seedRegion, iam.CheckDefaultDocument)
	tags := map[string]string{"TAG1": "KEY1", "TAG2": "KEY2", "TAG3": "KEY3"}
	taggedNode(t, ts, seedTagged, tags)
	taggedNode(t, ts, seedUntagged, nil)

	broken := newSSMUser(t, ts, "test", seedPolicy(t, "s1-broken"))
	_, err := start(broken.clients, seedTagged, "", nil)
	msg := denied("test", runShellARN(seedRegion))
	wantAPIError(t, err, "AccessDeniedException", msg)
	wantCLIDenied(t, ts, broken, msg, "--target", seedTagged)

	fixed := newSSMUser(t, ts, "fixed", seedPolicy(t, "s1-fixed"))
	out, err := start(fixed.clients, seedTagged, "", nil)
	wantStarted(t, out, err, "fixed")
	_, err = start(fixed.clients, seedUntagged, "", nil)
	wantAPIError(t, err, "AccessDeniedException", denied("fixed", instanceARN(seedRegion, seedUntagged)))
	// The second statement keeps DescribeInstanceInformation.
	if _, err := fixed.SSM.DescribeInstanceInformation(context.Background(), &ssm.DescribeInstanceInformationInput{}); err != nil {
		t.Errorf("DescribeInstanceInformation: %v", err)
	}
}

func TestSeedS2(t *testing.T) {
	t.Parallel()
	ts := seedServer(t, seedRegion, iam.CheckDefaultDocument)
	taggedNode(t, ts, seedTagged, nil)
	ctx := context.Background()

	allow := newSSMUser(t, ts, "allow", seedPolicy(t, "s2-allow"))
	out, err := start(allow.clients, seedTagged, "", nil)
	wantStarted(t, out, err, "allow")

	for _, p := range []string{"s2-instance-only", "s2-instance-only-check"} {
		u := newSSMUser(t, ts, p, seedPolicy(t, p))
		_, err := start(u.clients, seedTagged, "", nil)
		wantAPIError(t, err, "AccessDeniedException", denied(p, runShellARN(seedRegion)))
	}

	for _, p := range []string{"s2-deny", "s2-deny-check"} {
		u := newSSMUser(t, ts, "admin-"+p, seedPolicy(t, "administrator-access"), seedPolicy(t, p))
		_, err := start(u.clients, seedTagged, "", nil)
		msg := "User: " + u.ARN + " is not authorized to perform: ssm:StartSession on resource: " + runShellARN(seedRegion) +
			" with an explicit deny in an identity-based policy"
		wantAPIError(t, err, "AccessDeniedException", msg)
		wantCLIDenied(t, ts, u, msg, "--target", seedTagged)
		// Every other permission is kept.
		if _, err := u.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{}); err != nil {
			t.Errorf("%s: DescribeInstanceInformation: %v", p, err)
		}
		if _, err := start(u.clients, seedTagged, "AWS-StartSSHSession", nil); err != nil {
			t.Errorf("%s: a session with another document: %v", p, err)
		}
	}

	// A role with AdministratorAccess and the Deny: the session ARN in
	// the message, and without the Deny the session id and tags of a role
	// session.
	admin := ts.admin()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + seedAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, role := range []struct {
		name     string
		policies []string
	}{{"Admin", []string{"administrator-access", "s2-deny"}}, {"Open", []string{"administrator-access"}}} {
		if _, err := admin.IAM.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(role.name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		for _, p := range role.policies {
			if _, err := admin.IAM.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String(role.name), PolicyName: aws.String(p),
				PolicyDocument: aws.String(seedPolicy(t, p))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	assume := func(role string) clients {
		out, err := admin.STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + seedAccount + ":role/" + role), RoleSessionName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return ts.clients(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	}
	_, err = start(assume("Admin"), seedTagged, "", nil)
	wantAPIError(t, err, "AccessDeniedException", "User: arn:aws:sts::"+seedAccount+":assumed-role/Admin/alice is not authorized to perform: ssm:StartSession on resource: "+
		runShellARN(seedRegion)+" with an explicit deny in an identity-based policy")
	out, err = start(assume("Open"), seedTagged, "", nil)
	id := wantStarted(t, out, err, "alice")
	sess := must(ts.Store.GetSession(ctx, id))(t)
	role := must(ts.Store.GetRole(ctx, "Open"))(t)
	if sess.Owner != "arn:aws:sts::"+seedAccount+":assumed-role/Open/alice" || sess.Tags[0] != (store.Tag{Key: tagSessionID, Value: role.ID + ":alice"}) {
		t.Errorf("role session = %+v", sess)
	}
}

func TestSeedS3(t *testing.T) {
	t.Parallel()
	const region = "us-west-2"
	ts := seedServer(t, region, iam.CheckDefaultDocument)
	ctx := context.Background()
	const example = "i-02573cafcfEXAMPLE"
	taggedNode(t, ts, example, map[string]string{"Finance": "WebServers"})
	taggedNode(t, ts, seedUntagged, nil)

	end := newSSMUser(t, ts, "enduser", seedPolicy(t, "s3-enduser"))
	out, err := start(end.clients, example, "", nil)
	id := wantStarted(t, out, err, "enduser")
	out, err = start(end.clients, example, "SSM-SessionManagerRunShell", nil)
	wantStarted(t, out, err, "enduser")
	_, err = start(end.clients, seedUntagged, "", nil)
	wantAPIError(t, err, "AccessDeniedException", denied("enduser", instanceARN(region, seedUntagged)))
	_, err = start(end.clients, example, "AWS-StartSSHSession", nil)
	wantAPIError(t, err, "AccessDeniedException", denied("enduser", "arn:aws:ssm:"+region+"::document/AWS-StartSSHSession"))
	if _, err := end.SSM.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive}); err != nil {
		t.Errorf("DescribeSessions: %v", err)
	}
	// session/${aws:userid}-* does not match an IAM user's sessions,
	// whose ids start with the user name (AIDA... is the user id).
	_, err = end.SSM.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)})
	wantAPIError(t, err, "AccessDeniedException", "User: "+end.ARN+" is not authorized to perform: ssm:TerminateSession on resource: arn:aws:ssm:"+
		region+":"+seedAccount+":session/"+id+" because no identity-based policy allows the ssm:TerminateSession action")

	adm := newSSMUser(t, ts, "sessionadmin", seedPolicy(t, "s3-admin"))
	out, err = start(adm.clients, example, "", nil)
	wantStarted(t, out, err, "sessionadmin")
	_, err = start(adm.clients, seedUntagged, "", nil)
	wantAPIError(t, err, "AccessDeniedException", denied("sessionadmin", instanceARN(region, seedUntagged)))
	if _, err := adm.SSM.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String("SSM-SessionManagerRunShell")}); err != nil {
		t.Errorf("GetDocument: %v", err)
	}
	prefs := `{"schemaVersion":"1.0","description":"prefs","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"15","maxSessionDuration":"60"}}`
	if _, err := adm.SSM.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("SSM-SessionManagerRunShell"), Content: aws.String(prefs)}); err != nil {
		t.Errorf("UpdateDocument of the preferences: %v", err)
	}
	_, err = adm.SSM.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String("Other-Doc"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(prefs)})
	wantAPIError(t, err, "AccessDeniedException", "User: "+adm.ARN+" is not authorized to perform: ssm:CreateDocument on resource: arn:aws:ssm:"+
		region+":"+seedAccount+":document/Other-Doc because no identity-based policy allows the ssm:CreateDocument action")
}

func TestSeedS4(t *testing.T) {
	t.Parallel()
	ts := seedServer(t, seedRegion, iam.CheckDefaultDocument)
	taggedNode(t, ts, seedTagged, map[string]string{"Env": "Dev"})
	taggedNode(t, ts, seedUntagged, map[string]string{"Env": "Prod"})
	params := map[string][]string{"portNumber": {"80"}, "localPortNumber": {"56789"}}

	u := newSSMUser(t, ts, "IAMUserName", seedPolicy(t, "s4"))
	_, err := start(u.clients, seedTagged, "AWS-StartPortForwardingSession", params)
	msg := denied("IAMUserName", "arn:aws:ssm:"+seedRegion+"::document/AWS-StartPortForwardingSession")
	wantAPIError(t, err, "AccessDeniedException", msg)
	wantCLIDenied(t, ts, u, msg, "--target", seedTagged, "--document-name", "AWS-StartPortForwardingSession",
		"--parameters", `{"portNumber":["80"],"localPortNumber":["56789"]}`)

	fixed := newSSMUser(t, ts, "fixed", seedPolicy(t, "s4-fixed"))
	out, err := start(fixed.clients, seedTagged, "AWS-StartPortForwardingSession", params)
	wantStarted(t, out, err, "fixed")
	_, err = start(fixed.clients, seedUntagged, "AWS-StartPortForwardingSession", params)
	wantAPIError(t, err, "AccessDeniedException", denied("fixed", instanceARN(seedRegion, seedUntagged)))
}

// TestSeedCLIStart: when the policy allows, the aws CLI gets a session,
// finds no session-manager-plugin, and ends the session it started.
func TestSeedCLIStart(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("session-manager-plugin"); err == nil {
		t.Skip("session-manager-plugin is installed: the CLI would start it")
	}
	ts := seedServer(t, seedRegion, iam.ExemptDefaultDocument)
	taggedNode(t, ts, seedTagged, map[string]string{"DIV": "APP"})
	u := newSSMUser(t, ts, "test", seedPolicy(t, "s0"))
	_, stderr, err := ts.awsCLI(t, u.KeyID, u.Secret, "ssm", "start-session", "--target", seedTagged)
	if err == nil || !strings.Contains(stderr, "SessionManagerPlugin is not found") {
		t.Fatalf("aws ssm start-session: %v\n%s", err, stderr)
	}
	page := must(ts.Store.ListSessions(context.Background(), store.SessionFilter{}, store.ListOptions{}))(t)
	if len(page.Items) != 1 || page.Items[0].Status != store.SessionTerminated || !strings.HasPrefix(page.Items[0].ID, "test-") {
		t.Errorf("sessions after the CLI gave up: %+v", page.Items)
	}
}
