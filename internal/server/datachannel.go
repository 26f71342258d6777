package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// The data channel of a session, one WebSocket per side:
//
//	GET /v1/data-channel/<session id>?role=publish_subscribe
//
// The first message is a text frame of JSON, protocol.OpenDataChannel,
// whose TokenValue says which side the connection is and for which
// session:
//
//   - a client token, from StartSession or ResumeSession (AES-GCM
//     sealed claims: session id and expiry; additional data "sesame data
//     channel"; 10 minutes);
//   - an agent token, from start_session or session_token on the
//     agent's control channel (sealed claims: session id, node id and
//     expiry; additional data "sesame data channel agent"; 2 minutes).
//
// A token is refused, with a close frame (policy violation) whose
// reason says why, and a log record, when it does not open with the
// server's key, names another session (or, for an agent, another node
// than the session's target), has expired, or was used before: every
// token admits one connection. Refusing a connection changes nothing
// else. A session that has ended gets channel_closed (client) with the
// reason it ended, or a close (agent), instead.
//
// Then every message is one frame, relayed as relay.go says. Frames of
// up to maxRelayMessage bytes are read; protocol.Unmarshal refuses those
// above protocol.MaxFrameSize, malformed ones and those whose digest
// does not match, and the relay logs and drops them, the connection and
// the session carrying on. A larger message closes the connection
// (message too big); the side may attach again.

const (
	// maxOpenMessage bounds the OpenDataChannel frame.
	maxOpenMessage = 4 << 10
	// maxRelayMessage bounds the messages read from an attached side.
	maxRelayMessage = 4 * protocol.MaxFrameSize
	// openTimeout is how long a new data channel has to send
	// OpenDataChannel.
	openTimeout = 30 * time.Second
	// maxTokenLength is the longest TokenValue (the SSM model's limit).
	maxTokenLength = 300

	agentTokenTTL = 2 * time.Minute
	agentTokenAD  = "sesame data channel agent"
)

// mountChannels adds the agent's control channel and the data channels
// to mux.
func (s *Server) mountChannels(mux *http.ServeMux) {
	mux.HandleFunc("GET /agent/v1/control", s.serveControl)
	mux.HandleFunc("/agent/v1/control", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodGet)
		agentError(w, &agentErr{http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET with a WebSocket upgrade."})
	})
	mux.HandleFunc("GET /v1/data-channel/{id}", s.serveDataChannel)
	mux.HandleFunc("/v1/data-channel/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Open a data channel with GET /v1/data-channel/<session id>?role=publish_subscribe and a WebSocket upgrade.", http.StatusMethodNotAllowed)
	})
}

// clearDeadlines lifts the http.Server's read and write timeouts from
// a connection about to become a long-lived WebSocket: they stay on a
// hijacked connection otherwise.
func clearDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
}

// serveDataChannel serves GET /v1/data-channel/{id}.
func (s *Server) serveDataChannel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if role := r.URL.Query().Get("role"); role != "" && role != "publish_subscribe" {
		http.Error(w, "role must be publish_subscribe", http.StatusBadRequest)
		return
	}
	if len(id) == 0 || len(id) > 96 {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	if !s.hub.enter() {
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.hub.leave()
	clearDeadlines(w)
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Debug("data channel upgrade failed", "session_id", id, "remote", sourceIP(r), "err", err)
		return
	}
	defer conn.CloseNow()
	s.hub.serveData(conn, id, sourceIP(r))
}

// serveData admits a data channel by its OpenDataChannel, attaches it
// to its session's relay and relays its frames until it closes.
func (h *hub) serveData(conn *websocket.Conn, id, remote string) {
	conn.SetReadLimit(maxOpenMessage)
	ctx, cancel := context.WithTimeout(h.quit, openTimeout)
	typ, data, err := conn.Read(ctx)
	cancel()
	if err != nil {
		h.log.Debug("data channel closed before it opened", "session_id", id, "remote", remote, "err", err)
		return
	}
	refuse := func(reason string, err error) {
		h.log.Warn("data channel refused", "session_id", id, "remote", remote, "reason", reason, "err", err)
		closeConn(conn, websocket.StatusPolicyViolation, reason)
	}
	if typ != websocket.MessageText {
		refuse("the first message must be OpenDataChannel JSON in a text frame", nil)
		return
	}
	adm, err := h.s.admit(id, data, h.s.cfg.Clock())
	if err != nil {
		refuse(err.Error(), nil)
		return
	}
	sctx, cancel := h.opCtx(writeTimeout)
	sess, err := h.s.cfg.Store.GetSession(sctx, id)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound):
		refuse("no such session", nil)
		return
	case err != nil:
		h.log.Error("data channel: session unreadable", "session_id", id, "err", err)
		closeConn(conn, websocket.StatusInternalError, "internal error")
		return
	case adm.side == sideAgent && sess.Target != adm.nodeID:
		refuse("token is for another node", fmt.Errorf("session target %s, token node %s", sess.Target, adm.nodeID))
		return
	}
	if !h.useToken(adm.token, adm.expires) {
		refuse("token already used", nil)
		return
	}
	p := &peer{side: adm.side, conn: conn, clientID: adm.clientID, clientVersion: adm.clientVersion, remote: remote}
	if sess.Status.Final() {
		h.ended(p, id, sess.Reason)
		return
	}
	sctx, cancel = h.opCtx(writeTimeout)
	rl := h.relayOf(sctx, sess)
	cancel()
	if rl == nil {
		closeConn(conn, websocket.StatusGoingAway, reasonGoingAway)
		return
	}
	if !rl.attach(p) {
		h.ended(p, id, h.endReason(rl))
		return
	}
	defer rl.detach(p)
	if h.isClosing() {
		// Shutdown began before it could see this peer: it goes too.
		closeConn(conn, websocket.StatusGoingAway, reasonGoingAway)
	}
	conn.SetReadLimit(maxRelayMessage)
	for {
		_, frame, err := conn.Read(h.ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig || errors.Is(err, websocket.ErrMessageTooBig) {
				h.log.Warn("data channel closed: message too big", "session_id", id, "side", p.side, "remote", remote)
			} else {
				h.log.Debug("data channel closed", "session_id", id, "side", p.side, "remote", remote, "err", err)
			}
			return
		}
		rl.receive(p, frame)
	}
}

// ended tells a side that attaches to an ended session so: a client
// gets channel_closed whose Output is the reason the session ended (as
// stored: DescribeSessions shows it), and both a close frame with AWS's
// reason.
func (h *hub) ended(p *peer, id, reason string) {
	h.log.Info("data channel for an ended session", "session_id", id, "side", p.side, "remote", p.remote)
	if p.side == sideClient {
		if frame, err := h.channelClosed(id, p, reason); err == nil {
			h.write(p, frame)
		}
	}
	closeConn(p.conn, websocket.StatusNormalClosure, "Session is already terminated")
}

// endReason returns the reason relay r's session ended for: its own
// ending's, or else the stored one.
func (h *hub) endReason(r *relay) string {
	r.mu.Lock()
	reason := r.reason
	r.mu.Unlock()
	if reason != "" {
		return reason
	}
	ctx, cancel := h.opCtx(writeTimeout)
	defer cancel()
	sess, err := h.s.cfg.Store.GetSession(ctx, r.id)
	if err != nil {
		h.log.Warn("ended session unreadable", "session_id", r.id, "err", err)
		return ""
	}
	return sess.Reason
}

// useToken records a token's use; false if it was used before. Used
// tokens are remembered until they expire (in memory: a restarted
// server forgets them).
func (h *hub) useToken(token string, expires time.Time) bool {
	key := sha256.Sum256([]byte(token))
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, used := h.used[key]; used {
		return false
	}
	h.used[key] = expires
	return true
}

// admission is what an OpenDataChannel admits.
type admission struct {
	side          side
	token         string
	nodeID        string // agent tokens
	clientID      string
	clientVersion string
	expires       time.Time
}

// admit decodes the OpenDataChannel of a data channel for session id
// and checks its token at now. It neither reads the store nor records
// the token's use. Its errors are the close reasons.
func (s *Server) admit(id string, data []byte, now time.Time) (*admission, error) {
	open, err := decodeOpenDataChannel(data)
	if err != nil {
		return nil, err
	}
	adm, sessionID, err := s.openDataToken(open.TokenValue)
	if err != nil {
		return nil, err
	}
	switch {
	case sessionID != id:
		return nil, errors.New("token is for another session")
	case !now.Before(adm.expires):
		return nil, errors.New("token expired")
	case adm.side == sideAgent && open.ClientInstanceID != "" && open.ClientInstanceID != adm.nodeID:
		return nil, errors.New("token is for another node")
	}
	adm.clientID, adm.clientVersion = open.ClientID, open.ClientVersion
	return adm, nil
}

// decodeOpenDataChannel reads the first frame of a data channel: one
// JSON object, with a TokenValue.
func decodeOpenDataChannel(data []byte) (*protocol.OpenDataChannel, error) {
	if len(data) > maxOpenMessage {
		return nil, errors.New("OpenDataChannel too large")
	}
	if !utf8.Valid(data) {
		return nil, errors.New("OpenDataChannel is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var open protocol.OpenDataChannel
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("OpenDataChannel is not a JSON object")
	}
	if err := dec.Decode(&open); err != nil {
		return nil, errors.New("OpenDataChannel is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("OpenDataChannel holds more than one JSON value")
	}
	switch {
	case open.MessageSchemaVersion != "" && open.MessageSchemaVersion != protocol.MessageSchemaVersion:
		return nil, fmt.Errorf("MessageSchemaVersion %.10q is not supported", open.MessageSchemaVersion)
	case open.TokenValue == "":
		return nil, errors.New("OpenDataChannel has no TokenValue")
	case len(open.TokenValue) > maxTokenLength:
		return nil, errors.New("token not valid")
	}
	return &open, nil
}

// agentClaims is what an agent's data-channel token carries.
type agentClaims struct {
	SessionID string `json:"s"`
	NodeID    string `json:"n"`
	Expires   int64  `json:"e"` // Unix seconds
}

// newAgentToken returns a single-use token for the agent of node to
// open the data channel of session id.
func (s *Server) newAgentToken(id, node string, now time.Time) (string, error) {
	return s.tokens.sealJSON(streamTokenPrefix, agentTokenAD, agentClaims{SessionID: id, NodeID: node, Expires: now.Add(agentTokenTTL).Unix()})
}

var errTokenInvalid = errors.New("token not valid")

// openDataToken opens a data-channel token of either side and returns
// what it admits and the session it names. Client tokens are those of
// newStreamToken (checkStreamToken reads them the same way); the
// additional data keeps the two kinds apart.
func (s *Server) openDataToken(token string) (*admission, string, error) {
	if len(token) > maxTokenLength {
		return nil, "", errTokenInvalid
	}
	var client streamClaims
	if s.tokens.openJSON(token, streamTokenPrefix, streamTokenAD, &client) {
		if client.SessionID == "" {
			return nil, "", errTokenInvalid
		}
		return &admission{side: sideClient, token: token, expires: time.Unix(client.Expires, 0)}, client.SessionID, nil
	}
	var agent agentClaims
	if !s.tokens.openJSON(token, streamTokenPrefix, agentTokenAD, &agent) || agent.SessionID == "" || agent.NodeID == "" {
		return nil, "", errTokenInvalid
	}
	return &admission{side: sideAgent, token: token, nodeID: agent.NodeID, expires: time.Unix(agent.Expires, 0)}, agent.SessionID, nil
}
