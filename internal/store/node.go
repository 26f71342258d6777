package store

import (
	"context"
	"time"
)

// PingStatus is a node's connection state, as AWS spells it.
type PingStatus string

// Ping statuses.
const (
	PingOnline         PingStatus = "Online"
	PingConnectionLost PingStatus = "ConnectionLost"
	PingInactive       PingStatus = "Inactive"
)

// Node is a managed node: a host registered through an activation, either
// a managed instance (mi-<17 hex>) or an EC2 instance (i-...).
type Node struct {
	ID           string
	Name         string
	ActivationID string
	IAMRole      string
	// CredentialsHash is the hash of the credentials the node was issued
	// at registration (or last rotation).
	CredentialsHash []byte
	Info            NodeInfo
	PingStatus      PingStatus
	LastPingAt      time.Time
	RegisteredAt    time.Time
	Tags            []Tag
}

// NodeInfo is what the agent reports about its host.
type NodeInfo struct {
	PlatformType    string // Linux, Windows, MacOS
	PlatformName    string
	PlatformVersion string
	AgentVersion    string
	IPAddress       string
	ComputerName    string // the host name
}

// Nodes reads and deletes nodes; RegisterNode creates them.
type Nodes interface {
	// GetNode returns the node with its tags: the hot read of
	// StartSession authorization.
	GetNode(ctx context.Context, id string) (Node, error)
	// DeleteNode deregisters the node; its sessions are kept.
	DeleteNode(ctx context.Context, id string) error
}

// NodeFilter selects nodes; empty fields match everything, and a node
// must match every field that is set.
type NodeFilter struct {
	IDs           []string
	PingStatuses  []PingStatus
	PlatformTypes []string
	Tags          []TagFilter
}

// NodeLister lists nodes, ordered by id.
type NodeLister interface {
	// ListNodeIDs lists the ids of the nodes that pass f, by id: the
	// nodes themselves come from GetNode (the server keeps them cached).
	ListNodeIDs(ctx context.Context, f NodeFilter, opts ListOptions) (Page[string], error)
}

// NodeUpdater records what agents report and rotates their credentials.
type NodeUpdater interface {
	UpdateNodeInfo(ctx context.Context, id string, info NodeInfo) error
	RecordPing(ctx context.Context, id string, s PingStatus, at time.Time) error
	// RecordPings is RecordPing for many nodes in one transaction (a
	// server that shuts down loses all its agents at once); ids of nodes
	// that no longer exist are skipped.
	RecordPings(ctx context.Context, ids []string, s PingStatus, at time.Time) error
	// RotateNodeCredentials replaces the credentials hash if it is still
	// old; it fails with ErrConflict otherwise.
	RotateNodeCredentials(ctx context.Context, id string, old, new []byte) error
}
