// Package protocol implements the data-channel protocol of AWS Systems
// Manager Session Manager, so that the real aws CLI and
// session-manager-plugin, sesame's own client, and sesame's agent can
// all talk through a sesame server. It has the frame codec (Message,
// Unmarshal, Decoder), the JSON payloads, and Stream: the sequence
// numbers, acknowledgements, retransmission and reordering that make a
// reliable, ordered stream out of frames that may be lost, repeated or
// reordered. The package uses the standard library only.
//
// The facts below were read in AWS's plugin (1.2.677.0, 1.3.0.0) and
// agent (3.3.0.0) sources and checked against the real CLI and plugin
// (see protocol.md in the project's shared notes); the code is sesame's.
//
// # Parties
//
//	session-manager-plugin ──ws── server ──ws── agent
//	(or sesame client)        (relays frames    (sesame-agent)
//	   Stream RoleClient       opaquely)          Stream RoleAgent
//
// Each side dials a WebSocket to the server. The server relays stream
// data and acknowledgements between them unchanged, sends
// pause_publication and start_publication to the agent as the client
// leaves and returns, and sends channel_closed when the session ends.
// Sequence numbers, acknowledgements and retransmissions are end to end.
//
// # Opening
//
// The first WebSocket message on a data channel is a text frame of JSON
// (OpenDataChannel), with no reply:
//
//	{"MessageSchemaVersion":"1.0","RequestId":"<uuid>","TokenValue":"<token>","ClientId":"<uuid>","ClientVersion":"1.3.0.0"}
//
// The token is the one-use TokenValue from StartSession or ResumeSession.
// Everything after it is binary frames. On reconnect a side dials again,
// sends the same JSON with a new token, and sequence numbers continue.
//
// # Frame layout
//
// A frame is one binary WebSocket message, all integers big-endian:
//
//	offset len field           notes
//	     0   4 HeaderLength    116 (the offset of PayloadLength); the payload starts at HeaderLength+4
//	     4  32 MessageType     ASCII, padded with spaces; readers trim NULs, then spaces
//	    36   4 SchemaVersion   1
//	    40   8 CreatedDate     milliseconds since the epoch; readers refuse 0
//	    48   8 SequenceNumber  signed; stream data 0, 1, 2, ...; control messages 0
//	    56   8 Flags           bit 0 SYN, bit 1 FIN; control messages 3
//	    64  16 MessageId       UUID with its halves swapped: UUID bytes 8..15, then 0..7
//	    80  32 PayloadDigest   SHA-256 of the payload as sent (after encryption), always written
//	   112   4 PayloadType     see below; 0 for control messages
//	   116   4 PayloadLength   readers ignore it and take the payload to the end of the frame
//	   120   n Payload
//
// A 2-byte payload makes a 122-byte frame. AWS's plugin validates every
// frame but start_publication and pause_publication: HeaderLength,
// MessageType and CreatedDate must be set, and if PayloadLength is not 0
// the digest must match. AWS's agent checks no digest. Unmarshal does what
// the plugin does; Decoder.Strict also requires HeaderLength 116, exact
// padding, a true PayloadLength and a matching digest on every frame.
// Frames above MaxFrameSize (1 MiB) are refused.
//
// # Message types
//
//	input_stream_data     client → agent  stream data (sequence-numbered)
//	output_stream_data    agent → client  stream data (sequence-numbered)
//	acknowledge           both ways       Acknowledge JSON, one per stream-data message
//	channel_closed        server → both   ChannelClosed JSON: the session is over
//	pause_publication     server → agent  stop sending, keep numbering and buffering
//	start_publication     server → agent  send again
//	agent_session_state   agent → server  AgentSessionState JSON: Connected, Terminating
//
// and on the agent's control channel interactive_shell (start a
// session), agent_task_complete, agent_task_reply, agent_task_acknowledge,
// agent_job, agent_job_ack, agent_job_reply, agent_job_reply_ack,
// agent_telemetry and agent_update_result.
//
// # Payload types
//
// A stream-data message's PayloadType says what its payload is:
//
//	 1 Output               bytes: keystrokes, terminal output, forwarded port data
//	 2 Error                (unused)
//	 3 Size                 TerminalSize JSON {"cols":132,"rows":40}, client → agent
//	 4 Parameter            (unused)
//	 5 HandshakeRequest     HandshakeRequest JSON, agent → client
//	 6 HandshakeResponse    HandshakeResponse JSON, client → agent
//	 7 HandshakeComplete    HandshakeComplete JSON, agent → client
//	 8 EncChallengeRequest  EncryptionChallenge JSON, agent → client
//	 9 EncChallengeResponse EncryptionChallenge JSON, client → agent
//	10 Flag                 4-byte Flag: DisconnectToPort, TerminateSession, ConnectToPortError
//	11 StdErr               bytes: stderr of NonInteractiveCommands
//	12 ExitCode             "EXIT_CODE: <n>" of NonInteractiveCommands
//
// # Stream data and acknowledgements
//
// Each side numbers its own stream-data messages from 0 and expects the
// peer's from 0. The receiver acknowledges each message with an
// acknowledge frame (sequence 0, Flags 3, PayloadType 0) whose payload
// names it:
//
//	{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"<uuid>","AcknowledgedMessageSequenceNumber":7,"IsSequentialMessage":true}
//
// A message with the expected number is delivered, then any buffered
// successors; one ahead of it is buffered (up to 10 000) and acknowledged;
// one behind it is a duplicate. A receiver that cannot take a message
// (its reader is behind) drops it without acknowledging, and the sender
// sends it again. The sender keeps each message until acknowledged and
// matches acknowledgements by sequence number.
//
// # Retransmission
//
// Both of AWS's programs use the same constants: a timeout (RTO) of
// 200 ms and a round-trip estimate of 100 ms to start; on each
// acknowledgement, with the time since the message was last sent as the
// sample, RTTVar = ¾·RTTVar + ¼·|RTT−sample|, RTT = ⅞·RTT + ⅛·sample,
// RTO = RTT + max(10 ms, 4·RTTVar), at most 1 s. Every 100 ms a
// scheduler resends the oldest unacknowledged message if it was last
// sent more than the RTO ago. Resent frames are byte for byte the
// originals (same MessageId and CreatedDate). The plugin gives up after
// 3000 resends of one message (about five minutes); the agent never does.
//
// # Flow control
//
// pause_publication tells the agent the client is away: it keeps
// numbering and buffering what it writes but sends nothing and resends
// nothing. start_publication, any received stream data and any
// acknowledgement end the pause. The plugin ignores both messages;
// Stream honours them in both roles.
//
// # Handshake
//
// sesame's agent runs it for every session type; AWS's runs it for Port
// and NonInteractiveCommands sessions and for KMS encryption, and without
// it the plugin waits for the first Output message. The plugin accepts it
// for every type:
//
//  1. agent → HandshakeRequest: AgentVersion (4-part, above 3.1.1511.0
//     so the plugin multiplexes port forwarding without smux keep-alive)
//     and RequestedClientActions: SessionType with the document's
//     properties (null for Standard_Stream), KMSEncryption if asked.
//  2. client → HandshakeResponse: ClientVersion and one
//     ProcessedClientAction per action (ActionStatus 1 for success).
//  3. with KMSEncryption: EncChallengeRequest / EncChallengeResponse.
//  4. agent → HandshakeComplete: HandshakeTimeToComplete (ns) and a
//     CustomerMessage the plugin prints; then the session starts.
//
// The agent gives the client 15 s for each answer.
//
// # Closing
//
// When the session's process ends, the agent waits (up to 2 s) for its
// messages to be acknowledged (Stream.Flush), sends agent_session_state
// Terminating and closes. The server sends channel_closed to the client
// with an empty Output, or with a reason such as "Your session timed out
// due to inactivity and has been terminated."; the plugin prints it and
// exits 0. channel_closed to the agent cancels its session.
//
// # Resuming
//
// When a WebSocket drops, the plugin calls ResumeSession for a new token
// and dials again; sesame's agent and client do the same. The Stream
// lives on across connections: after the new connection is open its
// owner calls Stream.Resume, which sends every unacknowledged message
// again. The receiver delivers what it has not seen and acknowledges the
// rest, so no byte is lost or repeated.
//
// # What sesame adds
//
// sesame speaks the protocol exactly on the wire; Stream differs from
// AWS's implementations where they lose data or stall:
//
//   - Write blocks when SendWindow messages are unacknowledged. The
//     plugin evicts its oldest unacknowledged message when its buffer is
//     full and the agent stops buffering new ones; both then lose data.
//   - A message is recorded before it is sent, so an acknowledgement can
//     never arrive before the sender knows the message (AWS's programs
//     record after sending and then resend needlessly).
//   - Each tick resends every expired message, oldest first, up to 16,
//     not only the oldest: the plugin never acknowledges a message twice,
//     so a lost acknowledgement would otherwise block every later resend.
//   - Resume and start_publication send every unacknowledged message at
//     once instead of one per tick.
//   - Duplicates are acknowledged again in both roles (the plugin does
//     not), and delivered data is backpressure: a full receive buffer
//     drops new data unacknowledged rather than growing without bound.
//   - Frames with a HeaderLength that points inside the header or past
//     the frame are refused; AWS's readers misread or crash on them.
//
// # Version history
//
//   - plugin 1.2.677.0 (2024-10): ClientVersion in the opening JSON.
//   - plugin 1.3.0.0 (2026-04): SigV4-signed WebSocket upgrade; the
//     frames are unchanged.
//   - sesame protocol 1: this package; the frame format of AWS's plugin
//     and agent, the handshake for every session type.
package protocol
