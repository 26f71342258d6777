package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// Live sessions. The hub holds the server's open connections: each
// node's control channel (agentchannel.go) and each session's relay,
// which joins the session's two data channels (datachannel.go):
//
//	client ──ws── relay ──ws── agent          agent ──ws── control channel
//	  input_stream_data, acknowledge ──▶         start_session, terminate_session,
//	  ◀── output_stream_data, acknowledge        session_token, rotate_credentials
//	  ◀── channel_closed        pause/start_publication, channel_closed ──▶
//	                                   ◀──▶ client_stream
//
// The relay forwards stream data and acknowledgements unchanged, once
// each frame has passed protocol.Unmarshal; sequence numbers,
// acknowledgements and retransmission are the two ends' business
// (protocol.Stream), so the relay may drop what it cannot deliver: a
// frame for a side that is not attached is dropped, and the sender sends
// it again after the side returns. A stream belongs to one client
// (ClientId): stream data and acknowledgements pass between a client and
// the agent only once the agent has said, with client_stream, that its
// stream is that client's (see protocol.ClientStream); until then the
// relay drops them and the agent stays paused. Around that it keeps the
// session's state: the agent is paused while no client is attached; the stored
// status is Connected while a client is attached and Disconnected after
// it leaves; and the session ends (Terminated, with its reason) when the
// agent says so, on TerminateSession, after idleSessionTimeout without
// client input, or at maxSessionDuration.
//
// Relays are made when a session starts, or when a side attaches to a
// live session the hub does not hold (after a restart); the session's
// document gives its limits again. Everything the relay knows besides
// its attached peers is in the store, so a restarted server picks the
// session up when its agent and client come back.

const (
	// writeTimeout bounds one frame written to a peer; a peer that does
	// not take it in time is disconnected.
	writeTimeout = 10 * time.Second
	// sweepInterval is how often idle and maximum durations are checked
	// (against Config.Clock) and used tokens forgotten.
	sweepInterval = time.Second
	// defaultIdleTimeout is AWS's default idleSessionTimeout (20 minutes).
	defaultIdleTimeout = 20 * time.Minute
	// reasonGoingAway is the close reason peers get when the server stops.
	reasonGoingAway = "server shutting down"
)

// side says which end of a data channel a peer is.
type side uint8

const (
	sideClient side = iota + 1
	sideAgent
)

func (s side) String() string {
	if s == sideAgent {
		return "agent"
	}
	return "client"
}

// hub holds a server's live connections. Its goroutines are the
// handlers of open channels (net/http's, counted while they serve a
// WebSocket), the sweeper and the notifiers of ended sessions; Shutdown
// stops and waits for all of them.
type hub struct {
	s      *Server
	log    *slog.Logger
	ctx    context.Context // cancelled when Shutdown runs out of time
	cancel context.CancelFunc
	// quit is cancelled when Shutdown begins: it ends the sweeper and
	// the waits of channels not yet admitted.
	quit    context.Context
	endQuit context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex // protects the following
	closing  bool
	sweeping bool
	agents   map[string]*agentConn // by node id
	relays   map[string]*relay     // by session id
	used     map[[32]byte]time.Time
	// rotated is when each node's credentials were last rotated, or
	// when this server first saw the node connect.
	rotated map[string]time.Time
	// pending holds credentials sent in rotate_credentials and not yet
	// confirmed, so that an agent that stored them and lost its
	// connection before confirming can still connect.
	pending map[string]string
	// lost are the nodes whose channels closed once shutdown began,
	// recorded ConnectionLost together when they all have.
	lost []string
}

func newHub(s *Server) *hub {
	ctx, cancel := context.WithCancel(context.Background())
	quit, endQuit := context.WithCancel(ctx)
	return &hub{s: s, log: s.log, ctx: ctx, cancel: cancel, quit: quit, endQuit: endQuit,
		agents: map[string]*agentConn{}, relays: map[string]*relay{}, used: map[[32]byte]time.Time{},
		rotated: map[string]time.Time{}, pending: map[string]string{}}
}

// enter counts a handler that is about to serve a WebSocket; false
// means the server is shutting down. A true enter needs a leave.
func (h *hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *hub) leave() { h.wg.Done() }

// isClosing reports whether shutdown has begun.
func (h *hub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// spawn runs f in a goroutine the hub waits for; it does nothing once
// shutdown has begun (shutdown closes every connection itself).
func (h *hub) spawn(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.spawnLocked(f)
	return true
}

func (h *hub) spawnLocked(f func()) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		f()
	}()
}

// opCtx is the context of one store operation or write.
func (h *hub) opCtx(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(h.ctx, d)
}

// beginShutdown tells every agent (a shutdown message) and every
// data-channel peer (a close frame, going away) that the server is
// stopping, and closes their connections, in goroutines Shutdown waits
// for. New channels are refused from now on. Idempotent; it is
// registered with the http.Server's RegisterOnShutdown.
func (h *hub) beginShutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return
	}
	h.closing = true
	h.endQuit()
	for _, a := range h.agents {
		h.spawnLocked(func() {
			h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlShutdown, Reason: "The server is shutting down; connect again."})
			closeConn(a.conn, websocket.StatusGoingAway, reasonGoingAway)
		})
	}
	for _, r := range h.relays {
		h.spawnLocked(func() {
			for _, p := range r.peers() {
				closeConn(p.conn, websocket.StatusGoingAway, reasonGoingAway)
			}
		})
	}
}

// shutdown begins shutting down, waits for the hub's goroutines until
// ctx is done, then closes what is left without a handshake and waits
// again.
func (h *hub) shutdown(ctx context.Context) error {
	h.beginShutdown()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		h.cancel()
		h.recordLost()
		return nil
	case <-ctx.Done():
	}
	h.cancel() // every read and write in progress fails; connections close
	<-done
	h.recordLost()
	return ctx.Err()
}

// recordLost records ConnectionLost for the nodes whose channels the
// shutdown closed, in one transaction: one write each took longer than
// the shutdown's time with 10,000 agents.
func (h *hub) recordLost() {
	h.mu.Lock()
	lost := h.lost
	h.lost = nil
	h.mu.Unlock()
	if len(lost) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), writeTimeout)
	defer cancel()
	if err := h.s.cfg.Store.RecordPings(ctx, lost, store.PingConnectionLost, h.s.cfg.Clock().UTC()); err != nil {
		h.log.Error("ConnectionLost not recorded", "nodes", len(lost), "err", err)
	}
	for _, id := range lost {
		h.s.cache.forgetNode(id)
	}
}

// Shutdown stops the server's agent and data channels: agents get a
// shutdown message and clients and agents a close frame (going away),
// then their connections close; new channels are refused. It waits for
// the goroutines that served them until ctx is done, then closes what
// is left at once. Sessions stay live in the store: agents and clients
// reconnect to the restarted server and the sessions go on. Shutdown is
// idempotent; Serve calls it.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.hub.shutdown(ctx)
}

// closeConn closes c with a close handshake; the library bounds the
// handshake (5 s for each half), and a forced shutdown cuts it short.
func closeConn(c *websocket.Conn, code websocket.StatusCode, reason string) {
	c.Close(code, reason)
}

// runSweeper checks the relays' limits every sweepInterval until
// shutdown begins.
func (h *hub) runSweeper() {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-h.quit.Done():
			return
		case <-t.C:
			h.sweep()
		}
	}
}

// sweep ends the sessions that have been idle too long or reached their
// maximum duration, by Config.Clock, and forgets expired used tokens.
// The sweeper calls it; tests call it after moving the clock.
func (h *hub) sweep() {
	now := h.s.cfg.Clock()
	h.mu.Lock()
	maps.DeleteFunc(h.used, func(_ [32]byte, exp time.Time) bool { return !now.Before(exp) })
	relays := slices.Collect(maps.Values(h.relays))
	h.mu.Unlock()
	for _, r := range relays {
		if e, ok := r.expired(now); ok {
			h.endSession(r.id, r.target, e)
		}
	}
}

// limits are a session's idle timeout and maximum duration.
type limits struct {
	idle time.Duration // 0: defaultIdleTimeout
	max  time.Duration // 0: none
}

// limitsOf returns the limits of a session document: its own
// idleSessionTimeout and maxSessionDuration, or else the account's
// preferences in SSM-SessionManagerRunShell, as AWS applies them to
// every session.
func (s *Server) limitsOf(ctx context.Context, docName string, d *sessionDoc) limits {
	var l limits
	if d != nil {
		l = limits{idle: minutes(d.Inputs.IdleSessionTimeout), max: minutes(d.Inputs.MaxSessionDuration)}
	}
	if (l.idle == 0 || l.max == 0) && docName != iam.DefaultSessionDocument {
		if def := s.sessionDocNamed(ctx, iam.DefaultSessionDocument); def != nil {
			l.idle = cmp.Or(l.idle, minutes(def.Inputs.IdleSessionTimeout))
			l.max = cmp.Or(l.max, minutes(def.Inputs.MaxSessionDuration))
		}
	}
	if l.idle == 0 {
		l.idle = defaultIdleTimeout
	}
	return l
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

// sessionDocNamed reads and parses a session document; nil if it
// cannot.
func (s *Server) sessionDocNamed(ctx context.Context, name string) *sessionDoc {
	ref, err := s.findDocument(ctx, name)
	if err != nil || ref.doc == nil {
		if err != nil {
			s.log.Warn("session document unreadable", "document", name, "err", err)
		}
		return nil
	}
	d, err := s.sessionDocument(ref.doc.Content)
	if err != nil {
		return nil
	}
	return d
}

// relayOf returns the relay of a live session, making one if the hub
// has none (a server restarted since the session started). It returns
// nil once shutdown has begun.
func (h *hub) relayOf(ctx context.Context, sess store.Session) *relay {
	h.mu.Lock()
	r := h.relays[sess.ID]
	h.mu.Unlock()
	if r != nil {
		return r
	}
	l := h.s.limitsOf(ctx, sess.DocumentName, h.s.sessionDocNamed(ctx, sess.DocumentName))
	return h.addRelay(sess, l, h.s.cfg.Clock())
}

// adoptSessions makes relays for the live sessions in the store, which
// a restarted server finds with nobody attached: Connected ones become
// Disconnected, and every one's idle timeout starts again, so that a
// session nobody comes back to ends. Serve calls it before it accepts.
func (s *Server) adoptSessions(ctx context.Context) error {
	now := s.cfg.Clock()
	opts := store.ListOptions{Limit: store.MaxPageSize}
	for {
		page, err := s.cfg.Store.ListSessions(ctx, store.SessionFilter{State: store.SessionsActive}, opts)
		if err != nil {
			return fmt.Errorf("adopt live sessions: %w", err)
		}
		for _, sess := range page.Items {
			if sess.Status == store.SessionConnected {
				err := s.cfg.Store.SetSessionStatus(ctx, sess.ID, store.SessionDisconnected, "", now.UTC())
				if err != nil && !errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("adopt session %s: %w", sess.ID, err)
				}
				sess.Status = store.SessionDisconnected
			}
			s.hub.addRelay(sess, s.limitsOf(ctx, sess.DocumentName, s.sessionDocNamed(ctx, sess.DocumentName)), now)
		}
		if page.NextToken == "" {
			return nil
		}
		opts.Token = page.NextToken
	}
}

// addRelay adds the relay of a session, or returns the one there is;
// nil once shutdown has begun. activity is when the idle timeout starts.
func (h *hub) addRelay(sess store.Session, l limits, activity time.Time) *relay {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil
	}
	if r := h.relays[sess.ID]; r != nil {
		return r
	}
	r := &relay{h: h, id: sess.ID, target: sess.Target, limits: l, started: sess.StartedAt,
		status: sess.Status, activity: activity}
	h.relays[sess.ID] = r
	if !h.sweeping {
		h.sweeping = true
		h.spawnLocked(h.runSweeper)
	}
	return r
}

// relay is one live session: its attached client and agent, and what
// it has told the agent and the store.
type relay struct {
	h       *hub
	id      string
	target  string // node id
	limits  limits
	started time.Time

	settleMu   sync.Mutex          // serializes settle; protects the following
	status     store.SessionStatus // as last written
	pubAgent   *peer               // the agent peer last told to start or pause
	pubOn      bool                // what it was told: true for start
	toldAgent  *peer               // the agent peer last sent client_stream...
	toldClient *peer               // ...naming this client

	// fwdMu is held shared by a forward, from its check of who may hear
	// whom to its write, and exclusively to change that (client_stream
	// sent or answered), so that no frame passes a check made before.
	fwdMu sync.RWMutex

	mu     sync.Mutex // protects the following
	client *peer
	agent  *peer
	stream string // the ClientId the agent's stream is for, if streamSet
	// streamSet: the agent has said so (client_stream), and has not been
	// told of another client since.
	streamSet bool
	activity  time.Time // the client's last input (or attach, or start)
	ended     bool
	reason    string // the ending's stored reason, once ended
}

// peer is one attached data channel.
type peer struct {
	side          side
	conn          *websocket.Conn
	clientID      string // OpenDataChannel's ClientId: channel_closed's DestinationId
	clientVersion string // OpenDataChannel's ClientVersion
	remote        string
	refused       int // frames refused; only the reader goroutine touches it
}

// streamOfLocked reports whether the agent's stream is client c's.
func (r *relay) streamOfLocked(c *peer) bool {
	return c != nil && r.streamSet && r.stream == c.clientID
}

func (r *relay) peers() []*peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps []*peer
	for _, p := range []*peer{r.client, r.agent} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// attach makes p the session's peer of its side, replacing (and
// closing) the one before. It returns false if the session has ended.
func (r *relay) attach(p *peer) bool {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return false
	}
	var old *peer
	if p.side == sideClient {
		old, r.client = r.client, p
		r.activity = r.h.s.cfg.Clock()
	} else {
		old, r.agent = r.agent, p
	}
	r.mu.Unlock()
	r.h.log.Info("data channel attached", "session_id", r.id, "side", p.side, "remote", p.remote)
	if old != nil {
		r.h.spawn(func() { closeConn(old.conn, websocket.StatusPolicyViolation, "replaced by a newer connection") })
	}
	r.settle()
	return true
}

// detach forgets p if it is still the session's peer of its side.
func (r *relay) detach(p *peer) {
	r.mu.Lock()
	was := false
	switch {
	case p.side == sideClient && r.client == p:
		r.client, was = nil, true
	case p.side == sideAgent && r.agent == p:
		r.agent, was = nil, true
	}
	ended := r.ended
	r.mu.Unlock()
	if was && !ended {
		r.h.log.Info("data channel detached", "session_id", r.id, "side", p.side, "remote", p.remote)
		r.settle()
	}
}

// settle brings the stored status and the agent's publication in line
// with whether a client is attached: Connected while one is,
// Disconnected (after Connected) while none is; start_publication while
// one is and the agent's stream is its, pause_publication otherwise;
// and client_stream to an agent whose stream is not the attached
// client's. settleMu applies decisions in the order they are made.
// The status is written first, so a peer that sees the publication
// message can rely on it.
func (r *relay) settle() {
	r.settleMu.Lock()
	defer r.settleMu.Unlock()
	r.mu.Lock()
	ended, client, agent := r.ended, r.client, r.agent
	live := r.streamOfLocked(client)
	r.mu.Unlock()
	if ended {
		return
	}
	want := r.status
	switch {
	case client != nil:
		want = store.SessionConnected
	case r.status == store.SessionConnected:
		want = store.SessionDisconnected
	}
	if want != r.status {
		ctx, cancel := r.h.opCtx(writeTimeout)
		err := r.h.s.cfg.Store.SetSessionStatus(ctx, r.id, want, "", r.h.s.cfg.Clock().UTC())
		cancel()
		switch {
		case err == nil:
			r.status = want
		case errors.Is(err, store.ErrConflict):
			// The session has ended: by endSession, which is at work or
			// done; or before this relay was made (it raced the end).
			r.h.mu.Lock()
			if r.h.relays[r.id] == r {
				delete(r.h.relays, r.id)
			}
			r.h.mu.Unlock()
			r.h.end(r, r.id, r.target, ending{status: store.SessionTerminated, stored: true, byAgent: true})
			return
		default:
			r.h.log.Error("session status not recorded", "session_id", r.id, "status", want, "err", err)
		}
	}
	if agent != nil && (agent != r.pubAgent || live != r.pubOn) {
		t := protocol.TypePausePublication
		if live {
			t = protocol.TypeStartPublication
		}
		frame, err := r.h.controlFrame(t, nil)
		if err == nil {
			err = r.h.write(agent, frame)
		}
		if err == nil {
			r.pubAgent, r.pubOn = agent, live
		}
	}
	if agent != nil && client != nil && !live && (agent != r.toldAgent || client != r.toldClient) {
		r.tellClient(agent, client)
	}
}

// tellClient sends agent client_stream naming client, with fwdMu held:
// what the client's predecessor sent before it was replaced reaches the
// agent first, and nothing of it after.
func (r *relay) tellClient(agent, client *peer) {
	frame, err := r.h.controlFrame(protocol.TypeClientStream,
		protocol.ClientStream{ClientID: client.clientID, ClientVersion: client.clientVersion})
	if err != nil {
		r.h.log.Error("client_stream not made", "session_id", r.id, "err", err)
		return
	}
	r.fwdMu.Lock()
	err = r.h.write(agent, frame)
	r.mu.Lock()
	r.streamSet = false // the agent's stream may be another's now: wait for its word
	r.mu.Unlock()
	r.fwdMu.Unlock()
	if err == nil {
		r.toldAgent, r.toldClient = agent, client
		r.h.log.Debug("agent told of a client", "session_id", r.id, "client_id", client.clientID, "remote", client.remote)
	}
}

// expired reports whether the session has reached a limit at now.
func (r *relay) expired(now time.Time) (ending, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return ending{}, false
	}
	if r.limits.max > 0 && !now.Before(r.started.Add(r.limits.max)) {
		return maxDurationEnding(r.limits.max), true
	}
	if !now.Before(r.activity.Add(r.limits.idle)) {
		return idleEnding, true
	}
	return ending{}, false
}

// receive handles one frame from peer p.
func (r *relay) receive(p *peer, frame []byte) {
	var m protocol.Message
	if err := protocol.Unmarshal(frame, &m); err != nil {
		r.refuse(p, err)
		return
	}
	if p.side == sideClient {
		r.fromClient(p, &m, frame)
	} else {
		r.fromAgent(p, &m, frame)
	}
}

// maxLoggedRefusals is how many refused frames of one connection are
// logged at Warn; later ones are logged at Debug.
const maxLoggedRefusals = 20

func (r *relay) refuse(p *peer, err error) {
	p.refused++
	level := slog.LevelWarn
	if p.refused > maxLoggedRefusals {
		level = slog.LevelDebug
	}
	r.h.log.Log(context.Background(), level, "data channel frame refused", "session_id", r.id, "side", p.side,
		"remote", p.remote, "refused", p.refused, "err", err)
}

func (r *relay) fromClient(p *peer, m *protocol.Message, frame []byte) {
	switch m.MessageType {
	case protocol.TypeInputStreamData:
		r.mu.Lock()
		r.activity = r.h.s.cfg.Clock()
		r.mu.Unlock()
		r.forward(p, frame)
	case protocol.TypeAcknowledge:
		r.forward(p, frame)
	default:
		r.refuse(p, fmt.Errorf("a client does not send %s messages", m.MessageType))
	}
}

func (r *relay) fromAgent(p *peer, m *protocol.Message, frame []byte) {
	switch m.MessageType {
	case protocol.TypeOutputStreamData, protocol.TypeAcknowledge:
		r.forward(p, frame)
	case protocol.TypeClientStream:
		var cs protocol.ClientStream
		if err := protocol.DecodePayload(m, protocol.TypeClientStream, &cs); err != nil {
			r.refuse(p, err)
			return
		}
		if cs.TakenOver {
			r.takenOver(cs.ClientID)
			return
		}
		r.fwdMu.Lock()
		r.mu.Lock()
		r.stream, r.streamSet = cs.ClientID, true
		r.mu.Unlock()
		r.fwdMu.Unlock()
		r.h.log.Debug("agent stream is a client's", "session_id", r.id, "client_id", cs.ClientID)
		r.settle()
	case protocol.TypeAgentSessionState:
		var st protocol.AgentSessionState
		if err := protocol.DecodePayload(m, protocol.TypeAgentSessionState, &st); err != nil {
			r.refuse(p, err)
			return
		}
		if st.SessionID != "" && st.SessionID != r.id {
			r.refuse(p, fmt.Errorf("agent_session_state of session %q", st.SessionID))
			return
		}
		switch st.SessionState {
		case protocol.SessionConnected:
			r.h.log.Debug("agent session connected", "session_id", r.id)
		case protocol.SessionTerminating, "Terminated":
			r.h.endSession(r.id, r.target, agentEnding(""))
		default:
			r.refuse(p, fmt.Errorf("agent_session_state %q", st.SessionState))
		}
	case protocol.TypeChannelClosed:
		var cc protocol.ChannelClosed
		if err := json.Unmarshal(m.Payload, &cc); err != nil {
			r.refuse(p, fmt.Errorf("channel_closed payload: %w", err))
			return
		}
		r.h.endSession(r.id, r.target, agentEnding(cc.Output))
	default:
		r.refuse(p, fmt.Errorf("an agent does not send %s messages", m.MessageType))
	}
}

// takenOverOutput is the channel_closed Output of a client whose session
// another client has taken over.
const takenOverOutput = "Another client has resumed this session."

// takenOver ends the connection of the attached client with ClientId
// id, if it is attached: the agent gave its stream up for another
// client's, and a stream cannot start again for a client that goes on
// with its own. It gets channel_closed saying why.
func (r *relay) takenOver(id string) {
	r.mu.Lock()
	c := r.client
	r.mu.Unlock()
	if c == nil || c.clientID != id {
		return
	}
	r.h.log.Info("data channel closed: another client has resumed the session", "session_id", r.id, "client_id", id, "remote", c.remote)
	r.h.spawn(func() {
		if frame, err := r.h.channelClosed(r.id, c, takenOverOutput); err == nil {
			r.h.write(c, frame)
		}
		closeConn(c.conn, websocket.StatusNormalClosure, "another client has resumed the session")
	})
}

// forward writes a frame of stream data or an acknowledgement from
// peer from to the other side, if from is its side's current peer, the
// other side is attached and the agent's stream is the client's;
// otherwise the frame is dropped and its sender will send it again.
func (r *relay) forward(from *peer, frame []byte) {
	r.fwdMu.RLock()
	defer r.fwdMu.RUnlock()
	r.mu.Lock()
	to, ok := r.agent, r.client == from && r.streamOfLocked(from)
	if from.side == sideAgent {
		to, ok = r.client, r.agent == from && r.streamOfLocked(r.client)
	}
	r.mu.Unlock()
	if ok && to != nil {
		r.h.write(to, frame)
	}
}

// write writes one binary frame to p. A peer that fails a write is
// closed: its reader detaches it.
func (h *hub) write(p *peer, frame []byte) error {
	ctx, cancel := h.opCtx(writeTimeout)
	defer cancel()
	err := p.conn.Write(ctx, websocket.MessageBinary, frame)
	if err != nil {
		h.log.Debug("data channel write failed", "side", p.side, "remote", p.remote, "err", err)
		p.conn.CloseNow()
	}
	return err
}

// controlFrame returns a frame the server makes: start_publication,
// pause_publication or channel_closed, with v as its JSON payload
// (nil: none).
func (h *hub) controlFrame(t protocol.MessageType, v any) ([]byte, error) {
	id, err := protocol.NewUUID(h.s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	now := h.s.cfg.Clock()
	m := &protocol.Message{MessageType: t, SchemaVersion: protocol.SchemaVersion,
		CreatedDate: uint64(max(now.UnixMilli(), 1)), Flags: protocol.ControlFlags, MessageID: id}
	if v != nil {
		if m, err = protocol.NewControl(t, id, now, v); err != nil {
			return nil, err
		}
	}
	return m.MarshalBinary()
}

// channelClosed returns the channel_closed frame for peer p.
func (h *hub) channelClosed(sessionID string, p *peer, output string) ([]byte, error) {
	id, err := protocol.NewUUID(h.s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	now := h.s.cfg.Clock().UTC()
	m, err := protocol.NewControl(protocol.TypeChannelClosed, id, now, protocol.ChannelClosed{
		MessageID: id.String(), CreatedDate: now.Format("2006-01-02T15:04:05.000Z"), DestinationID: p.clientID,
		SessionID: sessionID, MessageType: protocol.TypeChannelClosed, SchemaVersion: 1, Output: output})
	if err != nil {
		return nil, err
	}
	return m.MarshalBinary()
}

// ending is how and why a session ends.
type ending struct {
	status  store.SessionStatus // Terminated or Failed
	reason  string              // stored: DescribeSessions shows it
	output  string              // channel_closed's Output for the client
	byAgent bool                // the agent ended it: it need not be told
	stored  bool                // the final status is already stored
}

// Session endings.
var (
	idleEnding = ending{status: store.SessionTerminated, reason: protocol.IdleTimeoutOutput, output: protocol.IdleTimeoutOutput}
	// terminateEnding is TerminateSession's: the plugin prints
	// "Exiting session with sessionId: <id>." for an empty Output.
	terminateEnding = ending{status: store.SessionTerminated, reason: "Terminated by TerminateSession.", stored: true}
)

func maxDurationEnding(d time.Duration) ending {
	out := fmt.Sprintf("%sthe session reached its maximum duration of %d minutes.", protocol.TerminatedReasonsOutput, int(d/time.Minute))
	return ending{status: store.SessionTerminated, reason: out, output: out}
}

// agentEnding is the end the agent reports: output is what it gave as
// the reason (empty when the session's process ended normally).
func agentEnding(output string) ending {
	reason := "The session ended on the node."
	if output != "" {
		reason = output
	}
	return ending{status: store.SessionTerminated, reason: reason, output: output, byAgent: true}
}

// endSession ends a session: its final status goes to the store (unless
// e.stored), its relay stops, the client gets channel_closed, the agent
// channel_closed on its data channel and terminate_session on its
// control channel, and both data channels close. Only the first end of
// a session counts.
func (h *hub) endSession(id, target string, e ending) {
	h.mu.Lock()
	r := h.relays[id]
	delete(h.relays, id)
	h.mu.Unlock()
	h.end(r, id, target, e)
}

// end ends session id with its relay r, which the hub no longer holds
// (nil if it held none).
func (h *hub) end(r *relay, id, target string, e ending) {
	var client, agent *peer
	if r != nil {
		r.mu.Lock()
		if r.ended {
			r.mu.Unlock()
			return
		}
		r.ended, r.reason = true, e.reason
		client, agent = r.client, r.agent
		r.mu.Unlock()
	}
	if !e.stored {
		ctx, cancel := h.opCtx(writeTimeout)
		err := h.s.cfg.Store.SetSessionStatus(ctx, id, e.status, e.reason, h.s.cfg.Clock().UTC())
		cancel()
		switch {
		case errors.Is(err, store.ErrConflict) && r == nil:
			return // it had already ended, and nothing of it is left here
		case errors.Is(err, store.ErrConflict):
			// It ended elsewhere; its peers still need telling.
		case err != nil:
			h.log.Error("session end not recorded", "session_id", id, "err", err)
		}
	}
	h.log.Info("session ended", "session_id", id, "status", e.status, "reason", e.reason)
	h.spawn(func() {
		if client != nil {
			if frame, err := h.channelClosed(id, client, e.output); err == nil {
				h.write(client, frame)
			}
			closeConn(client.conn, websocket.StatusNormalClosure, "session ended")
		}
		if agent != nil {
			if frame, err := h.channelClosed(id, agent, e.output); err == nil {
				h.write(agent, frame)
			}
			closeConn(agent.conn, websocket.StatusNormalClosure, "session ended")
		}
		if !e.byAgent {
			if a := h.agent(target); a != nil {
				h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlTerminateSession, SessionID: id, Reason: e.reason})
			}
		}
	})
}
