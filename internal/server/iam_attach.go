package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/store"
)

// Managed policies attached to users, groups and roles, and permissions
// boundaries. Each operation has a User, Group and Role twin that differ
// only in the member naming the entity; one handler serves the three.

// policyArnOf decodes and checks PolicyArn.
func (s *Server) policyArnOf(c *call, member string) (string, error) {
	var in struct {
		PolicyArn           string
		PermissionsBoundary string
	}
	if err := c.decode(&in); err != nil {
		return "", err
	}
	arn := in.PolicyArn
	if member == "PermissionsBoundary" {
		arn = in.PermissionsBoundary
	}
	if arn == "" {
		return "", awsapi.MissingParameter(awsapi.Query, member)
	}
	if err := checkMemberLength(arn, lowerInitial(member), 20, 2048); err != nil {
		return "", err
	}
	if _, _, err := s.policyName(arn); err != nil {
		return "", err
	}
	return arn, nil
}

// attachPolicy is AttachUserPolicy, AttachGroupPolicy and
// AttachRolePolicy, authorized on the entity with iam:PolicyARN.
func (s *Server) attachPolicy(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		arn, err := s.policyArnOf(c, "PolicyArn")
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, map[string]string{"iam:PolicyARN": arn}); err != nil {
			return nil, err
		}
		p, err := s.managedPolicy(ctx, arn)
		if err != nil {
			return nil, err
		}
		if err := s.cfg.Store.AttachPolicy(ctx, e, p.Name); err != nil {
			if errors.Is(err, store.ErrLimitExceeded) {
				return nil, storeError(err, entity{kQuota, fmt.Sprintf("PoliciesPer%s: %d", capital(string(k)), store.MaxAttachedPolicies)})
			}
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

// detachPolicy is DetachUserPolicy, DetachGroupPolicy and
// DetachRolePolicy.
func (s *Server) detachPolicy(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		arn, err := s.policyArnOf(c, "PolicyArn")
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, map[string]string{"iam:PolicyARN": arn}); err != nil {
			return nil, err
		}
		p, err := s.managedPolicy(ctx, arn)
		if err != nil {
			return nil, err
		}
		if err := s.cfg.Store.DetachPolicy(ctx, e, p.Name); err != nil {
			return nil, storeError(err, entity{kAttached, arn})
		}
		return nil, nil
	}
}

type attachedXML struct {
	PolicyName string
	PolicyArn  string
}

type listAttachedResult struct {
	AttachedPolicies members[attachedXML]
	listPage
}

// listAttachedPolicies is ListAttachedUserPolicies, ...Group... and
// ...Role...; PathPrefix filters the policies by path.
func (s *Server) listAttachedPolicies(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		var in pathPrefixInput
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := checkPolicyPath(in.PathPrefix); err != nil {
			return nil, err
		}
		opts, err := iamListOptions(c)
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
			return nil, err
		}
		p, err := s.cfg.Store.ListAttachedPolicies(ctx, e, opts)
		if err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		out := &listAttachedResult{AttachedPolicies: members[attachedXML]{}, listPage: listPageOf(p.NextToken)}
		for _, pol := range p.Items {
			if in.PathPrefix != "" && !strings.HasPrefix(pathOf(pol.Path), in.PathPrefix) {
				continue
			}
			out.AttachedPolicies = append(out.AttachedPolicies, attachedXML{PolicyName: pol.Name, PolicyArn: s.policyARN(pol)})
		}
		return out, nil
	}
}

// putBoundary is PutUserPermissionsBoundary and PutRolePermissionsBoundary,
// authorized on the entity with iam:PermissionsBoundary.
func (s *Server) putBoundary(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		arn, err := s.policyArnOf(c, "PermissionsBoundary")
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, map[string]string{"iam:PermissionsBoundary": arn}); err != nil {
			return nil, err
		}
		p, err := s.managedPolicy(ctx, arn)
		if err != nil {
			return nil, err
		}
		if err := s.cfg.Store.SetPermissionsBoundary(ctx, e, p.Name); err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

// deleteBoundary is DeleteUserPermissionsBoundary and
// DeleteRolePermissionsBoundary.
func (s *Server) deleteBoundary(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		res, found, err := s.entityResource(ctx, k, e.Name)
		if err != nil {
			return nil, err
		}
		var boundary string
		if found {
			if boundary, err = s.boundaryARN(ctx, e); err != nil {
				return nil, err
			}
		}
		if boundary != "" {
			res.Context.Set("iam:PermissionsBoundary", boundary)
		}
		if err := c.authorize(res); err != nil {
			return nil, err
		}
		if !found {
			return nil, storeError(store.ErrNotFound, entity{kindOf(k), e.Name})
		}
		if err := s.cfg.Store.SetPermissionsBoundary(ctx, e, ""); err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

// boundaryARN returns the ARN of a user's or role's boundary, or "".
func (s *Server) boundaryARN(ctx context.Context, e store.Entity) (string, error) {
	var name string
	switch e.Kind {
	case store.EntityUser:
		u, err := s.cfg.Store.GetUser(ctx, e.Name)
		if err != nil {
			return "", storeError(err, entity{kUser, e.Name})
		}
		name = u.PermissionsBoundary
	case store.EntityRole:
		r, err := s.cfg.Store.GetRole(ctx, e.Name)
		if err != nil {
			return "", storeError(err, entity{kRole, e.Name})
		}
		name = r.PermissionsBoundary
	}
	b, err := s.boundaryOf(ctx, name)
	if err != nil || b == nil {
		return "", err
	}
	return b.PermissionsBoundaryArn, nil
}
