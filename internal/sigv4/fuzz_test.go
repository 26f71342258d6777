package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseAuthorization checks that any Authorization header parses
// without panicking, that a header it accepts has every part, and that
// formatting the parts again gives a header that parses to the same parts.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", true)
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=00", false)
	f.Add("AWS4-HMAC-SHA256 Credential= AKID/20240101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=x", true)
	f.Add("Authorization: AWS4-HMAC-SHA256 Credential=a", true)
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", true)
	f.Add("", false)
	f.Add("AWS4-HMAC-SHA256\tCredential=x,,,  SignedHeaders==,Signature=a=b", true)
	files, _ := filepath.Glob("testdata/aws-sig-v4-test-suite/*.sreq")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "Authorization: "); ok {
				f.Add(v, true)
			}
		}
	}
	f.Fuzz(func(t *testing.T, header string, hasDate bool) {
		a, e := parseAuthorization(header, hasDate)
		if e != nil {
			if e.Kind != IncompleteSignature || e.Message == "" {
				t.Fatalf("error %v", e)
			}
			return
		}
		if a.algorithm != algorithm || a.credential == "" || a.signedHeaders == "" || a.signature == "" || !hasDate {
			t.Fatalf("accepted %q as %+v", header, a)
		}
		again, e := parseAuthorization(formatAuthorization(a.credential, a.signedHeaders, a.signature), true)
		if e != nil || again != a {
			t.Fatalf("round trip of %+v: %+v, %v", a, again, e)
		}
		_, _ = parseCredential(a.credential)
		_, _ = splitSignedHeaders(a.signedHeaders)
	})
}

// FuzzSignVerify signs requests with arbitrary paths, queries and headers,
// sends them through their wire form and expects them to verify: Sign and
// Verify must canonicalize every request alike. Presigned too.
func FuzzSignVerify(f *testing.F) {
	f.Add("GET", "/", "", "X-Test", "v", []byte(nil), false)
	f.Add("POST", "/a b/ሴ/../c//d/./e", "b=2&a=1&a=0&k+plus=v%20w&ሴ=bar", "My-Header1", "  a   b  ", []byte(`{"x":1}`), false)
	f.Add("GET", "/v1/data-channel/alice-0123", "role=publish_subscribe", "X-Amz-Meta", "\"q   q\"", []byte(nil), true)
	f.Add("PUT", "/100%/%41/!$&'()*+,;=:@", "%zz=1&=v&k=&&a=b=c;d", "Content-Type", "text/plain;\tcharset=utf8", []byte("body"), false)
	f.Add("DELETE", "//example//", "x=%2B+%20", "X-A", "\ta\t\tb ", []byte{0, 1, 2}, true)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hname, hvalue string, body []byte, presign bool) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(rawQuery, "# \t\r\n") {
			t.Skip()
		}
		r, err := http.NewRequest(method, "http://example.com:8443/", bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		r.URL = &url.URL{Scheme: "http", Host: "example.com:8443", Path: path, RawQuery: rawQuery}
		r.Header.Set(hname, hvalue)
		if presign {
			err = Presign(r, body, temporary, "us-east-1", "ssmmessages", now, MaxPresignExpiry)
		} else {
			err = Sign(r, body, temporary, "us-east-1", "ssm", now)
		}
		if err != nil {
			t.Fatal(err)
		}
		var wire bytes.Buffer
		if err := r.Write(&wire); err != nil {
			t.Skip() // not a request Go can send (bad method, header name or value)
		}
		sr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire.Bytes())))
		if err != nil {
			t.Skip()
		}
		sbody, _ := io.ReadAll(sr.Body)
		v := newVerifier(t, now, Config{})
		if _, err := v.Verify(sr, sbody); err != nil {
			t.Fatalf("signed request rejected: %v\n%s", err, wire.String())
		}
	})
}

// FuzzVerify feeds arbitrary requests to Verify: it must not panic, and
// every failure must be an *Error with AWS's message.
func FuzzVerify(f *testing.F) {
	seed := func(r *http.Request) {
		var b bytes.Buffer
		if err := r.Write(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	seed(ssmRequest(f, temporary, now))
	seed(presigned(f, temporary, now, 900e9))
	f.Add([]byte("GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T001000Z&X-Amz-Expires=-1&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nDate: Mon, 01 Jan 2024 00:10:00 GMT\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ssm/aws4_request, SignedHeaders=date;host, Signature=00\r\n\r\n"))
	v := newVerifier(f, now, Config{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Skip()
		}
		body, _ := io.ReadAll(r.Body)
		res, err := v.Verify(r, body)
		if err == nil {
			// Only a seed, or a seed changed in parts the signature does
			// not cover (an unsigned header), verifies.
			if res.AccessKeyID != temporary.AccessKeyID {
				t.Fatalf("accepted %q: %+v", raw, res)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Fatalf("Verify error %v is not an *Error", err)
		}
	})
}
