package sigv4

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxSkew is how far a signing time may be from the server's clock,
// as most AWS services allow.
const DefaultMaxSkew = 5 * time.Minute

// Config configures a Verifier. Keys is required.
type Config struct {
	// Keys looks up access keys.
	Keys Keys
	// Clock returns the current time; time.Now if nil.
	Clock func() time.Time
	// MaxSkew bounds |signing time - now|; DefaultMaxSkew if zero.
	MaxSkew time.Duration
	// Region, if set, is the only region a credential scope may name.
	// Leave it empty to accept any: the aws CLI signs IAM and STS calls
	// to an --endpoint-url with its own configured region.
	Region string
}

// Verifier checks AWS Signature Version 4 on incoming requests. It is safe
// for concurrent use.
type Verifier struct {
	keys    Keys
	clock   func() time.Time
	maxSkew time.Duration
	region  string
	derived derivedKeys
}

// derivedKeys keeps the signing keys derived from secrets (four HMACs
// each) by scope: a key signs every request of its day, region and
// service.
type derivedKeys struct {
	mu sync.Mutex // protects m
	m  map[derivedScope][]byte
}

type derivedScope struct{ secret, date, region, service string }

const maxDerivedKeys = 10000

func (d *derivedKeys) get(secret, date, region, service string) []byte {
	k := derivedScope{secret, date, region, service}
	d.mu.Lock()
	key, ok := d.m[k]
	d.mu.Unlock()
	if ok {
		return key
	}
	key = signingKey(secret, date, region, service)
	d.mu.Lock()
	if d.m == nil || len(d.m) >= maxDerivedKeys {
		d.m = make(map[derivedScope][]byte) // yesterday's keys go too
	}
	d.m[k] = key
	d.mu.Unlock()
	return key
}

// New validates cfg, fills its defaults and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("sigv4: config: Keys is required")
	}
	if cfg.MaxSkew < 0 {
		return nil, fmt.Errorf("sigv4: config: negative MaxSkew %v", cfg.MaxSkew)
	}
	v := &Verifier{keys: cfg.Keys, clock: cfg.Clock, maxSkew: cfg.MaxSkew, region: cfg.Region}
	if v.clock == nil {
		v.clock = time.Now
	}
	if v.maxSkew == 0 {
		v.maxSkew = DefaultMaxSkew
	}
	return v, nil
}

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID string
	// Principal is Credentials.Principal of the key that signed.
	Principal string
	// Temporary is true when the request carried a session token.
	Temporary bool
	Region    string
	Service   string
	// Time is the signing time (X-Amz-Date).
	Time time.Time
	// Presigned is true for query-string authentication; Expires is then
	// the end of its validity (zero without X-Amz-Expires).
	Presigned bool
	Expires   time.Time
	// SignedHeaders are the lowercase names the signature covers; a
	// handler can insist that, say, x-amz-target is among them.
	SignedHeaders []string
}

// request is a request being verified.
type request struct {
	auth      authorization
	presigned bool
	amzDate   string
	t         time.Time
	expires   time.Duration // presigned with X-Amz-Expires
	token     string
	pairs     []queryPair // decoded query, '+' read as space
}

// Verify checks the signature of r, whose body has been read into body
// (nil for none; r.Body is not read). It returns *Error, with AWS's code
// and message, when the request is not authentic, and another error only
// when the key lookup fails. Both the Authorization header and presigned
// query forms are accepted.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Result, error) {
	q, err := v.parse(r)
	if err != nil {
		return nil, err
	}
	sc, e := parseCredential(q.auth.credential)
	if e != nil {
		return nil, e
	}
	names, e := splitSignedHeaders(q.auth.signedHeaders)
	if e != nil {
		return nil, e
	}
	if e := v.checkScope(sc, q); e != nil {
		return nil, e
	}
	now := v.clock()
	if e := v.checkTime(q, now); e != nil {
		return nil, e
	}
	creds, err := v.lookup(r, sc.accessKeyID, q.token, now)
	if err != nil {
		return nil, err
	}
	payload, e := payloadHash(r, q, sc.service, body)
	if e != nil {
		return nil, e
	}
	want, ok := decodeSignature(q.auth.signature)
	if !ok || !matchAny(r, q, sc, names, payload, v.derived.get(creds.Secret, sc.date, sc.region, sc.service), want) {
		return nil, errMismatch()
	}
	res := &Result{
		AccessKeyID:   sc.accessKeyID,
		Principal:     creds.Principal,
		Temporary:     q.token != "",
		Region:        sc.region,
		Service:       sc.service,
		Time:          q.t,
		Presigned:     q.presigned,
		SignedHeaders: names,
	}
	if q.presigned && q.expires > 0 {
		res.Expires = q.t.Add(q.expires)
	}
	return res, nil
}

// parse finds the signature parameters, the signing time and the session
// token in the header or the query.
func (v *Verifier) parse(r *http.Request) (*request, error) {
	q := &request{pairs: parseQuery(r.URL.RawQuery, true)}
	header := r.Header.Get("Authorization")
	inQuery := q.param("X-Amz-Algorithm") != "" || q.param("X-Amz-Credential") != "" || q.param("X-Amz-Signature") != ""
	switch {
	case header != "" && inQuery:
		return nil, errIncomplete(msgTwoMechanisms)
	case header != "":
		return q, q.parseHeader(r, header)
	case inQuery:
		q.presigned = true
		return q, q.parseQueryAuth()
	}
	return nil, errMissingAuth()
}

func (q *request) param(name string) string {
	for _, p := range q.pairs {
		if p.key == name {
			return p.value
		}
	}
	return ""
}

func (q *request) parseHeader(r *http.Request, header string) error {
	amzDate := r.Header.Get("X-Amz-Date")
	httpDate := r.Header.Get("Date")
	a, e := parseAuthorization(header, amzDate != "" || httpDate != "")
	if e != nil {
		return e
	}
	q.auth = a
	q.token = r.Header.Get("X-Amz-Security-Token")
	if amzDate != "" {
		q.t, e = parseAmzDate(amzDate)
		if e != nil {
			return e
		}
		q.amzDate = amzDate
		return nil
	}
	t, err := http.ParseTime(httpDate)
	if err != nil {
		return errf(IncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", httpDate)
	}
	q.t = t.UTC()
	q.amzDate = formatTime(q.t)
	return nil
}

func (q *request) parseQueryAuth() error {
	q.auth = authorization{
		algorithm:     q.param("X-Amz-Algorithm"),
		credential:    q.param("X-Amz-Credential"),
		signedHeaders: q.param("X-Amz-SignedHeaders"),
		signature:     q.param("X-Amz-Signature"),
	}
	q.amzDate = q.param("X-Amz-Date")
	q.token = q.param("X-Amz-Security-Token")
	a := q.auth
	if a.algorithm == "" || a.credential == "" || a.signedHeaders == "" || a.signature == "" || q.amzDate == "" {
		return errIncomplete(msgQueryParams)
	}
	if a.algorithm != algorithm {
		return errf(IncompleteSignature, "X-Amz-Algorithm only supports \"%s\"", algorithm)
	}
	var e *Error
	if q.t, e = parseAmzDate(q.amzDate); e != nil {
		return e
	}
	if s := q.param("X-Amz-Expires"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return errIncomplete(msgExpiresNumber)
		case n < 0:
			return errIncomplete(msgExpiresNegative)
		case n > int64(MaxPresignExpiry/time.Second):
			return errIncomplete(msgExpiresWeek)
		}
		q.expires = time.Duration(n) * time.Second
	}
	return nil
}

// checkScope checks the credential scope against the signing date and the
// configured region.
func (v *Verifier) checkScope(sc scope, q *request) *Error {
	if want := q.amzDate[:len(dateFormat)]; sc.date != want {
		return errf(SignatureDoesNotMatch,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sc.date, want, q.amzDate)
	}
	if sc.region == "" || (v.region != "" && sc.region != v.region) {
		return errf(SignatureDoesNotMatch, "Credential should be scoped to a valid region, not '%s'. ", sc.region)
	}
	return nil
}

// checkTime checks the signing time against the clock: within MaxSkew of
// now, and for a presigned request with X-Amz-Expires, not past it.
func (v *Verifier) checkTime(q *request, now time.Time) *Error {
	if q.presigned && q.expires > 0 {
		if q.t.After(now.Add(v.maxSkew)) {
			return errSkew(q.t, now, v.maxSkew)
		}
		if now.After(q.t.Add(q.expires)) {
			return errRequestExpired()
		}
		return nil
	}
	if d := now.Sub(q.t); d > v.maxSkew || d < -v.maxSkew {
		return errSkew(q.t, now, v.maxSkew)
	}
	return nil
}

// lookup finds the key and checks the session token and expiry.
func (v *Verifier) lookup(r *http.Request, akid, token string, now time.Time) (Credentials, error) {
	if akid == "" {
		return Credentials{}, errInvalidToken()
	}
	creds, err := v.keys.LookupKey(r.Context(), akid)
	if errors.Is(err, ErrUnknownKey) {
		return Credentials{}, errInvalidToken()
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("sigv4: look up access key %s: %w", akid, err)
	}
	if creds.Secret == "" || subtle.ConstantTimeCompare([]byte(creds.SessionToken), []byte(token)) != 1 {
		return Credentials{}, errInvalidToken()
	}
	if !creds.Expires.IsZero() && !now.Before(creds.Expires) {
		return Credentials{}, errExpiredToken()
	}
	return creds, nil
}

// payloadHash returns the payload line of the canonical request: the
// client's X-Amz-Content-Sha256 (checked against body when it is a hash),
// or the hash of body, or UNSIGNED-PAYLOAD for a presigned S3 request.
func payloadHash(r *http.Request, q *request, service string, body []byte) (string, *Error) {
	v := r.Header.Get("X-Amz-Content-Sha256")
	if q.presigned {
		if p := q.param("X-Amz-Content-Sha256"); p != "" {
			v = p
		} else if v == "" && service == "s3" {
			return unsignedPayload, nil
		}
	}
	switch {
	case v == "":
		return hashHex(body), nil
	case v == unsignedPayload:
		return v, nil
	case !isSHA256Hex(v):
		return "", errIncomplete(msgContentSHA256)
	case v != hashHex(body):
		return "", errMismatch()
	}
	return v, nil
}

func decodeSignature(s string) ([]byte, bool) {
	if len(s) != 64 {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// matchAny computes the signature of each canonical form the request can
// have been signed in and compares it with want. Clients agree on the
// canonical request except in three corners, where each form is tried:
// the path is normalized (botocore, the AWS test suite) or not (the AWS
// SDK for Go v2); a '+' in the query is a space (Go SDK) or a literal
// plus; header values with inner tabs have them collapsed (botocore) or
// kept (Go SDK). Almost every request has one form only.
func matchAny(r *http.Request, q *request, sc scope, names []string, payload string, key, want []byte) bool {
	wire := serverWirePath(r)
	uris := []string{canonicalURI(wire, sc.service, true)}
	if raw := canonicalURI(wire, sc.service, false); raw != uris[0] {
		uris = append(uris, raw)
	}
	skip := ""
	if q.presigned {
		skip = "X-Amz-Signature"
	}
	queries := []string{canonicalQuery(q.pairs, skip)}
	if strings.IndexByte(r.URL.RawQuery, '+') >= 0 {
		if lit := canonicalQuery(parseQuery(r.URL.RawQuery, false), skip); lit != queries[0] {
			queries = append(queries, lit)
		}
	}
	headers := []string{canonicalHeaders(r, names, false)}
	for _, n := range names {
		if hasOtherSpace(headerValues(r, n)) {
			headers = append(headers, canonicalHeaders(r, names, true))
			break
		}
	}
	signed := q.auth.signedHeaders
	sc.accessKeyID = ""
	scopeStr := sc.String()
	found := 0
	for _, u := range uris {
		for _, qs := range queries {
			for _, h := range headers {
				creq := canonicalRequest(r.Method, u, qs, h, signed, payload)
				got := hmacSHA256(key, stringToSign(q.amzDate, scopeStr, creq))
				found |= boolInt(hmac.Equal(got, want))
			}
		}
	}
	return found == 1
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
