package sigv4

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAWSCLI sends real aws CLI calls to a test server whose only job is
// to verify the signature: success for good keys, and AWS's exact error
// codes and messages, as the CLI prints them, for bad ones.
func TestAWSCLI(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH; skipping the end-to-end signature test")
	}
	if testing.Short() {
		t.Skip("skipping aws CLI test in -short mode")
	}
	v, err := New(Config{Keys: keysOf(longTerm, temporary), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex // protects seen
		seen    = map[string]*Result{}
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			res, err := v.Verify(r, body)
			query := r.Header.Get("X-Amz-Target") == ""
			if err != nil {
				writeError(w, err, query)
				return
			}
			mu.Lock()
			seen[execEnv(r.UserAgent())] = res
			mu.Unlock()
			if query {
				w.Header().Set("Content-Type", "text/xml")
				io.WriteString(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListUsersResponse>`)
				return
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{}`)
		})
	)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		args    []string
		creds   Credentials
		wantErr string // substring of stderr; empty for success
	}{
		{name: "ssm", args: []string{"ssm", "describe-instance-information"}, creds: longTerm},
		{name: "ssm-session-token", args: []string{"ssm", "describe-instance-information", "--max-results", "5"}, creds: temporary},
		{name: "iam", args: []string{"iam", "list-users", "--path-prefix", "/a b/ሴ/"}, creds: longTerm},
		{
			name: "ssm-wrong-secret", args: []string{"ssm", "describe-instance-information"},
			creds:   Credentials{AccessKeyID: longTerm.AccessKeyID, Secret: "wrong"},
			wantErr: "An error occurred (InvalidSignatureException) when calling the DescribeInstanceInformation operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
		},
		{
			name: "iam-unknown-key", args: []string{"iam", "list-users"},
			creds:   Credentials{AccessKeyID: "AKIANOTAKEYEXAMPLE00", Secret: "x"},
			wantErr: "An error occurred (InvalidClientTokenId) when calling the ListUsers operation: The security token included in the request is invalid.",
		},
	}
	t.Run("s3-presign", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command(aws, "s3", "presign", "s3://bucket/dir/a b+ሴ.txt", "--expires-in", "600", "--endpoint-url", srv.URL)
		cmd.Env = cliEnv(t, temporary, "s3-presign")
		// Without this the CLI presigns S3 URLs with Signature Version 2.
		writeFile(t, cmd.Env, "AWS_CONFIG_FILE", "[default]\ns3 =\n    signature_version = s3v4\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws s3 presign: %v", err)
		}
		resp, err := http.Get(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", out, resp.Status, body)
		}
		mu.Lock()
		res := seen[""]
		mu.Unlock()
		if res == nil || !res.Presigned || res.Service != "s3" || !res.Temporary || res.Expires.Sub(res.Time) != 600*time.Second {
			t.Errorf("verified %+v", res)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(aws, append(tt.args, "--endpoint-url", srv.URL)...)
			cmd.Env = cliEnv(t, tt.creds, tt.name)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr.String(), tt.wantErr) {
					t.Fatalf("aws %v: err %v\nstderr: %s\nwant: %s", tt.args, err, stderr.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("aws %v: %v\nstderr: %s", tt.args, err, stderr.String())
			}
			mu.Lock()
			res := seen[tt.name]
			mu.Unlock()
			if res == nil || res.AccessKeyID != tt.creds.AccessKeyID || res.Region != "us-east-1" ||
				res.Service != tt.args[0] || res.Temporary != (tt.creds.SessionToken != "") || time.Since(res.Time) > time.Minute {
				t.Errorf("verified %+v", res)
			}
		})
	}
}

// cliEnv is the environment with the test's static credentials and no
// other AWS configuration.
func cliEnv(t *testing.T, c Credentials, name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	dir := t.TempDir()
	env = append(env,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.Secret,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
	)
	if c.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	// The CLI has no flag for extra headers; this case name reaches the
	// server in the User-Agent instead, which is never signed.
	env = append(env, "AWS_EXECUTION_ENV="+name)
	return env
}

// writeError renders a verification failure the way AWS does: JSON for
// SSM, Query XML for IAM. sesame's real mapping lives in the server.
func writeError(w http.ResponseWriter, err error, query bool) {
	var e *Error
	if !errors.As(err, &e) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if query {
		type xmlErr struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Type    string   `xml:"Error>Type"`
			Code    string   `xml:"Error>Code"`
			Message string   `xml:"Error>Message"`
			ID      string   `xml:"RequestId"`
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.HTTPStatus(Query))
		xml.NewEncoder(w).Encode(xmlErr{Type: "Sender", Code: e.Code(Query), Message: e.Message, ID: "1"})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(e.HTTPStatus(JSON))
	json.NewEncoder(w).Encode(map[string]string{"__type": e.Code(JSON), "message": e.Message})
}

// execEnv returns the AWS_EXECUTION_ENV the CLI put in its User-Agent.
func execEnv(ua string) string {
	for _, f := range strings.Fields(ua) {
		if v, ok := strings.CutPrefix(f, "exec-env/"); ok {
			return v
		}
	}
	return ""
}

// writeFile writes content to the file the environment variable names.
func writeFile(t *testing.T, env []string, name, content string) {
	for _, kv := range env {
		if path, ok := strings.CutPrefix(kv, name+"="); ok {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s not in the environment", name)
}
