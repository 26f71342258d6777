package audit_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/audit"
)

const hidden = audit.Hidden

func TestRedact(t *testing.T) {
	t.Parallel()
	type credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
		SessionToken    string `json:"sessionToken"`
		Expiration      string `json:"expiration"`
	}
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"scalar", "text", "text"},
		{"no secrets",
			map[string]any{"target": "mi-0123456789abcdef0", "nextToken": "abc", "clientToken": "x", "maxResults": 5.0},
			map[string]any{"target": "mi-0123456789abcdef0", "nextToken": "abc", "clientToken": "x", "maxResults": json.Number("5")}},
		{"flat",
			map[string]any{"sessionId": "alice-0123456789abcdef0", "tokenValue": "t0k3n", "streamUrl": "wss://h/v1/data-channel/alice"},
			map[string]any{"sessionId": "alice-0123456789abcdef0", "tokenValue": hidden, "streamUrl": "wss://h/v1/data-channel/alice"}},
		{"case and separators",
			map[string]any{"SECRETACCESSKEY": "a", "secret_access_key": "b", "X-Amz-Security-Token": "c", "Password": "d", "activation.code": "e", "PrivateKey": "f"},
			map[string]any{"SECRETACCESSKEY": hidden, "secret_access_key": hidden, "X-Amz-Security-Token": hidden, "Password": hidden, "activation.code": hidden, "PrivateKey": hidden}},
		{"nested",
			map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAX", "sessionToken": "s", "expiration": "2024"}},
			map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAX", "sessionToken": hidden, "expiration": "2024"}}},
		{"arrays",
			map[string]any{"keys": []any{map[string]any{"id": "1", "SecretAccessKey": "x"}, []any{map[string]any{"token": "y"}}, "plain"}},
			map[string]any{"keys": []any{map[string]any{"id": "1", "SecretAccessKey": hidden}, []any{map[string]any{"token": hidden}}, "plain"}}},
		{"secret holding an object",
			map[string]any{"password": map[string]any{"old": "a", "new": "b"}},
			map[string]any{"password": hidden}},
		{"struct",
			credentials{"ASIAX", "secret", "token", "2024-01-01T00:00:00Z"},
			map[string]any{"accessKeyId": "ASIAX", "secretAccessKey": hidden, "sessionToken": hidden, "expiration": "2024-01-01T00:00:00Z"}},
		{"raw JSON keeps numbers exact",
			json.RawMessage(`{"maxResults": 12345678901234567890, "ActivationCode": "c0de"}`),
			map[string]any{"maxResults": json.Number("12345678901234567890"), "ActivationCode": hidden}},
		{"typed map",
			map[string][]string{"Action": {"CreateLoginProfile"}, "Password": {"hunter2"}},
			map[string]any{"Action": []any{"CreateLoginProfile"}, "Password": hidden}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before, _ := json.Marshal(tt.in)
			got, err := audit.Redact(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			if after, _ := json.Marshal(tt.in); string(after) != string(before) {
				t.Errorf("Redact modified its input: %s, was %s", after, before)
			}
		})
	}
}

func TestRedactErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []any{json.RawMessage(`{"a":`), func() {}} {
		if _, err := audit.Redact(in); err == nil {
			t.Errorf("Redact(%T) = nil error", in)
		}
	}
}

func TestIsSecret(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"SecretAccessKey": true, "sessiontoken": true, "TokenValue": true, "Token": true,
		"NextToken": false, "ClientToken": false, "AccessKeyId": false, "PasswordLastUsed": false,
	} {
		if got := audit.IsSecret(k); got != want {
			t.Errorf("IsSecret(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestResourceOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arn  string
		want audit.Resource
	}{
		{"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
			audit.Resource{"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", "123456789012", "AWS::EC2::Instance"}},
		{"arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0",
			audit.Resource{"arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0", "123456789012", "AWS::SSM::ManagedInstance"}},
		{"arn:aws:ssm:us-east-1::document/AWS-StartSSHSession",
			audit.Resource{"arn:aws:ssm:us-east-1::document/AWS-StartSSHSession", "", "AWS::SSM::Document"}},
		{"arn:aws:iam::123456789012:user/division/alice",
			audit.Resource{"arn:aws:iam::123456789012:user/division/alice", "123456789012", "AWS::IAM::User"}},
		{"arn:aws:s3:::bucket", audit.Resource{"arn:aws:s3:::bucket", "", ""}},
		{"*", audit.Resource{ARN: "*"}},
	}
	for _, tt := range tests {
		if got := audit.ResourceOf(tt.arn); got != tt.want {
			t.Errorf("ResourceOf(%q) = %+v, want %+v", tt.arn, got, tt.want)
		}
	}
}
