package sigv4

import (
	"strings"
	"time"
)

// authorization holds the signature parameters of a request, from the
// Authorization header or from the presigned query.
type authorization struct {
	algorithm     string
	credential    string // AKID/date/region/service/aws4_request
	signedHeaders string // "host;x-amz-date"
	signature     string // lowercase hex
}

// parseAuthorization parses an Authorization header value the way AWS
// does: the first word is the algorithm; the rest is split on commas and
// whitespace into key=value pairs. It returns AWS's IncompleteSignature
// messages; hasDate tells whether the request has an X-Amz-Date or Date
// header, which AWS reports in the same message as missing parameters.
func parseAuthorization(header string, hasDate bool) (authorization, *Error) {
	var a authorization
	h := strings.TrimLeft(header, " \t")
	alg, rest, _ := strings.Cut(h, " ")
	a.algorithm = alg
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			break
		}
		end := strings.IndexAny(rest, " \t,")
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return a, errf(IncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", tok, header)
		}
		switch k {
		case "Credential":
			a.credential = v
		case "SignedHeaders":
			a.signedHeaders = v
		case "Signature":
			a.signature = v
		}
	}
	var missing []string
	if a.credential == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if a.signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if a.signedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if !hasDate {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return a, errIncomplete(strings.Join(missing, " ") + " Authorization=" + header)
	}
	if a.algorithm != algorithm {
		return a, errf(IncompleteSignature, "Unsupported AWS 'algorithm': '%s'", a.algorithm)
	}
	return a, nil
}

// formatAuthorization renders the Authorization header value that
// parseAuthorization reads, in the SDKs' layout.
func formatAuthorization(credential, signedHeaders, signature string) string {
	return algorithm + " Credential=" + credential + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
}

// scope is a parsed credential: AKID/date/region/service/aws4_request.
type scope struct {
	accessKeyID, date, region, service string
}

func (s scope) String() string {
	return s.date + "/" + s.region + "/" + s.service + "/" + terminator
}

func parseCredential(c string) (scope, *Error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[3] == "" {
		return scope{}, errf(IncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", c)
	}
	if parts[4] != terminator {
		return scope{}, errf(SignatureDoesNotMatch,
			"Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", parts[4])
	}
	return scope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}, nil
}

// parseAmzDate parses an ISO 8601 basic-format time (20150830T123600Z).
func parseAmzDate(v string) (time.Time, *Error) {
	t, err := time.Parse(timeFormat, v)
	if err != nil || len(v) != len(timeFormat) {
		return time.Time{}, errf(IncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", v)
	}
	return t, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// splitSignedHeaders splits "host;x-amz-date" and checks that host is
// among them.
func splitSignedHeaders(s string) ([]string, *Error) {
	names := strings.Split(s, ";")
	for _, n := range names {
		if n == "host" {
			return names, nil
		}
	}
	return nil, errIncomplete(msgHostNotSigned)
}
