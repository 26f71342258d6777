package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// The session tags AWS puts on every session, which Terminate and
// ResumeSession policies test as ssm:resourceTag/<key>.
const (
	tagSessionID = "aws:ssmmessages:session-id" // the caller's aws:userid
	tagTargetID  = "aws:ssmmessages:target-id"  // the node id
)

type startSessionInput struct {
	Target       *string             `json:"Target"`
	DocumentName *string             `json:"DocumentName"`
	Reason       *string             `json:"Reason"`
	Parameters   map[string][]string `json:"Parameters"`
}

func (in *startSessionInput) validate() error {
	var v violations
	checkTarget(&v, "target", in.Target)
	v.str("documentName", in.DocumentName, 0, -1, patDocumentARN)
	v.str("reason", in.Reason, 1, 256, patSessionReason)
	for name, values := range in.Parameters {
		name := name
		v.str("parameters", &name, 1, 255, nil)
		for i := range values {
			v.str(fmt.Sprintf("parameters.%s.%d.member", name, i+1), &values[i], 1, 65535, nil)
		}
	}
	return v.err()
}

// sessionOut is StartSession's and ResumeSession's response.
type sessionOut struct {
	SessionID  string `json:"SessionId"`
	TokenValue string `json:"TokenValue,omitempty"`
	StreamURL  string `json:"StreamUrl,omitempty"`
}

// startSession is StartSession: it authorizes the target and then the
// session document (named, or the default one unless the server exempts
// it), each with its own tags, so a denial names the first resource
// denied with AWS's text; then it checks the document and its
// parameters, that the target is Online with its control channel open,
// and opens the session on it.
func (s *Server) startSession(ctx context.Context, c *call) (any, error) {
	var in startSessionInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	named := in.DocumentName != nil
	docName := iam.DefaultSessionDocument
	if named {
		docName = *in.DocumentName
	}
	ref, err := s.findDocument(ctx, docName)
	if err != nil {
		return nil, err
	}
	if ref.name == "" {
		// An ARN of another account's or region's document.
		return nil, ref.missing(docName)
	}
	t, err := s.findTarget(ctx, *in.Target)
	if err != nil {
		return nil, err
	}
	ss := iam.StartSession{Principal: c.caller.principal, Partition: s.cfg.Partition, Region: s.cfg.Region, Account: s.cfg.Account,
		Target: *in.Target, Tags: tagMap(t.tags()), DocumentTags: tagMap(ref.tags()), Check: s.cfg.DocumentCheck}
	if named {
		ss.Document = ref.name
	}
	auth, err := ss.Call()
	if err != nil {
		return nil, err
	}
	if err := c.authorize(auth.Resources...); err != nil {
		return nil, err
	}
	if ref.doc == nil {
		return nil, ref.missing(docName)
	}
	sd, err := s.sessionDocument(ref.doc.Content)
	if err != nil || ref.doc.DocumentType != "Session" {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocument", "Document %s is not a session document.", ref.name)
	}
	if err := checkSessionParameters(ref.name, sd, in.Parameters); err != nil {
		return nil, err
	}
	now := s.cfg.Clock().UTC()
	if t.node == nil || s.nodePingStatus(t.node, now) != store.PingOnline || !s.hub.connected(t.node.ID) {
		return nil, awsapi.Errorf(http.StatusBadRequest, "TargetNotConnected", "%s is not connected.", *in.Target)
	}
	sess := store.Session{
		ID: s.sessionID(c), Target: t.node.ID, Owner: c.caller.principal.ARN, DocumentName: ref.name,
		Status: store.SessionConnecting, Reason: orEmpty(in.Reason), StartedAt: now,
		Tags: []store.Tag{{Key: tagSessionID, Value: c.caller.userID}, {Key: tagTargetID, Value: t.node.ID}},
	}
	if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
		return nil, storeError(err, entity{kSession, sess.ID})
	}
	if err := s.dispatch(ctx, c, sess, *in.Target, ref.doc, sd, in.Parameters); err != nil {
		return nil, err
	}
	return s.sessionOut(c, sess.ID, now)
}

// sessionID returns a new session id: the caller's name (the user name,
// or the role session name) and 17 hex digits.
func (s *Server) sessionID(c *call) string {
	name := c.caller.principal.Name
	if name == "" {
		name = "session"
	}
	return name + "-" + s.newHex(17)
}

// sessionOut mints a data-channel token for a session and the URL of the
// channel, on the host and scheme the request came in on.
func (s *Server) sessionOut(c *call, id string, now time.Time) (*sessionOut, error) {
	token, err := s.newStreamToken(id, now)
	if err != nil {
		return nil, err
	}
	scheme := "wss"
	if c.r.TLS == nil {
		scheme = "ws"
	}
	url := scheme + "://" + c.r.Host + "/v1/data-channel/" + id + "?role=publish_subscribe"
	return &sessionOut{SessionID: id, TokenValue: token, StreamURL: url}, nil
}

// sessionResource is a session's ARN with its two AWS tags, which only
// ssm:resourceTag/... reads (the Service Authorization Reference).
func (s *Server) sessionResource(id string, tags []store.Tag) iam.Resource {
	ctx := &iam.Context{}
	for _, t := range tags {
		ctx.Set("ssm:resourceTag/"+t.Key, t.Value)
	}
	return iam.Resource{ARN: s.sessionARN(id), Context: ctx}
}

type sessionIDInput struct {
	SessionID *string `json:"SessionId"`
}

// findSession validates a SessionId, reads the session and authorizes
// the call on it. found is false for an unknown session.
func (s *Server) findSession(ctx context.Context, c *call, in *sessionIDInput) (sess store.Session, found bool, err error) {
	var v violations
	if v.required("sessionId", in.SessionID != nil) {
		v.str("sessionId", in.SessionID, 1, 96, nil)
	}
	if err := v.err(); err != nil {
		return sess, false, err
	}
	sess, err = s.cfg.Store.GetSession(ctx, *in.SessionID)
	switch {
	case err == nil:
		found = true
	case !errors.Is(err, store.ErrNotFound):
		return sess, false, storeError(err, entity{kSession, *in.SessionID})
	}
	if err := c.authorize(s.sessionResource(*in.SessionID, sess.Tags)); err != nil {
		return sess, false, err
	}
	return sess, found, nil
}

// resumeSession is ResumeSession: a new token for a live session. An
// ended session gets no token, which the plugin reports as "Session: <id>
// timed out."
func (s *Server) resumeSession(ctx context.Context, c *call) (any, error) {
	var in sessionIDInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	sess, found, err := s.findSession(ctx, c, &in)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, storeError(store.ErrNotFound, entity{kSession, *in.SessionID})
	}
	if sess.Status.Final() {
		return &sessionOut{SessionID: sess.ID}, nil
	}
	return s.sessionOut(c, sess.ID, s.cfg.Clock().UTC())
}

type terminateSessionOutput struct {
	SessionID string `json:"SessionId"`
}

// terminateSession is TerminateSession. Like AWS it answers the same for
// a session that has already ended, or that does not exist: nothing to
// do.
func (s *Server) terminateSession(ctx context.Context, c *call) (any, error) {
	var in sessionIDInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	sess, found, err := s.findSession(ctx, c, &in)
	if err != nil {
		return nil, err
	}
	out := &terminateSessionOutput{SessionID: *in.SessionID}
	if !found || sess.Status.Final() {
		return out, nil
	}
	err = s.cfg.Store.SetSessionStatus(ctx, sess.ID, store.SessionTerminated, terminateEnding.reason, s.cfg.Clock().UTC())
	if errors.Is(err, store.ErrConflict) {
		// Another call ended it first.
		if now, gerr := s.cfg.Store.GetSession(ctx, sess.ID); gerr == nil && now.Status.Final() {
			return out, nil
		}
	}
	if err != nil {
		return nil, storeError(err, entity{kSession, sess.ID})
	}
	s.hub.endSession(sess.ID, sess.Target, terminateEnding)
	return out, nil
}

type describeSessionsInput struct {
	State      *string `json:"State"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
	Filters    []struct {
		Key   *string `json:"key"`
		Value *string `json:"value"`
	} `json:"Filters"`
}

var sessionFilterKeys = []string{"InvokedAfter", "InvokedBefore", "Target", "Owner", "Status", "SessionId", "AccessType"}

var sessionStatuses = []string{"Connected", "Connecting", "Disconnected", "Terminated", "Terminating", "Failed"}

// sessionQuery is what DescribeSessions' filters select.
type sessionQuery struct {
	store         store.SessionFilter
	after, before time.Time
	id            string
	none          bool // AccessType JustInTime: sesame has no such sessions
}

func (in *describeSessionsInput) query() (*sessionQuery, error) {
	var v violations
	if v.required("state", in.State != nil) {
		v.enum("state", in.State, "Active", "History")
	}
	v.intRange("maxResults", in.MaxResults, 1, 200)
	if in.Filters != nil {
		v.count("filters", len(in.Filters), 1, 6)
	}
	for i, f := range in.Filters {
		p := fmt.Sprintf("filters.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.enum(p+".key", f.Key, sessionFilterKeys...)
		}
		if v.required(p+".value", f.Value != nil) {
			v.str(p+".value", f.Value, 1, 400, nil)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	q := &sessionQuery{store: store.SessionFilter{State: store.SessionState(*in.State)}}
	bad := func(key, value, want string) error {
		return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "The value %s of filter %s is not valid: %s.", value, key, want)
	}
	for _, f := range in.Filters {
		key, val := *f.Key, *f.Value
		switch key {
		case "InvokedAfter", "InvokedBefore":
			t, err := parseFilterTime(val)
			if err != nil {
				return nil, bad(key, val, "use a time such as 2018-08-29T00:00:00Z")
			}
			if key == "InvokedAfter" {
				q.after = t
			} else {
				q.before = t
			}
		case "Target":
			q.store.Target = val
		case "Owner":
			q.store.Owner = val
		case "Status":
			if !slices.Contains(sessionStatuses, val) {
				return nil, bad(key, val, "use one of "+strings.Join(sessionStatuses, ", "))
			}
			q.store.Status = store.SessionStatus(val)
		case "SessionId":
			q.id = val
		case "AccessType":
			switch val {
			case "Standard":
			case "JustInTime":
				q.none = true
			default:
				return nil, bad(key, val, "use Standard or JustInTime")
			}
		}
	}
	return q, nil
}

func parseFilterTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q", s)
}

// match applies the filters the store does not.
func (q *sessionQuery) match(s *store.Session) bool {
	switch {
	case q.none:
		return false
	case q.id != "" && s.ID != q.id:
		return false
	case !q.after.IsZero() && s.StartedAt.Before(q.after):
		return false
	case !q.before.IsZero() && !s.StartedAt.Before(q.before):
		return false
	case q.store.State == store.SessionsActive && s.Status.Final(), q.store.State == store.SessionsHistory && !s.Status.Final():
		return false
	case q.store.Target != "" && s.Target != q.store.Target,
		q.store.Owner != "" && s.Owner != q.store.Owner,
		q.store.Status != "" && s.Status != q.store.Status:
		return false
	}
	return true
}

type sessionItem struct {
	SessionID    string `json:"SessionId"`
	Target       string `json:"Target"`
	Status       string `json:"Status"`
	StartDate    epoch  `json:"StartDate"`
	EndDate      epoch  `json:"EndDate,omitzero"`
	DocumentName string `json:"DocumentName,omitempty"`
	Owner        string `json:"Owner"`
	Reason       string `json:"Reason,omitempty"`
	AccessType   string `json:"AccessType"`
}

type describeSessionsOutput struct {
	Sessions  []sessionItem `json:"Sessions"`
	NextToken string        `json:"NextToken,omitempty"`
}

// describeSessions is DescribeSessions.
func (s *Server) describeSessions(ctx context.Context, c *call) (any, error) {
	var in describeSessionsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	var sessions []store.Session
	next := ""
	if q.id != "" {
		one, err := s.cfg.Store.GetSession(ctx, q.id)
		switch {
		case err == nil:
			sessions = []store.Session{one}
		case !errors.Is(err, store.ErrNotFound):
			return nil, storeError(err, entity{kSession, q.id})
		}
	} else {
		page, err := s.cfg.Store.ListSessions(ctx, q.store, store.ListOptions{Limit: maxResults(in.MaxResults, 200), Token: orEmpty(in.NextToken)})
		if err != nil {
			return nil, storeError(err, entity{kSession, ""})
		}
		sessions, next = page.Items, page.NextToken
	}
	out := &describeSessionsOutput{Sessions: []sessionItem{}, NextToken: next}
	for i := range sessions {
		x := &sessions[i]
		if !q.match(x) {
			continue
		}
		out.Sessions = append(out.Sessions, sessionItem{SessionID: x.ID, Target: x.Target, Status: string(x.Status),
			StartDate: epoch(x.StartedAt), EndDate: epoch(x.EndedAt), DocumentName: x.DocumentName, Owner: x.Owner,
			Reason: x.Reason, AccessType: "Standard"})
	}
	return out, nil
}

// Data-channel tokens. A StartSession or ResumeSession token names its
// session and when it expires, sealed with the server's token key (as STS
// session tokens are, with other additional data), so the server keeps
// nothing to check it: the data channel calls checkStreamToken.

const (
	streamTokenTTL    = 10 * time.Minute
	streamTokenPrefix = "AAEAA" // as AWS's tokens start
	streamTokenAD     = "sesame data channel"
)

type streamClaims struct {
	SessionID string `json:"s"`
	Expires   int64  `json:"e"` // Unix seconds
}

// newStreamToken returns a token for the data channel of session id.
func (s *Server) newStreamToken(id string, now time.Time) (string, error) {
	return s.tokens.sealJSON(streamTokenPrefix, streamTokenAD, streamClaims{SessionID: id, Expires: now.Add(streamTokenTTL).Unix()})
}

var errStreamToken = errors.New("invalid or expired data channel token")

// checkStreamToken checks a data-channel token for session id at now.
func (s *Server) checkStreamToken(id, token string, now time.Time) error {
	var cl streamClaims
	if len(token) > 300 || !s.tokens.openJSON(token, streamTokenPrefix, streamTokenAD, &cl) || cl.SessionID != id || now.Unix() >= cl.Expires {
		return errStreamToken
	}
	return nil
}
