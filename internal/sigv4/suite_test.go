package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// readSuiteRequest reads a signed request of the AWS test suite. The suite
// keeps raw UTF-8 and spaces in the request target, which net/http
// refuses, so this builds the server-side request by hand: RequestURI is
// the target byte for byte, header values are trimmed as textproto does.
func readSuiteRequest(t *testing.T, path string) (*http.Request, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(data), "\n\n")
	lines := strings.Split(head, "\n")
	method, rest, _ := strings.Cut(lines[0], " ")
	target := strings.TrimSuffix(rest, " HTTP/1.1")
	p, rawQuery, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method:     method,
		RequestURI: target,
		URL:        &url.URL{Path: p, RawQuery: rawQuery},
		Header:     http.Header{},
		Proto:      "HTTP/1.1",
	}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: bad header line %q", path, l)
		}
		v = strings.Trim(v, " \t")
		if http.CanonicalHeaderKey(k) == "Host" {
			r.Host = v
			continue
		}
		r.Header.Add(k, v)
	}
	return r, []byte(body)
}

// TestAWSSuite verifies every signed request of the AWS test suite, then
// checks that changing any part of it breaks the signature.
func TestAWSSuite(t *testing.T) {
	files, err := filepath.Glob("testdata/aws-sig-v4-test-suite/*.sreq")
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files: %v", err)
	}
	token := "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sreq")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := suiteKey
			if strings.HasPrefix(name, "post-sts-") {
				key.SessionToken = token
			}
			v := newVerifier(t, suiteTime.Add(90*time.Second), Config{Keys: keysOf(key), Region: "us-east-1"})
			r, body := readSuiteRequest(t, f)
			res, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.AccessKeyID != "AKIDEXAMPLE" || res.Region != "us-east-1" || res.Service != "service" || !res.Time.Equal(suiteTime) {
				t.Errorf("result = %+v", res)
			}

			tampered := map[string]func(r *http.Request) []byte{
				"method": func(r *http.Request) []byte { r.Method = "PUT"; return body },
				"body":   func(r *http.Request) []byte { return append([]byte("x"), body...) },
				"query":  func(r *http.Request) []byte { r.URL.RawQuery += "&extra=1"; return body },
				"host":   func(r *http.Request) []byte { r.Host = "evil.example.com"; return body },
				"signed header": func(r *http.Request) []byte {
					r.Header.Set("X-Amz-Date", "20150830T123601Z")
					return body
				},
			}
			for what, change := range tampered {
				r, _ := readSuiteRequest(t, f)
				b := change(r)
				_, err := v.Verify(r, b)
				var e *Error
				if !errors.As(err, &e) || e.Kind != SignatureDoesNotMatch {
					t.Errorf("tampered %s: err = %v, want SignatureDoesNotMatch", what, err)
				}
			}
		})
	}
}

// TestSignMatchesSuite signs suite requests with Sign and expects AWS's
// exact Authorization header, for the cases whose signed headers are what
// Sign chooses and whose target is one Go can send.
func TestSignMatchesSuite(t *testing.T) {
	for _, name := range []string{
		"get-header-key-duplicate", "get-header-value-order", "get-header-value-trim", "get-unreserved",
		"get-vanilla-query", "get-vanilla-empty-query-key", "get-vanilla-query-order-key-case",
		"get-vanilla-query-unreserved", "post-header-key-sort", "post-header-value-case", "post-vanilla",
		"post-vanilla-empty-query-value", "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
		"post-sts-header-before",
	} {
		t.Run(name, func(t *testing.T) {
			r, body := readSuiteRequest(t, "testdata/aws-sig-v4-test-suite/"+name+".sreq")
			want := r.Header.Get("Authorization")
			creds := suiteKey
			if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
				creds.SessionToken = tok
			}
			r.RequestURI = ""
			if err := Sign(r, body, creds, "us-east-1", "service", suiteTime); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
		})
	}
}
