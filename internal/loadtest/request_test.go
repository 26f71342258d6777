package loadtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header string
		body   string
		want   string
	}{
		{"ok", 200, "", `{"SessionId":"x"}`, outcomeOK},
		{"error type header", 400, "AccessDeniedException:", `{}`, accessDenied},
		{"body only", 400, "", `{"__type":"TargetNotConnected","message":"mi-1 is not connected."}`, "TargetNotConnected"},
		{"namespaced type", 400, "", `{"__type":"com.amazonaws.ssm#InvalidDocument"}`, "InvalidDocument"},
		{"neither", 502, "", `bad gateway`, "HTTP502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			if tt.header != "" {
				rec.Header().Set("X-Amzn-ErrorType", tt.header)
			}
			rec.WriteHeader(tt.status)
			io.WriteString(rec, tt.body)
			if got := outcome(rec.Result()); got != tt.want {
				t.Errorf("outcome = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRequestSigned checks that the generator's requests carry what the
// server's pipeline needs.
func TestRequestSigned(t *testing.T) {
	t.Parallel()
	f := &fleet{nodes: []node{newNode(0)}, users: []user{newUser(0, "secret")}}
	r := request{op: opStartSession}
	req, err := r.httpRequest("http://127.0.0.1:1", region, f, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("X-Amz-Target"); got != "AmazonSSM.StartSession" {
		t.Errorf("X-Amz-Target = %q", got)
	}
	if got := req.Header.Get("Authorization"); got == "" || req.Method != http.MethodPost {
		t.Errorf("%s, Authorization %q", req.Method, got)
	}
	body, _ := io.ReadAll(req.Body)
	if want := `{"Target":"mi-00000005e5a000000","Reason":"sesame bench api"}`; string(body) != want {
		t.Errorf("body = %s, want %s", body, want)
	}
}

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
