package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC)

const ssmBody = `{"MaxResults":5}`

// ssmRequest is a signed SSM call like the aws CLI sends.
func ssmRequest(t testing.TB, creds Credentials, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "http://127.0.0.1:8443/", strings.NewReader(ssmBody))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AmazonSSM.DescribeInstanceInformation")
	if err := Sign(r, []byte(ssmBody), creds, "us-east-1", "ssm", at); err != nil {
		t.Fatal(err)
	}
	return r
}

// presigned is a presigned data-channel URL request.
func presigned(t testing.TB, creds Credentials, at time.Time, expires time.Duration) *http.Request {
	t.Helper()
	r := httptest.NewRequest("GET", "http://127.0.0.1:8443/v1/data-channel/alice-0123456789abcdef0?role=publish_subscribe", nil)
	if err := Presign(r, nil, creds, "us-east-1", "ssmmessages", at, expires); err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest("GET", r.URL.String(), nil)
}

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name string
		req  func(t testing.TB) (*http.Request, []byte)
		want Result
	}{
		{
			name: "header long-term key",
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, longTerm, now.Add(-4*time.Minute)), []byte(ssmBody)
			},
			want: Result{AccessKeyID: longTerm.AccessKeyID, Principal: longTerm.Principal, Region: "us-east-1", Service: "ssm",
				Time: now.Add(-4 * time.Minute), SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"}},
		},
		{
			name: "header session token",
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, temporary, now.Add(4*time.Minute)), []byte(ssmBody)
			},
			want: Result{AccessKeyID: temporary.AccessKeyID, Principal: temporary.Principal, Temporary: true, Region: "us-east-1", Service: "ssm",
				Time: now.Add(4 * time.Minute), SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"}},
		},
		{
			name: "unsigned payload",
			req: func(t testing.TB) (*http.Request, []byte) {
				r := httptest.NewRequest("PUT", "http://h/a", nil)
				r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				if err := Sign(r, nil, longTerm, "us-east-1", "ssm", now); err != nil {
					t.Fatal(err)
				}
				return r, []byte("any body at all")
			},
			want: Result{AccessKeyID: longTerm.AccessKeyID, Principal: longTerm.Principal, Region: "us-east-1", Service: "ssm",
				Time: now, SignedHeaders: []string{"host", "x-amz-content-sha256", "x-amz-date"}},
		},
		{
			name: "Date header instead of X-Amz-Date",
			req: func(t testing.TB) (*http.Request, []byte) {
				r := httptest.NewRequest("GET", "http://h/", nil)
				r.Header.Set("Date", now.Format(http.TimeFormat))
				sc := scope{date: "20240101", region: "us-east-1", service: "sts"}
				creq := canonicalRequest("GET", "/", "", "date:"+now.Format(http.TimeFormat)+"\nhost:h\n", "date;host", emptySHA256)
				sig := signature(longTerm.Secret, sc, now, creq)
				r.Header.Set("Authorization", formatAuthorization(longTerm.AccessKeyID+"/"+sc.String(), "date;host", sig))
				return r, nil
			},
			want: Result{AccessKeyID: longTerm.AccessKeyID, Principal: longTerm.Principal, Region: "us-east-1", Service: "sts",
				Time: now, SignedHeaders: []string{"date", "host"}},
		},
		{
			name: "presigned",
			req: func(t testing.TB) (*http.Request, []byte) {
				return presigned(t, temporary, now.Add(-10*time.Minute), 15*time.Minute), nil
			},
			want: Result{AccessKeyID: temporary.AccessKeyID, Principal: temporary.Principal, Temporary: true, Region: "us-east-1",
				Service: "ssmmessages", Time: now.Add(-10 * time.Minute), Presigned: true, Expires: now.Add(5 * time.Minute),
				SignedHeaders: []string{"host"}},
		},
	}
	v := newVerifier(t, now, Config{Region: "us-east-1"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req(t)
			got, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	setAuth := func(value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", value) }
	}
	goodCred := longTerm.AccessKeyID + "/20240101/us-east-1/ssm/aws4_request"
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		req     func(t testing.TB) (*http.Request, []byte) // default: ssmRequest(longTerm, now)
		change  func(r *http.Request)
		kind    Kind
		message string
	}{
		{
			name: "no signature", kind: MissingAuthenticationToken,
			change:  func(r *http.Request) { r.Header.Del("Authorization") },
			message: "Request is missing Authentication Token",
		},
		{
			name: "bare token", kind: IncompleteSignature,
			change:  setAuth("eyJhbGciOiJIUzI1NiJ9.e30.x"),
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=eyJhbGciOiJIUzI1NiJ9.e30.x",
		},
		{
			name: "bearer token", kind: IncompleteSignature,
			change:  setAuth("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"),
			message: "'eyJhbGciOiJIUzI1NiJ9.e30.x' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x'.",
		},
		{
			name: "missing signature and date", kind: IncompleteSignature,
			change: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+goodCred+",SignedHeaders=host;x-amz-date")
			},
			message: "Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=host;x-amz-date",
		},
		{
			name: "space inside credential", kind: IncompleteSignature,
			change:  setAuth("AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + sig),
			message: "'" + goodCred + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + sig + "'.",
		},
		{
			name: "header name pasted into value", kind: IncompleteSignature,
			change:  setAuth("Authorization: AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + sig),
			message: "'AWS4-HMAC-SHA256' not a valid key=value pair (missing equal-sign) in Authorization header: 'Authorization: AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + sig + "'.",
		},
		{
			name: "sigv4a", kind: IncompleteSignature,
			change:  setAuth("AWS4-ECDSA-P256-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + sig),
			message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'",
		},
		{
			name: "credential without region", kind: IncompleteSignature,
			change:  setAuth("AWS4-HMAC-SHA256 Credential=AKID/20240101/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig),
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/ssm/aws4_request'",
		},
		{
			name: "bad terminator", kind: SignatureDoesNotMatch,
			change:  setAuth("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ssm/aws4_req, SignedHeaders=host;x-amz-date, Signature=" + sig),
			message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_req'. ",
		},
		{
			name: "host not signed", kind: IncompleteSignature,
			change:  setAuth("AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=x-amz-date, Signature=" + sig),
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "date not basic format", kind: IncompleteSignature,
			change:  func(r *http.Request) { r.Header.Set("X-Amz-Date", "2024-01-01T00:10:00Z") },
			message: "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:10:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "scope date differs", kind: SignatureDoesNotMatch,
			change:  func(r *http.Request) { r.Header.Set("X-Amz-Date", "20240102T000000Z") },
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T000000Z'.",
		},
		{
			name: "wrong region", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := httptest.NewRequest("POST", "http://h/", strings.NewReader(ssmBody))
				if err := Sign(r, []byte(ssmBody), longTerm, "eu-west-2", "ssm", now); err != nil {
					t.Fatal(err)
				}
				return r, []byte(ssmBody)
			},
			message: "Credential should be scoped to a valid region, not 'eu-west-2'. ",
		},
		{
			name: "clock skew past", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, longTerm, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), []byte(ssmBody)
			},
			message: "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
		},
		{
			name: "clock skew future", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, longTerm, now.Add(5*time.Minute+time.Second)), []byte(ssmBody)
			},
			message: "Signature not yet current: 20240101T001501Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)",
		},
		{
			name: "unknown key", kind: InvalidClientTokenID,
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, Credentials{AccessKeyID: "AKIAUNKNOWNEXAMPLE00", Secret: "s"}, now), []byte(ssmBody)
			},
			message: "The security token included in the request is invalid.",
		},
		{
			name: "session token missing", kind: InvalidClientTokenID,
			req: func(t testing.TB) (*http.Request, []byte) {
				c := temporary
				c.SessionToken = ""
				return ssmRequest(t, c, now), []byte(ssmBody)
			},
			message: "The security token included in the request is invalid.",
		},
		{
			name: "session token wrong", kind: InvalidClientTokenID,
			req: func(t testing.TB) (*http.Request, []byte) {
				c := temporary
				c.SessionToken += "x"
				return ssmRequest(t, c, now), []byte(ssmBody)
			},
			message: "The security token included in the request is invalid.",
		},
		{
			name: "token with long-term key", kind: InvalidClientTokenID,
			req: func(t testing.TB) (*http.Request, []byte) {
				c := longTerm
				c.SessionToken = "made-up"
				return ssmRequest(t, c, now), []byte(ssmBody)
			},
			message: "The security token included in the request is invalid.",
		},
		{
			name: "expired credentials", kind: ExpiredToken,
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, expired, now), []byte(ssmBody)
			},
			message: "The security token included in the request is expired",
		},
		{
			name: "wrong secret", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				c := longTerm
				c.Secret = "not-the-secret"
				return ssmRequest(t, c, now), []byte(ssmBody)
			},
			message: mismatch,
		},
		{
			name: "body changed", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				return ssmRequest(t, longTerm, now), []byte(`{"MaxResults":50}`)
			},
			message: mismatch,
		},
		{
			name: "target changed", kind: SignatureDoesNotMatch,
			change:  func(r *http.Request) { r.Header.Set("X-Amz-Target", "AmazonSSM.StartSession") },
			message: mismatch,
		},
		{
			name: "signature not hex", kind: SignatureDoesNotMatch,
			change: func(r *http.Request) {
				r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-1]+"z")
			},
			message: mismatch,
		},
		{
			name: "content sha256 differs from body", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := httptest.NewRequest("POST", "http://h/", nil)
				r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("a")))
				if err := Sign(r, []byte("a"), longTerm, "us-east-1", "ssm", now); err != nil {
					t.Fatal(err)
				}
				return r, []byte("b")
			},
			message: mismatch,
		},
		{
			name: "content sha256 malformed", kind: IncompleteSignature,
			change:  func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") },
			message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
		},
		{
			name: "header and query", kind: IncompleteSignature,
			change:  func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
		},
		{
			name: "presigned expired", kind: RequestExpired,
			req: func(t testing.TB) (*http.Request, []byte) {
				return presigned(t, longTerm, now.Add(-61*time.Second), time.Minute), nil
			},
			message: "Request has expired.",
		},
		{
			name: "presigned not yet current", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				return presigned(t, longTerm, now.Add(6*time.Minute), time.Hour), nil
			},
			message: "Signature not yet current: 20240101T001600Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)",
		},
		{
			name: "presigned without expires is bound by skew", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now.Add(-6*time.Minute), time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600&", "", 1)
				return r, nil
			},
			message: "Signature expired: 20240101T000400Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
		},
		{
			name: "presigned expires not a number", kind: IncompleteSignature,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=1h", 1)
				return r, nil
			},
			message: "X-Amz-Expires should be a number",
		},
		{
			name: "presigned expires negative", kind: IncompleteSignature,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=-1", 1)
				return r, nil
			},
			message: "X-Amz-Expires must be non-negative",
		},
		{
			name: "presigned expires over a week", kind: IncompleteSignature,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1)
				return r, nil
			},
			message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
		},
		{
			name: "presigned missing signed headers", kind: IncompleteSignature,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-SignedHeaders=host&", "", 1)
				return r, nil
			},
			message: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
		},
		{
			name: "presigned other algorithm", kind: IncompleteSignature,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", 1)
				return r, nil
			},
			message: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`,
		},
		{
			name: "presigned path changed", kind: SignatureDoesNotMatch,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, longTerm, now, time.Hour)
				r.URL.Path = "/v1/data-channel/mallory-0123456789abcdef0"
				r.RequestURI = r.URL.RequestURI()
				return r, nil
			},
			message: mismatch,
		},
		{
			name: "presigned token stripped", kind: InvalidClientTokenID,
			req: func(t testing.TB) (*http.Request, []byte) {
				r := presigned(t, temporary, now, time.Hour)
				q := r.URL.Query()
				q.Del("X-Amz-Security-Token")
				r.URL.RawQuery = q.Encode()
				return r, nil
			},
			message: "The security token included in the request is invalid.",
		},
	}
	v := newVerifier(t, now, Config{Region: "us-east-1"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Request
			body := []byte(ssmBody)
			if tt.req != nil {
				r, body = tt.req(t)
			} else {
				r = ssmRequest(t, longTerm, now)
			}
			if tt.change != nil {
				tt.change(r)
			}
			res, err := v.Verify(r, body)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %+v, %v; want *Error", res, err)
			}
			if e.Kind != tt.kind || e.Message != tt.message {
				t.Errorf("error = %s %q\nwant    %s %q", e.Kind, e.Message, tt.kind, tt.message)
			}
			for _, secret := range []string{longTerm.Secret, temporary.Secret, temporary.SessionToken, expired.Secret, expired.SessionToken} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	type wire struct {
		code   string
		status int
	}
	tests := []struct {
		kind        Kind
		json, query wire
	}{
		{MissingAuthenticationToken, wire{"MissingAuthenticationTokenException", 400}, wire{"MissingAuthenticationToken", 403}},
		{IncompleteSignature, wire{"IncompleteSignatureException", 400}, wire{"IncompleteSignature", 400}},
		{InvalidClientTokenID, wire{"UnrecognizedClientException", 400}, wire{"InvalidClientTokenId", 403}},
		{ExpiredToken, wire{"ExpiredTokenException", 400}, wire{"ExpiredToken", 403}},
		{SignatureDoesNotMatch, wire{"InvalidSignatureException", 400}, wire{"SignatureDoesNotMatch", 403}},
		{RequestExpired, wire{"RequestExpired", 400}, wire{"RequestExpired", 400}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			e := &Error{Kind: tt.kind, Message: "m"}
			if got := (wire{e.Code(JSON), e.HTTPStatus(JSON)}); got != tt.json {
				t.Errorf("JSON = %v, want %v", got, tt.json)
			}
			if got := (wire{e.Code(Query), e.HTTPStatus(Query)}); got != tt.query {
				t.Errorf("Query = %v, want %v", got, tt.query)
			}
		})
	}
}

func TestLookupFailureFailsClosed(t *testing.T) {
	boom := errors.New("database is down")
	v := newVerifier(t, now, Config{Keys: KeysFunc(func(context.Context, string) (Credentials, error) {
		return Credentials{}, boom
	})})
	res, err := v.Verify(ssmRequest(t, longTerm, now), []byte(ssmBody))
	var e *Error
	if res != nil || !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("Verify = %v, %v; want the lookup error, not an *Error", res, err)
	}
	wrapped := KeysFunc(func(context.Context, string) (Credentials, error) {
		return Credentials{}, fmt.Errorf("key %q: %w", "x", ErrUnknownKey)
	})
	v = newVerifier(t, now, Config{Keys: wrapped})
	if _, err := v.Verify(ssmRequest(t, longTerm, now), []byte(ssmBody)); !errors.As(err, &e) || e.Kind != InvalidClientTokenID {
		t.Fatalf("wrapped ErrUnknownKey: err = %v", err)
	}
}

func TestNewConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without Keys succeeded")
	}
	if _, err := New(Config{Keys: testKeys{}, MaxSkew: -time.Second}); err == nil {
		t.Error("New with negative MaxSkew succeeded")
	}
	v, err := New(Config{Keys: testKeys{}})
	if err != nil || v.maxSkew != DefaultMaxSkew || v.clock == nil {
		t.Errorf("defaults: %+v, %v", v, err)
	}
	// A custom skew is reported in AWS's units.
	v = newVerifier(t, now, Config{MaxSkew: 15 * time.Minute})
	_, err = v.Verify(ssmRequest(t, longTerm, now.Add(-16*time.Minute)), []byte(ssmBody))
	if want := "Signature expired: 20231231T235400Z is now earlier than 20231231T235500Z (20240101T001000Z - 15 min.)"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want ...%s", err, want)
	}
	v = newVerifier(t, now, Config{MaxSkew: 90 * time.Second})
	_, err = v.Verify(ssmRequest(t, longTerm, now.Add(-2*time.Minute)), []byte(ssmBody))
	if want := "(20240101T001000Z - 90 sec.)"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want ...%s", err, want)
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	for _, s := range []string{
		fmt.Sprint(temporary), fmt.Sprintf("%+v", temporary), fmt.Sprintf("%#v", temporary),
		fmt.Sprintf("%v", []Credentials{temporary}), temporary.LogValue().String(),
	} {
		if strings.Contains(s, temporary.Secret) || strings.Contains(s, temporary.SessionToken) {
			t.Errorf("%q shows a secret", s)
		}
		if !strings.Contains(s, temporary.AccessKeyID) {
			t.Errorf("%q lacks the access key id", s)
		}
	}
}

func TestPresignRejectsBadArguments(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h/", nil)
	for _, d := range []time.Duration{0, 500 * time.Millisecond, MaxPresignExpiry + time.Second} {
		if err := Presign(r, nil, longTerm, "us-east-1", "ssm", now, d); err == nil {
			t.Errorf("Presign(expires %v) succeeded", d)
		}
	}
	if err := Sign(r, nil, Credentials{AccessKeyID: "A"}, "us-east-1", "ssm", now); err == nil {
		t.Error("Sign without a secret succeeded")
	}
	if err := Sign(r, nil, longTerm, "us/east", "ssm", now); err == nil {
		t.Error("Sign with a slash in the region succeeded")
	}
}
