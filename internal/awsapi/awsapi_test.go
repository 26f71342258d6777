package awsapi

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type tag struct {
	Key   string
	Value string
}

type createUser struct {
	UserName            string
	Path                *string
	PermissionsBoundary string
	Tags                []tag
	MaxItems            int
	Force               bool
	Attrs               map[string]string `query:"Attributes"`
	Skipped             string            `query:"-"`
}

func TestDecodeQuery(t *testing.T) {
	params, _ := url.ParseQuery("Action=CreateUser&UserName=alice&Path=%2Fops%2F&Tags.member.1.Key=Env&Tags.member.1.Value=Dev&Tags.member.2.Key=Team&Tags.member.2.Value=&MaxItems=10&Force=true&Attributes.entry.1.key=a&Attributes.entry.1.value=b&Skipped=x")
	var got createUser
	if err := DecodeQuery(params, &got); err != nil {
		t.Fatal(err)
	}
	path := "/ops/"
	want := createUser{UserName: "alice", Path: &path, Tags: []tag{{"Env", "Dev"}, {"Team", ""}}, MaxItems: 10, Force: true, Attrs: map[string]string{"a": "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	for _, bad := range []string{"MaxItems=ten", "Force=maybe"} {
		p, _ := url.ParseQuery(bad)
		err := DecodeQuery(p, &createUser{})
		if e := As(err); err == nil || e.Code != "ValidationError" {
			t.Errorf("%s: err = %v, want ValidationError", bad, err)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	type req struct {
		Target     string
		Parameters map[string][]string
	}
	tests := []struct {
		body, code string
	}{
		{`{"Target":"i-1","Parameters":{"portNumber":["22"]}}`, ""},
		{``, ""},
		{`{"Target":1}`, "SerializationException"},
		{`{"Target":"i-1","Bogus":1}`, "SerializationException"},
		{`{"Target":"i-1"`, "SerializationException"},
		{`{} {}`, "SerializationException"},
	}
	for _, tc := range tests {
		var r req
		err := DecodeJSON([]byte(tc.body), &r)
		code := ""
		if err != nil {
			code = As(err).Code
		}
		if code != tc.code {
			t.Errorf("%q: code %q (%v), want %q", tc.body, code, err, tc.code)
		}
	}
}

func TestWriteXML(t *testing.T) {
	type user struct {
		UserName string
		Arn      string
	}
	type result struct {
		User user
	}
	rec := httptest.NewRecorder()
	WriteXML(rec, "iam", "GetUser", "req-1", &result{User: user{UserName: "alice", Arn: "arn:aws:iam::1:user/alice"}})
	var parsed struct {
		XMLName xml.Name `xml:"GetUserResponse"`
		Result  struct {
			User user
		} `xml:"GetUserResult"`
		Meta struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &parsed); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body.String())
	}
	if parsed.Result.User.UserName != "alice" || parsed.Meta.RequestID != "req-1" {
		t.Errorf("parsed %+v from %s", parsed, rec.Body.String())
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, JSON, "ssm", "r", AccessDenied(JSON, "User: x is not authorized"))
	if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Amzn-ErrorType") != "AccessDeniedException:" ||
		!strings.Contains(rec.Body.String(), `"__type":"AccessDeniedException","message":"User: x is not authorized"`) {
		t.Errorf("json error: %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteError(rec, Query, "iam", "r", Errorf(404, "NoSuchEntity", "The user with name bob cannot be found."))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error>") {
		t.Errorf("xml error: %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteError(rec, JSON, "ssm", "r", errString("disk on fire"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("internal error leaked its cause: %d %s", rec.Code, rec.Body.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func FuzzDecodeQuery(f *testing.F) {
	f.Add("Action=CreateUser&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v")
	f.Add("Attributes.entry.1.key=a&Attributes.entry.1.value=b&MaxItems=3")
	f.Fuzz(func(t *testing.T, q string) {
		params, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var v createUser
		_ = DecodeQuery(params, &v)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"Target":"i-1","Parameters":{"a":["b"]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v struct {
			Target     string
			Parameters map[string][]string
		}
		if err := DecodeJSON(body, &v); err != nil && As(err).Status != http.StatusBadRequest {
			t.Fatalf("decode error is not a client error: %v", err)
		}
	})
}
