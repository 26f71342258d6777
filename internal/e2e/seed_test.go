package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// The seed S1 policies, fixed for JSON validity, as the policy explain
// tests have them.
var (
	s1Broken = filepath.Join("..", "cli", "testdata", "explain", "s1-broken.json")
	s1Fixed  = filepath.Join("..", "cli", "testdata", "explain", "s1-fixed.json")
)

// TestSeedS1 plays seed scenario S1 at the session level, in its
// account and region: IAM user test with the broken policy is denied
// on the session document; with the fixed one it gets a shell on the
// node tagged TAG1..TAG3 and is denied on the untagged node. The
// denials are checked as the SDK sees them and, when the aws CLI is on
// PATH, as the real `aws ssm start-session` prints them.
func TestSeedS1(t *testing.T) {
	t.Parallel()
	const account, region = "111122223333", "ap-northeast-1"
	const tagged, untagged = "i-0123456789abcdef0", "i-0fedcba9876543210"
	s := startServer(t, serverOptions{Account: account, Region: region})
	startAgent(t, s, s.url, tagged, map[string]string{"TAG1": "KEY1", "TAG2": "KEY2", "TAG3": "KEY3"})
	startAgent(t, s, s.url, untagged, nil)
	user := createUser(t, s, "test")

	denied := func(resource string) string {
		return "An error occurred (AccessDeniedException) when calling the StartSession operation: User: arn:aws:iam::" + account +
			":user/test is not authorized to perform: ssm:StartSession on resource: " + resource +
			" because no identity-based policy allows the ssm:StartSession action"
	}
	document := "arn:aws:ssm:" + region + ":" + account + ":document/SSM-SessionManagerRunShell"

	putPolicy(t, s, "test", s1Broken)
	t.Run("broken policy, tagged node", func(t *testing.T) {
		expectDenied(t, s, user, tagged, denied(document))
	})

	putPolicy(t, s, "test", s1Fixed)
	t.Run("fixed policy, tagged node", func(t *testing.T) {
		cmd := exec.Command(sesameBin, "session", "start", "--endpoint-url", s.url, "--target", tagged)
		cmd.Env = s.userEnv(user)
		cmd.Stdin = strings.NewReader("echo he''llo from $(hostname)\nexit 0\n")
		p := startProc(t, "sesame session start", cmd)
		if code := p.exitCode(wait); code != 0 {
			t.Fatalf("exit status %d; stderr:\n%s", code, p.err)
		}
		if out := p.out.String(); !strings.Contains(out, "hello from ") {
			t.Errorf("stdout = %q", out)
		}
		if errs := p.err.String(); !strings.Contains(errs, "Starting session with SessionId: test-") {
			t.Errorf("stderr = %q", errs)
		}
	})
	t.Run("fixed policy, untagged node", func(t *testing.T) {
		expectDenied(t, s, user, untagged, denied("arn:aws:ec2:"+region+":"+account+":instance/"+untagged))
	})
}

// createUser creates an IAM user with an access key.
func createUser(t *testing.T, s *server, name string) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	api := s.iam()
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	key, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
}

// putPolicy sets the user's inline policy "session" to the file's.
func putPolicy(t *testing.T, s *server, user, file string) {
	t.Helper()
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam().PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user),
		PolicyName: aws.String("session"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatalf("PutUserPolicy %s: %v", file, err)
	}
}

// expectDenied checks that StartSession on target is denied with want,
// AWS's text: through the SDK, and as `aws ssm start-session` prints it.
func expectDenied(t *testing.T, s *server, creds aws.Credentials, target, want string) {
	t.Helper()
	_, err := ssm.NewFromConfig(s.config(creds)).StartSession(context.Background(), &ssm.StartSessionInput{Target: aws.String(target)})
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("StartSession: %v, want AccessDeniedException", err)
	}
	if got := "An error occurred (" + ae.ErrorCode() + ") when calling the StartSession operation: " + ae.ErrorMessage(); got != want {
		t.Errorf("SDK error:\n got %s\nwant %s", got, want)
	}

	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Log("the aws CLI is not on PATH: its printed error not checked")
		return
	}
	cmd := exec.Command(cli, "ssm", "start-session", "--target", target, "--endpoint-url", s.url)
	cmd.Env = s.userEnv(creds)
	p := startProc(t, "aws ssm start-session", cmd)
	code := p.exitCode(wait)
	if got := p.err.String(); got != "\n"+want+"\n" {
		t.Errorf("aws ssm start-session printed on stderr:\n%q\nwant\n%q", got, "\n"+want+"\n")
	}
	if code == 0 || p.out.Len() != 0 {
		t.Errorf("aws ssm start-session: exit status %d, stdout %q", code, p.out)
	}
}
