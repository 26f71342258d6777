package iam

import (
	"fmt"
	"strings"
)

// PrincipalType is the aws:PrincipalType of a caller.
type PrincipalType uint8

const (
	PrincipalUser PrincipalType = iota + 1
	PrincipalAssumedRole
	PrincipalFederatedUser
	PrincipalAccount // the account's root user
	PrincipalRole    // a role itself (simulation only; callers are sessions)
	PrincipalService
	PrincipalAnonymous
)

func (t PrincipalType) String() string {
	switch t {
	case PrincipalUser:
		return "User"
	case PrincipalAssumedRole:
		return "AssumedRole"
	case PrincipalFederatedUser:
		return "FederatedUser"
	case PrincipalAccount:
		return "Account"
	case PrincipalRole:
		return "Role"
	case PrincipalService:
		return "Service"
	case PrincipalAnonymous:
		return "Anonymous"
	}
	return "Unknown"
}

// Principal is the caller of a request, read from its ARN.
type Principal struct {
	ARN     string
	Type    PrincipalType
	Account string
	// Name is the user name, the role session name or the federated user
	// name: what session ids start with.
	Name string
	// RoleARN is the role of an assumed-role session (without its path,
	// which the session ARN does not carry).
	RoleARN string
	// Service is the service principal name, e.g. ssm.amazonaws.com.
	Service string
}

// ParsePrincipal reads a caller ARN: a user, an assumed-role session, a
// federated user, a role, an account root, a service principal name such
// as ssm.amazonaws.com, or "*" for anonymous.
func ParsePrincipal(s string) (*Principal, error) {
	if s == "*" || s == "anonymous" {
		return &Principal{ARN: "*", Type: PrincipalAnonymous}, nil
	}
	if !strings.HasPrefix(s, "arn:") && strings.HasSuffix(s, ".amazonaws.com") {
		return &Principal{ARN: s, Type: PrincipalService, Service: s}, nil
	}
	a, err := ParseARN(s)
	if err != nil {
		return nil, err
	}
	p := &Principal{ARN: s, Account: a.Account}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	last := rest[strings.LastIndexByte(rest, '/')+1:]
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.Type = PrincipalAccount
	case a.Service == "iam" && kind == "user" && last != "":
		p.Type, p.Name = PrincipalUser, last
	case a.Service == "iam" && kind == "role" && last != "":
		p.Type, p.Name, p.RoleARN = PrincipalRole, last, s
	case a.Service == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || role == "" || session == "" {
			return nil, fmt.Errorf("invalid assumed-role ARN %q: expected assumed-role/ROLE/SESSION", s)
		}
		p.Type, p.Name = PrincipalAssumedRole, session
		p.RoleARN = "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + role
	case a.Service == "sts" && kind == "federated-user" && rest != "":
		p.Type, p.Name = PrincipalFederatedUser, rest
	default:
		return nil, fmt.Errorf("invalid principal ARN %q: expected a user, role, assumed-role session, federated user or root ARN", s)
	}
	if a.Account == "" {
		return nil, fmt.Errorf("invalid principal ARN %q: the account field is empty", s)
	}
	return p, nil
}

// SetPrincipal sets the global keys AWS derives from the caller:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username
// (IAM users only) and aws:userid when userID is known (AIDA... for users,
// AROA...:session for role sessions).
func (c *Context) SetPrincipal(p *Principal, userID string) {
	switch p.Type {
	case PrincipalAssumedRole:
		c.Set("aws:PrincipalArn", p.RoleARN)
	case PrincipalService, PrincipalAnonymous:
	default:
		c.Set("aws:PrincipalArn", p.ARN)
	}
	if p.Account != "" {
		c.Set("aws:PrincipalAccount", p.Account)
	}
	if p.Type != PrincipalRole && p.Type != PrincipalService {
		c.Set("aws:PrincipalType", p.Type.String())
	}
	if p.Type == PrincipalUser {
		c.Set("aws:username", p.Name)
	}
	switch {
	case userID != "":
		c.Set("aws:userid", userID)
	case p.Type == PrincipalAccount:
		c.Set("aws:userid", p.Account)
	case p.Type == PrincipalFederatedUser:
		c.Set("aws:userid", p.Account+":"+p.Name)
	case p.Type == PrincipalAnonymous:
		c.Set("aws:userid", "anonymous")
	}
}

// principalMatch is how a resource policy's Principal named the caller,
// which decides whether its Allow stands on its own (same account).
type principalMatch uint8

const (
	principalNone    principalMatch = iota
	principalAccount                // the caller's account: delegates to identity policies
	principalOther                  // "*", a role ARN, a service
	principalDirect                 // the user ARN or the session ARN itself
)

type principalPattern struct {
	kind  string // "*", AWS, Service, Federated, CanonicalUser
	value string
}

func (pp *principalPattern) match(p *Principal) principalMatch {
	if p == nil {
		return principalNone
	}
	switch pp.kind {
	case "*":
		return principalOther
	case "Service":
		if p.Type == PrincipalService && p.Service == pp.value {
			return principalOther
		}
		return principalNone
	case "AWS":
	default:
		return principalNone
	}
	v := pp.value
	switch {
	case v == "*":
		return principalOther
	case isDigits(v) && len(v) == 12:
		if p.Account == v {
			return principalAccount
		}
	case strings.HasPrefix(v, "arn:") && strings.HasSuffix(v, ":root"):
		if a, err := ParseARN(v); err == nil && a.Account == p.Account && p.Account != "" {
			return principalAccount
		}
	case v == p.ARN:
		if p.Type == PrincipalRole {
			return principalOther
		}
		return principalDirect
	case p.RoleARN != "" && roleARNEqual(v, p.RoleARN):
		return principalOther
	}
	return principalNone
}

// roleARNEqual compares a role ARN from a policy (which may carry a path)
// with a session's role ARN (which does not).
func roleARNEqual(policyARN, roleARN string) bool {
	a, err := ParseARN(policyARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return false
	}
	b, err := ParseARN(roleARN)
	if err != nil {
		return false
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	return a.Account == b.Account && "role/"+name == b.Resource
}
