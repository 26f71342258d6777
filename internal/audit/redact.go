package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Hidden replaces the value of a secret in a record, as CloudTrail does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretKeys are the keys whose values Redact hides, normalized by
// normalizeKey. Pagination and idempotency tokens (NextToken, ClientToken)
// are not secrets and stay.
var secretKeys = map[string]bool{
	"secretaccesskey":   true, // CreateAccessKey, AssumeRole responses
	"secretkey":         true,
	"secret":            true,
	"clientsecret":      true,
	"password":          true, // CreateLoginProfile, ChangePassword
	"newpassword":       true,
	"oldpassword":       true,
	"token":             true,
	"tokenvalue":        true, // StartSession, ResumeSession responses
	"sessiontoken":      true, // AssumeRole response, STS credentials
	"securitytoken":     true,
	"xamzsecuritytoken": true,
	"webidentitytoken":  true,
	"samlassertion":     true,
	"privatekey":        true,
	"activationcode":    true, // CreateActivation response, agent registration
	"authorization":     true,
}

// normalizeKey lowercases k and drops '-', '_' and '.', so that
// SecretAccessKey, secret_access_key and secret-access-key are one key.
func normalizeKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for _, c := range k {
		switch {
		case c == '-' || c == '_' || c == '.':
		case 'A' <= c && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// IsSecret reports whether Redact hides the value of key k: the key,
// compared without regard to case, '-', '_' or '.', is one of
// SecretAccessKey, SecretKey, Secret, ClientSecret, Password, NewPassword,
// OldPassword, Token, TokenValue, SessionToken, SecurityToken,
// X-Amz-Security-Token, WebIdentityToken, SAMLAssertion, PrivateKey,
// ActivationCode or Authorization.
func IsSecret(k string) bool { return secretKeys[normalizeKey(k)] }

// Redact returns a copy of v, a JSON-marshalable value, in which the value
// of every secret key (IsSecret), at any depth of objects and arrays, is
// Hidden. v itself is never modified. Maps, slices and JSON text
// (json.RawMessage) are walked directly; any other value (a struct) is
// marshaled and walked as JSON. The result marshals to JSON.
func Redact(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, float64, json.Number:
		return v, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if IsSecret(k) {
				out[k] = Hidden
				continue
			}
			r, err := Redact(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := Redact(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case json.RawMessage:
		return redactJSON(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redact %T: %w", v, err)
	}
	return redactJSON(b)
}

// redactJSON decodes JSON text (keeping numbers exact) and redacts it.
func redactJSON(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var t any
	if err := d.Decode(&t); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return Redact(t)
}
