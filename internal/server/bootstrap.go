package server

import (
	"context"
	"fmt"

	"github.com/sesame-sh/sesame/internal/store"
)

// Admin is the bootstrap administrator and its first access key. The
// secret exists only in this value: the caller writes it to the profile
// file once and never logs it.
type Admin struct {
	UserName        string
	ARN             string
	AccessKeyID     string
	SecretAccessKey string
}

// administratorAccess is AWS's AdministratorAccess policy.
const administratorAccess = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        }
    ]
}`

// Bootstrap prepares the store at every start: it writes the built-in
// documents that are missing (here rather than on first use, whose write
// would empty every server's cache under load), and on the first start
// creates the administrator: user "admin" with the AdministratorAccess
// managed policy attached and one access key. It returns nil when the
// account already has users.
func (s *Server) Bootstrap(ctx context.Context) (*Admin, error) {
	if err := s.ensureBuiltins(ctx); err != nil {
		return nil, fmt.Errorf("bootstrap: built-in documents: %w", err)
	}
	page, err := s.cfg.Store.ListUsers(ctx, "", store.ListOptions{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: list users: %w", err)
	}
	if len(page.Items) > 0 {
		return nil, nil
	}
	now := s.cfg.Clock().UTC()
	u := store.User{ID: s.newID("AIDA", 21), Name: "admin", Path: "/", CreatedAt: now}
	if err := s.cfg.Store.CreateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("bootstrap: create user: %w", err)
	}
	p := store.Policy{ID: s.newID("ANPA", 21), Name: "AdministratorAccess", Path: "/",
		Description: "Provides full access to every sesame API.", Document: administratorAccess, CreatedAt: now, UpdatedAt: now}
	if err := s.cfg.Store.CreatePolicy(ctx, p); err != nil {
		return nil, fmt.Errorf("bootstrap: create policy: %w", err)
	}
	if err := s.cfg.Store.AttachPolicy(ctx, store.Entity{Kind: store.EntityUser, Name: u.Name}, p.Name); err != nil {
		return nil, fmt.Errorf("bootstrap: attach policy: %w", err)
	}
	k := store.AccessKey{ID: s.newID("AKIA", 20), UserName: u.Name, Secret: s.newSecret(), Status: store.AccessKeyActive, CreatedAt: now}
	if err := s.cfg.Store.CreateAccessKey(ctx, k); err != nil {
		return nil, fmt.Errorf("bootstrap: create access key: %w", err)
	}
	return &Admin{UserName: u.Name, ARN: s.userARN(u), AccessKeyID: k.ID, SecretAccessKey: k.Secret}, nil
}
