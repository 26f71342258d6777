package server

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSSMDecodeRegistration(t *testing.T) {
	t.Parallel()
	const good = `{"ActivationId":"0a1b2c3d-0000-4000-8000-000000000001","ActivationCode":"abcdefghijklmnopqrst","Hostname":"web1","PlatformType":"Linux"}`
	for _, tc := range []struct {
		name, body string
		code       string // "" when the request is valid
		msg        string
	}{
		{"valid", good, "", ""},
		{"valid EC2", strings.Replace(good, `"Hostname"`, `"InstanceId":"i-0123456789abcdef0","AgentVersion":"3.3.1.0","IPAddress":"fd00::1","Hostname"`, 1), "", ""},
		{"empty", ``, "InvalidRequest", "The request body is empty: send a JSON object."},
		{"array", `[]`, "InvalidRequest", ""},
		{"two values", good + good, "InvalidRequest", "The request body holds more than one JSON value."},
		{"unknown member", strings.Replace(good, `"Hostname"`, `"Color":"red","Hostname"`, 1), "InvalidRequest", `Unknown member "Color".`},
		{"wrong type", strings.Replace(good, `"web1"`, `7`, 1), "InvalidRequest", "Hostname must be a string."},
		{"activation id", strings.Replace(good, "0a1b2c3d", "ZZZZ", 1), "InvalidRequest", "ActivationId must be an activation id (a lowercase UUID)."},
		{"short code", strings.Replace(good, "abcdefghijklmnopqrst", "abc", 1), "InvalidRequest", ""},
		{"no hostname", strings.Replace(good, `"web1"`, `""`, 1), "InvalidRequest", "Hostname is required."},
		{"control character", strings.Replace(good, `"web1"`, `"web\u0007"`, 1), "InvalidRequest", ""},
		{"bad version", strings.Replace(good, `"Hostname"`, `"AgentVersion":"latest","Hostname"`, 1), "InvalidRequest", ""},
		{"bad IP", strings.Replace(good, `"Hostname"`, `"IPAddress":"10.0.0.300","Hostname"`, 1), "InvalidRequest", ""},
		{"not UTF-8", "{\"Hostname\":\"\xff\"}", "InvalidRequest", "The request body is not UTF-8."},
		{"too large", `{"Hostname":"` + strings.Repeat("a", maxAgentBody) + `"}`, "RequestEntityTooLarge", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeRegistration([]byte(tc.body))
			if tc.code == "" {
				if err != nil || r == nil {
					t.Fatalf("decodeRegistration: %v", err)
				}
				return
			}
			var ae *agentErr
			if !errors.As(err, &ae) || ae.code != tc.code || (tc.msg != "" && ae.message != tc.msg) {
				t.Errorf("error = %v, want %s %q", err, tc.code, tc.msg)
			}
		})
	}
}

// FuzzSSMAgentRegistration: the registration decoder never panics, and
// what it accepts is a well-formed request that survives a round trip.
func FuzzSSMAgentRegistration(f *testing.F) {
	for _, s := range []string{
		`{"ActivationId":"0a1b2c3d-0000-4000-8000-000000000001","ActivationCode":"abcdefghijklmnopqrst","Hostname":"web1","PlatformType":"Linux"}`,
		`{"ActivationId":"0a1b2c3d-0000-4000-8000-000000000001","ActivationCode":"abcdefghijklmnopqrst","InstanceId":"i-0123456789abcdef0","Hostname":"h","PlatformType":"Windows","PlatformName":"Windows Server","PlatformVersion":"10.0","AgentVersion":"3.3.1.0","IPAddress":"10.1.2.3"}`,
		`{"ActivationId":null}`,
		`{"Hostname":"\u00e9t\u00e9"}`,
		`{}`, `[]`, `null`, `{"a":1}{"b":2}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeRegistration(body)
		if err != nil {
			var ae *agentErr
			if !errors.As(err, &ae) || ae.status < 400 || ae.message == "" {
				t.Fatalf("error %v is not an agent error", err)
			}
			return
		}
		if !patActivationID.re.MatchString(r.ActivationID) || r.Hostname == "" || r.PlatformType == "" {
			t.Fatalf("accepted %+v", r)
		}
		if r.InstanceID != "" && !ec2InstanceID.MatchString(r.InstanceID) {
			t.Fatalf("accepted instance id %q", r.InstanceID)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decodeRegistration(again)
		if err != nil || *r2 != *r {
			t.Fatalf("round trip: %+v, %v", r2, err)
		}
	})
}
