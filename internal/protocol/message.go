package protocol

import (
	"fmt"
	"strconv"
)

// Frame layout. Every field is big-endian; see the package documentation
// for the table.
const (
	// HeaderLength is the value writers put in a frame's HeaderLength
	// field: the offset of PayloadLength, so the field does not count
	// PayloadLength itself. Readers take the payload from HeaderLength+4.
	HeaderLength = 116
	// HeaderSize is the number of bytes before the payload of a frame
	// written with HeaderLength: the shortest valid frame.
	HeaderSize = HeaderLength + 4

	// MaxFrameSize is the largest frame Marshal writes and Unmarshal
	// accepts unless a Decoder says otherwise. AWS's programs put at most
	// 1024 payload bytes in stream data; the largest frames are control
	// messages that carry a session document.
	MaxFrameSize = 1 << 20
	// MaxPayloadSize is the largest payload that fits in MaxFrameSize.
	MaxPayloadSize = MaxFrameSize - HeaderSize

	// StreamDataPayloadSize is the payload size AWS's plugin and agent
	// use for stream data, and the default chunk size of Stream.Write.
	StreamDataPayloadSize = 1024

	// SchemaVersion is the frame schema version every writer puts.
	SchemaVersion = 1
)

// Field offsets and lengths.
const (
	offHeaderLength   = 0
	offMessageType    = 4
	lenMessageType    = 32
	offSchemaVersion  = 36
	offCreatedDate    = 40
	offSequenceNumber = 48
	offFlags          = 56
	offMessageID      = 64
	offPayloadDigest  = 80
	lenPayloadDigest  = 32
	offPayloadType    = 112
	offPayloadLength  = 116
)

// Message is one data-channel frame: AWS's ClientMessage (plugin) and
// AgentMessage (agent), which share one layout. Field names are AWS's.
//
// HeaderLength, PayloadDigest and PayloadLength hold what was read;
// Marshal ignores them and writes HeaderLength (116), the SHA-256 of
// Payload and len(Payload), as AWS's writers do.
type Message struct {
	HeaderLength   uint32
	MessageType    MessageType
	SchemaVersion  uint32
	CreatedDate    uint64 // milliseconds since the Unix epoch; readers reject 0
	SequenceNumber int64
	Flags          Flags
	MessageID      UUID
	PayloadDigest  [32]byte
	PayloadType    PayloadType
	PayloadLength  uint32
	Payload        []byte
}

// MessageType names what a frame is. It travels as ASCII in a 32-byte
// field padded with spaces. The set below is every type AWS's plugin,
// agent and service use; Unmarshal also accepts types outside it (AWS's
// readers log and drop those), and Known tells them apart.
type MessageType string

// Data-channel message types.
const (
	// TypeInputStreamData carries client→agent stream data, sequence-numbered.
	TypeInputStreamData MessageType = "input_stream_data"
	// TypeOutputStreamData carries agent→client stream data, sequence-numbered.
	TypeOutputStreamData MessageType = "output_stream_data"
	// TypeAcknowledge acknowledges one stream-data message (payload Acknowledge).
	TypeAcknowledge MessageType = "acknowledge"
	// TypeChannelClosed ends the session (payload ChannelClosed).
	TypeChannelClosed MessageType = "channel_closed"
	// TypeStartPublication tells the agent to resume sending.
	TypeStartPublication MessageType = "start_publication"
	// TypePausePublication tells the agent the client is away: buffer, do not send.
	TypePausePublication MessageType = "pause_publication"
	// TypeAgentSessionState reports the agent's session state (payload AgentSessionState).
	TypeAgentSessionState MessageType = "agent_session_state"
)

// Control-channel message types (agent ↔ service).
const (
	TypeInteractiveShell     MessageType = "interactive_shell"
	TypeAgentTaskComplete    MessageType = "agent_task_complete"
	TypeAgentTaskReply       MessageType = "agent_task_reply"
	TypeAgentTaskAcknowledge MessageType = "agent_task_acknowledge"
	TypeAgentJob             MessageType = "agent_job"
	TypeAgentJobAck          MessageType = "agent_job_ack"
	TypeAgentJobReply        MessageType = "agent_job_reply"
	TypeAgentJobReplyAck     MessageType = "agent_job_reply_ack"
	TypeAgentTelemetry       MessageType = "agent_telemetry"
	TypeAgentUpdateResult    MessageType = "agent_update_result"
)

// Known reports whether t is one of the message types above.
func (t MessageType) Known() bool {
	switch t {
	case TypeInputStreamData, TypeOutputStreamData, TypeAcknowledge,
		TypeChannelClosed, TypeStartPublication, TypePausePublication,
		TypeAgentSessionState,
		TypeInteractiveShell, TypeAgentTaskComplete, TypeAgentTaskReply,
		TypeAgentTaskAcknowledge, TypeAgentJob, TypeAgentJobAck,
		TypeAgentJobReply, TypeAgentJobReplyAck, TypeAgentTelemetry,
		TypeAgentUpdateResult:
		return true
	}
	return false
}

// internType returns the constant for a known type without allocating.
func internType(b []byte) MessageType {
	switch string(b) {
	case "input_stream_data":
		return TypeInputStreamData
	case "output_stream_data":
		return TypeOutputStreamData
	case "acknowledge":
		return TypeAcknowledge
	case "channel_closed":
		return TypeChannelClosed
	case "start_publication":
		return TypeStartPublication
	case "pause_publication":
		return TypePausePublication
	case "agent_session_state":
		return TypeAgentSessionState
	}
	return MessageType(b)
}

// PayloadType says how to read a stream-data payload. Control messages
// (acknowledge, channel_closed, agent_session_state) carry PayloadNone.
type PayloadType uint32

// Payload types, the same numbers in the plugin and the agent.
const (
	PayloadNone                 PayloadType = 0
	PayloadOutput               PayloadType = 1  // terminal or port bytes, both directions
	PayloadError                PayloadType = 2  // defined, unused by AWS's programs
	PayloadSize                 PayloadType = 3  // client→agent TerminalSize JSON
	PayloadParameter            PayloadType = 4  // defined, unused by AWS's programs
	PayloadHandshakeRequest     PayloadType = 5  // agent→client HandshakeRequest JSON
	PayloadHandshakeResponse    PayloadType = 6  // client→agent HandshakeResponse JSON
	PayloadHandshakeComplete    PayloadType = 7  // agent→client HandshakeComplete JSON
	PayloadEncChallengeRequest  PayloadType = 8  // agent→client EncryptionChallenge JSON
	PayloadEncChallengeResponse PayloadType = 9  // client→agent EncryptionChallenge JSON
	PayloadFlag                 PayloadType = 10 // 4-byte big-endian Flag
	PayloadStdErr               PayloadType = 11 // agent→client stderr of NonInteractiveCommands
	PayloadExitCode             PayloadType = 12 // agent→client "EXIT_CODE: n"
)

// String returns AWS's name for t, or a number for types outside the set.
func (t PayloadType) String() string {
	switch t {
	case PayloadNone:
		return "None"
	case PayloadOutput:
		return "Output"
	case PayloadError:
		return "Error"
	case PayloadSize:
		return "Size"
	case PayloadParameter:
		return "Parameter"
	case PayloadHandshakeRequest:
		return "HandshakeRequest"
	case PayloadHandshakeResponse:
		return "HandshakeResponse"
	case PayloadHandshakeComplete:
		return "HandshakeComplete"
	case PayloadEncChallengeRequest:
		return "EncChallengeRequest"
	case PayloadEncChallengeResponse:
		return "EncChallengeResponse"
	case PayloadFlag:
		return "Flag"
	case PayloadStdErr:
		return "StdErr"
	case PayloadExitCode:
		return "ExitCode"
	}
	return "PayloadType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// Flags is the frame's 64-bit flag word.
type Flags uint64

const (
	// SYN marks the first message of a stream. The agent sets it on its
	// stream-data message 0; the plugin never sets it; nobody reads it.
	SYN Flags = 1 << 0
	// FIN marks the last message of a stream. Nobody reads it.
	FIN Flags = 1 << 1
	// ControlFlags is what AWS's writers put on control messages
	// (acknowledge, agent_session_state, channel_closed).
	ControlFlags = SYN | FIN
)

// String formats f as "SYN|FIN", "0" or a number for unknown bits.
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	s := ""
	for _, b := range []struct {
		f Flags
		n string
	}{{SYN, "SYN"}, {FIN, "FIN"}} {
		if f&b.f != 0 {
			if s != "" {
				s += "|"
			}
			s += b.n
			f &^= b.f
		}
	}
	if f != 0 {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("%#x", uint64(f))
	}
	return s
}
