package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// Keys used across the tests.
var (
	longTerm  = Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Principal: "arn:aws:iam::123456789012:user/alice"}
	temporary = Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", Secret: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
		SessionToken: "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE+token=", Principal: "arn:aws:sts::123456789012:assumed-role/dev/bob"}
	expired = Credentials{AccessKeyID: "ASIAEXPIREDEXAMPLE00", Secret: "expiredSecretEXAMPLEKEYexpiredSecretEXAMP",
		SessionToken: "expired-session-token", Expires: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	suiteKey = Credentials{AccessKeyID: "AKIDEXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
)

// testKeys is a Keys over a fixed set of credentials.
type testKeys map[string]Credentials

func (k testKeys) LookupKey(_ context.Context, id string) (Credentials, error) {
	c, ok := k[id]
	if !ok {
		return Credentials{}, ErrUnknownKey
	}
	return c, nil
}

func keysOf(cs ...Credentials) testKeys {
	k := testKeys{}
	for _, c := range cs {
		k[c.AccessKeyID] = c
	}
	return k
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newVerifier(t testing.TB, now time.Time, cfg Config) *Verifier {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = keysOf(longTerm, temporary, expired, suiteKey)
	}
	cfg.Clock = fixedClock(now)
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// onTheWire sends r through its wire form and parses it back the way
// net/http's server does, so a test sees exactly what a handler sees.
func onTheWire(t testing.TB, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v\n%s", err, buf.String())
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}
