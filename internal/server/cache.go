package server

import (
	"context"
	"sync"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// readCache keeps the store reads of the request hot path (access keys,
// users, roles, resolved policies, nodes, documents) for cacheTTL, so that
// a call costs few database round trips. Any change this server makes to
// IAM or SSM state purges it (see api.go), so this server never serves
// a stale answer about its own writes; the TTL bounds how long a change
// made elsewhere (another server on the same PostgreSQL, or the store
// directly) can go unseen. Cached values are shared: callers must not
// modify them.
type readCache struct {
	mu  sync.Mutex // protects the following
	gen uint64     // bumped by purge: reads begun before it are not kept
	m   map[cacheKey]cacheEntry
}

const (
	cacheTTL        = 2 * time.Second
	cacheMaxEntries = 100000
)

type cacheKey struct {
	kind string // "key", "user", "role", "policies", "node", "doc"
	id   string
}

type cacheEntry struct {
	at  time.Time
	val any
}

// cached returns the value for k, reading it with load when it is not
// cached or too old. Errors are not cached.
func cached[V any](ctx context.Context, s *Server, kind, id string, load func(context.Context) (V, error)) (V, error) {
	c := &s.cache
	now := s.cfg.Clock()
	k := cacheKey{kind, id}
	c.mu.Lock()
	e, ok := c.m[k]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.at) < cacheTTL && !now.Before(e.at) {
		return e.val.(V), nil
	}
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= cacheMaxEntries {
			c.m = make(map[cacheKey]cacheEntry)
		}
		c.m[k] = cacheEntry{at: now, val: v}
	}
	c.mu.Unlock()
	return v, nil
}

// forgetNode forgets one node, whose status changed.
func (c *readCache) forgetNode(id string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, cacheKey{"node", id})
	c.mu.Unlock()
}

// purge forgets everything.
func (c *readCache) purge() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

// The cached reads.

func (s *Server) cachedAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	return cached(ctx, s, "key", id, func(ctx context.Context) (store.AccessKey, error) { return s.cfg.Store.GetAccessKey(ctx, id) })
}

func (s *Server) cachedUser(ctx context.Context, name string) (store.User, error) {
	return cached(ctx, s, "user", name, func(ctx context.Context) (store.User, error) { return s.cfg.Store.GetUser(ctx, name) })
}

func (s *Server) cachedRole(ctx context.Context, name string) (store.Role, error) {
	return cached(ctx, s, "role", name, func(ctx context.Context) (store.Role, error) { return s.cfg.Store.GetRole(ctx, name) })
}

func (s *Server) cachedPolicies(ctx context.Context, e store.Entity) (store.PolicySet, error) {
	return cached(ctx, s, "policies", string(e.Kind)+"/"+e.Name, func(ctx context.Context) (store.PolicySet, error) {
		return s.cfg.Store.ResolvePolicies(ctx, e)
	})
}

func (s *Server) cachedNode(ctx context.Context, id string) (store.Node, error) {
	return cached(ctx, s, "node", id, func(ctx context.Context) (store.Node, error) { return s.cfg.Store.GetNode(ctx, id) })
}

func (s *Server) cachedDocument(ctx context.Context, name, version string) (store.Document, error) {
	return cached(ctx, s, "doc", name+"\x00"+version, func(ctx context.Context) (store.Document, error) {
		return s.cfg.Store.GetDocument(ctx, name, version)
	})
}

// purgesCache reports whether a successful call of op may change what the
// cache holds: every write but the session calls, which change only
// sessions (not cached).
func purgesCache(op *operation) bool {
	if op == nil || op.readOnly {
		return false
	}
	switch op.name {
	case "StartSession", "ResumeSession", "TerminateSession":
		return op.service != "ssm"
	}
	return true
}
