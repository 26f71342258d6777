package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/sesame-sh/sesame/internal/audit"
)

// sessionOut is the shape of StartSession's response.
type sessionOut struct {
	SessionID  string `json:"SessionId"`
	TokenValue string `json:"TokenValue,omitempty"`
	StreamURL  string `json:"StreamUrl,omitempty"`
}

var startSessionOut = sessionOut{
	SessionID: "alice-0123456789abcdef0",
	TokenValue: "AAEAAQAAAAEAAAAAZjJmYTk3NGMtYmY1Ny00NjNmLWE2YTctNGI1ZjM3ZjQ0YzBhAAAAAGYyMjcxMjMAAAAAAAAAAAAAA" +
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	StreamURL: "wss://sesame.example:8443/v1/data-channel/alice-0123456789abcdef0?role=publish_subscribe",
}

// allowedStartSession is the record of an allowed StartSession as the
// server writes it: the request body as it came, and the response as it
// was sent, both JSON text.
func allowedStartSession(tb testing.TB) *audit.Record {
	resp, err := json.Marshal(startSessionOut)
	if err != nil {
		tb.Fatal(err)
	}
	return &audit.Record{
		UserIdentity: audit.UserIdentity{Type: audit.IAMUser, PrincipalID: "AIDAEXAMPLEALICE0001",
			ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
			AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"},
		EventSource: "ssm.amazonaws.com", EventName: "StartSession", AWSRegion: "us-east-1",
		SourceIPAddress: "192.0.2.10", UserAgent: "aws-cli/2.15.0 md/command#ssm.start-session",
		RequestParameters:   json.RawMessage(`{"Target":"mi-0123456789abcdef0","Reason":"sesame bench api"}`),
		ResponseElements:    json.RawMessage(resp),
		AdditionalEventData: &audit.EventData{Decision: audit.Allowed},
		RequestID:           "0f1e2d3c-4b5a-4968-8776-655443322110",
		Resources: []audit.Resource{
			audit.ResourceOf("arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0"),
			audit.ResourceOf("arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"),
		},
		RecipientAccountID: "123456789012",
	}
}

// BenchmarkLogWrite is the cost of auditing one allowed StartSession: to
// a file, and to /dev/null to see the encoding without the write(2).
// "value" hands the response over as the Go value instead of its JSON.
func BenchmarkLogWrite(b *testing.B) {
	for _, bm := range []struct {
		name  string
		path  func(b *testing.B) string
		value bool
	}{
		{"file", func(b *testing.B) string { return testConfig(b).Path }, false},
		{"devnull", func(*testing.B) string { return os.DevNull }, false},
		{"devnull-value", func(*testing.B) string { return os.DevNull }, true},
	} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.Path, cfg.Rand = bm.path(b), nil
			l := newLog(b, cfg)
			r := allowedStartSession(b)
			b.ReportAllocs()
			for b.Loop() {
				r := *r
				if bm.value {
					r.ResponseElements = &startSessionOut
				}
				if err := l.Write(context.Background(), &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRedact redacts a DescribeInstanceInformation-sized request
// body without secrets and a response with them, from JSON text to JSON
// text in a reused buffer.
func BenchmarkRedact(b *testing.B) {
	for _, bm := range []struct{ name, body string }{
		{"no-secrets", `{"MaxResults":10,"Filters":[{"Key":"tag:Env","Values":["Dev","Staging"]},{"Key":"PingStatus","Values":["Online"]}],"NextToken":"AAEAAQAAAAEAAAAAZjJmYTk3NGMtYmY1Ny00NjNm"}`},
		{"secrets", `{"Credentials":{"AccessKeyId":"ASIAEXAMPLE000000001","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"FwoGZXIvYXdzEBYaDHqa0AP1Gk0n0vu6dCKwAb8yb4v0EXAMPLE","Expiration":"2024-05-01T13:00:00Z"},"AssumedRoleUser":{"AssumedRoleId":"AROAEXAMPLE:dev","Arn":"arn:aws:sts::123456789012:assumed-role/Dev/dev"}}`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			body := []byte(bm.body)
			var out []byte
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var err error
				if out, err = audit.AppendRedacted(out[:0], body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
