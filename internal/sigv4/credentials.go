package sigv4

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Credentials are an access key pair, with a session token for temporary
// (STS) credentials. String, GoString and LogValue never show Secret or
// SessionToken, so a Credentials value can be logged by mistake without
// leaking them.
type Credentials struct {
	AccessKeyID string
	Secret      string
	// SessionToken is the token that must accompany AccessKeyID
	// (X-Amz-Security-Token); empty for long-term keys, which are then
	// refused if a request carries a token.
	SessionToken string
	// Expires is when temporary credentials stop working; zero means never.
	Expires time.Time
	// Principal is opaque to sigv4 (for example the owner's ARN or id); the
	// verifier copies it into Result so the caller need not look it up again.
	Principal string
}

// String describes c without its secrets.
func (c Credentials) String() string {
	s := "sigv4.Credentials{AccessKeyID: " + c.AccessKeyID + ", Secret: <redacted>"
	if c.SessionToken != "" {
		s += ", SessionToken: <redacted>"
	}
	return s + "}"
}

// GoString describes c without its secrets, for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue logs only the access key id and principal.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("principal", c.Principal),
		slog.Bool("temporary", c.SessionToken != ""),
	)
}

// ErrUnknownKey is what a Keys implementation returns (possibly wrapped) for
// an access key id it does not know, or one that is disabled. The verifier
// turns it into InvalidClientTokenID; any other lookup error is returned
// as is, and the request fails closed.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Keys looks up the credentials of an access key id.
type Keys interface {
	LookupKey(ctx context.Context, accessKeyID string) (Credentials, error)
}

// KeysFunc adapts a function to Keys.
type KeysFunc func(ctx context.Context, accessKeyID string) (Credentials, error)

// LookupKey calls f.
func (f KeysFunc) LookupKey(ctx context.Context, accessKeyID string) (Credentials, error) {
	return f(ctx, accessKeyID)
}

var _ Keys = KeysFunc(nil)
