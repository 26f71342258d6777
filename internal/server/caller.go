package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/sigv4"
	"github.com/sesame-sh/sesame/internal/store"
)

// caller is who signed a request: an IAM user (long-term key) or a role
// session (STS credentials).
type caller struct {
	principal   *iam.Principal
	userID      string // AIDA... or AROA...:session
	accessKeyID string
	entity      store.Entity // the user or the role
	tags        map[string]string
	session     *sessionToken // role sessions only
	issuedAt    time.Time

	set *iam.PolicySet // resolved on first use
	// principalKeys, if set, are principalContext's keys, prepared once
	// for a cached caller; requests clone them.
	principalKeys *iam.Context
}

type tokenKey struct{}

// keyMemo carries the access key the signature check read to loadCaller,
// so that a request reads it once.
type keyMemo struct {
	key store.AccessKey
	ok  bool
}

type keyMemoKey struct{}

// authenticate verifies the request's signature and finds the caller.
func (s *Server) authenticate(ctx context.Context, c *call, body []byte) (*sigv4.Result, error) {
	token := c.r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = c.r.URL.Query().Get("X-Amz-Security-Token")
	}
	memo := &keyMemo{}
	r := c.r.WithContext(context.WithValue(context.WithValue(ctx, tokenKey{}, token), keyMemoKey{}, memo))
	res, err := s.verifier.Verify(r, body)
	if err != nil {
		return nil, sigv4Error(c.proto, err)
	}
	c.caller, err = s.loadCaller(ctx, res.AccessKeyID, token, memo)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// lookupKey gives the verifier the secret of an access key: a user's
// stored key, or for temporary credentials the secret derived from the
// session token the request carries.
func (s *Server) lookupKey(ctx context.Context, id string) (sigv4.Credentials, error) {
	if strings.HasPrefix(id, "ASIA") {
		token, _ := ctx.Value(tokenKey{}).(string)
		st, err := s.tokens.open(token)
		if err != nil || st.AccessKeyID != id {
			return sigv4.Credentials{}, sigv4.ErrUnknownKey
		}
		return sigv4.Credentials{AccessKeyID: id, Secret: s.tokens.secret(id), SessionToken: token, Expires: st.Expires}, nil
	}
	k, err := s.cachedAccessKey(ctx, id)
	if memo, _ := ctx.Value(keyMemoKey{}).(*keyMemo); memo != nil && err == nil {
		memo.key, memo.ok = k, true
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.Status != store.AccessKeyActive) {
		return sigv4.Credentials{}, sigv4.ErrUnknownKey
	}
	if err != nil {
		return sigv4.Credentials{}, err
	}
	return sigv4.Credentials{AccessKeyID: k.ID, Secret: k.Secret, Principal: k.UserName}, nil
}

func (s *Server) loadCaller(ctx context.Context, keyID, token string, memo *keyMemo) (*caller, error) {
	if strings.HasPrefix(keyID, "ASIA") {
		st, err := s.tokens.open(token)
		if err != nil {
			return nil, awsapi.Errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		role, err := s.cachedRole(ctx, st.RoleName)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, awsapi.Errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
			}
			return nil, err
		}
		p, err := iam.ParsePrincipal(fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.cfg.Partition, s.cfg.Account, role.Name, st.SessionName))
		if err != nil {
			return nil, err
		}
		tags := tagMap(role.Tags)
		for k, v := range st.Tags {
			tags[k] = v // session tags win over the role's
		}
		return &caller{principal: p, userID: role.ID + ":" + st.SessionName, accessKeyID: keyID,
			entity: store.Entity{Kind: store.EntityRole, Name: role.Name}, tags: tags, session: st, issuedAt: st.Issued}, nil
	}
	k := memo.key
	if !memo.ok || k.ID != keyID {
		var err error
		if k, err = s.cachedAccessKey(ctx, keyID); err != nil {
			return nil, err
		}
	}
	u, err := s.cachedUserCaller(ctx, k.UserName)
	if err != nil {
		return nil, err
	}
	cl := *u // the cached one is shared
	cl.accessKeyID = keyID
	return &cl, nil
}

// cachedUserCaller returns a user as a caller, without its access key.
func (s *Server) cachedUserCaller(ctx context.Context, name string) (*caller, error) {
	return cached(ctx, s, cacheCaller, name, func(ctx context.Context) (*caller, error) {
		u, err := s.cfg.Store.GetUser(ctx, name)
		if err != nil {
			return nil, err
		}
		p, err := iam.ParsePrincipal(s.userARN(u))
		if err != nil {
			return nil, err
		}
		cl := &caller{principal: p, userID: u.ID, entity: store.Entity{Kind: store.EntityUser, Name: u.Name}, tags: tagMap(u.Tags)}
		cl.principalKeys = cl.principalContext()
		return cl, nil
	})
}

func (s *Server) userARN(u store.User) string {
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", s.cfg.Partition, s.cfg.Account, pathOf(u.Path), u.Name)
}

func pathOf(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func tagMap(tags []store.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// policySet returns the caller's policies, compiled: its user's or
// role's (cached), with a role session's session policy.
func (cl *caller) policySet(ctx context.Context, s *Server) (*iam.PolicySet, error) {
	if cl.set != nil {
		return cl.set, nil
	}
	set, err := s.cachedPolicySet(ctx, cl.entity)
	if err != nil {
		return nil, err
	}
	if cl.session != nil && cl.session.Policy != "" {
		p, err := s.policies.compile("session policy", iam.SessionPolicy, cl.session.Policy)
		if err != nil {
			return nil, fmt.Errorf("session policy: %w", err)
		}
		withSession := *set // the cached set is shared: not modified
		withSession.Session = p
		set = &withSession
	}
	cl.set = set
	return set, nil
}

// compilePolicySet compiles a user's or role's resolved policies.
func (s *Server) compilePolicySet(ps store.PolicySet) (*iam.PolicySet, error) {
	set := &iam.PolicySet{}
	for _, ep := range ps.Policies {
		name := ep.Name
		if !ep.Managed {
			name = fmt.Sprintf("%s/%s inline policy %s", ep.From.Kind, ep.From.Name, ep.Name)
		}
		p, err := s.policies.compile(name, iam.Identity, ep.Document)
		if err != nil {
			// A stored policy that no longer compiles must not widen
			// access: it is left out, so it can only deny more.
			s.log.Error("stored policy does not compile; ignored", "policy", name, "err", err)
			continue
		}
		set.Identity = append(set.Identity, p)
	}
	if ps.Boundary != "" {
		p, err := s.policies.compile(ps.BoundaryName, iam.Boundary, ps.Boundary)
		if err != nil {
			return nil, fmt.Errorf("permissions boundary %s: %w", ps.BoundaryName, err)
		}
		set.Boundary = p
	}
	return set, nil
}

// principalContext returns the caller's own condition keys: the
// principal's and its tags.
func (cl *caller) principalContext() *iam.Context {
	ctx := &iam.Context{}
	ctx.SetPrincipal(cl.principal, cl.userID)
	for k, v := range cl.tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	return ctx
}

// requestKeys is how many keys requestContext adds to the principal's.
const requestKeys = 9

// requestContext returns the global condition keys of the request, as AWS
// fills them.
func (cl *caller) requestContext(c *call) *iam.Context {
	var ctx *iam.Context
	if cl.principalKeys != nil {
		ctx = cl.principalKeys.CloneGrow(requestKeys)
	} else {
		ctx = cl.principalContext()
	}
	now := c.s.cfg.Clock().UTC()
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SourceIp", c.sourceIP)
	ctx.Set("aws:SecureTransport", strconv.FormatBool(c.r.TLS != nil))
	ctx.Set("aws:RequestedRegion", c.s.cfg.Region)
	ctx.Set("aws:ViaAWSService", "false")
	if cl.session != nil {
		ctx.Set("aws:TokenIssueTime", cl.issuedAt.UTC().Format(time.RFC3339))
		ctx.Set("aws:MultiFactorAuthPresent", "false")
	}
	return ctx
}

// identity is the caller as CloudTrail's userIdentity element.
func (cl *caller) identity(account string) audit.UserIdentity {
	id := audit.UserIdentity{Type: "IAMUser", PrincipalID: cl.userID, ARN: cl.principal.ARN, AccountID: account, AccessKeyID: cl.accessKeyID}
	if cl.entity.Kind == store.EntityUser {
		id.UserName = cl.entity.Name
	} else {
		id.Type = "AssumedRole"
		id.SessionContext = &audit.SessionContext{
			SessionIssuer: &audit.SessionIssuer{Type: "Role", PrincipalID: strings.SplitN(cl.userID, ":", 2)[0],
				ARN: cl.principal.RoleARN, AccountID: account, UserName: cl.entity.Name},
			Attributes: audit.SessionAttributes{CreationDate: cl.issuedAt.UTC().Format(time.RFC3339), MFAAuthenticated: "false"},
		}
	}
	return id
}
