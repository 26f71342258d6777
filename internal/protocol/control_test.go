package protocol

import (
	"errors"
	"testing"
)

func TestDecodeControl(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{`{"type":"hello","info":{"agentVersion":"3.3.100.0","hostname":"web1"}}`, nil},
		{`{"type":"heartbeat"}`, nil},
		{`{"type":"start_session","session":{"sessionId":"bob-0123456789abcdef0","streamUrl":"ws://h/v1/data-channel/bob-0123456789abcdef0?role=publish_subscribe","token":"t","sessionType":"Standard_Stream","document":{}}}`, nil},
		{`{"type":"start_session","session":{"sessionId":"s","streamUrl":"u","token":"t","sessionType":"Bogus"}}`, ErrMalformed},
		{`{"type":"start_session"}`, ErrMalformed},
		{`{"type":"terminate_session"}`, ErrMalformed},
		{`{"type":"terminate_session","sessionId":"s","reason":"bye"}`, nil},
		{`{"type":"rotate_credentials"}`, ErrMalformed},
		{`{"type":"launch_missiles"}`, ErrMalformed},
		{`{"type":`, ErrMalformed},
	}
	for _, tc := range tests {
		_, err := DecodeControl([]byte(tc.in))
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("%s: err = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func FuzzDecodeControl(f *testing.F) {
	f.Add([]byte(`{"type":"hello","info":{"agentVersion":"3.3.100.0"}}`))
	f.Add([]byte(`{"type":"start_session","session":{"sessionId":"s","streamUrl":"u","token":"t","sessionType":"Port"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeControl(data)
		if err == nil && m.Validate() != nil {
			t.Fatal("decoded an invalid message")
		}
	})
}
