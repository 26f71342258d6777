package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Protocol is an AWS wire protocol.
type Protocol uint8

const (
	JSON  Protocol = iota + 1 // JSON 1.1 (SSM)
	Query                     // Query with XML responses (IAM, STS)
)

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = 1 << 20

// ReadBody reads a request body of at most MaxBody bytes.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "SerializationException", "could not read the request body")
	}
	if len(b) > MaxBody {
		return nil, Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body must be %d bytes or less.", MaxBody)
	}
	return b, nil
}

// JSONTarget splits the X-Amz-Target header: "AmazonSSM.StartSession" is
// ("AmazonSSM", "StartSession").
func JSONTarget(r *http.Request) (prefix, operation string, ok bool) {
	t := r.Header.Get("X-Amz-Target")
	prefix, operation, ok = strings.Cut(t, ".")
	return prefix, operation, ok && prefix != "" && operation != ""
}

// DecodeJSON decodes a JSON 1.1 request body into v. An empty body is an
// empty object. Unknown members and malformed JSON are
// SerializationExceptions, as AWS answers them.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute):
			return Errorf(http.StatusBadRequest, "SerializationException", "Unexpected value for member %s: expected %s", ute.Field, ute.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return Errorf(http.StatusBadRequest, "SerializationException", "Unknown member %q in the request", field)
		}
		return Errorf(http.StatusBadRequest, "SerializationException", "The request body is not valid JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, "SerializationException", "The request body holds more than one JSON value")
	}
	return nil
}

// WriteJSON writes a JSON 1.1 response whose body b the caller marshaled
// (and can hand on, to the audit log).
func WriteJSON(w http.ResponseWriter, requestID string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func writeJSONError(w http.ResponseWriter, requestID string, e *Error) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-RequestId", requestID)
	h.Set("X-Amzn-ErrorType", e.Code+":")
	w.WriteHeader(e.Status)
	w.Write(body)
}

// WriteError writes err in the protocol's error shape. err is turned into
// an *Error with As.
func WriteError(w http.ResponseWriter, p Protocol, service, requestID string, err error) {
	e := As(err)
	if e.Status == 0 {
		e = &Error{Code: e.Code, Message: e.Message, Status: http.StatusBadRequest, Server: e.Server}
	}
	if p == Query {
		writeXMLError(w, service, requestID, e)
		return
	}
	writeJSONError(w, requestID, e)
}

// MissingParameter is the error for a required member left out.
func MissingParameter(p Protocol, name string) *Error {
	if p == Query {
		return Errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
