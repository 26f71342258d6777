package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

func (s *Server) registerSTS() {
	s.register("sts", "GetCallerIdentity", true, s.getCallerIdentity)
	s.register("sts", "AssumeRole", false, s.assumeRole)
}

type callerIdentityResult struct {
	Arn     string
	UserId  string
	Account string
}

// getCallerIdentity needs no permission: AWS answers it even when an
// explicit Deny covers sts:GetCallerIdentity.
func (s *Server) getCallerIdentity(ctx context.Context, c *call) (any, error) {
	c.authorized, c.decision = true, iam.Allowed
	return &callerIdentityResult{Arn: c.caller.principal.ARN, UserId: c.caller.userID, Account: s.cfg.Account}, nil
}

type assumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	DurationSeconds int
	Policy          string
	Tags            []struct{ Key, Value string }
	ExternalId      string
	SourceIdentity  string
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct {
		Arn           string
		AssumedRoleId string
	}
	PackedPolicySize int
}

var roleSessionName = regexp.MustCompile(`^[\w+=,.@-]*$`)

func (s *Server) assumeRole(ctx context.Context, c *call) (any, error) {
	var in assumeRoleInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	switch {
	case in.RoleArn == "":
		return nil, awsapi.MissingParameter(awsapi.Query, "RoleArn")
	case in.RoleSessionName == "":
		return nil, awsapi.MissingParameter(awsapi.Query, "RoleSessionName")
	case len(in.RoleSessionName) < 2:
		return nil, awsapi.Validation(awsapi.Query, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2", in.RoleSessionName)
	case len(in.RoleSessionName) > 64:
		return nil, awsapi.Validation(awsapi.Query, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", in.RoleSessionName)
	case !roleSessionName.MatchString(in.RoleSessionName):
		return nil, awsapi.Validation(awsapi.Query, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", in.RoleSessionName)
	case len(in.Policy) > 2048:
		return nil, awsapi.Errorf(http.StatusBadRequest, "PackedPolicyTooLarge", "Packed size of the session policy exceeds the limit.")
	}
	roleName, err := s.roleNameFromARN(in.RoleArn)
	if err != nil {
		return nil, err
	}
	role, err := s.cfg.Store.GetRole(ctx, roleName)
	if errors.Is(err, store.ErrNotFound) {
		// AWS answers AccessDenied, not NoSuchEntity, so that callers
		// cannot probe for role names.
		return nil, awsapi.AccessDenied(awsapi.Query, iam.AccessDeniedMessage(c.caller.principal.ARN, "sts:AssumeRole", in.RoleArn, iam.Result{}))
	} else if err != nil {
		return nil, err
	}
	trust, err := s.policies.compile("trust policy of role "+role.Name, iam.Trust, role.AssumeRolePolicy)
	if err != nil {
		return nil, fmt.Errorf("trust policy of role %s: %w", role.Name, err)
	}
	arn := s.roleARN(role)
	if err := c.authorize(iam.Resource{ARN: arn, Policy: trust}); err != nil {
		return nil, err
	}
	// A role's trust policy must allow the caller itself: an identity
	// policy alone never lets anyone assume a role.
	req := iam.Request{Principal: c.caller.principal, Action: "sts:AssumeRole", Resource: arn, Context: c.caller.requestContext(c)}
	if !trust.Allows(&req) {
		c.authorized, c.decision, c.denied = false, iam.ImplicitDeny, arn
		c.reason = "the role's trust policy does not allow this principal"
		return nil, awsapi.AccessDenied(awsapi.Query, iam.AccessDeniedMessage(c.caller.principal.ARN, "sts:AssumeRole", arn, iam.Result{}))
	}
	if in.Policy != "" {
		if _, err := iam.ParseDocument([]byte(in.Policy), iam.SessionPolicy); err != nil {
			return nil, awsapi.Errorf(http.StatusBadRequest, "MalformedPolicyDocument", "%v", err)
		}
	}
	maxDur := role.MaxSessionDuration
	if maxDur == 0 {
		maxDur = time.Hour
	}
	dur := time.Duration(in.DurationSeconds) * time.Second
	if in.DurationSeconds == 0 {
		dur = time.Hour
	}
	if dur < 15*time.Minute || dur > maxDur {
		return nil, awsapi.Validation(awsapi.Query, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	now := s.cfg.Clock().UTC()
	st := &sessionToken{AccessKeyID: s.newID("ASIA", 20), RoleName: role.Name, SessionName: in.RoleSessionName,
		Policy: in.Policy, Issued: now, Expires: now.Add(dur)}
	if len(in.Tags) > 0 {
		st.Tags = map[string]string{}
		for _, t := range in.Tags {
			st.Tags[t.Key] = t.Value
		}
	}
	token, err := s.tokens.seal(st)
	if err != nil {
		return nil, err
	}
	out := &assumeRoleResult{}
	out.Credentials.AccessKeyId = st.AccessKeyID
	out.Credentials.SecretAccessKey = s.tokens.secret(st.AccessKeyID)
	out.Credentials.SessionToken = token
	out.Credentials.Expiration = st.Expires.Format(time.RFC3339)
	out.AssumedRoleUser.Arn = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.cfg.Partition, s.cfg.Account, role.Name, in.RoleSessionName)
	out.AssumedRoleUser.AssumedRoleId = role.ID + ":" + in.RoleSessionName
	if in.Policy != "" {
		out.PackedPolicySize = len(in.Policy) * 100 / 2048
	}
	return out, nil
}

func (s *Server) roleARN(r store.Role) string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", s.cfg.Partition, s.cfg.Account, pathOf(r.Path), r.Name)
}

// roleNameFromARN reads a role ARN of this server's account.
func (s *Server) roleNameFromARN(arn string) (string, error) {
	a, err := iam.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return "", awsapi.Validation(awsapi.Query, "%s is invalid", arn)
	}
	if a.Account != s.cfg.Account {
		return "", awsapi.AccessDenied(awsapi.Query, fmt.Sprintf("Roles of account %s cannot be assumed through this server.", a.Account))
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:], nil
}
