package server

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// registerIAM registers the IAM operations (Query protocol). Each is
// authorized with iam:<Operation> on the resource AWS names for it: the
// user, group, role or policy ARN, or "*" for the account's lists. The
// handlers are in iam_*.go, one file per entity.
func (s *Server) registerIAM() {
	for _, op := range []struct {
		name     string
		readOnly bool
		h        func(context.Context, *call) (any, error)
	}{
		{"CreateUser", false, s.createUser},
		{"GetUser", true, s.getUser},
		{"ListUsers", true, s.listUsers},
		{"UpdateUser", false, s.updateUser},
		{"DeleteUser", false, s.deleteUser},
		{"TagUser", false, s.tagEntity(store.EntityUser)},
		{"UntagUser", false, s.untagEntity(store.EntityUser)},
		{"ListUserTags", true, s.listEntityTags(store.EntityUser)},

		{"CreateGroup", false, s.createGroup},
		{"GetGroup", true, s.getGroup},
		{"ListGroups", true, s.listGroups},
		{"DeleteGroup", false, s.deleteGroup},
		{"AddUserToGroup", false, s.addUserToGroup},
		{"RemoveUserFromGroup", false, s.removeUserFromGroup},
		{"ListGroupsForUser", true, s.listGroupsForUser},

		{"CreateRole", false, s.createRole},
		{"GetRole", true, s.getRole},
		{"ListRoles", true, s.listRoles},
		{"UpdateRole", false, s.updateRole},
		{"UpdateAssumeRolePolicy", false, s.updateAssumeRolePolicy},
		{"DeleteRole", false, s.deleteRole},
		{"TagRole", false, s.tagEntity(store.EntityRole)},
		{"UntagRole", false, s.untagEntity(store.EntityRole)},
		{"ListRoleTags", true, s.listEntityTags(store.EntityRole)},

		{"CreatePolicy", false, s.createPolicy},
		{"GetPolicy", true, s.getPolicy},
		{"ListPolicies", true, s.listPolicies},
		{"DeletePolicy", false, s.deletePolicy},
		{"CreatePolicyVersion", false, s.createPolicyVersion},
		{"GetPolicyVersion", true, s.getPolicyVersion},
		{"ListPolicyVersions", true, s.listPolicyVersions},
		{"DeletePolicyVersion", false, s.deletePolicyVersion},
		{"SetDefaultPolicyVersion", false, s.setDefaultPolicyVersion},

		{"AttachUserPolicy", false, s.attachPolicy(store.EntityUser)},
		{"DetachUserPolicy", false, s.detachPolicy(store.EntityUser)},
		{"ListAttachedUserPolicies", true, s.listAttachedPolicies(store.EntityUser)},
		{"AttachGroupPolicy", false, s.attachPolicy(store.EntityGroup)},
		{"DetachGroupPolicy", false, s.detachPolicy(store.EntityGroup)},
		{"ListAttachedGroupPolicies", true, s.listAttachedPolicies(store.EntityGroup)},
		{"AttachRolePolicy", false, s.attachPolicy(store.EntityRole)},
		{"DetachRolePolicy", false, s.detachPolicy(store.EntityRole)},
		{"ListAttachedRolePolicies", true, s.listAttachedPolicies(store.EntityRole)},

		{"PutUserPolicy", false, s.putInlinePolicy(store.EntityUser)},
		{"GetUserPolicy", true, s.getInlinePolicy(store.EntityUser)},
		{"DeleteUserPolicy", false, s.deleteInlinePolicy(store.EntityUser)},
		{"ListUserPolicies", true, s.listInlinePolicies(store.EntityUser)},
		{"PutGroupPolicy", false, s.putInlinePolicy(store.EntityGroup)},
		{"GetGroupPolicy", true, s.getInlinePolicy(store.EntityGroup)},
		{"DeleteGroupPolicy", false, s.deleteInlinePolicy(store.EntityGroup)},
		{"ListGroupPolicies", true, s.listInlinePolicies(store.EntityGroup)},
		{"PutRolePolicy", false, s.putInlinePolicy(store.EntityRole)},
		{"GetRolePolicy", true, s.getInlinePolicy(store.EntityRole)},
		{"DeleteRolePolicy", false, s.deleteInlinePolicy(store.EntityRole)},
		{"ListRolePolicies", true, s.listInlinePolicies(store.EntityRole)},

		{"PutUserPermissionsBoundary", false, s.putBoundary(store.EntityUser)},
		{"DeleteUserPermissionsBoundary", false, s.deleteBoundary(store.EntityUser)},
		{"PutRolePermissionsBoundary", false, s.putBoundary(store.EntityRole)},
		{"DeleteRolePermissionsBoundary", false, s.deleteBoundary(store.EntityRole)},

		{"CreateAccessKey", false, s.createAccessKey},
		{"ListAccessKeys", true, s.listAccessKeys},
		{"UpdateAccessKey", false, s.updateAccessKey},
		{"DeleteAccessKey", false, s.deleteAccessKey},
		{"GetAccessKeyLastUsed", true, s.getAccessKeyLastUsed},

		{"SimulateCustomPolicy", true, s.simulateCustomPolicy},
		{"SimulatePrincipalPolicy", true, s.simulatePrincipalPolicy},
	} {
		s.register("iam", op.name, op.readOnly, op.h)
	}
}

// Wire formats.

// isoDate formats a time as IAM does: ISO 8601 in UTC, whole seconds.
func isoDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// encodeDocument URL-encodes a policy document as IAM returns it in
// GetPolicyVersion, Get*Policy and the role's AssumeRolePolicyDocument
// (spaces as %20: the aws CLI decodes with unquote, not unquote_plus).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// members is a Query protocol list: <Name><member>...</member></Name>,
// written even when empty (as <Name></Name>) unless the field says
// omitempty.
type members[T any] []T

func (m members[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range m {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// listPage is the tail of every IAM list result.
type listPage struct {
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func listPageOf(next string) listPage { return listPage{IsTruncated: next != "", Marker: next} }

// tagXML is a tag as IAM writes it.
type tagXML struct {
	Key   string
	Value string
}

func tagsXML(tags []store.Tag) members[tagXML] {
	out := make(members[tagXML], len(tags))
	for i, t := range tags {
		out[i] = tagXML(t)
	}
	return out
}

// boundaryXML is an entity's AttachedPermissionsBoundary.
type boundaryXML struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// ARNs.

func (s *Server) iamARN(kind, path, name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:%s%s%s", s.cfg.Partition, s.cfg.Account, kind, pathOf(path), name)
}

func (s *Server) groupARN(g store.Group) string { return s.iamARN("group", g.Path, g.Name) }

func (s *Server) policyARN(p store.Policy) string { return s.iamARN("policy", p.Path, p.Name) }

// policyName reads a managed policy ARN. An ARN of another account (AWS
// managed policies included) names no policy of this server: the second
// result is false and the caller answers NoSuchEntity.
func (s *Server) policyName(arn string) (string, bool, error) {
	a, err := iam.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "policy/") {
		return "", false, awsapi.Errorf(http.StatusBadRequest, "InvalidInput", "ARN %s is not valid.", arn)
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	return name, a.Account == s.cfg.Account && a.Partition == s.cfg.Partition && name != "", nil
}

// managedPolicy reads the policy an ARN names; the ARN must match the
// policy's path too.
func (s *Server) managedPolicy(ctx context.Context, arn string) (store.Policy, error) {
	name, ours, err := s.policyName(arn)
	if err != nil {
		return store.Policy{}, err
	}
	notFound := storeError(store.ErrNotFound, entity{kPolicy, arn})
	if !ours {
		return store.Policy{}, notFound
	}
	p, err := s.cfg.Store.GetPolicy(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.policyARN(p) != arn) {
		return store.Policy{}, notFound
	}
	return p, err
}

// Validation, with AWS's texts.

// invalidMember is AWS's ValidationError for one member that breaks a
// constraint.
func invalidMember(value any, member, constraint string) error {
	return awsapi.Validation(awsapi.Query, "1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

var (
	namePattern       = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern       = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
	policyPathPattern = regexp.MustCompile(`^((/[A-Za-z0-9.,+@=_-]+)*)/$`)
	pathPrefixPattern = regexp.MustCompile(`^/[\x21-\x7f]*$`)
	tagKeyPattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	descPattern       = regexp.MustCompile(`^[\x09\x0a\x0d\x20-\x7e\x{a1}-\x{ff}]*$`)
)

// checkMemberLength checks a member's length in characters.
func checkMemberLength(v, member string, min, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n < min:
		return invalidMember(v, member, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case n > max:
		return invalidMember(v, member, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	return nil
}

// checkEntityName checks a required user, group, role or policy name (AWS's
// [\w+=,.@-]+ of 1 to max characters). member is the wire name, e.g.
// UserName.
func checkEntityName(v, member string, max int) error {
	if v == "" {
		return awsapi.MissingParameter(awsapi.Query, member)
	}
	if err := checkMemberLength(v, lowerInitial(member), 1, max); err != nil {
		return err
	}
	if !namePattern.MatchString(v) {
		return invalidMember(v, lowerInitial(member), `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// checkPath checks an optional entity path: "/" or "/a/b/".
func checkPath(v, member string) error {
	if v == "" {
		return nil
	}
	if err := checkMemberLength(v, lowerInitial(member), 1, 512); err != nil {
		return err
	}
	if !pathPattern.MatchString(v) {
		return invalidMember(v, lowerInitial(member), `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return nil
}

func checkPolicyPath(v string) error {
	if v == "" {
		return nil
	}
	if err := checkMemberLength(v, "path", 1, 512); err != nil {
		return err
	}
	if !policyPathPattern.MatchString(v) {
		return invalidMember(v, "path", `Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	}
	return nil
}

func checkPathPrefix(v string) error {
	if v == "" {
		return nil
	}
	if err := checkMemberLength(v, "pathPrefix", 1, 512); err != nil {
		return err
	}
	if !pathPrefixPattern.MatchString(v) {
		return invalidMember(v, "pathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return nil
}

func checkDescription(v string) error {
	if err := checkMemberLength(v, "description", 0, 1000); err != nil {
		return err
	}
	if !descPattern.MatchString(v) {
		return invalidMember(v, "description", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	return nil
}

// checkIAMTags checks the Tags member of a Create* or Tag* request.
func checkIAMTags(tags []tagXML) error {
	if len(tags) > store.MaxTagsPerResource {
		return invalidMember("["+fmt.Sprint(len(tags))+" tags]", "tags", fmt.Sprintf("Member must have length less than or equal to %d", store.MaxTagsPerResource))
	}
	seen := map[string]bool{}
	for i, t := range tags {
		at := fmt.Sprintf("tags.%d.member", i+1)
		if err := checkMemberLength(t.Key, at+".key", 1, 128); err != nil {
			return err
		}
		if !tagKeyPattern.MatchString(t.Key) {
			return invalidMember(t.Key, at+".key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		if err := checkMemberLength(t.Value, at+".value", 0, 256); err != nil {
			return err
		}
		if !tagValuePattern.MatchString(t.Value) {
			return invalidMember(t.Value, at+".value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return awsapi.Errorf(http.StatusBadRequest, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func iamStoreTags(tags []tagXML) []store.Tag {
	out := make([]store.Tag, len(tags))
	for i, t := range tags {
		out[i] = store.Tag(t)
	}
	return out
}

// iamListing is the Marker and MaxItems of an IAM list request.
type iamListing struct {
	Marker   string
	MaxItems *int
}

// iamListOptions decodes and checks the paging members of a list request.
func iamListOptions(c *call) (store.ListOptions, error) {
	var l iamListing
	if err := c.decode(&l); err != nil {
		return store.ListOptions{}, err
	}
	return l.options()
}

// options checks the paging members and returns the store's options.
func (l iamListing) options() (store.ListOptions, error) {
	if l.MaxItems != nil {
		switch n := *l.MaxItems; {
		case n < 1:
			return store.ListOptions{}, invalidMember(n, "maxItems", "Member must have value greater than or equal to 1")
		case n > 1000:
			return store.ListOptions{}, invalidMember(n, "maxItems", "Member must have value less than or equal to 1000")
		}
	}
	if l.Marker != "" {
		if err := checkMemberLength(l.Marker, "marker", 1, 320); err != nil {
			return store.ListOptions{}, err
		}
	}
	o := store.ListOptions{Token: l.Marker}
	if l.MaxItems != nil {
		o.Limit = *l.MaxItems
	}
	return o, nil
}

// Paging. IAM's lists page with Marker and MaxItems; a result ends with
// IsTruncated and, when there is more, the Marker of the next page.

// pathPrefixInput is the filter of the account's lists.
type pathPrefixInput struct {
	PathPrefix string
}

// listByPath begins ListUsers, ListGroups and ListRoles: it decodes and
// checks PathPrefix and the paging members, authorizes the call (on "*")
// and reads one page with list. A store error names an entity of kind k.
func listByPath[T any](ctx context.Context, c *call, k string, list func(context.Context, string, store.ListOptions) (store.Page[T], error)) (store.Page[T], error) {
	var in pathPrefixInput
	if err := c.decode(&in); err != nil {
		return store.Page[T]{}, err
	}
	if err := checkPathPrefix(in.PathPrefix); err != nil {
		return store.Page[T]{}, err
	}
	opts, err := iamListOptions(c)
	if err != nil {
		return store.Page[T]{}, err
	}
	if err := c.authorize(); err != nil {
		return store.Page[T]{}, err
	}
	p, err := list(ctx, in.PathPrefix, opts)
	if err != nil {
		return store.Page[T]{}, storeError(err, entity{k, ""})
	}
	return p, nil
}

// entityListing begins the lists of one user, group or role (GetGroup's
// users, ListGroupsForUser, ListUserTags...): it decodes and checks the
// member naming the entity and the paging members, and authorizes the call
// on the entity, which must exist.
func (s *Server) entityListing(ctx context.Context, c *call, k store.EntityKind) (store.Entity, store.ListOptions, error) {
	e, err := entityOf(c, k)
	if err != nil {
		return e, store.ListOptions{}, err
	}
	opts, err := iamListOptions(c)
	if err != nil {
		return e, opts, err
	}
	return e, opts, s.authorizeEntity(ctx, c, e, nil)
}

// pageOf is a page as IAM writes it: the items, converted, and the tail.
// The list is empty, never nil, on an empty page.
func pageOf[T, X any](p store.Page[T], conv func(T) X) (members[X], listPage) {
	out := make(members[X], 0, len(p.Items))
	for _, it := range p.Items {
		out = append(out, conv(it))
	}
	return out, listPageOf(p.NextToken)
}

// pageSlice pages a short list the store returns whole (the tags or the
// versions of e): the marker is the key of the last item of the previous
// page.
func pageSlice[T any](items []T, key func(T) string, opts store.ListOptions, e entity) (store.Page[T], error) {
	start := 0
	if opts.Token != "" {
		start = -1
		for i, it := range items {
			if key(it) == opts.Token {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return store.Page[T]{}, storeError(store.ErrInvalidToken, e)
		}
	}
	limit := opts.Limit
	if limit == 0 {
		limit = store.DefaultPageSize
	}
	end := min(start+limit, len(items))
	p := store.Page[T]{Items: items[start:end]}
	if end < len(items) {
		p.NextToken = key(items[end-1])
	}
	return p, nil
}

// getEntity authorizes the call on an existing user, group or role and
// reads it with get.
func getEntity[T any](ctx context.Context, s *Server, c *call, e store.Entity, get func(context.Context, string) (T, error)) (T, error) {
	var zero T
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return zero, err
	}
	v, err := get(ctx, e.Name)
	if err != nil {
		return zero, storeError(err, entity{kindOf(e.Kind), e.Name})
	}
	return v, nil
}

func lowerInitial(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Policy documents.

// checkPolicyDocument validates a policy document as IAM stores it: a
// malformed document is MalformedPolicyDocument with the engine's line
// and column, one over its size quota LimitExceeded with quota's text. It
// returns the document's size (characters without whitespace).
func checkPolicyDocument(doc, member string, t iam.Type, max int, quota string) (int, error) {
	if doc == "" {
		return 0, awsapi.MissingParameter(awsapi.Query, member)
	}
	if err := checkMemberLength(doc, lowerInitial(member), 1, 131072); err != nil {
		return 0, err
	}
	d, err := iam.ParseDocumentAnySize([]byte(doc), t)
	if err != nil {
		return 0, awsapi.Errorf(http.StatusBadRequest, "MalformedPolicyDocument", "%s", err.Error())
	}
	if d.Size > max {
		return 0, awsapi.Errorf(http.StatusConflict, "LimitExceeded", "%s", quota)
	}
	return d.Size, nil
}

// Entities as resources to authorize.

// entityResource names an existing user, group or role for authorization:
// its ARN (with its path) and its tags as aws:ResourceTag/*. The entity
// is read only to name it: the caller sees nothing of it before the call
// is authorized, and an entity that does not exist is named with the
// path "/" (so that a denied caller cannot tell whether it exists).
func (s *Server) entityResource(ctx context.Context, k store.EntityKind, name string) (iam.Resource, bool, error) {
	var path string
	var tags []store.Tag
	var err error
	switch k {
	case store.EntityUser:
		var u store.User
		u, err = s.cfg.Store.GetUser(ctx, name)
		path, tags, name = u.Path, u.Tags, nameOr(u.Name, name)
	case store.EntityGroup:
		var g store.Group
		g, err = s.cfg.Store.GetGroup(ctx, name)
		path, name = g.Path, nameOr(g.Name, name)
	case store.EntityRole:
		var r store.Role
		r, err = s.cfg.Store.GetRole(ctx, name)
		path, tags, name = r.Path, r.Tags, nameOr(r.Name, name)
	}
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return iam.Resource{}, false, err
	}
	res := iam.Resource{ARN: s.iamARN(string(k), path, name), Context: &iam.Context{}}
	res.Context.SetResourceTags(tagMap(tags), false)
	return res, found, nil
}

func nameOr(stored, asked string) string {
	if stored != "" {
		return stored
	}
	return asked
}

// kindOf maps an entity kind to its kind in the store error table.
func kindOf(k store.EntityKind) string {
	switch k {
	case store.EntityGroup:
		return kGroup
	case store.EntityRole:
		return kRole
	}
	return kUser
}

// nameParam is the request member that names an entity of kind k.
func nameParam(k store.EntityKind) string {
	switch k {
	case store.EntityGroup:
		return "GroupName"
	case store.EntityRole:
		return "RoleName"
	}
	return "UserName"
}

// nameMax is the longest name that may refer to an existing entity of
// kind k (existingUserNameType, groupNameType, roleNameType).
func nameMax(k store.EntityKind) int {
	if k == store.EntityRole {
		return 64
	}
	return 128
}

// entityRef is the member naming the entity of a twin operation
// (AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy, ...).
type entityRef struct {
	UserName  string
	GroupName string
	RoleName  string
}

func (r entityRef) name(k store.EntityKind) string {
	switch k {
	case store.EntityGroup:
		return r.GroupName
	case store.EntityRole:
		return r.RoleName
	}
	return r.UserName
}

// entityOf decodes and checks the member naming the entity of kind k.
func entityOf(c *call, k store.EntityKind) (store.Entity, error) {
	var ref entityRef
	if err := c.decode(&ref); err != nil {
		return store.Entity{}, err
	}
	name := ref.name(k)
	if err := checkEntityName(name, nameParam(k), nameMax(k)); err != nil {
		return store.Entity{}, err
	}
	return store.Entity{Kind: k, Name: name}, nil
}

// authorizeEntity authorizes the call on an existing entity, with extra
// condition keys, and answers NoSuchEntity once authorized if it does
// not exist.
func (s *Server) authorizeEntity(ctx context.Context, c *call, e store.Entity, keys map[string]string) error {
	res, found, err := s.entityResource(ctx, e.Kind, e.Name)
	if err != nil {
		return err
	}
	for k, v := range keys {
		res.Context.Set(k, v)
	}
	if err := c.authorize(res); err != nil {
		return err
	}
	if !found {
		return storeError(store.ErrNotFound, entity{kindOf(e.Kind), e.Name})
	}
	return nil
}
