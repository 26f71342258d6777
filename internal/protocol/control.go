package protocol

import (
	"encoding/json"
	"fmt"
)

// The control channel is sesame's own protocol between the server and an
// agent (AWS's agent uses a private MGS channel instead). The agent dials
// it outbound and keeps it open:
//
//	GET /agent/v1/control   (WebSocket; Authorization: Bearer <node token>)
//
// Every frame is a text frame holding one JSON ControlMessage. The node is
// Online while its control channel is open and it heartbeats.
//
//	agent                                   server
//	  │── hello {AgentVersion, Hostname...} ──▶│  node info recorded, Online
//	  │── heartbeat (every HeartbeatInterval)─▶│  ping recorded
//	  │◀── start_session {Session...} ─────────│  after StartSession
//	  │   (agent dials the data channel with Session.StreamURL, first
//	  │    text frame OpenDataChannel{TokenValue: Session.Token})
//	  │── session_token {SessionID} ──────────▶│  after a data-channel drop
//	  │◀── session_token {SessionID, Token} ───│  a fresh single-use token
//	  │◀── terminate_session {SessionID, Reason}│ TerminateSession, timeouts
//	  │◀── rotate_credentials {Token} ─────────│  new node token...
//	  │── credentials_rotated ────────────────▶│  ...kept by the agent: the
//	  │                                         │  server swaps the hash
//	  │◀── shutdown {Reason} ──────────────────│  server stopping: reconnect
//	  │── error {Message} / ◀── error ─────────│  a message that failed
//
// The data channel of a session is one WebSocket per side at
//
//	GET /v1/data-channel/<session id>?role=publish_subscribe
//
// whose first text frame is OpenDataChannel with the side's token: the
// client's from StartSession or ResumeSession, the agent's from
// start_session or session_token. Tokens are single use and short lived.
// After it, both sides exchange binary ClientMessage frames, which the
// server relays unchanged, except that it answers pings, sends the
// client channel_closed when the session ends, and speaks to the agent:
//
//	agent (data channel)                     server
//	  │◀── pause_publication ──────────────────│ no client attached, or not
//	  │                                         │ yet the one the stream is for
//	  │◀── client_stream {ClientId, ClientVersion} a client attached whose
//	  │                                         │ ClientId the stream is not for
//	  │── client_stream {ClientId} ───────────▶│ the stream is now that
//	  │                                         │ client's (or TakenOver:
//	  │                                         │ it was, then another's)
//	  │◀── start_publication ──────────────────│ it is, and it is attached
//
// A session's stream (sequence numbers, acknowledgements) belongs to one
// client: a client that reconnects (the same ClientId: the plugin keeps
// its own, and so does sesame's client in one run) continues it, while a
// new one (sesame session resume from another process) starts from
// sequence number 0 in both directions. client_stream makes the agent's
// side follow: the agent adopts the first client it is told of; for
// another one it restarts its stream (protocol.Stream.Restart: what the
// previous client did not acknowledge is dropped) and sends its
// handshake request again; then it answers with the same message. A
// client whose stream the agent gave up cannot go on with it: the agent
// answers TakenOver, and the server sends that client channel_closed.
// The server relays no stream data or acknowledgement between a client
// and the agent from the time it tells the agent of a client until the
// agent has answered with that client's ClientId, so neither receives a
// frame of the other's previous stream.

// TypeClientStream is sesame's own data-channel message between its
// server and its agent (payload ClientStream); see above. It never
// reaches a client.
const TypeClientStream MessageType = "client_stream"

// ClientStream is the payload of client_stream: from the server, the
// client now attached (OpenDataChannel's ClientId and ClientVersion);
// from the agent, the client its stream is now for, or with TakenOver a
// client it refuses: one whose stream it gave up for another client's
// (the server ends that client's connection, telling it why).
type ClientStream struct {
	ClientID      string `json:"ClientId"`
	ClientVersion string `json:"ClientVersion,omitempty"`
	TakenOver     bool   `json:"TakenOver,omitempty"`
}

// ControlType is the type of a control channel message.
type ControlType string

// Control message types.
const (
	ControlHello               ControlType = "hello"
	ControlHeartbeat           ControlType = "heartbeat"
	ControlStartSession        ControlType = "start_session"
	ControlTerminateSession    ControlType = "terminate_session"
	ControlSessionToken        ControlType = "session_token"
	ControlRotateCredentials   ControlType = "rotate_credentials"
	ControlCredentialsRotated  ControlType = "credentials_rotated"
	ControlShutdown            ControlType = "shutdown"
	ControlError               ControlType = "error"
	DefaultHeartbeatSeconds                = 30
	controlMessageMaxFieldSize             = 1 << 20
)

// ControlMessage is one control channel frame. Type says which of the
// other fields are set.
type ControlMessage struct {
	Type ControlType `json:"type"`

	// hello
	Info *NodeInfo `json:"info,omitempty"`
	// hello's answer (the server sends hello back): how often to heartbeat
	HeartbeatSeconds int `json:"heartbeatSeconds,omitempty"`
	// start_session
	Session *SessionStart `json:"session,omitempty"`
	// terminate_session, session_token
	SessionID string `json:"sessionId,omitempty"`
	// session_token (server to agent), rotate_credentials
	Token string `json:"token,omitempty"`
	// terminate_session, shutdown, error
	Reason string `json:"reason,omitempty"`
}

// NodeInfo is what an agent reports about its host.
type NodeInfo struct {
	AgentVersion    string `json:"agentVersion"` // 4-part, e.g. 3.3.100.0
	Hostname        string `json:"hostname"`
	PlatformType    string `json:"platformType"` // Linux, MacOS, Windows
	PlatformName    string `json:"platformName"`
	PlatformVersion string `json:"platformVersion"`
	IPAddress       string `json:"ipAddress"`
}

// SessionStart tells an agent to run a session.
type SessionStart struct {
	SessionID string `json:"sessionId"`
	// StreamURL is the agent's data channel; Token its single-use token.
	StreamURL string `json:"streamUrl"`
	Token     string `json:"token"`
	// DocumentName and Document are the session document, as stored (a
	// JSON session document, schemaVersion 1.0); Parameters are the
	// caller's, not yet substituted (the agent substitutes {{ name }} with
	// the document's defaults for missing ones).
	DocumentName string              `json:"documentName"`
	Document     json.RawMessage     `json:"document"`
	SessionType  SessionType         `json:"sessionType"`
	Parameters   map[string][]string `json:"parameters,omitempty"`
	// RunAsUser is the OS user to run as, decided by the server from the
	// document's runAsEnabled/runAsDefaultUser and the principal's
	// SSMSessionRunAs tag; empty means the agent's default (ssm-user when
	// it runs as root).
	RunAsUser string `json:"runAsUser,omitempty"`
	// Owner is the principal ARN that started the session, for logs.
	Owner string `json:"owner"`
}

// Validate checks that the fields a message's type needs are present.
func (m *ControlMessage) Validate() error {
	switch m.Type {
	case ControlHello, ControlHeartbeat, ControlCredentialsRotated, ControlShutdown, ControlError:
		return nil
	case ControlStartSession:
		if m.Session == nil || m.Session.SessionID == "" || m.Session.StreamURL == "" || m.Session.Token == "" {
			return fmt.Errorf("%w: start_session needs session.sessionId, streamUrl and token", ErrMalformed)
		}
		if !m.Session.SessionType.Known() {
			return fmt.Errorf("%w: start_session: unknown session type %q", ErrMalformed, m.Session.SessionType)
		}
		return nil
	case ControlTerminateSession:
		if m.SessionID == "" {
			return fmt.Errorf("%w: terminate_session needs sessionId", ErrMalformed)
		}
		return nil
	case ControlSessionToken:
		if m.SessionID == "" {
			return fmt.Errorf("%w: session_token needs sessionId", ErrMalformed)
		}
		return nil
	case ControlRotateCredentials:
		if m.Token == "" {
			return fmt.Errorf("%w: rotate_credentials needs token", ErrMalformed)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown control message type %q", ErrMalformed, m.Type)
}

// DecodeControl reads and validates one control frame.
func DecodeControl(data []byte) (*ControlMessage, error) {
	if len(data) > controlMessageMaxFieldSize {
		return nil, fmt.Errorf("%w: control message of %d bytes", ErrTooLarge, len(data))
	}
	var m ControlMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: control message: %v", ErrMalformed, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}
