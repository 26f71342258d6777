package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	timeFormat      = "20060102T150405Z"
	dateFormat      = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

const upperhex = "0123456789ABCDEF"

// shouldEscape reports whether AWS's URI encoding escapes c: everything but
// the RFC 3986 unreserved characters, and '/' in paths.
func shouldEscape(c byte, path bool) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return false
	case c == '-' || c == '_' || c == '.' || c == '~':
		return false
	case c == '/':
		return !path
	}
	return true
}

// uriEncode percent-encodes s as the SigV4 canonical request requires:
// uppercase hex, space as %20.
func uriEncode(s string, path bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if shouldEscape(s[i], path) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c, path) {
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// normalizePath removes "." and ".." segments and empty segments (repeated
// slashes) from an escaped path, as RFC 3986 §5.2.4 and AWS require for
// every service but S3. The result starts with '/' and keeps a trailing '/'.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") && p[0] == '/' {
		return p // fast path: nothing to remove
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	r := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		r += "/"
	}
	return r
}

// canonicalURI is the path line of the canonical request for a path as it
// travelled on the wire (escaped). S3 signs the path as is; every other
// service signs the normalized path URI-encoded once more, so "%20" on the
// wire is "%2520" in the canonical request.
func canonicalURI(wirePath, service string, normalize bool) string {
	if wirePath == "" {
		wirePath = "/"
	}
	if service == "s3" {
		return wirePath
	}
	if normalize {
		wirePath = normalizePath(wirePath)
	}
	return uriEncode(wirePath, true)
}

// serverWirePath returns the path of r as the client sent it. A server
// request has RequestURI, which keeps bytes Go would re-escape (raw UTF-8,
// spaces); a client request has only its URL, which Go sends as Opaque or
// EscapedPath.
func serverWirePath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	return clientWirePath(r.URL)
}

func clientWirePath(u *url.URL) string {
	if u.Opaque != "" {
		p := u.Opaque
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if strings.HasPrefix(p, "//") {
			p = p[2:]
			if i := strings.IndexByte(p, '/'); i >= 0 {
				return p[i:]
			}
			return "/"
		}
		return p
	}
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// queryPair is a decoded query parameter.
type queryPair struct{ key, value string }

// parseQuery splits a raw query string into decoded pairs the way Go's
// url.ParseQuery does (pairs with ';' or a bad escape are dropped, as
// r.URL.Query drops them for the handler too). With plusIsSpace false a
// '+' is kept literally instead of being read as a space.
func parseQuery(raw string, plusIsSpace bool) []queryPair {
	if raw == "" {
		return nil
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" || strings.IndexByte(part, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, ok1 := unescape(k, plusIsSpace)
		v, ok2 := unescape(v, plusIsSpace)
		if !ok1 || !ok2 {
			continue
		}
		pairs = append(pairs, queryPair{k, v})
	}
	return pairs
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func unescape(s string, plusIsSpace bool) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && (!plusIsSpace || strings.IndexByte(s, '+') < 0) {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b = append(b, hi<<4|lo)
			i += 2
		case c == '+' && plusIsSpace:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// canonicalQuery encodes, sorts (by encoded name, then encoded value) and
// joins pairs; the pair named skip (X-Amz-Signature of a presigned
// request) is left out.
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	n := 0
	for _, p := range pairs {
		if skip != "" && p.key == skip {
			continue
		}
		e := queryPair{uriEncode(p.key, false), uriEncode(p.value, false)}
		n += len(e.key) + len(e.value) + 2
		enc = append(enc, e)
	}
	if len(enc) == 0 {
		return ""
	}
	slices.SortFunc(enc, func(a, b queryPair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	b.Grow(n)
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// headerValues returns the values of the header named name (lowercase) as
// Go holds them for r: Host and Content-Length and Transfer-Encoding live
// outside r.Header on server requests.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil && r.URL.Host != "" {
			return []string{r.URL.Host}
		}
		return nil
	case "content-length":
		if v := r.Header["Content-Length"]; len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header["Transfer-Encoding"]; len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	if v, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
		return v
	}
	var vs []string // keys set directly in the map, not canonicalized
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			vs = append(vs, v...)
		}
	}
	return vs
}

// trimAll trims v and collapses each run of whitespace inside it to one
// space. With spacesOnly, only runs of ' ' are collapsed (the AWS SDK for
// Go v2's rule); otherwise tabs and other ASCII whitespace count too
// (botocore's rule). They differ only for values with inner tabs.
func trimAll(v string, spacesOnly bool) string {
	isSpace := func(c byte) bool {
		if spacesOnly {
			return c == ' '
		}
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	}
	v = strings.TrimSpace(v)
	clean := true
	for i := 0; i < len(v); i++ {
		if isSpace(v[i]) && (v[i] != ' ' || (i+1 < len(v) && isSpace(v[i+1]))) {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	b := make([]byte, 0, len(v))
	space := false
	for i := 0; i < len(v); i++ {
		if isSpace(v[i]) {
			if !space {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, v[i])
	}
	return string(b)
}

// hasOtherSpace reports whether any value holds whitespace other than ' '
// after trimming, where the two trimAll rules disagree.
func hasOtherSpace(values []string) bool {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if strings.ContainsAny(v, "\t\n\r\v\f") {
			return true
		}
	}
	return false
}

// canonicalHeaders renders the canonical header block (each line ending
// in '\n') for the signed header names, in the order given.
func canonicalHeaders(r *http.Request, names []string, spacesOnly bool) string {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v, spacesOnly))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// canonicalRequest joins the six parts of the canonical request.
func canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(query) + len(headers) + len(signedHeaders) + len(payloadHash) + 5)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	b.WriteString(headers)
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// stringToSign hashes the canonical request into the string to sign.
func stringToSign(amzDate, scope, creq string) string {
	sum := sha256.Sum256([]byte(creq))
	var b strings.Builder
	b.Grow(len(algorithm) + len(amzDate) + len(scope) + 3 + 2*sha256.Size)
	b.WriteString(algorithm)
	b.WriteByte('\n')
	b.WriteString(amzDate)
	b.WriteByte('\n')
	b.WriteString(scope)
	b.WriteByte('\n')
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	b.Write(h[:])
	return b.String()
}

func hashHex(body []byte) string {
	if len(body) == 0 {
		return emptySHA256
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
