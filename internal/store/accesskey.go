package store

import (
	"context"
	"time"
)

// AccessKeyStatus is Active or Inactive.
type AccessKeyStatus string

// Access key statuses, as AWS spells them.
const (
	AccessKeyActive   AccessKeyStatus = "Active"
	AccessKeyInactive AccessKeyStatus = "Inactive"
)

// AccessKey is a user's long-term credential. Secret is plaintext in
// memory only: the store seals it with the server key.
type AccessKey struct {
	ID        string // AKIA...
	UserName  string
	Secret    string
	Status    AccessKeyStatus
	CreatedAt time.Time
	LastUsed  KeyUse
}

// KeyUse records when and where an access key was last used. The zero
// KeyUse means never.
type KeyUse struct {
	At      time.Time
	Service string
	Region  string
}

// AccessKeys creates, reads and deletes access keys.
type AccessKeys interface {
	// CreateAccessKey fails with ErrNotFound for an unknown user and with
	// ErrLimitExceeded when the user has MaxAccessKeys.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// GetAccessKey returns the key with its secret opened: the hot read
	// of request signing.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// DeleteAccessKey fails with ErrNotFound unless the key is the user's.
	DeleteAccessKey(ctx context.Context, user, id string) error
}

// AccessKeyLister lists a user's keys, without their secrets.
type AccessKeyLister interface {
	ListAccessKeys(ctx context.Context, user string, opts ListOptions) (Page[AccessKey], error)
}

// AccessKeyUpdater changes an access key's status and records its use.
type AccessKeyUpdater interface {
	SetAccessKeyStatus(ctx context.Context, user, id string, s AccessKeyStatus) error
	RecordAccessKeyUse(ctx context.Context, id string, u KeyUse) error
}
