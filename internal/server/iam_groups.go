package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// groupXML is IAM's Group.
type groupXML struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate string
}

func (s *Server) groupXML(g store.Group) groupXML {
	return groupXML{Path: pathOf(g.Path), GroupName: g.Name, GroupId: g.ID, Arn: s.groupARN(g), CreateDate: isoDate(g.CreatedAt)}
}

type createGroupInput struct {
	GroupName string
	Path      string
}

type groupResult struct {
	Group groupXML
}

func (s *Server) createGroup(ctx context.Context, c *call) (any, error) {
	var in createGroupInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkEntityName(in.GroupName, "GroupName", 128); err != nil {
		return nil, err
	}
	if err := checkPath(in.Path, "Path"); err != nil {
		return nil, err
	}
	if err := c.authorize(iam.Resource{ARN: s.iamARN("group", in.Path, in.GroupName)}); err != nil {
		return nil, err
	}
	g := store.Group{ID: s.newID("AGPA", 21), Name: in.GroupName, Path: pathOf(in.Path), CreatedAt: s.cfg.Clock().UTC()}
	if err := s.cfg.Store.CreateGroup(ctx, g); err != nil {
		return nil, storeError(err, entity{kGroup, in.GroupName})
	}
	return &groupResult{Group: s.groupXML(g)}, nil
}

type getGroupResult struct {
	Group groupXML
	Users members[userXML]
	listPage
}

func (s *Server) getGroup(ctx context.Context, c *call) (any, error) {
	e, opts, err := s.entityListing(ctx, c, store.EntityGroup)
	if err != nil {
		return nil, err
	}
	g, err := s.cfg.Store.GetGroup(ctx, e.Name)
	if err != nil {
		return nil, storeError(err, entity{kGroup, e.Name})
	}
	p, err := s.cfg.Store.ListGroupUsers(ctx, g.Name, opts)
	if err != nil {
		return nil, storeError(err, entity{kGroup, e.Name})
	}
	out := &getGroupResult{Group: s.groupXML(g)}
	out.Users, out.listPage = pageOf(p, s.userXML)
	return out, nil
}

type listGroupsResult struct {
	Groups members[groupXML]
	listPage
}

func (s *Server) groupsResult(p store.Page[store.Group]) *listGroupsResult {
	out := &listGroupsResult{}
	out.Groups, out.listPage = pageOf(p, s.groupXML)
	return out
}

func (s *Server) listGroups(ctx context.Context, c *call) (any, error) {
	p, err := listByPath(ctx, c, kGroup, s.cfg.Store.ListGroups)
	if err != nil {
		return nil, err
	}
	return s.groupsResult(p), nil
}

func (s *Server) deleteGroup(ctx context.Context, c *call) (any, error) {
	return s.deleteEntity(ctx, c, store.EntityGroup, s.cfg.Store.DeleteGroup)
}

// membership decodes GroupName and UserName, authorizes the call on the
// group and checks that both exist.
func (s *Server) membership(ctx context.Context, c *call) (group, user string, err error) {
	g, err := entityOf(c, store.EntityGroup)
	if err != nil {
		return "", "", err
	}
	u, err := entityOf(c, store.EntityUser)
	if err != nil {
		return "", "", err
	}
	if err := s.authorizeEntity(ctx, c, g, nil); err != nil {
		return "", "", err
	}
	if _, err := s.cfg.Store.GetUser(ctx, u.Name); err != nil {
		return "", "", storeError(err, entity{kUser, u.Name})
	}
	return g.Name, u.Name, nil
}

func (s *Server) addUserToGroup(ctx context.Context, c *call) (any, error) {
	group, user, err := s.membership(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.AddUserToGroup(ctx, group, user); err != nil {
		if errors.Is(err, store.ErrLimitExceeded) {
			return nil, storeError(err, entity{kQuota, fmt.Sprintf("GroupsPerUser: %d", store.MaxGroupsPerUser)})
		}
		return nil, storeError(err, entity{kGroup, group})
	}
	return nil, nil
}

func (s *Server) removeUserFromGroup(ctx context.Context, c *call) (any, error) {
	group, user, err := s.membership(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RemoveUserFromGroup(ctx, group, user); err != nil {
		// Not a member: AWS answers as if the user were not found.
		return nil, storeError(err, entity{kUser, user})
	}
	return nil, nil
}

func (s *Server) listGroupsForUser(ctx context.Context, c *call) (any, error) {
	e, opts, err := s.entityListing(ctx, c, store.EntityUser)
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.ListGroupsForUser(ctx, e.Name, opts)
	if err != nil {
		return nil, storeError(err, entity{kUser, e.Name})
	}
	return s.groupsResult(p), nil
}
