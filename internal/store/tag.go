package store

import "context"

// ResourceType says what kind of resource a Resource names.
type ResourceType string

// The taggable resources.
const (
	ResourceUser     ResourceType = "User"            // by name
	ResourceRole     ResourceType = "Role"            // by name
	ResourceNode     ResourceType = "ManagedInstance" // by id
	ResourceDocument ResourceType = "Document"        // by name
)

// Resource names a taggable resource.
type Resource struct {
	Type ResourceType
	ID   string
}

// Tags manages the tags of users, roles, nodes and documents.
type Tags interface {
	// AddTags adds tags, replacing the values of keys already present.
	// It fails with ErrLimitExceeded when the resource would have more
	// than MaxTagsPerResource.
	AddTags(ctx context.Context, r Resource, tags []Tag) error
	// RemoveTags removes the keys; absent keys are ignored.
	RemoveTags(ctx context.Context, r Resource, keys []string) error
	// ListTags returns the tags ordered by key.
	ListTags(ctx context.Context, r Resource) ([]Tag, error)
}
