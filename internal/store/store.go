package store

import (
	"context"
	"errors"
	"time"
)

// Kinds of failure. Methods wrap them with what failed, for example
// `user "alice": not found`; test with errors.Is.
var (
	// ErrNotFound: the named record (or one it refers to) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with that name or id already exists (AWS's
	// EntityAlreadyExists, AlreadyExistsException).
	ErrExists = errors.New("already exists")
	// ErrConflict: the change conflicts with the state of the record: it
	// is still in use (AWS's DeleteConflict), a compare-and-swap lost, or
	// a session status change is not allowed.
	ErrConflict = errors.New("conflict")
	// ErrLimitExceeded: the change would exceed a quota (AWS's
	// LimitExceeded), such as Max* below or an activation's registration
	// limit.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrExpired: the activation has expired.
	ErrExpired = errors.New("expired")
	// ErrInvalidToken: a pagination token this store did not issue.
	ErrInvalidToken = errors.New("invalid pagination token")
)

// Quotas, AWS's defaults.
const (
	MaxTagsPerResource  = 50   // tags on one user, role, node, document
	MaxAccessKeys       = 2    // access keys per user
	MaxPolicyVersions   = 5    // versions of one managed policy
	MaxAttachedPolicies = 10   // managed policies attached to one entity
	MaxGroupsPerUser    = 10   // groups one user belongs to
	MaxDocumentVersions = 1000 // versions of one document
	DefaultPageSize     = 100  // ListOptions.Limit when zero
	MaxPageSize         = 1000 // larger limits are cut to this
)

// ListOptions selects one page of a list call.
type ListOptions struct {
	// Limit is the page size: DefaultPageSize when zero, at most
	// MaxPageSize.
	Limit int
	// Token is the NextToken of the previous page, or empty for the
	// first page.
	Token string
}

// Page is one page of a list call. NextToken is empty on the last page.
type Page[T any] struct {
	Items     []T
	NextToken string
}

// Tag is a key-value pair on a resource.
type Tag struct {
	Key   string
	Value string
}

// TagFilter matches resources that have the tag Key with one of Values,
// or with any value when Values is empty.
type TagFilter struct {
	Key    string
	Values []string
}

// Store is everything a backend provides. The server depends on the
// smaller interfaces; Store is what a backend's Open returns and what the
// conformance suite tests.
type Store interface {
	Users
	UserLister
	UserUpdater
	Groups
	GroupLister
	GroupMembers
	Roles
	RoleLister
	RoleUpdater
	Policies
	PolicyLister
	PolicyVersions
	PolicyVersionReader
	Attachments
	Boundaries
	InlinePolicies
	InlinePolicyLister
	PolicyResolver
	AccessKeys
	AccessKeyLister
	AccessKeyUpdater
	Activations
	ActivationLister
	Registrar
	Nodes
	NodeLister
	NodeUpdater
	Documents
	DocumentLister
	DocumentVersions
	Sessions
	SessionLister
	Tags
	CacheEpochs

	// Close releases the backend's connections. It is idempotent.
	Close() error
}

// CacheEpochs tells a server when what it cached may be stale.
type CacheEpochs interface {
	// CacheEpoch returns a number that changes whenever a row changes that
	// a server caches to decide calls: IAM users, groups, roles and their
	// tags, policies and their versions, attachments and inline policies,
	// access keys (not their last use), nodes and their tags (not the time
	// of their last ping), documents and their tags. Sessions and
	// activations leave it alone. The database moves it (triggers), so
	// changes made by another server or by hand move it too.
	CacheEpoch(ctx context.Context) (int64, error)
}

// Micro truncates t to what the store keeps: microseconds, UTC. The zero
// time stays zero.
func Micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
