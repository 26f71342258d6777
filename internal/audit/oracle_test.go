package audit

// The redactor as it was before AppendRedacted: JSON text decoded into
// maps, walked and encoded again. It stays as the oracle the streaming
// redactor is tested against (TestAppendRedacted, FuzzRedact).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oldSecretKeys are the keys whose values oldRedact hides, normalized by
// oldNormalizeKey: a copy of secretKeys as it was.
var oldSecretKeys = map[string]bool{
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

// oldNormalizeKey lowercases k and drops '-', '_' and '.', so that
// SecretAccessKey, secret_access_key and secret-access-key are one key.
func oldNormalizeKey(k string) string {
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

// oldIsSecret reports whether Redact hides the value of key k: the key,
// compared without regard to case, '-', '_' or '.', is one of
// SecretAccessKey, SecretKey, Secret, ClientSecret, Password, NewPassword,
// OldPassword, Token, TokenValue, SessionToken, SecurityToken,
// X-Amz-Security-Token, WebIdentityToken, SAMLAssertion, PrivateKey,
// ActivationCode or Authorization.
func oldIsSecret(k string) bool { return oldSecretKeys[oldNormalizeKey(k)] }

// oldRedact returns a copy of v, a JSON-marshalable value, in which the value
// of every secret key (IsSecret), at any depth of objects and arrays, is
// Hidden. v itself is never modified. Maps, slices and JSON text
// (json.RawMessage) are walked directly; any other value (a struct) is
// marshaled and walked as JSON. The result marshals to JSON.
func oldRedact(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, float64, json.Number:
		return v, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if oldIsSecret(k) {
				out[k] = Hidden
				continue
			}
			r, err := oldRedact(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := oldRedact(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case json.RawMessage:
		return oldRedactJSON(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redact %T: %w", v, err)
	}
	return oldRedactJSON(b)
}

// oldRedactJSON decodes JSON text (keeping numbers exact) and redacts it.
func oldRedactJSON(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var t any
	if err := d.Decode(&t); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return oldRedact(t)
}

// redactTests are inputs for AppendRedacted, with the output wanted (or
// error), each also checked against oldRedact; they seed FuzzRedact.
var redactTests = []struct {
	name, in, want string // want "" for an error
}{
	{"empty", "", "null"},
	{"white space", " \t\r\n", "null"},
	{"unicode white space", "\v\u00a0\u2003", "null"},
	{"object", `{"target":"mi-0123456789abcdef0","n":12345678901234567890}`, `{"target":"mi-0123456789abcdef0","n":12345678901234567890}`},
	{"scalars", `[true,false,null,0,-0.5e+10,1E3,"s",{},[]]`, `[true,false,null,0,-0.5e+10,1E3,"s",{},[]]`},
	{"spaces go", " { \"a\" :\t[ 1 ,\n2 ] , \"b\" : { } }\r\n", `{"a":[1,2],"b":{}}`},
	{"keys keep their order", `{"z":1,"a":2,"m":{"y":1,"b":2}}`, `{"z":1,"a":2,"m":{"y":1,"b":2}}`},
	{"trailing text ignored", `{"a":1} garbage`, `{"a":1}`},
	{"second value ignored", `{"a":1}{"password":"x"}`, `{"a":1}`},
	{"leading zero at top", `01`, `0`},
	{"number then text", `1x`, `1`},
	{"literal then text", `truex`, `true`},

	{"flat secret", `{"SessionId":"s","TokenValue":"t0k3n","StreamUrl":"wss://h"}`, `{"SessionId":"s","TokenValue":"HIDDEN_DUE_TO_SECURITY_REASONS","StreamUrl":"wss://h"}`},
	{"case and separators", `{"SECRET_ACCESS_KEY":"a","x-amz-security-token":"b","activation.code":"c","NextToken":"d","ClientToken":"e"}`,
		`{"SECRET_ACCESS_KEY":"HIDDEN_DUE_TO_SECURITY_REASONS","x-amz-security-token":"HIDDEN_DUE_TO_SECURITY_REASONS","activation.code":"HIDDEN_DUE_TO_SECURITY_REASONS","NextToken":"d","ClientToken":"e"}`},
	{"nested and in arrays", `{"a":[{"id":1,"SecretAccessKey":"k"},[{"token":"t"}]],"Credentials":{"SessionToken":"s"}}`,
		`{"a":[{"id":1,"SecretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS"},[{"token":"HIDDEN_DUE_TO_SECURITY_REASONS"}]],"Credentials":{"SessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS"}}`},
	{"secret holding an object", `{"password" : {"old":"a","new":[1,{"token":"b"}]} ,"n":1}`, `{"password":"HIDDEN_DUE_TO_SECURITY_REASONS","n":1}`},
	{"secret holding a number", `{"privateKey":12.5e3}`, `{"privateKey":"HIDDEN_DUE_TO_SECURITY_REASONS"}`},
	{"duplicate secrets", `{"token":"x","token":"y"}`, `{"token":"HIDDEN_DUE_TO_SECURITY_REASONS","token":"HIDDEN_DUE_TO_SECURITY_REASONS"}`},
	{"escaped secret key", `{"pass\u0077ord":"x","Pass\/word":"y"}`, `{"password":"HIDDEN_DUE_TO_SECURITY_REASONS","Pass/word":"y"}`},
	{"key with a quote is not secret", `{"token\"":"x"}`, `{"token\"":"x"}`},
	{"key with non-ASCII is not secret", `{"tokén":"x","\u0074oken\u00a0":"y"}`, "{\"tokén\":\"x\",\"token\u00a0\":\"y\"}"},
	{"long key", `{"xamzsecuritytokenx":"x","x-amz-security-token":"y"}`, `{"xamzsecuritytokenx":"x","x-amz-security-token":"HIDDEN_DUE_TO_SECURITY_REASONS"}`},

	{"escapes canonical", `["a\/b","\u003c\u0026\u003e","\u0000\u001f","\b\f\n\r\t","\"\\","\u00e9\u20AC"]`, "[\"a/b\",\"<&>\",\"\\u0000\\u001f\",\"\\b\\f\\n\\r\\t\",\"\\\"\\\\\",\"é€\"]"},
	{"surrogates", `["\ud83d\ude00","\ud83d","\ud83dx","\udc00\ud83d\ude00","\ud83d\u0041"]`, "[\"😀\",\"\ufffd\",\"\ufffdx\",\"\ufffd😀\",\"\ufffdA\"]"},
	{"invalid UTF-8", "[\"a\xffb\",\"\xed\xa0\x80\"]", "[\"a\ufffdb\",\"\ufffd\ufffd\ufffd\"]"},
	{"line separators", "[\"a\u2028b\u2029\",\"\\u2028\"]", `["a\u2028b\u2029","\u2028"]`},
	{"invalid UTF-8 key", "{\"\xfftoken\":1}", "{\"\ufffdtoken\":1}"},

	{"unterminated object", `{"a":1`, ""},
	{"unterminated string", `"abc`, ""},
	{"trailing comma", `{"a":1,}`, ""},
	{"array trailing comma", `[1,]`, ""},
	{"key without value", `{"a"}`, ""},
	{"single quotes", `{'a':1}`, ""},
	{"leading zero inside", `{"a":01}`, ""},
	{"control character", "\"a\x01\"", ""},
	{"bad escape", `"\q"`, ""},
	{"single quote escape", `"\'"`, ""},
	{"bad unicode escape", `"\u12g4"`, ""},
	{"short literal", `tru`, ""},
	{"minus alone", `-`, ""},
	{"no fraction", `1.`, ""},
	{"no exponent", `1e+`, ""},
	{"byte order mark", "\ufeff{}", ""},
	{"bad value under a secret", `{"password":[1,}`, ""},
	{"bad escape under a secret", `{"password":"\x"}`, ""},
}

func TestAppendRedacted(t *testing.T) {
	t.Parallel()
	for _, tt := range redactTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := AppendRedacted(nil, []byte(tt.in))
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("AppendRedacted(%q) = %q, want an error", tt.in, got)
			case tt.want != "" && err != nil:
				t.Errorf("AppendRedacted(%q): %v", tt.in, err)
			case string(got) != tt.want:
				t.Errorf("AppendRedacted(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			checkRedacted(t, []byte(tt.in))
		})
	}
}

func TestAppendRedactedDepth(t *testing.T) {
	t.Parallel()
	for _, open := range []string{"[", `{"a":`} {
		close := map[string]string{"[": "]", `{"a":`: "}"}[open]
		for _, depth := range []int{maxDepth, maxDepth + 1} {
			in := strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth)
			_, err := AppendRedacted(nil, []byte(in))
			if (err == nil) != (depth <= maxDepth) {
				t.Errorf("%s nested %d deep: %v", open, depth, err)
			}
			checkRedacted(t, []byte(in))
		}
	}
}

// FuzzRedact holds AppendRedacted to oldRedact on any input: both fail or
// neither does; the output is one JSON value that decodes to what
// oldRedact returns, writes every token as encoding/json writes it, and
// has Hidden as the value of every secret key; Redact agrees with
// oldRedact, and IsSecret with oldIsSecret.
func FuzzRedact(f *testing.F) {
	for _, tt := range redactTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRedacted(t, in)
		if got, want := IsSecret(string(in)), oldIsSecret(string(in)); got != want {
			t.Errorf("IsSecret(%q) = %v, old %v", in, got, want)
		}
	})
}

// checkRedacted checks AppendRedacted and Redact against oldRedact for in.
func checkRedacted(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := oldRedact(json.RawMessage(in))
	prefix := []byte("prefix")
	got, err := AppendRedacted(prefix[:len(prefix):len(prefix)], in)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("AppendRedacted(%q): %v, old: %v", in, err, wantErr)
	}
	if err != nil {
		if string(got) != "prefix" {
			t.Fatalf("AppendRedacted(%q) failed and left %q", in, got)
		}
		return
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("AppendRedacted(%q) lost dst: %q", in, got)
	}
	out := got[len(prefix):]
	re, err := reencode(out)
	if err != nil {
		t.Fatalf("AppendRedacted(%q) = %q: %v", in, out, err)
	}
	if !bytes.Equal(re, out) {
		t.Fatalf("AppendRedacted(%q) not canonical:\n got %q\nwant %q", in, out, re)
	}
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("AppendRedacted(%q) = %q: %v", in, out, err)
	}
	if !reflect.DeepEqual(want, v) { // cmp.Diff is slow on deep values
		t.Fatalf("AppendRedacted(%q) = %q (-old +new):\n%s", in, out, cmp.Diff(want, v))
	}
	r, err := Redact(json.RawMessage(in))
	if err != nil {
		t.Fatalf("Redact(%q): %v", in, err)
	}
	if !reflect.DeepEqual(want, r) {
		t.Fatalf("Redact(%q) (-old +new):\n%s", in, cmp.Diff(want, r))
	}
}

// reencode writes the JSON value in b again token by token, in b's order,
// as encoding/json writes each token without HTML escaping. It fails
// unless b is one compact value in which every secret key (oldIsSecret)
// has the string Hidden for value.
func reencode(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		object bool
		n      int // keys and values so far
	}
	var (
		out    []byte
		stack  []frame
		secret bool // the last key was secret
		str    bytes.Buffer
	)
	enc := json.NewEncoder(&str)
	enc.SetEscapeHTML(false)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if c, ok := tok.(json.Delim); ok && (c == '}' || c == ']') {
			stack = stack[:len(stack)-1]
			out = append(out, byte(c))
			continue
		}
		key := false
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.n%2 == 0:
				key = true
				if f.n > 0 {
					out = append(out, ',')
				}
			case f.object:
				out = append(out, ':')
			case f.n > 0:
				out = append(out, ',')
			}
			f.n++
		}
		if secret && tok != Hidden {
			return nil, fmt.Errorf("a secret's value is %v", tok)
		}
		secret = false
		switch tok := tok.(type) {
		case json.Delim:
			stack = append(stack, frame{object: tok == '{'})
			out = append(out, byte(tok))
		case string:
			secret = key && oldIsSecret(tok)
			str.Reset()
			enc.Encode(tok)
			out = append(out, bytes.TrimSuffix(str.Bytes(), []byte("\n"))...)
		case json.Number:
			out = append(out, tok...)
		case bool:
			out = strconv.AppendBool(out, tok)
		case nil:
			out = append(out, "null"...)
		}
	}
	return out, nil
}
