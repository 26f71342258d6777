package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/sesame-sh/sesame/internal/sigv4"
)

// Policies the IAM tests use.
const (
	allowAll      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowIAMRead  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
	allowSSMStart = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*"}]}`
	trustAccount  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
)

// newIAMUser creates a user through the IAM API as the admin, with an
// inline policy when policy is not empty, and returns clients signed with
// a new access key of the user.
func newIAMUser(t *testing.T, ts *testServer, name, policy string) clients {
	t.Helper()
	ctx := context.Background()
	admin := ts.admin().IAM
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	if policy != "" {
		if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("policy"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("put user policy: %v", err)
		}
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("create access key: %v", err)
	}
	return ts.clients(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")
}

// wantAPIError fails the test unless err is an AWS error with the code
// and, when msg is not empty, the exact message.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("error = %s: %q\nwant    %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// must(f())(t) is f's result; an error fails the test.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// decoded URL-decodes a policy document as IAM returns it.
func decoded(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.PathUnescape(aws.ToString(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rawIAM sends a Query request signed by the admin, as no SDK would send
// it (required members left out, say), and returns the status and body.
func (ts *testServer) rawIAM(t *testing.T, params url.Values) (int, string) {
	t.Helper()
	params.Set("Version", "2010-05-08")
	body := []byte(params.Encode())
	r, err := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds := sigv4.Credentials{AccessKeyID: ts.Admin.AccessKeyID, Secret: ts.Admin.SecretAccessKey}
	if err := sigv4.Sign(r, body, creds, ts.cfg.Region, "iam", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
