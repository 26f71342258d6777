package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/sigv4"
)

// operation is one API operation.
type operation struct {
	service  string // ssm, iam, sts
	name     string // StartSession
	readOnly bool
	handle   func(ctx context.Context, c *call) (any, error)
}

// action is the IAM action that authorizes the operation.
func (o *operation) action() string { return o.service + ":" + o.name }

func (s *Server) register(service, name string, readOnly bool, h func(ctx context.Context, c *call) (any, error)) {
	s.ops[service+":"+name] = &operation{service: service, name: name, readOnly: readOnly, handle: h}
}

// call is one API request in flight.
type call struct {
	s         *Server
	r         *http.Request
	op        *operation
	proto     awsapi.Protocol
	service   string
	requestID string
	body      []byte     // JSON 1.1 body
	params    url.Values // Query parameters
	caller    *caller
	sourceIP  string

	authorized bool // authorize was called and allowed every resource
	decision   iam.Decision
	denied     string   // the denied resource's ARN
	reason     string   // why, for the audit log
	resources  []string // every resource authorized
}

// decode reads the request's parameters into v.
func (c *call) decode(v any) error {
	if c.proto == awsapi.JSON {
		return awsapi.DecodeJSON(c.body, v)
	}
	return awsapi.DecodeQuery(c.params, v)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Clock()
	c := &call{s: s, r: r, requestID: newRequestID(s.cfg.Rand), sourceIP: sourceIP(r)}
	c.proto, c.service = awsapi.Query, queryService(r)
	if _, _, ok := awsapi.JSONTarget(r); ok || r.Header.Get("X-Amz-Target") != "" {
		c.proto, c.service = awsapi.JSON, "ssm"
	}
	resp, err := s.handle(r.Context(), c)
	var body []byte // a JSON 1.1 response, marshaled once: sent and audited
	if err == nil && c.proto == awsapi.JSON {
		if body, err = json.Marshal(resp); err != nil {
			err = fmt.Errorf("marshal %s response: %w", c.opName(), err)
		}
	}
	code := ""
	if err != nil {
		e := awsapi.As(err)
		if e.Server {
			s.log.Error("api call failed", "request_id", c.requestID, "operation", c.opName(), "err", err)
		}
		code = e.Code
		awsapi.WriteError(w, c.proto, c.service, c.requestID, e)
	} else if c.proto == awsapi.JSON {
		awsapi.WriteJSON(w, c.requestID, body)
		resp = json.RawMessage(body)
	} else {
		awsapi.WriteXML(w, c.service, c.op.name, c.requestID, resp)
	}
	s.metrics.observe(c.service, c.opName(), code, s.cfg.Clock().Sub(start))
	s.audit(r.Context(), c, resp, err)
}

func (c *call) opName() string {
	if c.op == nil {
		return "Unknown"
	}
	return c.op.name
}

// handle authenticates, dispatches and checks that the handler
// authorized the call.
func (s *Server) handle(ctx context.Context, c *call) (any, error) {
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodGet {
		return nil, awsapi.Errorf(http.StatusMethodNotAllowed, "InvalidAction", "Method %s is not supported.", c.r.Method)
	}
	body, err := awsapi.ReadBody(c.r)
	if err != nil {
		return nil, err
	}
	var name string
	if c.proto == awsapi.JSON {
		prefix, op, ok := awsapi.JSONTarget(c.r)
		if !ok || prefix != "AmazonSSM" {
			return nil, awsapi.Errorf(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", c.r.Header.Get("X-Amz-Target"))
		}
		name, c.body = op, body
	} else {
		action, params, err := awsapi.ParseQuery(c.r, body)
		if err != nil {
			return nil, err
		}
		name, c.params = action, params
	}
	res, err := s.authenticate(ctx, c, body)
	if err != nil {
		return nil, err
	}
	if res.Service != c.service && !(c.proto == awsapi.Query && (res.Service == "iam" || res.Service == "sts")) {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ", c.service)
	}
	if c.proto == awsapi.Query {
		c.service = res.Service
	}
	c.op = s.ops[c.service+":"+name]
	if c.op == nil {
		if c.proto == awsapi.JSON {
			return nil, awsapi.Errorf(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", name)
		}
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", name, c.params.Get("Version"))
	}
	resp, err := c.op.handle(ctx, c)
	if purgesCache(c.op) {
		// Even a failed write may have changed something before failing.
		s.cache.purge()
	}
	if err == nil && !c.authorized {
		// Fail closed: a handler that forgot to authorize answers nothing.
		return nil, fmt.Errorf("operation %s answered without authorizing", c.op.action())
	}
	return resp, err
}

// authorize decides the call's action on resources, each with its own
// context (tags), and returns AWS's AccessDenied error for a denial. A
// handler calls it before it reads or changes anything.
func (c *call) authorize(resources ...iam.Resource) error {
	return c.authorizeAction(c.op.action(), resources...)
}

// authorizeAction authorizes another action than the operation's own,
// for operations AWS authorizes with several actions.
func (c *call) authorizeAction(action string, resources ...iam.Resource) error {
	if len(resources) == 0 {
		resources = []iam.Resource{{ARN: "*"}}
	}
	set, err := c.caller.policySet(c.r.Context(), c.s)
	if err != nil {
		c.decision, c.reason = iam.ImplicitDeny, "could not load the caller's policies: "+err.Error()
		return fmt.Errorf("load policies of %s: %w", c.caller.principal.ARN, err)
	}
	call := &iam.Call{Principal: c.caller.principal, Action: action, Resources: resources, Context: c.caller.requestContext(c)}
	auth := set.Authorize(call)
	for _, r := range resources {
		c.resources = append(c.resources, r.ARN)
	}
	c.decision = auth.Decision
	if auth.Decision != iam.Allowed {
		c.authorized = false
		req := call.Request(auth.Denied)
		c.denied = req.Resource
		c.reason = denialReason(set, &req)
		return awsapi.AccessDenied(c.proto, auth.Message(call))
	}
	c.authorized = true
	return nil
}

// denialReason is the engine's explanation of a denial, for the audit
// log: the decisive statement, or the statements that nearly matched.
func denialReason(set *iam.PolicySet, req *iam.Request) string {
	x := set.Explain(req)
	var parts []string
	for _, t := range x.Statements {
		switch {
		case t.Decisive:
			parts = append(parts, fmt.Sprintf("denied by %s %s (line %d, column %d)", t.Policy, t.Path, t.Line, t.Column))
		case !t.Applies && t.Effect == "Allow":
			parts = append(parts, fmt.Sprintf("nearly matched %s %s: %s", t.Policy, t.Path, t.Reason))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s on %s: no statement applies (%s)", req.Action, req.Resource, x.DeniedBy)
	}
	return fmt.Sprintf("%s on %s: %s", req.Action, req.Resource, strings.Join(parts, "; "))
}

// audit writes the call's record. resp is the response as JSON text
// (json.RawMessage) when it was sent as JSON, or the value marshaled to
// XML; the audit log redacts its secrets.
func (s *Server) audit(ctx context.Context, c *call, resp any, err error) {
	rec := &audit.Record{
		EventTime:          s.cfg.Clock().UTC(),
		EventSource:        c.service + ".amazonaws.com",
		EventName:          c.opName(),
		AWSRegion:          s.cfg.Region,
		SourceIPAddress:    c.sourceIP,
		UserAgent:          c.r.UserAgent(),
		RequestID:          c.requestID,
		ReadOnly:           c.op != nil && c.op.readOnly,
		RecipientAccountID: s.cfg.Account,
		RequestParameters:  c.rawParams(),
	}
	if c.caller != nil {
		rec.UserIdentity = c.caller.identity(s.cfg.Account)
	} else {
		rec.UserIdentity = audit.UserIdentity{Type: "Unknown"}
	}
	if len(c.resources) > 0 {
		rec.Resources = make([]audit.Resource, len(c.resources))
		for i, arn := range c.resources {
			rec.Resources[i] = audit.ResourceOf(arn)
		}
	}
	if err == nil && resp != nil {
		rec.ResponseElements = resp
	}
	if err != nil {
		e := awsapi.As(err)
		rec.ErrorCode, rec.ErrorMessage = e.Code, e.Message
	}
	if c.op != nil && c.caller != nil {
		rec.AdditionalEventData = &audit.EventData{Decision: c.decision.String(), DeniedResource: c.denied, Reason: c.reason}
	}
	if werr := s.cfg.Audit.Write(ctx, rec); werr != nil {
		s.log.Error("audit write failed", "request_id", c.requestID, "err", werr)
	}
}

// rawParams returns the request's parameters as JSON for the audit log
// (which redacts secrets).
func (c *call) rawParams() json.RawMessage {
	if c.proto == awsapi.JSON {
		if json.Valid(c.body) {
			return c.body
		}
		return nil
	}
	m := map[string]any{}
	for k, v := range c.params {
		switch k {
		case "Action", "Version":
			continue
		}
		if len(v) == 1 {
			m[k] = v[0]
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// queryService guesses the Query service of a request from its signature's
// credential scope, for errors raised before the signature is verified.
func queryService(r *http.Request) string {
	scope := r.Header.Get("Authorization")
	if scope == "" {
		scope = r.URL.Query().Get("X-Amz-Credential")
	}
	if strings.Contains(scope, "/sts/aws4_request") {
		return "sts"
	}
	return "iam"
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newRequestID returns a request id in AWS's form: a random UUID.
func newRequestID(rnd io.Reader) string {
	id, err := protocol.NewUUID(rnd)
	if err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 16)
	}
	return id.String()
}

// sigv4Error turns a signature failure into the protocol's wire error.
func sigv4Error(p awsapi.Protocol, err error) error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	sp := sigv4.Query
	if p == awsapi.JSON {
		sp = sigv4.JSON
	}
	return &awsapi.Error{Code: e.Code(sp), Message: e.Message, Status: e.HTTPStatus(sp)}
}
