package protocol

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPayloadGoldens checks each JSON payload against the bytes AWS's
// programs write (protocol.md §2; the [test] ones were captured from the
// real plugin 1.3.0.0).
func TestPayloadGoldens(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"open data channel (plugin)", OpenDataChannel{
			MessageSchemaVersion: MessageSchemaVersion, RequestID: "2a0c5c8e-7b5c-4f7b-9a0e-2f1d6f7c8b9a",
			TokenValue: "AAEAAVbTGsaO", ClientID: "5f3c1b7e-1d2a-4c3b-8e9f-0a1b2c3d4e5f", ClientVersion: "1.3.0.0",
		}, `{"MessageSchemaVersion":"1.0","RequestId":"2a0c5c8e-7b5c-4f7b-9a0e-2f1d6f7c8b9a","TokenValue":"AAEAAVbTGsaO","ClientId":"5f3c1b7e-1d2a-4c3b-8e9f-0a1b2c3d4e5f","ClientVersion":"1.3.0.0"}`},
		{"open data channel (agent)", OpenDataChannel{
			MessageSchemaVersion: "1.0", RequestID: "r", TokenValue: "t", ClientInstanceID: "mi-0123456789abcdef0",
		}, `{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"t","ClientId":"","ClientInstanceId":"mi-0123456789abcdef0"}`},
		{"acknowledge", Acknowledge{
			MessageType: TypeOutputStreamData, MessageID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
			SequenceNumber: 7, IsSequentialMessage: true,
		}, `{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","AcknowledgedMessageSequenceNumber":7,"IsSequentialMessage":true}`},
		{"channel closed", ChannelClosed{
			MessageID: "m", CreatedDate: "1775044800000", DestinationID: "i-0123456789abcdef0",
			SessionID: "alice-0123456789abcdef0", MessageType: TypeChannelClosed, SchemaVersion: 1, Output: IdleTimeoutOutput,
		}, `{"MessageId":"m","CreatedDate":"1775044800000","DestinationId":"i-0123456789abcdef0","SessionId":"alice-0123456789abcdef0","MessageType":"channel_closed","SchemaVersion":1,"Output":"Your session timed out due to inactivity and has been terminated."}`},
		{"agent session state", AgentSessionState{SchemaVersion: 1, SessionState: SessionConnected, SessionID: "alice-0123456789abcdef0"},
			`{"SchemaVersion":1,"SessionState":"Connected","SessionId":"alice-0123456789abcdef0"}`},
		{"terminal size", TerminalSize{Cols: 132, Rows: 40}, `{"cols":132,"rows":40}`},
		{"handshake response (plugin 1.3.0.0)", HandshakeResponse{
			ClientVersion:          "1.3.0.0",
			ProcessedClientActions: []ProcessedClientAction{{ActionType: ActionSessionType, ActionStatus: ActionSuccess}},
		}, `{"ClientVersion":"1.3.0.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}`},
		{"KMS encryption response", KMSEncryptionResponse{KMSCipherTextKey: []byte{1, 2, 3}},
			`{"KMSCipherTextKey":"AQID","KMSCipherTextHash":null}`},
		{"handshake complete", HandshakeComplete{HandshakeTimeToComplete: 1500 * time.Millisecond, CustomerMessage: KMSEncryptedMessage},
			`{"HandshakeTimeToComplete":1500000000,"CustomerMessage":"This session is encrypted using AWS KMS."}`},
		{"encryption challenge", EncryptionChallenge{Challenge: []byte("abc")}, `{"Challenge":"YWJj"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestAppendAck checks the reflection-free encoder against encoding/json,
// including a type that needs escaping.
func TestAppendAck(t *testing.T) {
	for _, a := range []struct {
		typ MessageType
		id  UUID
		seq int64
	}{
		{TypeInputStreamData, UUID{}, 0},
		{TypeOutputStreamData, UUID{1, 0xff, 0x80}, 1<<63 - 1},
		{`we"ird<&>` + "\x01é\\", UUID{9}, -5},
	} {
		want, _ := json.Marshal(Acknowledge{MessageType: a.typ, MessageID: a.id.String(), SequenceNumber: a.seq, IsSequentialMessage: true})
		if got := appendAck(nil, a.typ, a.id, a.seq); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}

func TestAckSequence(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		fast    bool
		wantErr bool
	}{
		{`{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","AcknowledgedMessageSequenceNumber":7,"IsSequentialMessage":true}`, 7, true, false},
		{`{"AcknowledgedMessageType":"","AcknowledgedMessageId":"","AcknowledgedMessageSequenceNumber":-9223372036854775808,"IsSequentialMessage":false}`, -1 << 63, true, false},
		{`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}`, 0, true, false},
		// other forms go through encoding/json
		{`{"AcknowledgedMessageSequenceNumber":12}`, 12, false, false},
		{`{ "AcknowledgedMessageType" : "x", "AcknowledgedMessageSequenceNumber": 3 }`, 3, false, false},
		{`{"acknowledgedmessagesequencenumber":4}`, 4, false, false},
		{`{"AcknowledgedMessageType":"a\"b","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":5,"IsSequentialMessage":true}`, 5, false, false},
		{`{}`, 0, false, false},
		// errors
		{`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":01,"IsSequentialMessage":true}`, 0, false, true},
		{`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":1.5,"IsSequentialMessage":true}`, 0, false, true},
		{`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":9223372036854775808,"IsSequentialMessage":true}`, 0, false, true},
		{`{"AcknowledgedMessageType":"` + "\x01" + `","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":1,"IsSequentialMessage":true}`, 0, false, true},
		{`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":1,"IsSequentialMessage":true}x`, 0, false, true},
		{`"not an object"`, 0, false, true},
		{``, 0, false, true},
	}
	for _, tt := range tests {
		_, fast := ackSequenceFast([]byte(tt.in))
		got, err := ackSequence([]byte(tt.in))
		if fast != tt.fast || got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: fast %v, %d, %v", tt.in, fast, got, err)
		}
	}
}

func TestHandshakeRequestEverySessionType(t *testing.T) {
	tests := []struct {
		typ   SessionType
		props any
		want  string
	}{
		{SessionStandardStream, nil,
			`{"SessionType":"Standard_Stream","Properties":null}`},
		{SessionPort, PortProperties{PortNumber: "22"},
			`{"SessionType":"Port","Properties":{"portNumber":"22"}}`},
		{SessionPort, PortProperties{PortNumber: "80", Type: LocalPortForwarding, LocalPortNumber: "0"},
			`{"SessionType":"Port","Properties":{"portNumber":"80","type":"LocalPortForwarding","localPortNumber":"0"}}`},
		{SessionPort, PortProperties{PortNumber: "5432", Type: LocalPortForwarding, LocalPortNumber: "15432", Host: "db.internal"},
			`{"SessionType":"Port","Properties":{"portNumber":"5432","type":"LocalPortForwarding","localPortNumber":"15432","host":"db.internal"}}`},
		{SessionInteractiveCommands, CommandProperties{Linux: &CommandConfig{Commands: "tail -f /var/log/syslog", RunAsElevated: true}},
			`{"SessionType":"InteractiveCommands","Properties":{"linux":{"commands":"tail -f /var/log/syslog","runAsElevated":true}}}`},
		{SessionNonInteractiveCommands, CommandProperties{Linux: &CommandConfig{Commands: "ls", SeparateOutputStream: true, StdOutSeparatorPrefix: "OUT:", StdErrSeparatorPrefix: "ERR:"}},
			`{"SessionType":"NonInteractiveCommands","Properties":{"linux":{"commands":"ls","separateOutputStream":true,"stdOutSeparatorPrefix":"OUT:","stdErrSeparatorPrefix":"ERR:"}}}`},
		{SessionPort, json.RawMessage(`{"portNumber":"{{ portNumber }}"}`),
			`{"SessionType":"Port","Properties":{"portNumber":"{{ portNumber }}"}}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			if !tt.typ.Known() {
				t.Fatalf("%s is not Known", tt.typ)
			}
			act, err := SessionTypeAction(tt.typ, tt.props)
			if err != nil {
				t.Fatal(err)
			}
			if string(act.ActionParameters) != tt.want {
				t.Errorf("\n got %s\nwant %s", act.ActionParameters, tt.want)
			}
			req := HandshakeRequest{AgentVersion: "3.3.1.0", RequestedClientActions: []RequestedClientAction{act}}
			b, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"AgentVersion":"3.3.1.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":` + tt.want + `}]}`; string(b) != want {
				t.Errorf("\n got %s\nwant %s", b, want)
			}
			// The client's side: decode it back.
			var back HandshakeRequest
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			st, err := back.RequestedClientActions[0].SessionType()
			if err != nil {
				t.Fatal(err)
			}
			if st.SessionType != tt.typ {
				t.Errorf("session type %s", st.SessionType)
			}
			switch tt.typ {
			case SessionPort:
				if p, err := st.Port(); err != nil || p.PortNumber == "" {
					t.Errorf("Port() = %+v, %v", p, err)
				}
			case SessionInteractiveCommands, SessionNonInteractiveCommands:
				if p, err := st.Commands(); err != nil || p.Linux == nil {
					t.Errorf("Commands() = %+v, %v", p, err)
				}
			case SessionStandardStream:
				if _, err := st.Port(); err == nil {
					t.Error("Port() of a Standard_Stream session succeeded")
				}
				if _, err := st.Commands(); err == nil {
					t.Error("Commands() of a Standard_Stream session succeeded")
				}
			}
		})
	}
}

// TestHandshakeRequestFromAWSAgent decodes a request the way AWS's agent
// writes it, with KMS encryption.
func TestHandshakeRequestFromAWSAgent(t *testing.T) {
	const in = `{"AgentVersion":"3.3.987.0","RequestedClientActions":[` +
		`{"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream","Properties":null}},` +
		`{"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"alias/test","Challenge":"c2VzYW1lIGNoYWxsZW5nZQ=="}}]}`
	var req HandshakeRequest
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	st, err := req.RequestedClientActions[0].SessionType()
	if err != nil || st.SessionType != SessionStandardStream || string(st.Properties) != "null" {
		t.Errorf("SessionType() = %+v, %v", st, err)
	}
	kms, err := req.RequestedClientActions[1].KMSEncryption()
	if err != nil || kms != (KMSEncryptionRequest{KMSKeyID: "alias/test", Challenge: "c2VzYW1lIGNoYWxsZW5nZQ=="}) {
		t.Errorf("KMSEncryption() = %+v, %v", kms, err)
	}
	if _, err := req.RequestedClientActions[1].SessionType(); err == nil {
		t.Error("SessionType() of a KMSEncryption action succeeded")
	}
	if _, err := req.RequestedClientActions[0].KMSEncryption(); err == nil {
		t.Error("KMSEncryption() of a SessionType action succeeded")
	}
	bad := RequestedClientAction{ActionType: ActionSessionType, ActionParameters: json.RawMessage(`[`)}
	if _, err := bad.SessionType(); err == nil {
		t.Error("bad parameters decoded")
	}
}

func TestFlexBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `"TRUE"`: true, `false`: false, `"false"`: false, `null`: false} {
		var c CommandConfig
		if err := json.Unmarshal([]byte(`{"separateOutputStream":`+in+`}`), &c); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if bool(c.SeparateOutputStream) != want {
			t.Errorf("%s = %v", in, c.SeparateOutputStream)
		}
	}
	var c CommandConfig
	if err := json.Unmarshal([]byte(`{"separateOutputStream":"yes"}`), &c); err == nil {
		t.Error(`"yes" accepted`)
	}
}

func TestIsSesameClient(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{SesameClientVersion, true},
		{"1.3.0.0", false},   // session-manager-plugin
		{"1.2.707.0", false}, // every plugin release ends in .0
		{"1.3.0.12", true},
		{"1.3.0", false},
		{"1.3.0.1.0", false},
		{"1.3.0.x1", false},
		{"1.3..1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsSesameClient(tt.version); got != tt.want {
			t.Errorf("IsSesameClient(%q) = %v, want %v", tt.version, got, tt.want)
		}
	}
	// AWS's agent compares the version part by part, as numbers.
	for _, p := range strings.Split(SesameClientVersion, ".") {
		if _, err := strconv.Atoi(p); err != nil {
			t.Errorf("SesameClientVersion %s is not numeric: %v", SesameClientVersion, err)
		}
	}
}

func TestFlagPayload(t *testing.T) {
	for _, f := range []Flag{DisconnectToPort, TerminateSession, ConnectToPortError} {
		p := f.Payload()
		if len(p) != 4 || p[3] != byte(f) || p[0]|p[1]|p[2] != 0 {
			t.Errorf("%s payload % x", f, p)
		}
		if back, err := ParseFlag(p); err != nil || back != f {
			t.Errorf("ParseFlag = %v, %v", back, err)
		}
	}
	for _, p := range [][]byte{nil, {0, 0, 2}, {0, 0, 0, 0, 2}} {
		if _, err := ParseFlag(p); err == nil {
			t.Errorf("ParseFlag(% x) succeeded", p)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, n := range []int{0, 3, 255, -1} {
		p := ExitCodePayload(n)
		if want := "EXIT_CODE: " + strconv.Itoa(n); string(p) != want {
			t.Errorf("payload %q, want %q", p, want)
		}
		if back, err := ParseExitCode(p); err != nil || back != n {
			t.Errorf("ParseExitCode(%q) = %d, %v", p, back, err)
		}
	}
	for _, p := range []string{"", "EXIT_CODE:", "EXIT_CODE: x", "exit_code: 1", "EXIT_CODE: 99999999999999999999"} {
		if _, err := ParseExitCode([]byte(p)); err == nil {
			t.Errorf("ParseExitCode(%q) succeeded", p)
		}
	}
}

func TestNewControlAndDecodePayload(t *testing.T) {
	created := time.UnixMilli(1775044800123)
	m, err := NewControl(TypeAgentSessionState, UUID{9}, created,
		AgentSessionState{SchemaVersion: 1, SessionState: SessionTerminating, SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if m.SequenceNumber != 0 || m.Flags != ControlFlags || m.PayloadType != PayloadNone ||
		m.SchemaVersion != 1 || m.CreatedDate != 1775044800123 {
		t.Errorf("control message header %+v", m)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Message
	if err := (Decoder{Strict: true}).Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var st AgentSessionState
	if err := DecodePayload(&back, TypeAgentSessionState, &st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(AgentSessionState{SchemaVersion: 1, SessionState: SessionTerminating, SessionID: "s"}, st); diff != "" {
		t.Error(diff)
	}
	var cc ChannelClosed
	if err := DecodePayload(&back, TypeChannelClosed, &cc); err == nil {
		t.Error("DecodePayload accepted the wrong message type")
	}
	back.Payload = []byte("{")
	if err := DecodePayload(&back, TypeAgentSessionState, &st); err == nil {
		t.Error("DecodePayload accepted bad JSON")
	}
	if _, err := NewControl(TypeChannelClosed, UUID{}, created, func() {}); err == nil {
		t.Error("NewControl marshalled a func")
	}
	var ute *json.UnsupportedTypeError
	if _, err := NewControl(TypeChannelClosed, UUID{}, created, make(chan int)); !errors.As(err, &ute) {
		t.Errorf("err %v does not wrap the JSON error", err)
	}
}
