// Package agent is sesame-agent: the program on each host that users
// open sessions on. It registers the host once, then keeps an outbound
// control channel to the server and runs the sessions the server starts,
// each over its own data channel that speaks AWS Session Manager's
// protocol (internal/protocol), so that the real session-manager-plugin
// and sesame's client can both be the other end.
//
//	sesame-agent                         sesame server                 client
//	  │── POST /agent/v1/register ───────▶│  (once: activation → node id, token)
//	  │══ GET /agent/v1/control (ws) ═════▶│  Authorization: Bearer <token>
//	  │── hello {NodeInfo} ──────────────▶│  Online
//	  │◀─ hello {HeartbeatSeconds} ────────│
//	  │── heartbeat (and a ping) ────────▶│  every HeartbeatSeconds
//	  │◀─ start_session {StreamURL, Token, document, parameters, RunAsUser}
//	  │══ GET StreamURL (ws) ═════════════▶│◀══════ StreamUrl (ws) ══════│
//	  │── OpenDataChannel {Token} ───────▶│                              │
//	  │── agent_session_state Connected ─▶│                              │
//	  │── HandshakeRequest ──────────────────────────────────────────────▶│
//	  │◀─────────────────────────────────────────────── HandshakeResponse │
//	  │── HandshakeComplete ─────────────────────────────────────────────▶│
//	  │◀── keystrokes, sizes ─────────────────── output, exit code ──────▶│
//	  │── agent_session_state Terminating ▶│── channel_closed ──────────▶│
//
// # Control channel
//
// Agent.Run dials the control channel with the node's token and the CA
// the node registered with, says hello (agent version, host name,
// platform, IP), heartbeats, and serves the server's messages:
// start_session starts a session; terminate_session ends one (and is
// the answer to session_token for a session that has ended);
// session_token brings a fresh data-channel token; rotate_credentials
// is saved (atomically, mode 0600) before credentials_rotated confirms
// it, and the previous token is kept until the new one has worked, in
// case the server never heard the confirmation; shutdown makes the
// agent reconnect. A dropped channel is dialed again after an
// exponential backoff with jitter (1 s doubling to 1 minute, ±50%); the
// backoff starts over once a connection was answered. The clock and the
// randomness are Config's, so tests drive them.
//
// # Sessions
//
// A session checks its document and parameters (defaults, allowedPattern,
// allowedValues, {{ name }} substitution in inputs and properties),
// dials its data channel with the single-use token of start_session, and
// runs a protocol.Stream in the agent role. It always does the handshake,
// asking for the session type with the document's properties (null for
// Standard_Stream) and never for KMS encryption, which it does not
// support. Then:
//
//   - Standard_Stream: the user's login shell (sh when unknown) on a
//     PTY, the document's shellProfile.linux typed at its start;
//   - InteractiveCommands: sh -c <commands> on a PTY;
//   - NonInteractiveCommands: the commands split like a shell would and
//     run without a PTY, stdout as Output and, with separateOutputStream,
//     stderr as StdErr with the separator prefixes; input only signals
//     (Ctrl-C, Ctrl-\);
//   - Port: refused for now, with channel_closed saying so.
//
// Sizes resize the PTY, the TerminateSession flag ends the session.
// When the program exits the agent reads what it wrote (until the
// output stays silent for 2 s), sends its exit code (EXIT_CODE: n) to
// sesame's client for every session type (it becomes the client's exit
// status; the client is told apart by its ClientVersion,
// protocol.IsSesameClient) and to any other client, which prints it,
// only where AWS's agent does (NonInteractiveCommands with
// separateOutputStream), waits for the client to acknowledge everything
// (Stream.Flush, longer while the client is away), and sends
// agent_session_state Terminating, as AWS's agent does. A session that
// fails sends channel_closed with the reason as Output, which the
// server passes on to the client; a stopping agent does the same for
// each session, then closes the control channel.
//
// When a data channel drops the agent asks the server for a new token
// over the control channel, dials again and calls Stream.Resume: the
// Stream resends what the client has not acknowledged and the client
// drops what it already has, so no byte is lost or repeated. A normal
// close from the server means the session has ended. When the server
// says another client has attached (client_stream, with its ClientId),
// the stream restarts from sequence number 0 for it and it gets the
// handshake request again (protocol.ClientStream).
//
// Sessions run as the account package shell resolves: RunAsUser when
// set (the agent must be root), else ssm-user (created) for a root
// agent, else the agent's own user; runAsElevated commands run as the
// agent's own account, as with AWS.
package agent
