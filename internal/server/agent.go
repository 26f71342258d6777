package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/store"
)

// The agent endpoints. They are sesame's own, not an AWS API (AWS's
// agent registers through a private SSM operation): JSON over the API
// listener, version 1.
//
//	POST /agent/v1/register
//	  {"ActivationId": "<uuid>", "ActivationCode": "<code>",
//	   "InstanceId": "i-..." (optional: the host is an EC2 instance),
//	   "Hostname": "web1", "PlatformType": "Linux" | "Windows" | "MacOS",
//	   "PlatformName": "Ubuntu", "PlatformVersion": "24.04",
//	   "AgentVersion": "3.3.1.0", "IPAddress": "10.0.0.5"}
//	  200 {"InstanceId": "mi-<17 hex>" or the given id,
//	       "Token": "<node credentials>", "HeartbeatInterval": 30}
//
//	POST /agent/v1/heartbeat          Authorization: Bearer <Token>
//	  {"Hostname", "PlatformType", ..., "IPAddress"}  (all optional: the
//	  host's current information; an empty body only pings)
//	  200 {"InstanceId": "...", "PingStatus": "Online", "HeartbeatInterval": 30}
//
// Errors are {"Code": "...", "Message": "..."} with the HTTP status:
// 400 InvalidRequest (malformed JSON, unknown or invalid member),
// 400 InvalidActivation (unknown activation or wrong code: one answer, so
// that ids cannot be probed), 400 ActivationExpired, 400
// RegistrationLimitExceeded, 409 InstanceIdExists, 401 InvalidToken
// (WWW-Authenticate: Bearer), 413 RequestEntityTooLarge, 404 NotFound,
// 405 MethodNotAllowed, 500 InternalFailure.
//
// Registration checks the activation code in constant time, then its
// expiry and registration limit (in the store's transaction); the node
// gets the activation's tags, IAM role and default name. The server keeps
// only hashes of activation codes and node tokens. A node is Online while
// it heartbeats: DescribeInstanceInformation reports ConnectionLost once
// its last ping is older than nodePingTimeout, computed when read.

const (
	// nodeHeartbeat is how often agents are asked to heartbeat.
	nodeHeartbeat = 30 * time.Second
	// nodePingTimeout is how old a node's last ping may be for the node
	// to count as Online.
	nodePingTimeout = 3*nodeHeartbeat + 10*time.Second
	// maxAgentBody bounds the agent endpoints' request bodies.
	maxAgentBody = 16 << 10
)

// mountAgent adds the agent endpoints to mux.
func (s *Server) mountAgent(mux *http.ServeMux) {
	mux.HandleFunc("POST /agent/v1/register", s.agentRegister)
	mux.HandleFunc("POST /agent/v1/heartbeat", s.agentHeartbeat)
	mux.HandleFunc("/agent/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/agent/v1/register", "/agent/v1/heartbeat":
			w.Header().Set("Allow", http.MethodPost)
			agentError(w, &agentErr{http.StatusMethodNotAllowed, "MethodNotAllowed", "Use POST."})
		default:
			agentError(w, &agentErr{http.StatusNotFound, "NotFound", "No agent endpoint at " + r.URL.Path + "."})
		}
	})
}

// agentErr is an error of the agent endpoints.
type agentErr struct {
	status  int
	code    string
	message string
}

func (e *agentErr) Error() string { return e.code + ": " + e.message }

func badAgentRequest(format string, args ...any) *agentErr {
	return &agentErr{http.StatusBadRequest, "InvalidRequest", fmt.Sprintf(format, args...)}
}

var errAgentInternal = &agentErr{http.StatusInternalServerError, "InternalFailure", "The server could not complete the request."}

func agentError(w http.ResponseWriter, e *agentErr) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sesame-agent"`)
	}
	agentJSON(w, e.status, struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	}{e.code, e.message})
}

func agentJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Code":"InternalFailure","Message":"The server could not complete the request."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// nodeInfo is what an agent reports about its host.
type nodeInfo struct {
	Hostname        string `json:"Hostname,omitempty"`
	PlatformType    string `json:"PlatformType,omitempty"`
	PlatformName    string `json:"PlatformName,omitempty"`
	PlatformVersion string `json:"PlatformVersion,omitempty"`
	AgentVersion    string `json:"AgentVersion,omitempty"`
	IPAddress       string `json:"IPAddress,omitempty"`
}

// registration is a registration request.
type registration struct {
	ActivationID   string `json:"ActivationId"`
	ActivationCode string `json:"ActivationCode"`
	InstanceID     string `json:"InstanceId,omitempty"`
	nodeInfo
}

var ec2InstanceID = regexp.MustCompile(`^i-(\w{8}|\w{17})$`) // the SSM model's pattern

// decodeRegistration reads and checks a registration request: strict
// JSON (one object, no unknown members) whose members are all valid.
func decodeRegistration(body []byte) (*registration, error) {
	var r registration
	if err := decodeAgentJSON(body, &r); err != nil {
		return nil, err
	}
	switch {
	case !patActivationID.re.MatchString(r.ActivationID):
		return nil, badAgentRequest("ActivationId must be an activation id (a lowercase UUID).")
	case len(r.ActivationCode) < activationCodeLength || len(r.ActivationCode) > 250 || !printable(r.ActivationCode):
		return nil, badAgentRequest("ActivationCode must be the %d-character code CreateActivation returned.", activationCodeLength)
	case r.InstanceID != "" && !ec2InstanceID.MatchString(r.InstanceID):
		return nil, badAgentRequest("InstanceId %q is not an EC2 instance id (i- and 8 or 17 letters or digits).", r.InstanceID)
	case r.Hostname == "":
		return nil, badAgentRequest("Hostname is required.")
	case r.PlatformType == "":
		return nil, badAgentRequest("PlatformType is required: Linux, Windows or MacOS.")
	}
	if err := r.nodeInfo.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeHeartbeat reads a heartbeat request; an empty body is a ping
// without information.
func decodeHeartbeat(body []byte) (*nodeInfo, error) {
	var n nodeInfo
	if len(bytes.TrimSpace(body)) == 0 {
		return &n, nil
	}
	if err := decodeAgentJSON(body, &n); err != nil {
		return nil, err
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	return &n, nil
}

func decodeAgentJSON(body []byte, v any) error {
	if len(body) > maxAgentBody {
		return &agentErr{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("The request body must be %d bytes or less.", maxAgentBody)}
	}
	if !utf8.Valid(body) {
		return badAgentRequest("The request body is not UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return badAgentRequest("%s must be a %s.", strings.TrimPrefix(te.Field, "nodeInfo."), te.Type)
		case errors.Is(err, io.EOF):
			return badAgentRequest("The request body is empty: send a JSON object.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return badAgentRequest("Unknown member %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return badAgentRequest("The request body is not a JSON object: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return badAgentRequest("The request body holds more than one JSON value.")
	}
	return nil
}

// check validates the members that are set.
func (n *nodeInfo) check() error {
	fields := []struct {
		name, value string
		max         int
	}{
		{"Hostname", n.Hostname, 255},
		{"PlatformName", n.PlatformName, 120},
		{"PlatformVersion", n.PlatformVersion, 120},
	}
	for _, f := range fields {
		if utf8.RuneCountInString(f.value) > f.max || !printable(f.value) {
			return badAgentRequest("%s must be at most %d printable characters.", f.name, f.max)
		}
	}
	switch n.PlatformType {
	case "", "Linux", "Windows", "MacOS":
	default:
		return badAgentRequest("PlatformType %q is not one of Linux, Windows, MacOS.", n.PlatformType)
	}
	if n.AgentVersion != "" && !patAgentVersion.re.MatchString(n.AgentVersion) {
		return badAgentRequest("AgentVersion %q is not a version such as 3.3.1.0.", n.AgentVersion)
	}
	if n.IPAddress != "" {
		if _, err := netip.ParseAddr(n.IPAddress); err != nil || len(n.IPAddress) > 46 {
			return badAgentRequest("IPAddress %q is not an IP address.", n.IPAddress)
		}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func (n *nodeInfo) toStore() store.NodeInfo {
	return store.NodeInfo{PlatformType: n.PlatformType, PlatformName: n.PlatformName, PlatformVersion: n.PlatformVersion,
		AgentVersion: n.AgentVersion, IPAddress: n.IPAddress, ComputerName: n.Hostname}
}

type registrationResult struct {
	InstanceID        string `json:"InstanceId"`
	Token             string `json:"Token"`
	HeartbeatInterval int    `json:"HeartbeatInterval"`
}

func readAgentBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAgentBody+1))
	if err != nil {
		return nil, badAgentRequest("Could not read the request body.")
	}
	return b, nil
}

// agentRegister serves POST /agent/v1/register.
func (s *Server) agentRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := readAgentBody(r)
	var res *registrationResult
	var req *registration
	if err == nil {
		req, err = decodeRegistration(body)
	}
	if err == nil {
		if req.IPAddress == "" {
			req.IPAddress = sourceIP(r)
		}
		res, err = s.registerNode(ctx, req)
	}
	s.auditRegistration(ctx, r, req, res, err)
	var ae *agentErr
	switch {
	case err == nil:
		agentJSON(w, http.StatusOK, res)
	case errors.As(err, &ae):
		agentError(w, ae)
	default:
		s.log.Error("agent registration failed", "err", err)
		agentError(w, errAgentInternal)
	}
}

// registerNode registers one node.
func (s *Server) registerNode(ctx context.Context, req *registration) (*registrationResult, error) {
	invalid := &agentErr{http.StatusBadRequest, "InvalidActivation", "The activation id or code is not valid."}
	a, err := s.cfg.Store.GetActivation(ctx, req.ActivationID)
	if errors.Is(err, store.ErrNotFound) {
		// Compare anyway, so that a missing activation costs the same.
		subtle.ConstantTimeCompare(activationCodeHash(req.ActivationCode), activationCodeHash(""))
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(activationCodeHash(req.ActivationCode), a.CodeHash) != 1 {
		return nil, invalid
	}
	now := s.cfg.Clock().UTC()
	id := req.InstanceID
	if id == "" {
		id = "mi-" + s.newHex(17)
	}
	token := s.nodeToken(id)
	n := store.Node{ID: id, ActivationID: a.ID, CredentialsHash: nodeTokenHash(token), Info: req.nodeInfo.toStore(),
		PingStatus: store.PingConnectionLost, RegisteredAt: now}
	err = s.cfg.Store.RegisterNode(ctx, a.ID, n)
	switch {
	case errors.Is(err, store.ErrExpired):
		return nil, &agentErr{http.StatusBadRequest, "ActivationExpired", fmt.Sprintf("Activation %s has expired.", a.ID)}
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, &agentErr{http.StatusBadRequest, "RegistrationLimitExceeded", fmt.Sprintf("Activation %s has reached its registration limit (%d).", a.ID, a.RegistrationLimit)}
	case errors.Is(err, store.ErrExists):
		return nil, &agentErr{http.StatusConflict, "InstanceIdExists", fmt.Sprintf("Instance %s is already registered.", id)}
	case errors.Is(err, store.ErrNotFound):
		return nil, invalid // deleted since we read it
	case err != nil:
		return nil, err
	}
	s.log.Info("node registered", "instance_id", id, "activation_id", a.ID)
	return &registrationResult{InstanceID: id, Token: token, HeartbeatInterval: int(nodeHeartbeat / time.Second)}, nil
}

// nodeToken returns new credentials for node id: the id, a dot, and 256
// random bits.
func (s *Server) nodeToken(id string) string {
	buf := make([]byte, 32)
	if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
		panic("server: random source failed: " + err.Error())
	}
	return id + "." + base64.RawURLEncoding.EncodeToString(buf)
}

// nodeTokenHash is what the store keeps of a node's token.
func nodeTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("sesame node token\x00" + token))
	return h[:]
}

func (s *Server) auditRegistration(ctx context.Context, r *http.Request, req *registration, res *registrationResult, err error) {
	rec := &audit.Record{
		EventTime:          s.cfg.Clock().UTC(),
		EventSource:        "ssm.amazonaws.com",
		EventName:          "RegisterManagedInstance",
		AWSRegion:          s.cfg.Region,
		SourceIPAddress:    sourceIP(r),
		UserAgent:          r.UserAgent(),
		RequestID:          newRequestID(s.cfg.Rand),
		RecipientAccountID: s.cfg.Account,
		UserIdentity:       audit.UserIdentity{Type: "Unknown"},
	}
	if req != nil {
		rec.RequestParameters = req
		rec.UserIdentity.PrincipalID = req.ActivationID
	}
	if res != nil {
		rec.ResponseElements = res
		rec.Resources = []audit.Resource{audit.ResourceOf(s.nodeARN(res.InstanceID))}
	}
	var ae *agentErr
	switch {
	case errors.As(err, &ae):
		rec.ErrorCode, rec.ErrorMessage = ae.code, ae.message
	case err != nil:
		rec.ErrorCode, rec.ErrorMessage = errAgentInternal.code, errAgentInternal.message
	}
	if werr := s.cfg.Audit.Write(ctx, rec); werr != nil {
		s.log.Error("audit write failed", "event", rec.EventName, "err", werr)
	}
}

type heartbeatResult struct {
	InstanceID        string `json:"InstanceId"`
	PingStatus        string `json:"PingStatus"`
	HeartbeatInterval int    `json:"HeartbeatInterval"`
}

// agentHeartbeat serves POST /agent/v1/heartbeat.
func (s *Server) agentHeartbeat(w http.ResponseWriter, r *http.Request) {
	res, err := s.heartbeat(r)
	var ae *agentErr
	switch {
	case err == nil:
		agentJSON(w, http.StatusOK, res)
	case errors.As(err, &ae):
		agentError(w, ae)
	default:
		s.log.Error("agent heartbeat failed", "err", err)
		agentError(w, errAgentInternal)
	}
}

func (s *Server) heartbeat(r *http.Request) (*heartbeatResult, error) {
	ctx := r.Context()
	n, err := s.nodeOfToken(ctx, r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	body, err := readAgentBody(r)
	if err != nil {
		return nil, err
	}
	info, err := decodeHeartbeat(body)
	if err != nil {
		return nil, err
	}
	if *info != (nodeInfo{}) {
		next := mergeInfo(n.Info, info.toStore())
		if next != n.Info {
			if err := s.cfg.Store.UpdateNodeInfo(ctx, n.ID, next); err != nil {
				return nil, err
			}
		}
	}
	defer s.cache.forgetNode(n.ID) // its status changes under the cache
	if err := s.cfg.Store.RecordPing(ctx, n.ID, store.PingOnline, s.cfg.Clock().UTC()); err != nil {
		return nil, err
	}
	return &heartbeatResult{InstanceID: n.ID, PingStatus: string(store.PingOnline), HeartbeatInterval: int(nodeHeartbeat / time.Second)}, nil
}

// mergeInfo returns old with the members next sets.
func mergeInfo(old, next store.NodeInfo) store.NodeInfo {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&old.PlatformType, next.PlatformType)
	set(&old.PlatformName, next.PlatformName)
	set(&old.PlatformVersion, next.PlatformVersion)
	set(&old.AgentVersion, next.AgentVersion)
	set(&old.IPAddress, next.IPAddress)
	set(&old.ComputerName, next.ComputerName)
	return old
}

// nodeOfToken authenticates an agent by its bearer token.
func (s *Server) nodeOfToken(ctx context.Context, header string) (store.Node, error) {
	denied := &agentErr{http.StatusUnauthorized, "InvalidToken", "The node credentials are missing or not valid."}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(token) > 256 {
		return store.Node{}, denied
	}
	id, _, ok := strings.Cut(token, ".")
	if !ok || !patInstanceID.re.MatchString(id) {
		return store.Node{}, denied
	}
	n, err := s.cfg.Store.GetNode(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Node{}, denied
	}
	if err != nil {
		return store.Node{}, err
	}
	if subtle.ConstantTimeCompare(nodeTokenHash(token), n.CredentialsHash) != 1 {
		return store.Node{}, denied
	}
	return n, nil
}
