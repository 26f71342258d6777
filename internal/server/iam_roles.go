package server

import (
	"context"
	"time"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// trustQuota is AWS's error text for a trust policy over its size quota.
const trustQuota = "Cannot exceed quota for ACLSizePerRole: 2048"

// Role session durations (roleMaxSessionDurationType).
const (
	minRoleSession = 3600
	maxRoleSession = 43200
)

// roleXML is IAM's Role. The trust policy is URL-encoded, as IAM
// returns it.
type roleXML struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string           `xml:",omitempty"`
	Description              string           `xml:",omitempty"`
	MaxSessionDuration       int              `xml:",omitempty"`
	PermissionsBoundary      *boundaryXML     `xml:",omitempty"`
	Tags                     members[tagXML]  `xml:",omitempty"`
	RoleLastUsed             *roleLastUsedXML `xml:",omitempty"`
}

// roleLastUsedXML is empty: sesame does not record role use yet.
type roleLastUsedXML struct{}

func (s *Server) roleXML(r store.Role) roleXML {
	x := roleXML{Path: pathOf(r.Path), RoleName: r.Name, RoleId: r.ID, Arn: s.roleARN(r), CreateDate: isoDate(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicy), Description: r.Description,
		MaxSessionDuration: int(r.MaxSessionDuration / time.Second), Tags: tagsXML(r.Tags)}
	if x.MaxSessionDuration == 0 {
		x.MaxSessionDuration = minRoleSession
	}
	return x
}

type roleResult struct {
	Role roleXML
}

type createRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       *int
	PermissionsBoundary      string
	Tags                     []tagXML
}

func checkSessionDuration(d *int) error {
	switch {
	case d == nil:
		return nil
	case *d < minRoleSession:
		return invalidMember(*d, "maxSessionDuration", "Member must have value greater than or equal to 3600")
	case *d > maxRoleSession:
		return invalidMember(*d, "maxSessionDuration", "Member must have value less than or equal to 43200")
	}
	return nil
}

func (s *Server) createRole(ctx context.Context, c *call) (any, error) {
	var in createRoleInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkEntityName(in.RoleName, "RoleName", 64); err != nil {
		return nil, err
	}
	if err := checkPath(in.Path, "Path"); err != nil {
		return nil, err
	}
	if in.AssumeRolePolicyDocument == "" {
		return nil, awsapi.MissingParameter(awsapi.Query, "AssumeRolePolicyDocument")
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	if err := checkSessionDuration(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	if err := checkIAMTags(in.Tags); err != nil {
		return nil, err
	}
	res := iam.Resource{ARN: s.iamARN("role", in.Path, in.RoleName), Context: &iam.Context{}}
	requestTagKeys(res.Context, in.Tags)
	if in.PermissionsBoundary != "" {
		res.Context.Set("iam:PermissionsBoundary", in.PermissionsBoundary)
	}
	if err := c.authorize(res); err != nil {
		return nil, err
	}
	if _, err := checkPolicyDocument(in.AssumeRolePolicyDocument, "AssumeRolePolicyDocument", iam.Trust, iam.Trust.MaxSize(), trustQuota); err != nil {
		return nil, err
	}
	r := store.Role{ID: s.newID("AROA", 21), Name: in.RoleName, Path: pathOf(in.Path), Description: in.Description,
		AssumeRolePolicy: in.AssumeRolePolicyDocument, MaxSessionDuration: minRoleSession * time.Second,
		Tags: iamStoreTags(in.Tags), CreatedAt: s.cfg.Clock().UTC()}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = time.Duration(*in.MaxSessionDuration) * time.Second
	}
	var boundary *boundaryXML
	if in.PermissionsBoundary != "" {
		p, err := s.managedPolicy(ctx, in.PermissionsBoundary)
		if err != nil {
			return nil, err
		}
		r.PermissionsBoundary = p.Name
		boundary = &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: s.policyARN(p)}
	}
	if err := s.cfg.Store.CreateRole(ctx, r); err != nil {
		return nil, storeError(err, entity{kRole, in.RoleName})
	}
	out := &roleResult{Role: s.roleXML(r)}
	out.Role.PermissionsBoundary = boundary
	return out, nil
}

func (s *Server) getRole(ctx context.Context, c *call) (any, error) {
	e, err := entityOf(c, store.EntityRole)
	if err != nil {
		return nil, err
	}
	r, err := getEntity(ctx, s, c, e, s.cfg.Store.GetRole)
	if err != nil {
		return nil, err
	}
	out := &roleResult{Role: s.roleXML(r)}
	if out.Role.PermissionsBoundary, err = s.boundaryOf(ctx, r.PermissionsBoundary); err != nil {
		return nil, err
	}
	out.Role.RoleLastUsed = &roleLastUsedXML{}
	return out, nil
}

type listRolesResult struct {
	Roles members[roleXML]
	listPage
}

func (s *Server) listRoles(ctx context.Context, c *call) (any, error) {
	p, err := listByPath(ctx, c, kRole, s.cfg.Store.ListRoles)
	if err != nil {
		return nil, err
	}
	out := &listRolesResult{}
	out.Roles, out.listPage = pageOf(p, func(r store.Role) roleXML {
		x := s.roleXML(r)
		x.Tags = nil // ListRoles leaves tags out, as AWS does
		return x
	})
	return out, nil
}

type updateRoleInput struct {
	RoleName           string
	Description        *string
	MaxSessionDuration *int
}

type updateRoleResult struct{}

func (s *Server) updateRole(ctx context.Context, c *call) (any, error) {
	var in updateRoleInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	e := store.Entity{Kind: store.EntityRole, Name: in.RoleName}
	if err := checkEntityName(e.Name, "RoleName", 64); err != nil {
		return nil, err
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return nil, err
		}
	}
	if err := checkSessionDuration(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	u := store.RoleUpdate{Description: in.Description}
	if in.MaxSessionDuration != nil {
		d := time.Duration(*in.MaxSessionDuration) * time.Second
		u.MaxSessionDuration = &d
	}
	if u.Description != nil || u.MaxSessionDuration != nil {
		if err := s.cfg.Store.UpdateRole(ctx, e.Name, u); err != nil {
			return nil, storeError(err, entity{kRole, e.Name})
		}
	}
	return &updateRoleResult{}, nil
}

type policyDocumentInput struct {
	PolicyDocument string
}

func (s *Server) updateAssumeRolePolicy(ctx context.Context, c *call) (any, error) {
	e, err := entityOf(c, store.EntityRole)
	if err != nil {
		return nil, err
	}
	var in policyDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.PolicyDocument == "" {
		return nil, awsapi.MissingParameter(awsapi.Query, "PolicyDocument")
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	if _, err := checkPolicyDocument(in.PolicyDocument, "PolicyDocument", iam.Trust, iam.Trust.MaxSize(), trustQuota); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.UpdateRole(ctx, e.Name, store.RoleUpdate{AssumeRolePolicy: &in.PolicyDocument}); err != nil {
		return nil, storeError(err, entity{kRole, e.Name})
	}
	return nil, nil
}

func (s *Server) deleteRole(ctx context.Context, c *call) (any, error) {
	return s.deleteEntity(ctx, c, store.EntityRole, s.cfg.Store.DeleteRole)
}
