package protocol

import "errors"

// Sentinel errors. Frame errors are *FrameError values that wrap one of
// the first three, so callers test them with errors.Is.
var (
	// ErrMalformed: the frame is too short, a header field is out of
	// range, or a required field is missing.
	ErrMalformed = errors.New("malformed frame")
	// ErrDigest: the PayloadDigest field is not the SHA-256 of the payload.
	ErrDigest = errors.New("payload digest mismatch")
	// ErrTooLarge: the frame (or the payload being marshalled) is larger
	// than the limit.
	ErrTooLarge = errors.New("frame too large")

	// ErrClosed is returned by a Stream's methods after Close.
	ErrClosed = errors.New("protocol: stream closed")
	// ErrResendLimit is returned by Stream.Tick when a message has been
	// resent Config.ResendLimit times without an acknowledgement.
	ErrResendLimit = errors.New("protocol: resend limit reached")
)

// FrameError describes why a frame was refused: which field, and what
// was wrong with it. Err is ErrMalformed, ErrDigest or ErrTooLarge.
type FrameError struct {
	Field  string // the header field, or "frame" for the frame as a whole
	Detail string // what was wrong, with the value read
	Err    error
}

func (e *FrameError) Error() string {
	return "protocol: " + e.Err.Error() + ": " + e.Field + ": " + e.Detail
}

func (e *FrameError) Unwrap() error { return e.Err }
