package sigv4

import (
	"fmt"
	"net/http"
	"time"
)

// Protocol is the wire protocol family of the service a request was sent
// to. AWS names the same authentication failure differently in each family
// (UnrecognizedClientException in JSON, InvalidClientTokenId in Query), so
// an Error is turned into a wire error only once the protocol is known.
type Protocol uint8

const (
	// JSON is AWS JSON 1.0/1.1 (SSM, X-Amz-Target) and REST-JSON.
	JSON Protocol = iota + 1
	// Query is the AWS Query protocol with XML responses (IAM, STS).
	Query
)

// Kind is the class of an authentication failure. The set is closed.
type Kind uint8

const (
	// MissingAuthenticationToken: the request carries no signature at all.
	MissingAuthenticationToken Kind = iota + 1
	// IncompleteSignature: the Authorization header or the presigned query
	// parameters are malformed.
	IncompleteSignature
	// InvalidClientTokenID: the access key id is unknown, or the session
	// token does not belong to it.
	InvalidClientTokenID
	// ExpiredToken: the temporary credentials have expired.
	ExpiredToken
	// SignatureDoesNotMatch: the signature is wrong, the clock skew is too
	// large, or the credential scope names another region or date.
	SignatureDoesNotMatch
	// RequestExpired: a presigned request is used after X-Amz-Expires.
	RequestExpired
)

// String returns the Query-protocol code of k, which is also the generic
// name AWS's "Common Errors" pages use.
func (k Kind) String() string { return k.Code(Query) }

// Code returns the AWS error code of k in protocol p.
func (k Kind) Code(p Protocol) string {
	json := p != Query
	switch k {
	case MissingAuthenticationToken:
		if json {
			return "MissingAuthenticationTokenException"
		}
		return "MissingAuthenticationToken"
	case IncompleteSignature:
		if json {
			return "IncompleteSignatureException"
		}
		return "IncompleteSignature"
	case InvalidClientTokenID:
		if json {
			return "UnrecognizedClientException"
		}
		return "InvalidClientTokenId"
	case ExpiredToken:
		if json {
			return "ExpiredTokenException"
		}
		return "ExpiredToken"
	case SignatureDoesNotMatch:
		if json {
			return "InvalidSignatureException"
		}
		return "SignatureDoesNotMatch"
	case RequestExpired:
		return "RequestExpired"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// HTTPStatus returns the HTTP status AWS answers k with in protocol p:
// coral JSON services answer 400 to every authentication failure; Query
// services answer 403 except for malformed or expired requests.
func (k Kind) HTTPStatus(p Protocol) int {
	if p != Query {
		return http.StatusBadRequest
	}
	switch k {
	case IncompleteSignature, RequestExpired:
		return http.StatusBadRequest
	case MissingAuthenticationToken, InvalidClientTokenID, ExpiredToken, SignatureDoesNotMatch:
		return http.StatusForbidden
	}
	return http.StatusForbidden
}

// Error is an authentication failure with AWS's exact message. Its message
// never contains a secret access key, a session token or a computed
// signature. Code and HTTPStatus give the wire form for a protocol; the
// server's error mapping is the one place that calls them.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// Code returns the AWS error code for protocol p.
func (e *Error) Code(p Protocol) string { return e.Kind.Code(p) }

// HTTPStatus returns the HTTP status for protocol p.
func (e *Error) HTTPStatus(p Protocol) int { return e.Kind.HTTPStatus(p) }

// The messages below are AWS's own; doc.go names where each was seen.
const (
	msgMissingAuth       = "Request is missing Authentication Token"
	msgInvalidToken      = "The security token included in the request is invalid."
	msgExpiredToken      = "The security token included in the request is expired"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgRequestExpired    = "Request has expired."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgTwoMechanisms     = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgQueryParams       = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgExpiresNumber     = "X-Amz-Expires should be a number"
	msgExpiresNegative   = "X-Amz-Expires must be non-negative"
	msgExpiresWeek       = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	msgContentSHA256     = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value."
)

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

func errf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

func errMissingAuth() *Error        { return newError(MissingAuthenticationToken, msgMissingAuth) }
func errInvalidToken() *Error       { return newError(InvalidClientTokenID, msgInvalidToken) }
func errExpiredToken() *Error       { return newError(ExpiredToken, msgExpiredToken) }
func errMismatch() *Error           { return newError(SignatureDoesNotMatch, msgSignatureMismatch) }
func errRequestExpired() *Error     { return newError(RequestExpired, msgRequestExpired) }
func errIncomplete(m string) *Error { return newError(IncompleteSignature, m) }

// errSkew reports a signing time outside now±skew in AWS's words.
func errSkew(signed, now time.Time, skew time.Duration) *Error {
	if signed.Before(now) {
		return errf(SignatureDoesNotMatch, "Signature expired: %s is now earlier than %s (%s - %s.)",
			formatTime(signed), formatTime(now.Add(-skew)), formatTime(now), formatSkew(skew))
	}
	return errf(SignatureDoesNotMatch, "Signature not yet current: %s is still later than %s (%s + %s.)",
		formatTime(signed), formatTime(now.Add(skew)), formatTime(now), formatSkew(skew))
}

func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d sec", d/time.Second)
}
