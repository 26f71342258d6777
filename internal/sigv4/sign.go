package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKey derives kSigning from the secret and the credential scope.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// ignoredHeaders are never signed: they are added or changed on the way
// (proxies, the HTTP client) or carry the signature itself.
var ignoredHeaders = map[string]bool{
	"authorization":     true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
	"expect":            true,
	"transfer-encoding": true,
	"connection":        true,
	"content-length":    true,
}

// Sign signs r in the Authorization header form for the credential scope
// (t's date, region, service). It sets X-Amz-Date (and X-Amz-Security-Token
// for temporary credentials, and X-Amz-Content-Sha256 for S3), signs host
// and every header r has except the hop-by-hop and ignored ones, and
// hashes body as the payload unless X-Amz-Content-Sha256 is already set
// (for example to UNSIGNED-PAYLOAD). body must be what r will send.
func Sign(r *http.Request, body []byte, creds Credentials, region, service string, t time.Time) error {
	if err := checkSignArgs(creds, region, service); err != nil {
		return err
	}
	t = t.UTC()
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", t.Format(timeFormat))
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = hashHex(body)
		if service == "s3" {
			r.Header.Set("X-Amz-Content-Sha256", payload)
		}
	}

	names := []string{"host"}
	for k := range r.Header {
		if n := strings.ToLower(k); validHeaderName(n) && !ignoredHeaders[n] && n != "host" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	signed := strings.Join(names, ";")

	sc := scope{accessKeyID: creds.AccessKeyID, date: t.Format(dateFormat), region: region, service: service}
	creq := canonicalRequest(r.Method,
		canonicalURI(clientWirePath(r.URL), service, true),
		canonicalQuery(parseQuery(r.URL.RawQuery, true), ""),
		canonicalHeaders(r, names, false), signed, payload)
	sig := signature(creds.Secret, sc, t, creq)
	r.Header.Set("Authorization", formatAuthorization(creds.AccessKeyID+"/"+sc.String(), signed, sig))
	return nil
}

// validHeaderName reports whether n is an RFC 9110 token, a header name
// net/http will send (it drops the others).
func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// MaxPresignExpiry is the longest X-Amz-Expires AWS accepts: seven days.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Presign signs r in the query-string form, valid for expires from t: it
// adds X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders
// (host only), -Security-Token and -Signature to r.URL.RawQuery, which is
// rewritten in canonical encoding. The payload is UNSIGNED-PAYLOAD for S3
// and the hash of body otherwise. r.URL.String() is then the presigned URL.
func Presign(r *http.Request, body []byte, creds Credentials, region, service string, t time.Time, expires time.Duration) error {
	if err := checkSignArgs(creds, region, service); err != nil {
		return err
	}
	if expires < time.Second || expires > MaxPresignExpiry {
		return fmt.Errorf("sigv4: presign expiry %v outside 1s..%v", expires, MaxPresignExpiry)
	}
	t = t.UTC()
	sc := scope{accessKeyID: creds.AccessKeyID, date: t.Format(dateFormat), region: region, service: service}
	pairs := parseQuery(r.URL.RawQuery, true)
	pairs = slices.DeleteFunc(pairs, func(p queryPair) bool { return strings.HasPrefix(p.key, "X-Amz-") && presignParams[p.key] })
	pairs = append(pairs,
		queryPair{"X-Amz-Algorithm", algorithm},
		queryPair{"X-Amz-Credential", creds.AccessKeyID + "/" + sc.String()},
		queryPair{"X-Amz-Date", t.Format(timeFormat)},
		queryPair{"X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10)},
		queryPair{"X-Amz-SignedHeaders", "host"},
	)
	if creds.SessionToken != "" {
		pairs = append(pairs, queryPair{"X-Amz-Security-Token", creds.SessionToken})
	}
	payload := hashHex(body)
	if service == "s3" {
		payload = unsignedPayload
	}
	query := canonicalQuery(pairs, "")
	creq := canonicalRequest(r.Method,
		canonicalURI(clientWirePath(r.URL), service, true),
		query, canonicalHeaders(r, []string{"host"}, false), "host", payload)
	r.URL.RawQuery = query + "&X-Amz-Signature=" + signature(creds.Secret, sc, t, creq)
	r.URL.ForceQuery = false
	return nil
}

// presignParams are the query parameters Presign sets; stale ones on r are
// replaced.
var presignParams = map[string]bool{
	"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true, "X-Amz-Expires": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Security-Token": true, "X-Amz-Signature": true,
}

func checkSignArgs(creds Credentials, region, service string) error {
	switch {
	case creds.AccessKeyID == "" || creds.Secret == "":
		return errors.New("sigv4: sign: credentials need an access key id and a secret")
	case region == "" || service == "" || strings.Contains(region, "/") || strings.Contains(service, "/"):
		return fmt.Errorf("sigv4: sign: invalid scope region %q service %q", region, service)
	}
	return nil
}

// signature returns the hex signature of the canonical request creq.
func signature(secret string, sc scope, t time.Time, creq string) string {
	sts := stringToSign(t.Format(timeFormat), sc.String(), creq)
	return hex.EncodeToString(hmacSHA256(signingKey(secret, sc.date, sc.region, sc.service), sts))
}
