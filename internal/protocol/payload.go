package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OpenDataChannel is the first WebSocket frame on a data channel: a text
// frame of JSON, sent once per connection, with no reply. The plugin
// sends MessageSchemaVersion, RequestId (a fresh UUID), TokenValue (from
// StartSession or ResumeSession), ClientId (a UUID stable for the plugin
// run) and, from 1.2.677.0 on, ClientVersion. AWS's agent sends
// ClientInstanceId and an empty ClientId instead of ClientVersion.
type OpenDataChannel struct {
	MessageSchemaVersion string `json:"MessageSchemaVersion"`
	RequestID            string `json:"RequestId"`
	TokenValue           string `json:"TokenValue"`
	ClientID             string `json:"ClientId"`
	ClientVersion        string `json:"ClientVersion,omitempty"`
	ClientInstanceID     string `json:"ClientInstanceId,omitempty"`
}

// MessageSchemaVersion is the MessageSchemaVersion of OpenDataChannel.
const MessageSchemaVersion = "1.0"

// Acknowledge is the payload of an acknowledge message. AWS's receivers
// send one per stream-data message (in order, buffered or duplicate) with
// the acknowledged message's type, canonical id and sequence number, and
// IsSequentialMessage true; senders match it by sequence number alone.
type Acknowledge struct {
	MessageType         MessageType `json:"AcknowledgedMessageType"`
	MessageID           string      `json:"AcknowledgedMessageId"`
	SequenceNumber      int64       `json:"AcknowledgedMessageSequenceNumber"`
	IsSequentialMessage bool        `json:"IsSequentialMessage"`
}

// appendAck appends the JSON of an Acknowledge of message id, sequence
// seq, type t: byte for byte what encoding/json writes, without
// reflection.
func appendAck(b []byte, t MessageType, id UUID, seq int64) []byte {
	b = append(b, `{"AcknowledgedMessageType":`...)
	b = appendJSONString(b, string(t))
	b = append(b, `,"AcknowledgedMessageId":"`...)
	b = id.appendText(b)
	b = append(b, `","AcknowledgedMessageSequenceNumber":`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, `,"IsSequentialMessage":true}`...)
}

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ackSequence returns the AcknowledgedMessageSequenceNumber of an
// acknowledge payload. The form AWS's programs and Stream write (keys in
// that order, no spaces, no escapes) is read without reflection; any
// other form goes through encoding/json, with the same result.
func ackSequence(p []byte) (int64, error) {
	if seq, ok := ackSequenceFast(p); ok {
		return seq, nil
	}
	var a Acknowledge
	if err := json.Unmarshal(p, &a); err != nil {
		return 0, err
	}
	return a.SequenceNumber, nil
}

func ackSequenceFast(p []byte) (int64, bool) {
	p, ok := cutSimpleString(p, `{"AcknowledgedMessageType":"`)
	if !ok {
		return 0, false
	}
	if p, ok = cutSimpleString(p, `,"AcknowledgedMessageId":"`); !ok {
		return 0, false
	}
	if p, ok = bytes.CutPrefix(p, []byte(`,"AcknowledgedMessageSequenceNumber":`)); !ok {
		return 0, false
	}
	i := 0
	if i < len(p) && p[i] == '-' {
		i++
	}
	start := i
	for i < len(p) && '0' <= p[i] && p[i] <= '9' {
		i++
	}
	if i == start || (p[start] == '0' && i > start+1) { // JSON: no empty number, no leading zeros
		return 0, false
	}
	seq, err := strconv.ParseInt(string(p[:i]), 10, 64)
	if err != nil {
		return 0, false
	}
	switch string(p[i:]) {
	case `,"IsSequentialMessage":true}`, `,"IsSequentialMessage":false}`:
		return seq, true
	}
	return 0, false
}

// cutSimpleString cuts prefix (which ends with an opening quote) and a
// string without escapes or control characters up to its closing quote.
func cutSimpleString(p []byte, prefix string) ([]byte, bool) {
	p, ok := bytes.CutPrefix(p, []byte(prefix))
	if !ok {
		return nil, false
	}
	for i, c := range p {
		switch {
		case c == '"':
			return p[i+1:], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// ChannelClosed is the payload of channel_closed, sent by the service to
// the client (and to the agent) when a session ends. CreatedDate is a
// string. The plugin prints "Exiting session with sessionId: <id>." when
// Output is empty and "SessionId: <id> : <Output>" otherwise, then exits.
type ChannelClosed struct {
	MessageID     string      `json:"MessageId"`
	CreatedDate   string      `json:"CreatedDate"`
	DestinationID string      `json:"DestinationId"`
	SessionID     string      `json:"SessionId"`
	MessageType   MessageType `json:"MessageType"`
	SchemaVersion int         `json:"SchemaVersion"`
	Output        string      `json:"Output"`
}

// Texts the service puts in ChannelClosed.Output.
const (
	IdleTimeoutOutput       = "Your session timed out due to inactivity and has been terminated."
	TerminatedReasonsOutput = "Your session has been terminated for the following reasons: "
)

// SessionState is the state an agent reports in agent_session_state.
type SessionState string

const (
	SessionConnected   SessionState = "Connected"
	SessionTerminating SessionState = "Terminating"
)

// AgentSessionState is the payload of agent_session_state: the agent
// sends Connected after it opens the data channel and Terminating when
// the session ends normally.
type AgentSessionState struct {
	SchemaVersion int          `json:"SchemaVersion"`
	SessionState  SessionState `json:"SessionState"`
	SessionID     string       `json:"SessionId"`
}

// TerminalSize is the payload of PayloadSize, e.g. {"cols":132,"rows":40}.
type TerminalSize struct {
	Cols uint32 `json:"cols"`
	Rows uint32 `json:"rows"`
}

// Flag is the payload of PayloadFlag: a 4-byte big-endian number.
type Flag uint32

const (
	// DisconnectToPort: the client's local connection ended (basic port
	// forwarding); the agent closes its connection to the target.
	DisconnectToPort Flag = 1
	// TerminateSession: the client asks the agent to end the session.
	TerminateSession Flag = 2
	// ConnectToPortError: the agent could not reach the target port.
	ConnectToPortError Flag = 3
)

// Payload returns f as a 4-byte payload.
func (f Flag) Payload() []byte {
	return be.AppendUint32(nil, uint32(f))
}

// String returns the flag's AWS name.
func (f Flag) String() string {
	switch f {
	case DisconnectToPort:
		return "DisconnectToPort"
	case TerminateSession:
		return "TerminateSession"
	case ConnectToPortError:
		return "ConnectToPortError"
	}
	return "Flag(" + strconv.FormatUint(uint64(f), 10) + ")"
}

// ParseFlag reads a PayloadFlag payload.
func ParseFlag(p []byte) (Flag, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("protocol: flag payload has %d bytes, want 4", len(p))
	}
	return Flag(be.Uint32(p)), nil
}

// exitCodePrefix starts the PayloadExitCode payload of
// NonInteractiveCommands sessions. The plugin writes it to stdout as is.
const exitCodePrefix = "EXIT_CODE: "

// ExitCodePayload returns the PayloadExitCode payload for code:
// "EXIT_CODE: <code>".
func ExitCodePayload(code int) []byte {
	return strconv.AppendInt([]byte(exitCodePrefix), int64(code), 10)
}

// ParseExitCode reads a PayloadExitCode payload.
func ParseExitCode(p []byte) (int, error) {
	s, ok := strings.CutPrefix(string(p), exitCodePrefix)
	if !ok {
		return 0, fmt.Errorf("protocol: exit code payload %s does not start with %q", quote(string(p)), exitCodePrefix)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("protocol: exit code payload %s: %w", quote(string(p)), errors.Unwrap(err))
	}
	return n, nil
}

// NewControl returns a control message of type t (acknowledge,
// channel_closed, agent_session_state, ...) the way AWS's writers make
// them: SchemaVersion 1, SequenceNumber 0, Flags SYN|FIN, PayloadType 0,
// and v as its JSON payload.
func NewControl(t MessageType, id UUID, created time.Time, v any) (*Message, error) {
	p, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("protocol: %s payload: %w", t, err)
	}
	return &Message{
		MessageType:   t,
		SchemaVersion: SchemaVersion,
		CreatedDate:   uint64(created.UnixMilli()),
		Flags:         ControlFlags,
		MessageID:     id,
		Payload:       p,
	}, nil
}

// DecodePayload decodes m's JSON payload into v after checking that m is
// of type t: DecodePayload(m, TypeChannelClosed, &cc).
func DecodePayload(m *Message, t MessageType, v any) error {
	if m.MessageType != t {
		return fmt.Errorf("protocol: %s message where %s was expected", quote(string(m.MessageType)), t)
	}
	if err := json.Unmarshal(m.Payload, v); err != nil {
		return fmt.Errorf("protocol: %s payload: %w", t, err)
	}
	return nil
}
