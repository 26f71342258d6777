package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The AWS SDK for Go v2 is the reference signer here: requests it signs
// must verify, and requests Sign signs must verify too. Each request goes
// through its wire form (onTheWire) so the verifier sees what a server
// sees.

var (
	segmentPool = []string{"a", "data-channel", "ሴ", "日本語", "with space", "é", "~tilde", "!$&'()*+,;=:@", "100%", "%41", ".", "..", "", "a.b", "x_y-z"}
	keyPool     = []string{"Action", "Version", "a", "A", "b", "ሴ", "key with space", "k+plus", "x=y", "role", "X-Amz-Meta"}
	valuePool   = []string{"", "v", "GetCallerIdentity", "2011-06-15", "a b", "a+b", "ሴ", "é", "&=?", "/path/x", "~-._", "%", "a  b"}
	servicePool = []string{"ssm", "ssmmessages", "iam", "sts", "s3"}
)

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// randomRequest builds a client request with awkward paths, repeated and
// oddly encoded query parameters and headers with extra whitespace.
func randomRequest(rng *rand.Rand) (*http.Request, []byte) {
	var path strings.Builder
	for range 1 + rng.IntN(4) {
		path.WriteString("/" + pick(rng, segmentPool))
	}
	if rng.IntN(4) == 0 {
		path.WriteString("/")
	}
	var params []string
	for range rng.IntN(6) {
		k, v := pick(rng, keyPool), pick(rng, valuePool)
		esc := url.QueryEscape // space as '+'
		if rng.IntN(2) == 0 {
			esc = func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
		}
		params = append(params, esc(k)+"="+esc(v))
	}
	method := pick(rng, []string{"GET", "POST", "PUT", "DELETE"})
	var body []byte
	if method == "POST" || method == "PUT" {
		body = make([]byte, rng.IntN(64))
		for i := range body {
			body[i] = byte(rng.IntN(256))
		}
	}
	u := &url.URL{Scheme: "http", Host: "127.0.0.1:8443", Path: path.String(), RawQuery: strings.Join(params, "&")}
	r, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	for i := range rng.IntN(4) {
		name := fmt.Sprintf("X-Test-%d", i)
		for range 1 + rng.IntN(2) {
			r.Header.Add(name, pick(rng, []string{"plain", "  lead and trail  ", "inner   spaces  here", "a,b", "\"quoted   value\"", "ሴ"}))
		}
	}
	if rng.IntN(2) == 0 {
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "AmazonSSM.DescribeInstanceInformation")
	}
	return r, body
}

func sdkCreds(c Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, SessionToken: c.SessionToken}
}

func sdkOptions(service string) func(*v4.SignerOptions) {
	return func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = service == "s3"
	}
}

func TestSDKHeaderSignatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	signer := v4.NewSigner()
	v := newVerifier(t, now, Config{})
	for i := range 2000 {
		r, body := randomRequest(rng)
		creds := pick(rng, []Credentials{longTerm, temporary})
		service := pick(rng, servicePool)
		at := now.Add(time.Duration(rng.IntN(600)-300) * time.Second)
		payload := hex.EncodeToString(sha256Sum(body))
		if rng.IntN(5) == 0 {
			payload = unsignedPayload
			r.Header.Set("X-Amz-Content-Sha256", payload)
		}
		desc := fmt.Sprintf("#%d %s %s %s", i, service, r.Method, r.URL.RequestURI())
		if err := signer.SignHTTP(context.Background(), sdkCreds(creds), r, payload, service, "us-east-1", at, sdkOptions(service)); err != nil {
			t.Fatalf("%s: SDK sign: %v", desc, err)
		}
		sr, sbody := onTheWire(t, r)
		res, err := v.Verify(sr, sbody)
		if err != nil {
			t.Fatalf("%s: SDK-signed request rejected: %v\nheaders: %v", desc, err, sr.Header)
		}
		if res.AccessKeyID != creds.AccessKeyID || res.Service != service || !res.Time.Equal(at.Truncate(time.Second)) {
			t.Fatalf("%s: result %+v", desc, res)
		}
	}
}

func TestSDKPresignedURLs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	signer := v4.NewSigner()
	v := newVerifier(t, now, Config{})
	for i := range 1000 {
		r, _ := randomRequest(rng)
		r.Method, r.Body, r.ContentLength = "GET", nil, 0
		r.Header = http.Header{}
		q := r.URL.RawQuery
		if q != "" {
			q += "&"
		}
		r.URL.RawQuery = q + "X-Amz-Expires=900"
		creds := pick(rng, []Credentials{longTerm, temporary})
		service := pick(rng, servicePool)
		payload := emptySHA256
		if service == "s3" {
			payload = unsignedPayload
		}
		at := now.Add(-time.Duration(rng.IntN(900)) * time.Second)
		desc := fmt.Sprintf("#%d %s %s", i, service, r.URL.RequestURI())
		signed, _, err := signer.PresignHTTP(context.Background(), sdkCreds(creds), r, payload, service, "us-east-1", at, sdkOptions(service))
		if err != nil {
			t.Fatalf("%s: SDK presign: %v", desc, err)
		}
		pr, err := http.NewRequest("GET", signed, nil)
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		sr, _ := onTheWire(t, pr)
		res, err := v.Verify(sr, nil)
		if err != nil {
			t.Fatalf("%s: SDK-presigned URL rejected: %v\nURL: %s", desc, err, signed)
		}
		if !res.Presigned || !res.Expires.Equal(at.Truncate(time.Second).Add(900*time.Second)) {
			t.Fatalf("%s: result %+v", desc, res)
		}
	}
}

// TestSignRoundTrip signs random requests with Sign and Presign and
// verifies them.
func TestSignRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	v := newVerifier(t, now, Config{})
	for i := range 1000 {
		r, body := randomRequest(rng)
		creds := pick(rng, []Credentials{longTerm, temporary})
		service := pick(rng, servicePool)
		desc := fmt.Sprintf("#%d %s %s %s", i, service, r.Method, r.URL.RequestURI())
		if err := Sign(r, body, creds, "us-east-1", service, now); err != nil {
			t.Fatal(err)
		}
		sr, sbody := onTheWire(t, r)
		if _, err := v.Verify(sr, sbody); err != nil {
			t.Fatalf("%s: Sign then Verify: %v", desc, err)
		}

		p, _ := randomRequest(rng)
		if err := Presign(p, nil, creds, "us-east-1", service, now, time.Hour); err != nil {
			t.Fatal(err)
		}
		pr, err := http.NewRequest(p.Method, p.URL.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sr, _ = onTheWire(t, pr)
		if _, err := v.Verify(sr, nil); err != nil {
			t.Fatalf("%s: Presign then Verify: %v\nURL: %s", desc, err, p.URL)
		}
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
