package awsapi

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS wire error: a code such as AccessDeniedException or
// NoSuchEntity, AWS's message text, and the HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
	// Server marks faults of the service (5xx, <Type>Receiver</Type>);
	// everything else is the caller's (Sender).
	Server bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Common errors, shared by every service.

// AccessDenied is AWS's AccessDenied for a denied call; the JSON services
// call it AccessDeniedException, the Query services AccessDenied.
func AccessDenied(p Protocol, msg string) *Error {
	code := "AccessDeniedException"
	if p == Query {
		code = "AccessDenied"
	}
	return &Error{Code: code, Message: msg, Status: http.StatusBadRequest}
}

// Validation is a request that breaks the operation's constraints.
func Validation(p Protocol, format string, args ...any) *Error {
	code := "ValidationException"
	if p == Query {
		code = "ValidationError"
	}
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// Internal is a fault of the server. Its message never carries the cause,
// which belongs in the server's log.
func Internal() *Error {
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError, Server: true}
}

// As returns err as an *Error: itself when it is one (or wraps one), else
// Internal. Callers log the original error before turning it into Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if c, ok := err.(interface{ AWSError() *Error }); ok {
		return c.AWSError()
	}
	return Internal()
}
