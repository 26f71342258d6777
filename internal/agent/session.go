package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Session timing.
const (
	// handshakePoll is how often the handshake checks whether the
	// client is there: the 15 s AWS gives the client count only while
	// the data channel is up and not paused (no client attached yet).
	handshakePoll = 250 * time.Millisecond
	// handshakeMaxWait bounds the whole wait, client attached or not.
	handshakeMaxWait = 10 * time.Minute
	// flushTimeout is how long an ending session waits for the client to
	// acknowledge its output (AWS's agent waits 2 s); while the client is
	// away it waits up to flushMaxWait.
	flushTimeout = 5 * time.Second
	flushMaxWait = time.Minute
	// endWait bounds the wait for the data channel to carry the last
	// control message of a session; stopWait replaces flushTimeout and
	// endWait when the agent stops.
	endWait  = 10 * time.Second
	stopWait = 2 * time.Second
)

// Why sessions end early: the causes of a session's context.
var (
	errAgentStopping   = errors.New("sesame-agent on the node is stopping")
	errPortUnsupported = errors.New("Port sessions (port forwarding, SSH) are not supported by this version of sesame-agent (" + Version + ")")
)

// endedError is a session ended by the server (terminate_session,
// channel_closed) or the client (the TerminateSession flag).
type endedError struct {
	reason string
	by     string // "server" or "client"
}

func (e *endedError) Error() string {
	if e.reason == "" {
		return "session ended by the " + e.by
	}
	return "session ended by the " + e.by + ": " + e.reason
}

// session is one running session.
type session struct {
	a      *Agent
	start  protocol.SessionStart
	log    *slog.Logger
	cancel context.CancelCauseFunc

	dc     *dataChannel
	stream *protocol.Stream
	lost   atomic.Bool    // the data channel is gone for good
	wg     sync.WaitGroup // the session's goroutines

	client     chan struct{} // closed once a client is known to be attached
	clientOnce sync.Once

	// peerMu protects the following, and is held while the handshake
	// request is written, so that each stream gets it once.
	peerMu        sync.Mutex
	peerKnown     bool            // the server has named the stream's client
	clientID      string          // its ClientId
	takenFrom     map[string]bool // the ClientIds the stream was taken from
	clientVersion string          // its ClientVersion: the server's word, then the handshake's
	hsRequest     []byte          // the handshake request, once sent: a new client gets it too
	hsSent        time.Time
}

// run runs the session from the data channel's opening to its end.
func (s *session) run(ctx context.Context) {
	a := s.a
	s.log.Info("session starting", "type", s.start.SessionType, "document", s.start.DocumentName, "owner", s.start.Owner)
	creds := a.credentials()
	s.dc = newDataChannel(dataChannelConfig{
		url:  s.start.StreamURL,
		open: protocol.OpenDataChannel{MessageSchemaVersion: protocol.MessageSchemaVersion, ClientInstanceID: creds.InstanceID},
		dial: func(ctx context.Context, url string) (*websocket.Conn, error) {
			conn, _, err := a.dial(ctx, url, nil)
			return conn, err
		},
		token: func(ctx context.Context) (string, error) { return a.sessionToken(ctx, s.start.SessionID) },
		clock: a.cfg.Clock,
		rand:  a.cfg.Rand,
		log:   s.log,
	})
	defer s.dc.close()
	if err := s.dc.dialFirst(ctx, s.start.Token); err != nil {
		s.log.Error("session failed: no data channel", "err", err)
		return
	}
	stream, err := protocol.NewStream(protocol.Config{Role: protocol.RoleAgent, Send: s.dc.send, Clock: a.cfg.Clock, Rand: a.cfg.Rand})
	if err != nil {
		s.log.Error("session failed", "err", err)
		return
	}
	s.stream = stream
	s.goRun(func() { stream.Run(context.WithoutCancel(ctx)) })
	s.goRun(func() {
		if err := s.dc.serve(s.receive, stream.Resume); err != nil {
			s.lost.Store(true)
			s.cancel(fmt.Errorf("data channel lost: %w", err))
		}
	})
	defer func() {
		stream.Close()
		s.dc.close()
		s.wg.Wait()
	}()
	if err := s.dc.sendControl(protocol.TypeAgentSessionState, s.state(protocol.SessionConnected), endWait); err != nil {
		s.log.Warn("agent_session_state Connected not sent", "err", err)
	}
	err = s.execute(ctx)
	s.end(err)
}

func (s *session) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *session) state(st protocol.SessionState) protocol.AgentSessionState {
	return protocol.AgentSessionState{SchemaVersion: 1, SessionState: st, SessionID: s.start.SessionID}
}

// receive handles one frame from the data channel.
func (s *session) receive(frame []byte) {
	switch frameType(frame) {
	case protocol.TypeStartPublication, protocol.TypeInputStreamData, protocol.TypeAcknowledge:
		s.clientOnce.Do(func() { close(s.client) }) // the server or the client says one is there
	}
	m, err := s.stream.Receive(frame)
	if err != nil {
		if !errors.Is(err, protocol.ErrClosed) {
			s.log.Debug("frame refused", "err", err)
		}
		return
	}
	if m == nil {
		return
	}
	switch m.MessageType {
	case protocol.TypeChannelClosed:
		var cc protocol.ChannelClosed
		if err := protocol.DecodePayload(m, protocol.TypeChannelClosed, &cc); err != nil {
			s.log.Debug("channel_closed payload unreadable", "err", err)
		}
		s.cancel(&endedError{reason: cc.Output, by: "server"})
	case protocol.TypeClientStream:
		var cs protocol.ClientStream
		if err := protocol.DecodePayload(m, protocol.TypeClientStream, &cs); err != nil {
			s.log.Warn("client_stream payload unreadable", "err", err)
			return
		}
		s.clientStream(cs)
	default:
		s.log.Debug("data-channel message ignored", "type", m.MessageType)
	}
}

// clientStream makes the stream the client's the server names
// (protocol.ClientStream): the first one named adopts it; another one
// gets a new stream, restarted from sequence number 0, and the
// handshake request again if it was sent; one the stream was taken
// from is refused, since it would go on with its old stream. Then the
// server hears the answer; if that is lost with the connection, the
// server names the client again after the agent reconnects.
func (s *session) clientStream(cs protocol.ClientStream) {
	answer := protocol.ClientStream{ClientID: cs.ClientID}
	s.peerMu.Lock()
	switch {
	case s.takenFrom[cs.ClientID]:
		s.log.Info("a client the session was taken from is refused", "client_id", cs.ClientID)
		answer.TakenOver = true
	case s.peerKnown && s.clientID != cs.ClientID:
		s.log.Info("a new client: the stream starts again", "client_id", cs.ClientID, "client_version", cs.ClientVersion, "previous", s.clientID)
		if s.takenFrom == nil {
			s.takenFrom = map[string]bool{}
		}
		s.takenFrom[s.clientID] = true
		s.stream.Restart()
		if s.hsRequest != nil {
			s.hsSent = time.Now()
			// The stream is empty: this does not wait for the window.
			if err := s.stream.WriteMessage(context.Background(), protocol.PayloadHandshakeRequest, s.hsRequest); err != nil {
				s.log.Warn("handshake request not sent to the new client", "err", err)
			}
		}
	}
	if !answer.TakenOver {
		s.peerKnown, s.clientID, s.clientVersion = true, cs.ClientID, cs.ClientVersion
	}
	s.peerMu.Unlock()

	id, err := protocol.NewUUID(s.a.cfg.Rand)
	if err != nil {
		s.log.Warn("client_stream not answered", "err", err)
		return
	}
	m, err := protocol.NewControl(protocol.TypeClientStream, id, s.a.cfg.Clock.Now(), answer)
	var frame []byte
	if err == nil {
		frame, err = m.MarshalBinary()
	}
	if err == nil {
		err = s.dc.send(frame)
	}
	if err != nil {
		s.log.Warn("client_stream not answered", "err", err)
	}
}

// sendsExitCode reports whether the client hears the exit code of the
// session's program: sesame's client always (it becomes its exit
// status); any other (session-manager-plugin, which prints it as
// output) only for NonInteractiveCommands with separateOutputStream,
// the one case AWS's agent sends it in.
func (s *session) sendsExitCode(p *plan) bool {
	if p.sessionType == protocol.SessionNonInteractiveCommands && p.commands != nil && bool(p.commands.SeparateOutputStream) {
		return true
	}
	s.peerMu.Lock()
	defer s.peerMu.Unlock()
	return protocol.IsSesameClient(s.clientVersion)
}

// execute checks the session's document, does the handshake and runs
// the session's program until it ends. It returns nil when the program
// exited (its exit code sent), or why the session failed or ended.
func (s *session) execute(ctx context.Context) error {
	p, err := resolveDocument(&s.start)
	if err != nil {
		return err
	}
	if p.sessionType == protocol.SessionPort {
		return errPortUnsupported
	}
	size, err := s.handshake(ctx, p)
	if err != nil {
		return err
	}
	return s.runProgram(ctx, p, size)
}

// handshake runs the handshake (protocol.md §2.9) and returns the
// terminal size the client sent meanwhile, if any.
func (s *session) handshake(ctx context.Context, p *plan) (protocol.TerminalSize, error) {
	var size protocol.TerminalSize
	act, err := protocol.SessionTypeAction(p.sessionType, p.properties)
	if err != nil {
		return size, err
	}
	req, err := json.Marshal(protocol.HandshakeRequest{AgentVersion: Version, RequestedClientActions: []protocol.RequestedClientAction{act}})
	if err != nil {
		return size, err
	}
	began := time.Now()
	s.peerMu.Lock()
	s.hsRequest, s.hsSent = req, began
	err = s.stream.WriteMessage(ctx, protocol.PayloadHandshakeRequest, req)
	s.peerMu.Unlock()
	if err != nil {
		return size, err
	}
	var waited time.Duration // while the client could answer
	for {
		wctx, cancel := context.WithTimeout(ctx, handshakePoll)
		d, err := s.stream.ReadMessage(wctx)
		cancel()
		switch {
		case err == nil && d.PayloadType == protocol.PayloadHandshakeResponse:
			return size, s.completeHandshake(ctx, p, d.Payload)
		case err == nil && d.PayloadType == protocol.PayloadSize:
			if json.Unmarshal(d.Payload, &size) != nil {
				s.log.Debug("terminal size unreadable", "payload", string(d.Payload))
			}
		case err == nil:
			s.log.Debug("message before the handshake response ignored", "payload_type", d.PayloadType)
		case ctx.Err() != nil:
			return size, context.Cause(ctx)
		case !errors.Is(err, context.DeadlineExceeded):
			return size, err
		default:
			if st := s.stream.Stats(); !st.Paused && s.dc.connected() {
				waited += handshakePoll
			}
			if waited >= protocol.HandshakeTimeout || time.Since(began) >= handshakeMaxWait {
				return size, errors.New(protocol.HandshakeTimedOut)
			}
		}
	}
}

// completeHandshake checks the client's answer and sends
// HandshakeComplete, to the session's first client or to a new one.
func (s *session) completeHandshake(ctx context.Context, p *plan, payload []byte) error {
	var resp protocol.HandshakeResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return fmt.Errorf("the client's handshake response is unreadable: %w", err)
	}
	for _, act := range resp.ProcessedClientActions {
		if act.ActionStatus != protocol.ActionSuccess {
			return fmt.Errorf("%s failed on client with status %d error: %s", act.ActionType, act.ActionStatus, act.Error)
		}
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("the client's handshake failed: %s", strings.Join(resp.Errors, "; "))
	}
	s.log.Debug("handshake done", "client_version", resp.ClientVersion)
	s.peerMu.Lock()
	s.clientVersion = resp.ClientVersion
	done := protocol.HandshakeComplete{HandshakeTimeToComplete: time.Since(s.hsSent)}
	s.peerMu.Unlock()
	if p.commands != nil && bool(p.commands.SeparateOutputStream) && versionAtMost(resp.ClientVersion, "1.2.295.0") {
		done.CustomerMessage = "Please update session manager plugin version (minimum required version 1.2.312.0) for fully support of separate StdOut/StdErr output.\r\n"
	}
	b, err := json.Marshal(done)
	if err != nil {
		return err
	}
	return s.stream.WriteMessage(ctx, protocol.PayloadHandshakeComplete, b)
}

// versionAtMost reports whether dotted version v is at most limit; a
// version that is not numeric is not.
func versionAtMost(v, limit string) bool {
	a, b := strings.Split(v, "."), strings.Split(limit, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		var err error
		if i < len(a) {
			if x, err = strconv.Atoi(a[i]); err != nil {
				return false
			}
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x < y
		}
	}
	return true
}

// end finishes the session according to why it ended: the program's
// exit (err nil: output flushed, agent_session_state Terminating), a
// failure (channel_closed with the reason), the agent stopping
// (channel_closed saying so), or the server or client ending it.
func (s *session) end(err error) {
	var ended *endedError
	switch {
	case s.lost.Load():
		s.log.Warn("session ended: its data channel is gone", "err", err)
	case err == nil:
		s.flush(flushMaxWait)
		s.log.Info("session ended: the program exited")
		if err := s.dc.sendControl(protocol.TypeAgentSessionState, s.state(protocol.SessionTerminating), endWait); err != nil {
			s.log.Warn("agent_session_state Terminating not sent", "err", err)
		}
	case errors.As(err, &ended) && ended.by == "server":
		s.log.Info("session ended by the server", "reason", ended.reason)
	case errors.As(err, &ended):
		s.log.Info("session ended by the client")
		if err := s.dc.sendControl(protocol.TypeAgentSessionState, s.state(protocol.SessionTerminating), endWait); err != nil {
			s.log.Warn("agent_session_state Terminating not sent", "err", err)
		}
	case errors.Is(err, errAgentStopping):
		// Quickly: the agent has StopTimeout for all its sessions.
		s.log.Info("session ended: the agent is stopping")
		s.flush(0)
		s.closeChannel(err.Error(), stopWait)
	default:
		s.log.Warn("session failed", "err", err)
		s.awaitClient()
		s.flush(flushMaxWait)
		s.closeChannel(err.Error(), endWait)
	}
}

// awaitClient waits, up to clientWait, until a client is attached, so
// that the reason a session failed reaches it: the server passes
// channel_closed on to the client attached at the time. A session can
// fail before its client has dialed.
func (s *session) awaitClient() {
	t := s.a.cfg.Clock.NewTimer(clientWait)
	defer t.Stop()
	select {
	case <-s.client:
	case <-t.C():
		s.log.Info("no client attached to hear why the session failed")
	}
}

// clientWait bounds awaitClient.
const clientWait = 15 * time.Second

// frameType reads the MessageType of a frame without decoding it: 32
// ASCII bytes at offset 4, padded with spaces (or NULs).
func frameType(frame []byte) protocol.MessageType {
	if len(frame) < protocol.HeaderSize {
		return ""
	}
	return protocol.MessageType(strings.TrimRight(string(frame[4:36]), " \x00"))
}

// flush waits for the client to acknowledge the session's output, up to
// flushTimeout, or up to maxWait while the client is away.
func (s *session) flush(maxWait time.Duration) {
	began := time.Now()
	deadline := began.Add(min(flushTimeout, max(maxWait, stopWait)))
	for {
		ctx, cancel := context.WithTimeout(context.Background(), handshakePoll)
		err := s.stream.Flush(ctx)
		cancel()
		if err == nil || errors.Is(err, protocol.ErrClosed) {
			return
		}
		now := time.Now()
		if st := s.stream.Stats(); maxWait > 0 && (st.Paused || !s.dc.connected()) {
			deadline = now.Add(flushTimeout)
		}
		if now.After(deadline) || now.Sub(began) > maxWait {
			s.log.Warn("output not acknowledged before the session ended", "unacked", s.stream.Stats().Unacked)
			return
		}
	}
}

// closeChannel tells the server (and through it the client) why the
// session ended: channel_closed with the reason as its Output, which
// the plugin prints as "SessionId: <id> : <reason>".
func (s *session) closeChannel(reason string, wait time.Duration) {
	id, err := protocol.NewUUID(s.a.cfg.Rand)
	if err != nil {
		s.log.Warn("channel_closed not sent", "err", err)
		return
	}
	now := s.a.cfg.Clock.Now()
	cc := protocol.ChannelClosed{
		MessageID:     id.String(),
		CreatedDate:   now.UTC().Format("2006-01-02T15:04:05.000Z"),
		DestinationID: s.start.SessionID,
		SessionID:     s.start.SessionID,
		MessageType:   protocol.TypeChannelClosed,
		SchemaVersion: 1,
		Output:        reason,
	}
	if err := s.dc.sendControl(protocol.TypeChannelClosed, cc, wait); err != nil {
		s.log.Warn("channel_closed not sent", "err", err)
	}
}
