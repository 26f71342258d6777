package store

import (
	"context"
	"time"
)

// User is an IAM user.
type User struct {
	ID   string // AIDA...
	Name string
	Path string // "/" when empty
	// PermissionsBoundary names the managed policy that bounds the
	// user's permissions, or is empty.
	PermissionsBoundary string
	Tags                []Tag
	CreatedAt           time.Time
}

// Users creates, reads and deletes IAM users.
type Users interface {
	// CreateUser fails with ErrExists when the name (in any case) or the
	// id is taken.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, name string) (User, error)
	// DeleteUser fails with ErrConflict while the user has access keys,
	// policies (inline or attached) or group memberships, as AWS does.
	DeleteUser(ctx context.Context, name string) error
}

// UserLister lists IAM users whose path starts with pathPrefix ("" for
// all), ordered by name.
type UserLister interface {
	ListUsers(ctx context.Context, pathPrefix string, opts ListOptions) (Page[User], error)
}

// UserUpdate changes a user; nil fields are kept.
type UserUpdate struct {
	NewName *string
	NewPath *string
}

// UserUpdater renames and moves IAM users (UpdateUser).
type UserUpdater interface {
	// UpdateUser fails with ErrExists when NewName is taken.
	UpdateUser(ctx context.Context, name string, u UserUpdate) error
}

// Group is an IAM group.
type Group struct {
	ID        string // AGPA...
	Name      string
	Path      string
	CreatedAt time.Time
}

// Groups creates, reads and deletes IAM groups.
type Groups interface {
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, name string) (Group, error)
	// DeleteGroup fails with ErrConflict while the group has members or
	// policies.
	DeleteGroup(ctx context.Context, name string) error
}

// GroupLister lists groups, all of them (by path prefix) or a user's.
type GroupLister interface {
	ListGroups(ctx context.Context, pathPrefix string, opts ListOptions) (Page[Group], error)
	ListGroupsForUser(ctx context.Context, user string, opts ListOptions) (Page[Group], error)
}

// GroupMembers manages group membership.
type GroupMembers interface {
	// AddUserToGroup is idempotent; it fails with ErrLimitExceeded when
	// the user is already in MaxGroupsPerUser groups.
	AddUserToGroup(ctx context.Context, group, user string) error
	// RemoveUserFromGroup fails with ErrNotFound when the user is not a
	// member.
	RemoveUserFromGroup(ctx context.Context, group, user string) error
	ListGroupUsers(ctx context.Context, group string, opts ListOptions) (Page[User], error)
}

// Role is an IAM role.
type Role struct {
	ID                  string // AROA...
	Name                string
	Path                string
	Description         string
	AssumeRolePolicy    string // the trust policy document
	MaxSessionDuration  time.Duration
	PermissionsBoundary string
	Tags                []Tag
	CreatedAt           time.Time
}

// Roles creates, reads and deletes IAM roles.
type Roles interface {
	CreateRole(ctx context.Context, r Role) error
	GetRole(ctx context.Context, name string) (Role, error)
	// DeleteRole fails with ErrConflict while the role has policies.
	DeleteRole(ctx context.Context, name string) error
}

// RoleLister lists roles by path prefix, ordered by name.
type RoleLister interface {
	ListRoles(ctx context.Context, pathPrefix string, opts ListOptions) (Page[Role], error)
}

// RoleUpdate changes a role; nil fields are kept.
type RoleUpdate struct {
	Description        *string
	MaxSessionDuration *time.Duration
	AssumeRolePolicy   *string
}

// RoleUpdater changes roles (UpdateRole, UpdateAssumeRolePolicy).
type RoleUpdater interface {
	UpdateRole(ctx context.Context, name string, u RoleUpdate) error
}

// Policy is a customer managed policy. Document is the document of its
// default version.
type Policy struct {
	ID             string // ANPA...
	Name           string
	Path           string
	Description    string
	Document       string
	DefaultVersion string // "v1", "v2", ...
	// AttachmentCount and BoundaryCount are read-only: how many entities
	// the policy is attached to, and bounds.
	AttachmentCount int
	BoundaryCount   int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Policies creates, reads and deletes managed policies.
type Policies interface {
	// CreatePolicy stores p.Document as version v1, the default.
	CreatePolicy(ctx context.Context, p Policy) error
	GetPolicy(ctx context.Context, name string) (Policy, error)
	// DeletePolicy deletes the policy and its versions. It fails with
	// ErrConflict while the policy is attached or bounds an entity.
	DeletePolicy(ctx context.Context, name string) error
}

// PolicyLister lists managed policies by path prefix, ordered by name.
type PolicyLister interface {
	ListPolicies(ctx context.Context, pathPrefix string, opts ListOptions) (Page[Policy], error)
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Version   string // "v1", ...; never reused
	Document  string
	Default   bool
	CreatedAt time.Time
}

// PolicyVersions changes the versions of a managed policy.
type PolicyVersions interface {
	// CreatePolicyVersion adds the next version; it fails with
	// ErrLimitExceeded when the policy has MaxPolicyVersions.
	CreatePolicyVersion(ctx context.Context, policy, document string, setDefault bool) (PolicyVersion, error)
	// DeletePolicyVersion fails with ErrConflict for the default version.
	DeletePolicyVersion(ctx context.Context, policy, version string) error
	SetDefaultPolicyVersion(ctx context.Context, policy, version string) error
}

// PolicyVersionReader reads the versions of a managed policy. A policy has
// at most MaxPolicyVersions, so the list is not paged.
type PolicyVersionReader interface {
	GetPolicyVersion(ctx context.Context, policy, version string) (PolicyVersion, error)
	ListPolicyVersions(ctx context.Context, policy string) ([]PolicyVersion, error)
}

// EntityKind says what an Entity names.
type EntityKind string

// The entities that hold policies.
const (
	EntityUser  EntityKind = "user"
	EntityGroup EntityKind = "group"
	EntityRole  EntityKind = "role"
)

// Entity is a user, group or role, by name.
type Entity struct {
	Kind EntityKind
	Name string
}

// Attachments attaches managed policies to users, groups and roles.
type Attachments interface {
	// AttachPolicy is idempotent; it fails with ErrLimitExceeded past
	// MaxAttachedPolicies.
	AttachPolicy(ctx context.Context, e Entity, policy string) error
	// DetachPolicy fails with ErrNotFound when the policy is not attached.
	DetachPolicy(ctx context.Context, e Entity, policy string) error
	ListAttachedPolicies(ctx context.Context, e Entity, opts ListOptions) (Page[Policy], error)
}

// Boundaries sets the permissions boundary of a user or role.
type Boundaries interface {
	// SetPermissionsBoundary sets the boundary to a managed policy, or
	// removes it when policy is empty.
	SetPermissionsBoundary(ctx context.Context, e Entity, policy string) error
}

// InlinePolicy is a policy embedded in one user, group or role.
type InlinePolicy struct {
	Name     string
	Document string
}

// InlinePolicies manages the inline policies of users, groups and roles.
type InlinePolicies interface {
	// PutInlinePolicy creates or replaces the policy.
	PutInlinePolicy(ctx context.Context, e Entity, p InlinePolicy) error
	GetInlinePolicy(ctx context.Context, e Entity, name string) (InlinePolicy, error)
	DeleteInlinePolicy(ctx context.Context, e Entity, name string) error
}

// InlinePolicyLister lists the names of an entity's inline policies.
type InlinePolicyLister interface {
	ListInlinePolicies(ctx context.Context, e Entity, opts ListOptions) (Page[string], error)
}

// EffectivePolicy is one identity policy that applies to a principal.
type EffectivePolicy struct {
	// From is the entity that holds the policy: the principal itself, or
	// a group the user belongs to.
	From Entity
	// Name is the inline policy's name or the managed policy's name.
	Name     string
	Managed  bool
	Document string
}

// PolicySet is everything that governs a user's or role's identity-based
// permissions, read at once.
type PolicySet struct {
	Principal Entity
	// Policies are in a stable order: the principal's inline, then its
	// managed, then each group's inline and managed.
	Policies []EffectivePolicy
	// Boundary is the permissions boundary's document, and BoundaryName
	// its policy's name; both are empty when there is none.
	Boundary     string
	BoundaryName string
}

// PolicyResolver reads the policies that govern a user or role: the hot
// read of every authorized call.
type PolicyResolver interface {
	ResolvePolicies(ctx context.Context, principal Entity) (PolicySet, error)
}
