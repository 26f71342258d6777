package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// userXML is IAM's User.
type userXML struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          string
	PermissionsBoundary *boundaryXML    `xml:",omitempty"`
	Tags                members[tagXML] `xml:",omitempty"`
}

func (s *Server) userXML(u store.User) userXML {
	return userXML{Path: pathOf(u.Path), UserName: u.Name, UserId: u.ID, Arn: s.userARN(u), CreateDate: isoDate(u.CreatedAt)}
}

// boundaryOf returns the AttachedPermissionsBoundary of an entity whose
// boundary is the managed policy name, or nil.
func (s *Server) boundaryOf(ctx context.Context, name string) (*boundaryXML, error) {
	if name == "" {
		return nil, nil
	}
	p, err := s.cfg.Store.GetPolicy(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("boundary policy %q: %w", name, err)
	}
	return &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: s.policyARN(p)}, nil
}

// requestTagKeys are the condition keys of tags a request sets:
// aws:RequestTag/K and aws:TagKeys.
func requestTagKeys(ctx *iam.Context, tags []tagXML) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		ctx.Set("aws:RequestTag/"+t.Key, t.Value)
		keys[i] = t.Key
	}
	ctx.SetMulti("aws:TagKeys", keys)
}

type createUserInput struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []tagXML
}

type userResult struct {
	User userXML
}

func (s *Server) createUser(ctx context.Context, c *call) (any, error) {
	var in createUserInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkEntityName(in.UserName, "UserName", 64); err != nil {
		return nil, err
	}
	if err := checkPath(in.Path, "Path"); err != nil {
		return nil, err
	}
	if err := checkIAMTags(in.Tags); err != nil {
		return nil, err
	}
	res := iam.Resource{ARN: s.iamARN("user", in.Path, in.UserName), Context: &iam.Context{}}
	requestTagKeys(res.Context, in.Tags)
	if in.PermissionsBoundary != "" {
		res.Context.Set("iam:PermissionsBoundary", in.PermissionsBoundary)
	}
	if err := c.authorize(res); err != nil {
		return nil, err
	}
	u := store.User{ID: s.newID("AIDA", 21), Name: in.UserName, Path: pathOf(in.Path),
		Tags: iamStoreTags(in.Tags), CreatedAt: s.cfg.Clock().UTC()}
	out := &userResult{}
	if in.PermissionsBoundary != "" {
		p, err := s.managedPolicy(ctx, in.PermissionsBoundary)
		if err != nil {
			return nil, err
		}
		u.PermissionsBoundary = p.Name
		out.User.PermissionsBoundary = &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: s.policyARN(p)}
	}
	if err := s.cfg.Store.CreateUser(ctx, u); err != nil {
		return nil, storeError(err, entity{kUser, in.UserName})
	}
	b := out.User.PermissionsBoundary
	out.User = s.userXML(u)
	out.User.PermissionsBoundary, out.User.Tags = b, tagsXML(u.Tags)
	return out, nil
}

type userNameInput struct {
	UserName string
}

// getUser answers for the caller when UserName is absent.
func (s *Server) getUser(ctx context.Context, c *call) (any, error) {
	var in userNameInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.UserName == "" {
		if c.caller.entity.Kind != store.EntityUser {
			return nil, awsapi.Validation(awsapi.Query, "Must specify userName when calling with non-User credentials")
		}
		in.UserName = c.caller.entity.Name
	}
	e := store.Entity{Kind: store.EntityUser, Name: in.UserName}
	if err := checkEntityName(e.Name, "UserName", 128); err != nil {
		return nil, err
	}
	u, err := getEntity(ctx, s, c, e, s.cfg.Store.GetUser)
	if err != nil {
		return nil, err
	}
	out := &userResult{User: s.userXML(u)}
	if out.User.PermissionsBoundary, err = s.boundaryOf(ctx, u.PermissionsBoundary); err != nil {
		return nil, err
	}
	out.User.Tags = tagsXML(u.Tags)
	return out, nil
}

type listUsersResult struct {
	Users members[userXML]
	listPage
}

func (s *Server) listUsers(ctx context.Context, c *call) (any, error) {
	p, err := listByPath(ctx, c, kUser, s.cfg.Store.ListUsers)
	if err != nil {
		return nil, err
	}
	out := &listUsersResult{}
	out.Users, out.listPage = pageOf(p, s.userXML)
	return out, nil
}

type updateUserInput struct {
	UserName    string
	NewPath     string
	NewUserName string
}

func (s *Server) updateUser(ctx context.Context, c *call) (any, error) {
	var in updateUserInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkEntityName(in.UserName, "UserName", 128); err != nil {
		return nil, err
	}
	if err := checkPath(in.NewPath, "NewPath"); err != nil {
		return nil, err
	}
	if in.NewUserName != "" {
		if err := checkEntityName(in.NewUserName, "NewUserName", 64); err != nil {
			return nil, err
		}
	}
	if err := s.authorizeEntity(ctx, c, store.Entity{Kind: store.EntityUser, Name: in.UserName}, nil); err != nil {
		return nil, err
	}
	if in.NewPath != "" || in.NewUserName != "" {
		// As AWS does, a rename or move needs the permission on the new
		// name too.
		cur, err := s.cfg.Store.GetUser(ctx, in.UserName)
		if err != nil {
			return nil, storeError(err, entity{kUser, in.UserName})
		}
		to := store.User{Name: nameOr(in.NewUserName, cur.Name), Path: nameOr(in.NewPath, cur.Path)}
		if err := c.authorize(iam.Resource{ARN: s.userARN(to)}); err != nil {
			return nil, err
		}
	}
	var u store.UserUpdate
	if in.NewPath != "" {
		u.NewPath = &in.NewPath
	}
	if in.NewUserName != "" {
		u.NewName = &in.NewUserName
	}
	if u.NewPath == nil && u.NewName == nil {
		return nil, nil
	}
	if err := s.cfg.Store.UpdateUser(ctx, in.UserName, u); err != nil {
		name := in.UserName
		if errors.Is(err, store.ErrExists) {
			name = in.NewUserName
		}
		return nil, storeError(err, entity{kUser, name})
	}
	return nil, nil
}

func (s *Server) deleteUser(ctx context.Context, c *call) (any, error) {
	return s.deleteEntity(ctx, c, store.EntityUser, s.cfg.Store.DeleteUser)
}

// deleteEntity is DeleteUser, DeleteGroup and DeleteRole: once the call
// is authorized on the entity, it must have no dependents left, and del
// deletes it.
func (s *Server) deleteEntity(ctx context.Context, c *call, k store.EntityKind, del func(context.Context, string) error) (any, error) {
	e, err := entityOf(c, k)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	if err := s.checkDependents(ctx, e); err != nil {
		return nil, err
	}
	if err := del(ctx, e.Name); err != nil {
		return nil, storeError(err, entity{kindOf(k), e.Name})
	}
	return nil, nil
}

// checkDependents refuses to delete a user, group or role that still has
// what AWS requires to be removed first, with AWS's DeleteConflict text
// for the first such dependent. (The store refuses too; this names what
// is in the way.)
func (s *Server) checkDependents(ctx context.Context, e store.Entity) error {
	one := store.ListOptions{Limit: 1}
	conflict := func(what string) error {
		return awsapi.Errorf(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must %s first.", what)
	}
	if e.Kind == store.EntityUser {
		keys, err := s.cfg.Store.ListAccessKeys(ctx, e.Name, one)
		if err != nil {
			return storeError(err, entity{kUser, e.Name})
		}
		if len(keys.Items) > 0 {
			return conflict("delete access keys")
		}
	}
	if e.Kind == store.EntityGroup {
		users, err := s.cfg.Store.ListGroupUsers(ctx, e.Name, one)
		if err != nil {
			return storeError(err, entity{kGroup, e.Name})
		}
		if len(users.Items) > 0 {
			return conflict("remove users from group")
		}
	}
	inline, err := s.cfg.Store.ListInlinePolicies(ctx, e, one)
	if err != nil {
		return storeError(err, entity{kindOf(e.Kind), e.Name})
	}
	if len(inline.Items) > 0 {
		return conflict("delete policies")
	}
	attached, err := s.cfg.Store.ListAttachedPolicies(ctx, e, one)
	if err != nil {
		return storeError(err, entity{kindOf(e.Kind), e.Name})
	}
	if len(attached.Items) > 0 {
		return conflict("detach all policies")
	}
	if e.Kind == store.EntityUser {
		groups, err := s.cfg.Store.ListGroupsForUser(ctx, e.Name, one)
		if err != nil {
			return storeError(err, entity{kUser, e.Name})
		}
		if len(groups.Items) > 0 {
			return conflict("remove users from group")
		}
	}
	return nil
}

// Tags of users and roles.

func iamTagResource(k store.EntityKind, name string) store.Resource {
	if k == store.EntityRole {
		return store.Resource{Type: store.ResourceRole, ID: name}
	}
	return store.Resource{Type: store.ResourceUser, ID: name}
}

type tagInput struct {
	Tags    []tagXML
	TagKeys []string
}

// tagEntity is TagUser and TagRole.
func (s *Server) tagEntity(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		var in tagInput
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if in.Tags == nil {
			return nil, awsapi.MissingParameter(awsapi.Query, "Tags")
		}
		if err := checkIAMTags(in.Tags); err != nil {
			return nil, err
		}
		res, found, err := s.entityResource(ctx, k, e.Name)
		if err != nil {
			return nil, err
		}
		requestTagKeys(res.Context, in.Tags)
		if err := c.authorize(res); err != nil {
			return nil, err
		}
		if !found {
			return nil, storeError(store.ErrNotFound, entity{kindOf(k), e.Name})
		}
		if err := s.cfg.Store.AddTags(ctx, iamTagResource(k, e.Name), iamStoreTags(in.Tags)); err != nil {
			if errors.Is(err, store.ErrLimitExceeded) {
				return nil, storeError(err, entity{kQuota, fmt.Sprintf("TagsPer%s: %d", capital(string(k)), store.MaxTagsPerResource)})
			}
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

// untagEntity is UntagUser and UntagRole.
func (s *Server) untagEntity(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, err := entityOf(c, k)
		if err != nil {
			return nil, err
		}
		var in tagInput
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if in.TagKeys == nil {
			return nil, awsapi.MissingParameter(awsapi.Query, "TagKeys")
		}
		if len(in.TagKeys) > store.MaxTagsPerResource {
			return nil, invalidMember(strings.Join(in.TagKeys, ", "), "tagKeys", fmt.Sprintf("Member must have length less than or equal to %d", store.MaxTagsPerResource))
		}
		for i, key := range in.TagKeys {
			if err := checkMemberLength(key, fmt.Sprintf("tagKeys.%d.member", i+1), 1, 128); err != nil {
				return nil, err
			}
		}
		res, found, err := s.entityResource(ctx, k, e.Name)
		if err != nil {
			return nil, err
		}
		if len(in.TagKeys) > 0 {
			res.Context.SetMulti("aws:TagKeys", in.TagKeys)
		}
		if err := c.authorize(res); err != nil {
			return nil, err
		}
		if !found {
			return nil, storeError(store.ErrNotFound, entity{kindOf(k), e.Name})
		}
		if err := s.cfg.Store.RemoveTags(ctx, iamTagResource(k, e.Name), in.TagKeys); err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		return nil, nil
	}
}

type listTagsResult struct {
	Tags members[tagXML]
	listPage
}

// listEntityTags is ListUserTags and ListRoleTags. The store returns a
// resource's tags (at most 50) at once; MaxItems and Marker page them.
func (s *Server) listEntityTags(k store.EntityKind) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		e, opts, err := s.entityListing(ctx, c, k)
		if err != nil {
			return nil, err
		}
		tags, err := s.cfg.Store.ListTags(ctx, iamTagResource(k, e.Name))
		if err != nil {
			return nil, storeError(err, entity{kindOf(k), e.Name})
		}
		p, err := pageSlice(tags, func(t store.Tag) string { return t.Key }, opts, entity{kindOf(k), e.Name})
		if err != nil {
			return nil, err
		}
		return &listTagsResult{Tags: tagsXML(p.Items), listPage: listPageOf(p.NextToken)}, nil
	}
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
