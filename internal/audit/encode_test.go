package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// encodeRecord is what appendRecord must write: r as encoding/json's
// Encoder writes it without HTML escaping, with the elements redacted.
func encodeRecord(t *testing.T, r Record) []byte {
	t.Helper()
	for _, v := range []*any{&r.RequestParameters, &r.ResponseElements} {
		b, err := appendElements(nil, *v)
		if err != nil {
			t.Fatal(err)
		}
		*v = json.RawMessage(b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fill sets every string in v (a pointer) to a different text made from
// s, every bool to true, every nil pointer to a new value and every slice
// to two elements, so that a field appendRecord leaves out shows.
func fill(v reflect.Value, s string, n *int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), s, n)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2024, 5, 1, 12, 0, *n, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), s, n)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), s, n)
		}
	case reflect.String:
		*n++
		v.SetString(fmt.Sprintf("%s%d", s, *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Interface:
		*n++
		v.Set(reflect.ValueOf(map[string]any{"n": *n, "s": s, "password": s}))
	default:
		panic("fill: " + v.Type().String())
	}
}

func TestAppendRecord(t *testing.T) {
	t.Parallel()
	var n int
	full := Record{}
	fill(reflect.ValueOf(&full), "x<&>\"\\\n\u2028\xff", &n)
	partial := full
	partial.UserIdentity.SessionContext = &SessionContext{}
	partial.AdditionalEventData = &EventData{}
	partial.Resources = []Resource{{ARN: "*"}}
	partial.RequestParameters = json.RawMessage(` {"a" : "\u003c", "Token": [1]} `)
	partial.ResponseElements = &sessionOut{SessionID: "s", TokenValue: "t"}
	partial.EventTime = time.Date(2024, 5, 1, 12, 0, 0, 123000000, time.UTC)
	allowed := deniedStartSession()
	allowed.ErrorCode, allowed.ErrorMessage, allowed.AdditionalEventData.Reason = "", "", ""
	for name, r := range map[string]Record{
		"zero":    {},
		"full":    full,
		"partial": partial,
		"denied":  *deniedStartSession(),
		"allowed": *allowed,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := encodeRecord(t, r)
			got, err := appendRecord([]byte("prefix"), &r)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(got); got != "prefix"+string(want) {
				t.Errorf("appendRecord\n got %s\nwant prefix%s", got, want)
			}
		})
	}
}

func TestAppendRecordErrors(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]Record{
		"time":       {EventTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"parameters": {RequestParameters: json.RawMessage(`{"a":`)},
		"response":   {ResponseElements: func() {}},
	} {
		if _, err := appendRecord(nil, &r); err == nil {
			t.Errorf("%s: appendRecord succeeded", name)
		}
	}
}

// FuzzAppendRecord holds appendRecord to encoding/json for any text in a
// record's strings.
func FuzzAppendRecord(f *testing.F) {
	f.Add("aws-cli/2.15.0 md/command#ssm.start-session", `nearly matched: "x" <&>`, "arn:aws:iam::1:user/a", []byte(`{"Target":"mi-1"}`))
	f.Add("\x00\x1f\x7f\u2028\u2029\ufffd", "\xff\xfe", "\ud7ff", []byte(`{"password":"\u0000"}`))
	f.Fuzz(func(t *testing.T, agent, reason, arn string, params []byte) {
		r := deniedStartSession()
		r.UserAgent, r.ErrorMessage = agent, reason
		r.AdditionalEventData.Reason = reason
		r.UserIdentity.ARN, r.UserIdentity.UserName = arn, agent
		r.UserIdentity.SessionContext = &SessionContext{
			SessionIssuer: &SessionIssuer{ARN: arn}, Attributes: SessionAttributes{CreationDate: reason}, SourceIdentity: agent,
		}
		r.Resources = append(r.Resources, ResourceOf(arn))
		r.TLSDetails.ClientProvidedHostHeader = agent
		if _, err := AppendRedacted(nil, params); err == nil {
			r.RequestParameters = json.RawMessage(params)
		}
		r.ResponseElements = map[string]any{agent: reason, "TokenValue": arn}
		want := encodeRecord(t, *r)
		got, err := appendRecord(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("appendRecord\n got %q\nwant %q", got, want)
		}
	})
}

// deniedStartSession is a record of a StartSession denied on its document.
func deniedStartSession() *Record {
	doc := "arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"
	return &Record{
		EventVersion: EventVersion,
		UserIdentity: UserIdentity{Type: IAMUser, PrincipalID: "AIDAEXAMPLEALICE0001",
			ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
			AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"},
		EventTime:   time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC),
		EventSource: "ssm.amazonaws.com", EventName: "StartSession", AWSRegion: "us-east-1",
		SourceIPAddress: "192.0.2.10", UserAgent: "aws-cli/2.15.0 md/command#ssm.start-session",
		ErrorCode:         "AccessDenied",
		ErrorMessage:      "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ssm:StartSession on resource: " + doc,
		RequestParameters: map[string]any{"target": "mi-0123456789abcdef0"},
		AdditionalEventData: &EventData{Decision: ImplicitDeny, DeniedResource: doc,
			Reason: `nearly matched: Allow policy "SessionManagerDev" Statement[0]`},
		RequestID: "0f1e2d3c-4b5a-4968-8776-655443322110",
		EventID:   "6ae6783f-4fbd-491b-aeb8-8b73a48ed247",
		Resources: []Resource{
			ResourceOf("arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0"),
			ResourceOf(doc),
		},
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management",
		TLSDetails: &TLSDetails{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "sesame.example:8443"},
	}
}

// sessionOut is the shape of StartSession's response.
type sessionOut struct {
	SessionID  string `json:"SessionId"`
	TokenValue string `json:"TokenValue,omitempty"`
	StreamURL  string `json:"StreamUrl,omitempty"`
}
