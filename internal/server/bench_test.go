package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/sigv4"
)

// benchPolicy is the shape of the seed scenarios' fixed policies: sessions
// on Env=Dev instances, the session document in a statement of its own,
// and the reads.
const benchPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"],
            "Condition": {"StringLike": {"ssm:resourceTag/Env": ["Dev"]}}
        },
        {
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell",
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
        },
        {
            "Effect": "Allow",
            "Action": ["ssm:Describe*", "ssm:Get*"],
            "Resource": "*"
        }
    ]
}`

// BenchmarkAPI measures the server's own cost of one API call, from the
// signed request to the audited answer, without the network: the handler
// is called directly, with the caches warm as on a busy server. The
// requests are signed once (SigV4 has no replay check; signing is the
// client's cost).
func BenchmarkAPI(b *testing.B) {
	ts := newTestServer(b)
	// The tests' log syncs every record; a server's, every 100 ms.
	alog, err := audit.New(audit.Config{Path: filepath.Join(b.TempDir(), "audit.log")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { alog.Close() })
	ts.cfg.Audit = alog
	dev := taggedNode(b, ts, "i-0123456789abcdef0", map[string]string{"Env": "Dev"})
	prod := taggedNode(b, ts, "i-0123456789abcdef1", map[string]string{"Env": "Prod"})
	u := newSSMUser(b, ts, "alice", benchPolicy)
	h := ts.Handler()
	for _, bc := range []struct {
		name, op, body string
		status         int
	}{
		{"StartSession", "StartSession", `{"Target":"` + dev.ID + `"}`, http.StatusOK},
		{"StartSessionDenied", "StartSession", `{"Target":"` + prod.ID + `"}`, http.StatusBadRequest},
		{"GetConnectionStatus", "GetConnectionStatus", `{"Target":"` + dev.ID + `"}`, http.StatusOK},
		{"DescribeInstanceInformation", "DescribeInstanceInformation", `{"MaxResults":10}`, http.StatusOK},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			signed, err := http.NewRequest(http.MethodPost, ts.URL+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			signed.Header.Set("Content-Type", "application/x-amz-json-1.1")
			signed.Header.Set("X-Amz-Target", "AmazonSSM."+bc.op)
			creds := sigv4.Credentials{AccessKeyID: u.KeyID, Secret: u.Secret}
			if err := sigv4.Sign(signed, body, creds, ts.cfg.Region, "ssm", time.Now()); err != nil {
				b.Fatal(err)
			}
			signed.RemoteAddr = "127.0.0.1:40000"
			for b.Loop() {
				r := signed.Clone(b.Context())
				r.Body = readCloser{bytes.NewReader(body)}
				r.ContentLength = int64(len(body))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != bc.status {
					b.Fatalf("%s: %d %s", bc.op, w.Code, w.Body)
				}
			}
		})
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
