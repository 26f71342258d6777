package simulate

import "fmt"

// The error codes Run returns, as AWS's IAM API names them.
const (
	// CodeInvalidInput is a request IAM refuses: an ARN that is not an IAM
	// user, a context value that does not parse as its type, a wildcard in
	// an action name.
	CodeInvalidInput = "InvalidInput"
	// CodeMalformedPolicyDocument is a policy IAM would not accept.
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	// CodeValidation is a request that breaks the API's constraints: a
	// missing required member, a length or an enum value out of range.
	CodeValidation = "ValidationError"
)

// Error is a request error, with the code and message AWS's
// SimulateCustomPolicy would answer. Err, when set, is the cause (for a
// malformed policy, the engine's *iam.ParseError with every problem).
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Err }

func invalidInput(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(format, args...)}
}

// validation formats AWS's constraint message: "1 validation error
// detected: Value 'x' at 'actionNames.1.member' failed to satisfy
// constraint: Member must have length less than or equal to 128".
func validation(value any, at, constraint string) *Error {
	v := "null"
	if value != nil {
		v = fmt.Sprintf("'%v'", value)
	}
	return &Error{Code: CodeValidation, Message: fmt.Sprintf("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", v, at, constraint)}
}
