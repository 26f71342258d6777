package store

import (
	"context"
	"time"
)

// Document is an SSM document at one of its versions.
type Document struct {
	Name         string
	Owner        string // "Amazon" for AWS's documents, else the account id
	DocumentType string // Session, Command, ...
	Format       string // JSON, YAML
	Description  string
	// Content, Version, VersionName and VersionCreatedAt are those of the
	// version read (the default one unless another was asked for).
	Content          string
	Version          string // "1", "2", ...
	VersionName      string
	VersionCreatedAt time.Time
	DefaultVersion   string
	LatestVersion    string
	CreatedAt        time.Time
	Tags             []Tag
}

// Version selectors for GetDocument besides a version number.
const (
	VersionDefault = "$DEFAULT" // also ""
	VersionLatest  = "$LATEST"
)

// Documents creates, reads and deletes documents.
type Documents interface {
	// CreateDocument stores d.Content as version "1", the default.
	CreateDocument(ctx context.Context, d Document) error
	// GetDocument reads the document at version: a number, VersionDefault
	// or "", or VersionLatest.
	GetDocument(ctx context.Context, name, version string) (Document, error)
	DeleteDocument(ctx context.Context, name string) error
}

// DocumentFilter selects documents; empty fields match everything.
type DocumentFilter struct {
	Owner        string
	DocumentType string
	Tags         []TagFilter
}

// DocumentVersion describes one version of a document.
type DocumentVersion struct {
	Version     string
	VersionName string
	Format      string
	Default     bool
	CreatedAt   time.Time
}

// DocumentLister lists documents (at their default versions, ordered by
// name) and a document's versions (ordered by number).
type DocumentLister interface {
	ListDocuments(ctx context.Context, f DocumentFilter, opts ListOptions) (Page[Document], error)
	ListDocumentVersions(ctx context.Context, name string, opts ListOptions) (Page[DocumentVersion], error)
}

// DocumentUpdate is the content of a new document version.
type DocumentUpdate struct {
	Content     string
	Format      string // kept when empty
	VersionName string
}

// DocumentVersions adds versions and chooses the default.
type DocumentVersions interface {
	// UpdateDocument adds the next version and returns the document at
	// it. It fails with ErrExists when the content equals the latest
	// version's or the version name is taken, and ErrLimitExceeded past
	// MaxDocumentVersions.
	UpdateDocument(ctx context.Context, name string, u DocumentUpdate) (Document, error)
	SetDefaultDocumentVersion(ctx context.Context, name, version string) error
}
