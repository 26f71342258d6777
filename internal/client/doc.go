// Package client is sesame's end of a session's data channel: what
// session-manager-plugin does for the aws CLI, for `sesame session start`
// and `sesame session resume`. Given the SessionId, TokenValue and
// StreamUrl of a StartSession or ResumeSession response, a Client dials
// the data channel, runs the handshake, connects the user's terminal or
// pipes to the remote shell, survives dropped connections, and returns the
// remote exit status.
//
// # Flow
//
//	Client.Run
//	  │ dial StreamUrl (ws:// or wss:// with Config.TLSConfig)
//	  │ text frame OpenDataChannel{TokenValue, ClientId, ClientVersion}
//	  │
//	  │◀── HandshakeRequest (SessionType, maybe KMSEncryption)
//	  │──▶ Size (sesame's agent starts the shell with it)
//	  │──▶ HandshakeResponse (SessionType: Success; anything else: Failed)
//	  │◀── HandshakeComplete (CustomerMessage printed on stderr)
//	  │    terminal raw, size sent          (AWS's agent may skip the
//	  │                                      handshake: the first Output
//	  │                                      message starts the session)
//	  │──▶ stdin as Output, Size on SIGWINCH, Ctrl-C as byte 0x03
//	  │◀── Output to stdout, StdErr to stderr, ExitCode remembered
//	  │◀── channel_closed: drain, restore the terminal, print
//	  │    "Exiting session with sessionId: <id>." (or the Output reason),
//	  │    return the exit code
//
// The bytes travel in a protocol.Stream with RoleClient, which numbers,
// acknowledges and retransmits them end to end (see package protocol).
//
// # Terminals and pipes
//
// When stdin is a terminal (Config.Terminal, see NewTerminal) it is put in
// raw mode once the session starts, so Ctrl-C, Ctrl-Z and Ctrl-\ reach the
// remote shell as bytes, and restored when Run returns, whatever the
// reason. A SIGINT, SIGQUIT or SIGTSTP that reaches the client process
// anyway (stdin is a pipe, or someone ran kill) is sent as the byte its
// key makes, as the plugin does; before the session starts a SIGINT gives
// up instead. SIGTERM and SIGHUP end the client and leave the session to
// be resumed.
//
// The terminal size is sent before the handshake response, again when
// the session starts (AWS's agent drops what comes before), and on every
// SIGWINCH; without a terminal the client sends 300×100, as the plugin
// does.
//
// When stdin is not a terminal, the remote shell still runs on a PTY
// (which echoes the input), and the protocol has no end-of-input message.
// At the end of stdin the client types what a user would: Ctrl-D (0x04)
// after a complete line, or two Ctrl-D after a partial one (the first
// ends the line, the second reads as end of file), so a shell that reads
// a script from the pipe runs it and exits with its status. Port sessions
// (AWS-StartSSHSession as an ssh ProxyCommand) carry raw bytes, so there
// the client sends nothing at the end of stdin.
//
// # Exit status
//
// Run returns the status in the session's ExitCode message (sesame's agent
// sends it to sesame's client, which it knows by its ClientVersion, when
// the program of any session exits; AWS's only for NonInteractiveCommands
// with separate output streams).
// Without one it returns 0 when channel_closed has no reason and 255 when
// it has one (timed out, terminated), like ssh when the connection ends
// without a status.
//
// # Dropped connections
//
// When the WebSocket fails (a read error, a failed write or keep-alive
// ping), the client calls Config.Resume (ResumeSession) for a fresh
// single-use token, dials again (the new StreamUrl if one is returned),
// sends OpenDataChannel with the same ClientId and calls Stream.Resume:
// every unacknowledged message is sent again, the agent drops what it
// already has, and sequence numbers continue, so no byte is lost or
// repeated. It tries up to ResumeAttempts times with backoff (100 ms
// doubling, at most 5 s) and gives up at once when ResumeSession answers
// that the session does not exist or is not the caller's. An empty token
// means the session has ended ("Session: <id> timed out.").
//
// A new Client for a running session (`sesame session resume` from
// another process) is a new stream: a fresh ClientId, its own sequence
// numbers from 0 in both directions, as a new plugin run would have.
// What the previous client left unacknowledged is not its to receive;
// the server and the agent start a new stream for it, which the changed
// ClientId in OpenDataChannel tells them to do (protocol.ClientStream),
// and the agent sends it the handshake request again, which starts it.
package client
