package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// Inline policies of users, groups and roles (PutUserPolicy and its
// twins): one handler per operation serves the three kinds.

// inlineQuota is AWS's aggregate size quota, in characters without
// whitespace, for all the inline policies of one entity.
func inlineQuota(k store.EntityKind) int {
	switch k {
	case store.EntityGroup:
		return 5120
	case store.EntityRole:
		return 10240
	}
	return 2048
}

// inlineKind is the store error kind of a missing inline policy: "user
// policy", "group policy" or "role policy", as AWS's texts say.
func inlineKind(k store.EntityKind) string {
	switch k {
	case store.EntityGroup:
		return kGroupPolicy
	case store.EntityRole:
		return kRolePolicy
	}
	return kUserPolicy
}

type policyNameInput struct {
	PolicyName     string
	PolicyDocument string
}

// inlineRef decodes and checks the entity and PolicyName of an inline
// policy operation.
func inlineRef(c *call, k store.EntityKind) (store.Entity, policyNameInput, error) {
	e, err := entityOf(c, k)
	if err != nil {
		return e, policyNameInput{}, err
	}
	var in policyNameInput
	if err := c.decode(&in); err != nil {
		return e, in, err
	}
	return e, in, checkEntityName(in.PolicyName, "PolicyName", 128)
}

// putInlinePolicy is PutUserPolicy, PutGroupPolicy and PutRolePolicy.
func (s *Server) putInlinePolicy(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, in, err := inlineRef(c, k)
		if err != nil {
			return nil, err
		}
		if in.PolicyDocument == "" {
			return nil, awsapi.MissingParameter(awsapi.Query, "PolicyDocument")
		}
		if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
			return nil, err
		}
		quota := fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", inlineQuota(k), k, e.Name)
		size, err := checkPolicyDocument(in.PolicyDocument, "PolicyDocument", iam.Identity, inlineQuota(k), quota)
		if err != nil {
			return nil, err
		}
		others, err := s.inlineSize(ctx, e, in.PolicyName)
		if err != nil {
			return nil, err
		}
		if size+others > inlineQuota(k) {
			return nil, awsapi.Errorf(http.StatusConflict, "LimitExceeded", "%s", quota)
		}
		if err := s.cfg.Store.PutInlinePolicy(ctx, e, store.InlinePolicy{Name: in.PolicyName, Document: in.PolicyDocument}); err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

// inlineSize is the size of an entity's inline policies but one (the
// one a PutUserPolicy replaces).
func (s *Server) inlineSize(ctx context.Context, e store.Entity, except string) (int, error) {
	total := 0
	opts := store.ListOptions{Limit: store.MaxPageSize}
	for {
		p, err := s.cfg.Store.ListInlinePolicies(ctx, e, opts)
		if err != nil {
			return 0, storeError(err, entity{kindOf(e.Kind), e.Name})
		}
		for _, name := range p.Items {
			if name == except {
				continue
			}
			ip, err := s.cfg.Store.GetInlinePolicy(ctx, e, name)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile
			} else if err != nil {
				return 0, err
			}
			if doc, _ := iam.CheckDocument([]byte(ip.Document), iam.Identity); doc != nil {
				total += doc.Size
			}
		}
		if p.NextToken == "" {
			return total, nil
		}
		opts.Token = p.NextToken
	}
}

// inlinePolicyResult is GetUserPolicy's, GetGroupPolicy's and
// GetRolePolicy's result: the one name member of its kind is set.
type inlinePolicyResult struct {
	UserName       string `xml:",omitempty"`
	GroupName      string `xml:",omitempty"`
	RoleName       string `xml:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

// getInlinePolicy is GetUserPolicy, GetGroupPolicy and GetRolePolicy; the
// document is URL-encoded, as AWS returns it.
func (s *Server) getInlinePolicy(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, in, err := inlineRef(c, k)
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
			return nil, err
		}
		p, err := s.cfg.Store.GetInlinePolicy(ctx, e, in.PolicyName)
		if err != nil {
			return nil, storeError(err, entity{inlineKind(k), in.PolicyName})
		}
		out := &inlinePolicyResult{PolicyName: p.Name, PolicyDocument: encodeDocument(p.Document)}
		switch k {
		case store.EntityUser:
			out.UserName = e.Name
		case store.EntityGroup:
			out.GroupName = e.Name
		case store.EntityRole:
			out.RoleName = e.Name
		}
		return out, nil
	}
}

// deleteInlinePolicy is DeleteUserPolicy, DeleteGroupPolicy and
// DeleteRolePolicy.
func (s *Server) deleteInlinePolicy(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, in, err := inlineRef(c, k)
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
			return nil, err
		}
		if err := s.cfg.Store.DeleteInlinePolicy(ctx, e, in.PolicyName); err != nil {
			return nil, storeError(err, entity{inlineKind(k), in.PolicyName})
		}
		return nil, nil
	}
}

type listInlineResult struct {
	PolicyNames members[string]
	listPage
}

// listInlinePolicies is ListUserPolicies, ListGroupPolicies and
// ListRolePolicies.
func (s *Server) listInlinePolicies(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		opts, err := iamListOptions(c)
		if err != nil {
			return nil, err
		}
		if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
			return nil, err
		}
		p, err := s.cfg.Store.ListInlinePolicies(ctx, e, opts)
		if err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return &listInlineResult{PolicyNames: append(members[string]{}, p.Items...), listPage: listPageOf(p.NextToken)}, nil
	}
}
