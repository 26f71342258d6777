package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// The agent's control channel (protocol/control.go has the messages and
// the flow):
//
//	GET /agent/v1/control    WebSocket; Authorization: Bearer <node token>
//
// The token is checked as the heartbeat endpoint checks it (401
// InvalidToken before the upgrade). The agent's first message is hello:
// the server records the node's information, registers the channel
// (one per node: a newer one replaces and closes the older), records a
// ping (Online) and answers hello with the heartbeat interval. Each
// heartbeat records a ping. A channel that says nothing for
// nodePingTimeout is closed, and a node whose channel closes is
// ConnectionLost at once. StartSession needs the target's channel: it
// sends start_session on it.
//
// Credentials: once a day (credentialsLifetime, by Config.Clock, checked
// at hello and each heartbeat) the server sends rotate_credentials with
// new credentials; when the agent answers credentials_rotated (it has
// stored them) the server swaps the stored hash. Until then the old
// credentials stay valid, and so do the new ones for a connection: an
// agent that stored them but lost its channel before confirming
// connects with them and completes the rotation.

const (
	// credentialsLifetime is how long node credentials last before the
	// server rotates them.
	credentialsLifetime = 24 * time.Hour
	// maxControlMessage bounds the control messages read from agents.
	maxControlMessage = 64 << 10
)

// agentConn is one agent's control channel.
type agentConn struct {
	nodeID string
	conn   *websocket.Conn
	base   string // ws://host or wss://host, as the agent dialed: its data channels' base
	remote string

	mu         sync.Mutex // protects the following
	registered bool
	credHash   []byte    // the stored hash of the credentials in use
	pending    string    // credentials sent in rotate_credentials, not yet confirmed
	rotateAt   time.Time // when to rotate next
	pingedAt   time.Time // when the last ping was stored
	seenAt     time.Time // when the agent last said hello or heartbeat
}

// pingPersistInterval is how often the ping of an open control channel is
// written to the store. The open channel is what makes a node Online;
// the stored ping is for DescribeInstanceInformation's LastPingDateTime
// (which AWS, too, updates only every few minutes) and for other readers
// of the store. Writing every heartbeat was most of the store's writes.
const pingPersistInterval = 5 * time.Minute

// pingDue reports whether the heartbeat at now should be stored, and if so
// records that it will be.
func (a *agentConn) pingDue(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seenAt = now
	if !a.pingedAt.IsZero() && now.Sub(a.pingedAt) < pingPersistInterval {
		return false
	}
	a.pingedAt = now
	return true
}

// live reports whether node id has an open control channel whose agent
// was heard from within nodePingTimeout of now.
func (h *hub) live(id string, now time.Time) bool {
	a := h.agent(id)
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.seenAt.IsZero() && now.Sub(a.seenAt) <= nodePingTimeout
}

// lastSeen returns when the agent of node id was last heard from on its
// control channel, zero if it has none open.
func (h *hub) lastSeen(id string) time.Time {
	a := h.agent(id)
	if a == nil {
		return time.Time{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seenAt
}

// agent returns the control channel of node id, or nil.
func (h *hub) agent(id string) *agentConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.agents[id]
}

// connected reports whether node id has a control channel open.
func (h *hub) connected(id string) bool { return h.agent(id) != nil }

// serveControl serves GET /agent/v1/control.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	n, err := s.controlNode(r)
	var ae *agentErr
	switch {
	case errors.As(err, &ae):
		agentError(w, ae)
		return
	case err != nil:
		s.log.Error("control channel: node unreadable", "err", err)
		agentError(w, errAgentInternal)
		return
	}
	if !s.hub.enter() {
		agentError(w, &agentErr{http.StatusServiceUnavailable, "ServiceUnavailable", "The server is shutting down; connect again later."})
		return
	}
	defer s.hub.leave()
	clearDeadlines(w)
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Debug("control channel upgrade failed", "instance_id", n.ID, "err", err)
		return
	}
	defer conn.CloseNow()
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	a := &agentConn{nodeID: n.ID, conn: conn, base: scheme + "://" + r.Host, remote: sourceIP(r), credHash: n.CredentialsHash}
	s.hub.runAgent(a)
}

// controlNode authenticates an agent by its bearer token, or by the
// credentials of a rotation it did not get to confirm.
func (s *Server) controlNode(r *http.Request) (store.Node, error) {
	n, err := s.nodeOfToken(r.Context(), r.Header.Get("Authorization"))
	var ae *agentErr
	if errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
		if pn, ok := s.hub.completeRotation(r.Context(), r.Header.Get("Authorization")); ok {
			return pn, nil
		}
	}
	return n, err
}

// runAgent reads an agent's control messages until its channel closes.
func (h *hub) runAgent(a *agentConn) {
	a.conn.SetReadLimit(maxControlMessage)
	defer h.dropAgent(a)
	for {
		// Until hello registers it, shutdown does not know the channel:
		// its start ends the wait.
		parent := h.quit
		if a.isRegistered() {
			parent = h.ctx
		}
		ctx, cancel := context.WithTimeout(parent, nodePingTimeout)
		typ, data, err := a.conn.Read(ctx)
		cancel()
		if err != nil {
			h.log.Debug("control channel closed", "instance_id", a.nodeID, "err", err)
			return
		}
		if typ != websocket.MessageText {
			h.controlError(a, "", "Control messages are JSON in text frames.")
			continue
		}
		m, err := protocol.DecodeControl(data)
		if err != nil {
			h.log.Warn("control message refused", "instance_id", a.nodeID, "err", err)
			h.controlError(a, "", err.Error())
			continue
		}
		h.handleControl(a, m)
	}
}

func (a *agentConn) isRegistered() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.registered
}

func (h *hub) handleControl(a *agentConn, m *protocol.ControlMessage) {
	if !a.isRegistered() && m.Type != protocol.ControlHello && m.Type != protocol.ControlError {
		h.controlError(a, m.SessionID, "Send hello first.")
		return
	}
	switch m.Type {
	case protocol.ControlHello:
		h.hello(a, m.Info)
	case protocol.ControlHeartbeat:
		if a.pingDue(h.s.cfg.Clock()) {
			h.ping(a, store.PingOnline)
		}
		h.maybeRotate(a)
	case protocol.ControlSessionToken:
		h.sessionToken(a, m.SessionID)
	case protocol.ControlCredentialsRotated:
		h.confirmRotation(a)
	case protocol.ControlError:
		h.log.Warn("agent reported an error", "instance_id", a.nodeID, "session_id", m.SessionID, "reason", m.Reason)
	default:
		h.controlError(a, m.SessionID, fmt.Sprintf("%s is a message the server sends, not the agent.", m.Type))
	}
}

// hello records the node's information and registers the channel.
func (h *hub) hello(a *agentConn, info *protocol.NodeInfo) {
	if info != nil {
		ni := nodeInfo{Hostname: info.Hostname, PlatformType: info.PlatformType, PlatformName: info.PlatformName,
			PlatformVersion: info.PlatformVersion, AgentVersion: info.AgentVersion, IPAddress: info.IPAddress}
		if err := ni.check(); err != nil {
			msg, ae := err.Error(), (*agentErr)(nil)
			if errors.As(err, &ae) {
				msg = ae.message
			}
			h.controlError(a, "", msg)
			return
		}
		if ni.IPAddress == "" {
			ni.IPAddress = a.remote
		}
		ctx, cancel := h.opCtx(writeTimeout)
		n, err := h.s.cfg.Store.GetNode(ctx, a.nodeID)
		if err == nil {
			if next := mergeInfo(n.Info, ni.toStore()); next != n.Info {
				err = h.s.cfg.Store.UpdateNodeInfo(ctx, a.nodeID, next)
			}
		}
		cancel()
		if err != nil {
			h.log.Error("node information not recorded", "instance_id", a.nodeID, "err", err)
		}
	}
	if !h.addAgent(a) {
		h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlShutdown, Reason: "The server is shutting down; connect again."})
		closeConn(a.conn, websocket.StatusGoingAway, reasonGoingAway)
		return
	}
	a.pingDue(h.s.cfg.Clock())
	h.ping(a, store.PingOnline)
	h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlHello, HeartbeatSeconds: int(nodeHeartbeat / time.Second)})
	h.maybeRotate(a)
}

// addAgent registers a's channel as its node's, closing the one it
// replaces; false once shutdown has begun.
func (h *hub) addAgent(a *agentConn) bool {
	now := h.s.cfg.Clock()
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return false
	}
	old := h.agents[a.nodeID]
	h.agents[a.nodeID] = a
	since, ok := h.rotated[a.nodeID]
	if !ok {
		since = now
		h.rotated[a.nodeID] = now
	}
	h.mu.Unlock()
	a.mu.Lock()
	first := !a.registered
	a.registered = true
	a.rotateAt = since.Add(credentialsLifetime)
	a.mu.Unlock()
	if first {
		h.log.Info("agent connected", "instance_id", a.nodeID, "remote", a.remote)
	}
	if old != nil && old != a {
		h.spawn(func() { closeConn(old.conn, websocket.StatusPolicyViolation, "replaced by a newer control channel") })
	}
	return true
}

// dropAgent unregisters a's channel, if it is still its node's, and
// records the node as ConnectionLost.
func (h *hub) dropAgent(a *agentConn) {
	h.mu.Lock()
	current := h.agents[a.nodeID] == a
	if current {
		delete(h.agents, a.nodeID)
		if h.closing {
			h.lost = append(h.lost, a.nodeID) // recorded by shutdown, with the others
		}
	}
	closing := h.closing
	h.mu.Unlock()
	if !current {
		return
	}
	if closing {
		h.log.Info("agent disconnected", "instance_id", a.nodeID, "remote", a.remote)
		return
	}
	h.ping(a, store.PingConnectionLost)
	// A new channel may have registered (and recorded Online) while
	// that was written: then Online is the truth.
	if n := h.agent(a.nodeID); n != nil {
		h.ping(n, store.PingOnline)
	}
	h.log.Info("agent disconnected", "instance_id", a.nodeID, "remote", a.remote)
}

// ping records the node's status now. It runs even while the hub stops:
// ConnectionLost must reach the store.
func (h *hub) ping(a *agentConn, status store.PingStatus) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), writeTimeout)
	defer cancel()
	if err := h.s.cfg.Store.RecordPing(ctx, a.nodeID, status, h.s.cfg.Clock().UTC()); err != nil {
		h.log.Error("ping not recorded", "instance_id", a.nodeID, "status", status, "err", err)
	}
	h.s.cache.forgetNode(a.nodeID) // its status changed under the cache
}

// sendControl writes one control message to an agent.
func (h *hub) sendControl(a *agentConn, m *protocol.ControlMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := h.opCtx(writeTimeout)
	defer cancel()
	if err := a.conn.Write(ctx, websocket.MessageText, b); err != nil {
		h.log.Debug("control message not sent", "instance_id", a.nodeID, "type", m.Type, "err", err)
		return err
	}
	return nil
}

func (h *hub) controlError(a *agentConn, sessionID, reason string) {
	h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlError, SessionID: sessionID, Reason: reason})
}

// sessionToken answers session_token: a fresh agent token for a live
// session of the agent's node, terminate_session for an ended one.
func (h *hub) sessionToken(a *agentConn, id string) {
	ctx, cancel := h.opCtx(writeTimeout)
	sess, err := h.s.cfg.Store.GetSession(ctx, id)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && sess.Target != a.nodeID):
		h.log.Warn("session token refused", "instance_id", a.nodeID, "session_id", id, "reason", "not a session of this node")
		h.controlError(a, id, fmt.Sprintf("Session %s is not a session of this node.", id))
		return
	case err != nil:
		h.log.Error("session token: session unreadable", "session_id", id, "err", err)
		h.controlError(a, id, "The server could not read the session; ask again.")
		return
	case sess.Status.Final():
		h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlTerminateSession, SessionID: id, Reason: "Session is already terminated"})
		return
	}
	token, err := h.s.newAgentToken(id, a.nodeID, h.s.cfg.Clock())
	if err != nil {
		h.log.Error("session token not made", "session_id", id, "err", err)
		h.controlError(a, id, "The server could not make a token; ask again.")
		return
	}
	h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlSessionToken, SessionID: id, Token: token})
}

// maybeRotate sends new credentials when the node's are due.
func (h *hub) maybeRotate(a *agentConn) {
	now := h.s.cfg.Clock()
	a.mu.Lock()
	if a.pending != "" || now.Before(a.rotateAt) {
		a.mu.Unlock()
		return
	}
	token := h.s.nodeToken(a.nodeID)
	a.pending = token
	a.mu.Unlock()
	h.mu.Lock()
	h.pending[a.nodeID] = token
	h.mu.Unlock()
	h.log.Info("rotating node credentials", "instance_id", a.nodeID)
	h.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlRotateCredentials, Token: token})
}

// confirmRotation answers credentials_rotated: the new credentials
// replace the old in the store.
func (h *hub) confirmRotation(a *agentConn) {
	a.mu.Lock()
	token, old := a.pending, a.credHash
	a.pending = ""
	a.mu.Unlock()
	if token == "" {
		h.controlError(a, "", "No credentials rotation is in progress.")
		return
	}
	next := nodeTokenHash(token)
	ctx, cancel := h.opCtx(writeTimeout)
	err := h.s.cfg.Store.RotateNodeCredentials(ctx, a.nodeID, old, next)
	cancel()
	if err != nil {
		h.log.Error("node credentials not rotated", "instance_id", a.nodeID, "err", err)
		h.controlError(a, "", "The server could not store the new credentials; keep the old ones.")
		return
	}
	now := h.s.cfg.Clock()
	h.mu.Lock()
	if h.pending[a.nodeID] == token {
		delete(h.pending, a.nodeID)
	}
	h.rotated[a.nodeID] = now
	h.mu.Unlock()
	a.mu.Lock()
	a.credHash = next
	a.rotateAt = now.Add(credentialsLifetime)
	a.mu.Unlock()
	h.log.Info("node credentials rotated", "instance_id", a.nodeID)
}

// completeRotation accepts the credentials of an unconfirmed rotation
// and completes it.
func (h *hub) completeRotation(ctx context.Context, header string) (store.Node, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return store.Node{}, false
	}
	id, _, _ := strings.Cut(token, ".")
	h.mu.Lock()
	want, ok := h.pending[id]
	h.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return store.Node{}, false
	}
	n, err := h.s.cfg.Store.GetNode(ctx, id)
	if err != nil {
		return store.Node{}, false
	}
	next := nodeTokenHash(token)
	if err := h.s.cfg.Store.RotateNodeCredentials(ctx, id, n.CredentialsHash, next); err != nil {
		h.log.Error("node credentials not rotated", "instance_id", id, "err", err)
		return store.Node{}, false
	}
	h.mu.Lock()
	if h.pending[id] == token {
		delete(h.pending, id)
	}
	h.rotated[id] = h.s.cfg.Clock()
	h.mu.Unlock()
	h.log.Info("node credentials rotated (confirmed by use)", "instance_id", id)
	n.CredentialsHash = next
	return n, true
}

// dispatch starts a new session on its node: it makes the session's
// relay and sends the agent start_session. If the node's control
// channel is gone the session fails and the caller gets
// TargetNotConnected, naming target as the caller did.
func (s *Server) dispatch(ctx context.Context, c *call, sess store.Session, target string, doc *store.Document, d *sessionDoc, params map[string][]string) error {
	fail := func(err error) error {
		s.hub.endSession(sess.ID, sess.Target, ending{status: store.SessionFailed, reason: "The node was not connected when the session started."})
		if err != nil {
			return err
		}
		return awsapi.Errorf(http.StatusBadRequest, "TargetNotConnected", "%s is not connected.", target)
	}
	now := s.cfg.Clock()
	a := s.hub.agent(sess.Target)
	if a == nil {
		return fail(nil)
	}
	token, err := s.newAgentToken(sess.ID, sess.Target, now)
	if err != nil {
		return fail(err)
	}
	if s.hub.addRelay(sess, s.limitsOf(ctx, doc.Name, d), now) == nil {
		return fail(nil) // shutting down
	}
	err = s.hub.sendControl(a, &protocol.ControlMessage{Type: protocol.ControlStartSession, Session: &protocol.SessionStart{
		SessionID: sess.ID, StreamURL: a.base + "/v1/data-channel/" + sess.ID + "?role=publish_subscribe", Token: token,
		DocumentName: doc.Name, Document: json.RawMessage(doc.Content), SessionType: protocol.SessionType(d.SessionType),
		Parameters: params, RunAsUser: runAsUser(doc.Content, c.caller.tags), Owner: sess.Owner,
	}})
	if err != nil {
		return fail(nil) // the channel closed meanwhile
	}
	s.log.Info("session started", "session_id", sess.ID, "instance_id", sess.Target, "document", doc.Name, "owner", sess.Owner)
	return nil
}

// runAsUser is the OS user of a session: with runAsEnabled, the
// caller's SSMSessionRunAs tag (the user's, or the role's and the role
// session's), else the document's runAsDefaultUser; without it, empty
// (the agent's default).
func runAsUser(content string, tags map[string]string) string {
	var d struct {
		Inputs struct {
			RunAsEnabled     json.RawMessage `json:"runAsEnabled"`
			RunAsDefaultUser string          `json:"runAsDefaultUser"`
		} `json:"inputs"`
	}
	if json.Unmarshal([]byte(content), &d) != nil {
		return ""
	}
	var on protocol.FlexBool
	if len(d.Inputs.RunAsEnabled) == 0 || json.Unmarshal(d.Inputs.RunAsEnabled, &on) != nil || !bool(on) {
		return ""
	}
	if u := tags["SSMSessionRunAs"]; u != "" {
		return u
	}
	return d.Inputs.RunAsDefaultUser
}
