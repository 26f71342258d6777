package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SessionType is the sessionType of a session document, announced to
// the client in the handshake.
type SessionType string

const (
	// SessionStandardStream is a shell (SSM-SessionManagerRunShell);
	// its properties are null.
	SessionStandardStream SessionType = "Standard_Stream"
	// SessionPort is port forwarding (AWS-StartPortForwardingSession,
	// AWS-StartSSHSession, ...); properties are PortProperties.
	SessionPort SessionType = "Port"
	// SessionInteractiveCommands runs commands on a PTY; properties are
	// CommandProperties.
	SessionInteractiveCommands SessionType = "InteractiveCommands"
	// SessionNonInteractiveCommands runs commands without a PTY;
	// properties are CommandProperties.
	SessionNonInteractiveCommands SessionType = "NonInteractiveCommands"
)

// Known reports whether t is one of the four session types.
func (t SessionType) Known() bool {
	switch t {
	case SessionStandardStream, SessionPort, SessionInteractiveCommands, SessionNonInteractiveCommands:
		return true
	}
	return false
}

// ActionType names an action the agent asks of the client in the handshake.
type ActionType string

const (
	ActionSessionType   ActionType = "SessionType"
	ActionKMSEncryption ActionType = "KMSEncryption"
)

// ActionStatus is the client's answer to one requested action.
type ActionStatus int

const (
	ActionSuccess     ActionStatus = 1
	ActionFailed      ActionStatus = 2
	ActionUnsupported ActionStatus = 3
)

// HandshakeRequest is the payload of PayloadHandshakeRequest, the
// agent's first stream-data message when it runs the handshake.
// AgentVersion must be a 4-part number: the plugin picks multiplexed
// port forwarding only when it is greater than 3.0.196.0.
type HandshakeRequest struct {
	AgentVersion           string                  `json:"AgentVersion"`
	RequestedClientActions []RequestedClientAction `json:"RequestedClientActions"`
}

// RequestedClientAction is one action of a HandshakeRequest. The
// parameters are a SessionTypeRequest or a KMSEncryptionRequest,
// depending on ActionType.
type RequestedClientAction struct {
	ActionType       ActionType      `json:"ActionType"`
	ActionParameters json.RawMessage `json:"ActionParameters"`
}

// SessionTypeRequest is the parameter of ActionSessionType. Properties
// are the resolved document properties: null for Standard_Stream,
// PortProperties for Port, CommandProperties for the command types.
type SessionTypeRequest struct {
	SessionType SessionType     `json:"SessionType"`
	Properties  json.RawMessage `json:"Properties"`
}

// KMSEncryptionRequest is the parameter of ActionKMSEncryption:
// the key and a base64 random challenge.
type KMSEncryptionRequest struct {
	KMSKeyID  string `json:"KMSKeyId"`
	Challenge string `json:"Challenge"`
}

// SessionTypeAction returns the SessionType action for t with the given
// properties, which are marshalled as JSON (nil gives null).
func SessionTypeAction(t SessionType, properties any) (RequestedClientAction, error) {
	var raw json.RawMessage
	switch p := properties.(type) {
	case nil:
	case json.RawMessage:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return RequestedClientAction{}, fmt.Errorf("protocol: %s properties: %w", t, err)
		}
		raw = b
	}
	params, err := json.Marshal(SessionTypeRequest{SessionType: t, Properties: raw})
	if err != nil {
		return RequestedClientAction{}, fmt.Errorf("protocol: %s properties: %w", t, err)
	}
	return RequestedClientAction{ActionType: ActionSessionType, ActionParameters: params}, nil
}

// SessionType decodes the parameters of an ActionSessionType action.
func (a RequestedClientAction) SessionType() (SessionTypeRequest, error) {
	var r SessionTypeRequest
	if a.ActionType != ActionSessionType {
		return r, fmt.Errorf("protocol: %s action where %s was expected", quote(string(a.ActionType)), ActionSessionType)
	}
	if err := json.Unmarshal(a.ActionParameters, &r); err != nil {
		return r, fmt.Errorf("protocol: %s parameters: %w", ActionSessionType, err)
	}
	return r, nil
}

// KMSEncryption decodes the parameters of an ActionKMSEncryption action.
func (a RequestedClientAction) KMSEncryption() (KMSEncryptionRequest, error) {
	var r KMSEncryptionRequest
	if a.ActionType != ActionKMSEncryption {
		return r, fmt.Errorf("protocol: %s action where %s was expected", quote(string(a.ActionType)), ActionKMSEncryption)
	}
	if err := json.Unmarshal(a.ActionParameters, &r); err != nil {
		return r, fmt.Errorf("protocol: %s parameters: %w", ActionKMSEncryption, err)
	}
	return r, nil
}

// Port decodes the properties of a Port session.
func (r SessionTypeRequest) Port() (PortProperties, error) {
	var p PortProperties
	err := r.decode(SessionPort, &p)
	return p, err
}

// Commands decodes the properties of an InteractiveCommands or
// NonInteractiveCommands session.
func (r SessionTypeRequest) Commands() (CommandProperties, error) {
	var p CommandProperties
	if r.SessionType != SessionInteractiveCommands && r.SessionType != SessionNonInteractiveCommands {
		return p, fmt.Errorf("protocol: %s session has no command properties", quote(string(r.SessionType)))
	}
	err := r.decode(r.SessionType, &p)
	return p, err
}

func (r SessionTypeRequest) decode(t SessionType, v any) error {
	if r.SessionType != t {
		return fmt.Errorf("protocol: %s session where %s was expected", quote(string(r.SessionType)), t)
	}
	if len(bytes.TrimSpace(r.Properties)) == 0 {
		return fmt.Errorf("protocol: %s session without properties", t)
	}
	if err := json.Unmarshal(r.Properties, v); err != nil {
		return fmt.Errorf("protocol: %s properties: %w", t, err)
	}
	return nil
}

// PortProperties are the properties of a Port session, as the port
// documents write them: numbers as strings. AWS-StartSSHSession has
// only portNumber (no type); the plugin then pipes stdin and stdout.
type PortProperties struct {
	PortNumber          string `json:"portNumber"`
	Type                string `json:"type,omitempty"` // "LocalPortForwarding" selects a local listener
	LocalPortNumber     string `json:"localPortNumber,omitempty"`
	Host                string `json:"host,omitempty"` // remote host (AWS-StartPortForwardingSessionToRemoteHost)
	LocalUnixSocket     string `json:"localUnixSocket,omitempty"`
	LocalConnectionType string `json:"localConnectionType,omitempty"` // "unix" listens on LocalUnixSocket
}

// LocalPortForwarding is the PortProperties.Type that makes the plugin
// open a local listener (multiplexed when the agent is new enough).
const LocalPortForwarding = "LocalPortForwarding"

// CommandProperties are the properties of the command session types,
// one CommandConfig per platform.
type CommandProperties struct {
	Windows *CommandConfig `json:"windows,omitempty"`
	Linux   *CommandConfig `json:"linux,omitempty"`
	MacOS   *CommandConfig `json:"macos,omitempty"`
}

// CommandConfig is the per-platform part of CommandProperties.
type CommandConfig struct {
	Commands              string   `json:"commands"`
	RunAsElevated         bool     `json:"runAsElevated,omitempty"`
	SeparateOutputStream  FlexBool `json:"separateOutputStream,omitempty"`
	StdOutSeparatorPrefix string   `json:"stdOutSeparatorPrefix,omitempty"`
	StdErrSeparatorPrefix string   `json:"stdErrSeparatorPrefix,omitempty"`
}

// FlexBool is a boolean that documents write as true or "true" (after
// parameter substitution a boolean often arrives as a string).
type FlexBool bool

// UnmarshalJSON accepts true, false, "true" and "false" (any case) and null.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	s := string(bytes.TrimSpace(data))
	if s == "null" {
		return nil
	}
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("protocol: %s is not a boolean", quote(string(data)))
	}
	*b = FlexBool(v)
	return nil
}

// SesameClientVersion is the ClientVersion sesame's own client reports,
// in OpenDataChannel and in its HandshakeResponse: the release of
// session-manager-plugin whose behaviour it follows (1.3.0), with a
// fourth part that is not 0. Every plugin release has ended in .0
// (1.0.37.0 to 1.3.0.0), so the fourth part tells sesame's client from
// the plugin while the version stays the 4-part number that AWS's agent
// compares part by part (multiplexed port forwarding from 1.1.70, no
// smux keep-alive after 1.2.331.0) and sesame's agent too.
const SesameClientVersion = "1.3.0.1"

// IsSesameClient reports whether a ClientVersion is that of sesame's own
// client: four numeric parts, the last of them not 0. Sesame's agent
// sends such a client the exit code of every session, which it turns
// into its exit status; AWS's agent sends it only for
// NonInteractiveCommands with separateOutputStream, and the plugin
// prints it ("EXIT_CODE: n") as output.
func IsSesameClient(clientVersion string) bool {
	parts := strings.Split(clientVersion, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return strings.Trim(parts[3], "0") != ""
}

// HandshakeResponse is the payload of PayloadHandshakeResponse: one
// ProcessedClientAction per requested action, in order.
type HandshakeResponse struct {
	ClientVersion          string                  `json:"ClientVersion"`
	ProcessedClientActions []ProcessedClientAction `json:"ProcessedClientActions"`
	Errors                 []string                `json:"Errors"`
}

// ProcessedClientAction is the client's result for one action.
// ActionResult is null for SessionType and a KMSEncryptionResponse for
// KMSEncryption. Any status but ActionSuccess makes the agent end the
// session.
type ProcessedClientAction struct {
	ActionType   ActionType      `json:"ActionType"`
	ActionStatus ActionStatus    `json:"ActionStatus"`
	ActionResult json.RawMessage `json:"ActionResult"`
	Error        string          `json:"Error"`
}

// KMSEncryptionResponse is the ActionResult of KMSEncryption: the data
// key the client generated, encrypted under the KMS key.
type KMSEncryptionResponse struct {
	KMSCipherTextKey         []byte `json:"KMSCipherTextKey"`
	KMSCipherTextHash        []byte `json:"KMSCipherTextHash"`
	ChallengeAcknowledgement bool   `json:"ChallengeAcknowledgement,omitempty"`
}

// EncryptionChallenge is the payload of PayloadEncChallengeRequest and
// PayloadEncChallengeResponse (base64 in JSON).
type EncryptionChallenge struct {
	Challenge []byte `json:"Challenge"`
}

// HandshakeComplete is the payload of PayloadHandshakeComplete. The
// plugin prints a non-empty CustomerMessage, then starts the session.
type HandshakeComplete struct {
	HandshakeTimeToComplete time.Duration `json:"HandshakeTimeToComplete"` // nanoseconds
	CustomerMessage         string        `json:"CustomerMessage"`
}

// HandshakeTimeout is how long AWS's agent waits for the handshake
// response (and for the encryption challenge response).
const HandshakeTimeout = 15 * time.Second

// Texts of the handshake.
const (
	HandshakeTimedOut     = "Handshake timed out. Please ensure that you have the latest version of the session manager plugin."
	ChallengeTimedOut     = "Timed out waiting for encryption challenge."
	KMSEncryptedMessage   = "This session is encrypted using AWS KMS."
	ChallengeMismatchText = "Encryption challenge does not match!"
)
