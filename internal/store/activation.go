package store

import (
	"context"
	"time"
)

// Activation is a hybrid activation: the code (kept as a hash) and id a
// host registers with.
type Activation struct {
	ID                  string
	CodeHash            []byte
	Description         string
	DefaultInstanceName string
	IAMRole             string
	RegistrationLimit   int
	RegistrationCount   int // read-only: raised by RegisterNode
	ExpiresAt           time.Time
	CreatedAt           time.Time
	// Tags are given to every node registered with the activation.
	Tags []Tag
}

// Expired reports whether the activation has expired at now.
func (a Activation) Expired(now time.Time) bool {
	return !now.Before(a.ExpiresAt)
}

// Activations creates, reads and deletes activations.
type Activations interface {
	CreateActivation(ctx context.Context, a Activation) error
	GetActivation(ctx context.Context, id string) (Activation, error)
	// DeleteActivation keeps the nodes registered with it.
	DeleteActivation(ctx context.Context, id string) error
}

// ActivationLister lists activations, newest first.
type ActivationLister interface {
	ListActivations(ctx context.Context, opts ListOptions) (Page[Activation], error)
}

// Registrar registers nodes.
type Registrar interface {
	// RegisterNode uses one registration of the activation and creates
	// the node, in one transaction. The node gets the activation's tags
	// (its own win on the same key), IAM role, and default instance name
	// when n.Name is empty. It fails with ErrNotFound (activation),
	// ErrExpired (at n.RegisteredAt), ErrLimitExceeded (registration
	// limit reached) or ErrExists (node id).
	RegisterNode(ctx context.Context, activationID string, n Node) error
}
