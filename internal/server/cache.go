package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// readCache keeps what the request hot path reads from the store (access
// keys, users, roles, compiled policy sets, nodes, documents) until it may
// be stale, so that a call costs few database round trips or none:
//
//   - any change this server makes to IAM or SSM state purges it at once
//     (api.go), so the server never answers from before its own writes;
//   - a change made elsewhere (another server on the same PostgreSQL, or
//     by hand) moves the store's cache epoch (store.CacheEpochs), which
//     the cache reads at most every cacheCheckEvery, and forgets
//     everything when it moved: such a change is seen within about that
//     interval, as AWS's own IAM changes take a moment to apply.
//
// Cached values are shared: callers must not modify them.
type readCache struct {
	mu       sync.Mutex // protects the following
	gen      uint64     // bumped by every purge: reads begun before it are not kept
	m        map[cacheKey]any
	epoch    int64     // the store's cache epoch the entries are valid for
	checked  time.Time // when the epoch was last read (monotonic)
	checking bool      // a request is reading it

	stats cacheStats
}

// cacheStats counts what the cache did, for /metrics.
type cacheStats struct {
	lookups                                     [numCacheKinds]struct{ hits, misses atomic.Uint64 }
	purgedByWrite, purgedByEpoch, purgedByError atomic.Uint64
}

// cacheKind is a kind of cached value.
type cacheKind uint8

const (
	cacheAccessKey cacheKind = iota
	cacheCaller
	cacheRole
	cachePolicies
	cacheNode
	cacheDocument
	numCacheKinds
)

var cacheKindNames = [numCacheKinds]string{"key", "caller", "role", "policies", "node", "doc"}

func (k cacheKind) String() string { return cacheKindNames[k] }

func (st *cacheStats) count(kind cacheKind, hit bool) {
	if hit {
		st.lookups[kind].hits.Add(1)
	} else {
		st.lookups[kind].misses.Add(1)
	}
}

const (
	cacheCheckEvery = 100 * time.Millisecond
	cacheMaxEntries = 100000
)

type cacheKey struct {
	kind cacheKind
	id   string
}

// cached returns the value for k, reading it with load when it is not
// cached. Errors are not cached.
func cached[V any](ctx context.Context, s *Server, kind cacheKind, id string, load func(context.Context) (V, error)) (V, error) {
	c := &s.cache
	c.revalidate(ctx, s.cfg.Store, s.log)
	k := cacheKey{kind, id}
	c.mu.Lock()
	v, ok := c.m[k]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		c.stats.count(kind, true)
		return v.(V), nil
	}
	c.stats.count(kind, false)
	val, err := load(ctx)
	if err != nil {
		return val, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= cacheMaxEntries {
			c.m = make(map[cacheKey]any)
		}
		c.m[k] = val
	}
	c.mu.Unlock()
	return val, nil
}

// revalidate reads the store's cache epoch when it was last read more
// than cacheCheckEvery ago, and purges the cache if it moved. One request
// reads it at a time; the others go on with the cache as it is, which is
// at most that much older. When the epoch cannot be read the cache is
// purged: the requests then read the store, and fail with it. (A request
// that ended while reading it purges nothing: the next one reads again.)
func (c *readCache) revalidate(ctx context.Context, st store.CacheEpochs, log *slog.Logger) {
	c.mu.Lock()
	if c.checking || (!c.checked.IsZero() && time.Since(c.checked) < cacheCheckEvery) {
		c.mu.Unlock()
		return
	}
	c.checking = true
	c.mu.Unlock()
	epoch, err := st.CacheEpoch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checking = false
	if err != nil && ctx.Err() != nil {
		return
	}
	if err != nil {
		log.Warn("cache epoch not read; cache purged", "err", err)
		c.stats.purgedByError.Add(1)
		c.purgeLocked()
		c.checked = time.Time{}
		return
	}
	if epoch != c.epoch || c.checked.IsZero() {
		if !c.checked.IsZero() {
			c.stats.purgedByEpoch.Add(1)
		}
		c.purgeLocked()
		c.epoch = epoch
	}
	c.checked = time.Now()
}

// forgetNode forgets one node, whose status changed.
func (c *readCache) forgetNode(id string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, cacheKey{cacheNode, id})
	c.mu.Unlock()
}

// purge forgets everything, after a write of this server's.
func (c *readCache) purge() {
	c.stats.purgedByWrite.Add(1)
	c.mu.Lock()
	c.purgeLocked()
	c.mu.Unlock()
}

func (c *readCache) purgeLocked() {
	c.gen++
	c.m = nil
}

// The cached reads.

func (s *Server) cachedAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	return cached(ctx, s, cacheAccessKey, id, func(ctx context.Context) (store.AccessKey, error) { return s.cfg.Store.GetAccessKey(ctx, id) })
}

func (s *Server) cachedRole(ctx context.Context, name string) (store.Role, error) {
	return cached(ctx, s, cacheRole, name, func(ctx context.Context) (store.Role, error) { return s.cfg.Store.GetRole(ctx, name) })
}

// cachedPolicySet returns the compiled identity policies and permissions
// boundary of a user or role.
func (s *Server) cachedPolicySet(ctx context.Context, e store.Entity) (*iam.PolicySet, error) {
	return cached(ctx, s, cachePolicies, string(e.Kind)+"/"+e.Name, func(ctx context.Context) (*iam.PolicySet, error) {
		ps, err := s.cfg.Store.ResolvePolicies(ctx, e)
		if err != nil {
			return nil, err
		}
		return s.compilePolicySet(ps)
	})
}

func (s *Server) cachedNode(ctx context.Context, id string) (store.Node, error) {
	return cached(ctx, s, cacheNode, id, func(ctx context.Context) (store.Node, error) { return s.cfg.Store.GetNode(ctx, id) })
}

func (s *Server) cachedDocument(ctx context.Context, name, version string) (store.Document, error) {
	return cached(ctx, s, cacheDocument, name+"\x00"+version, func(ctx context.Context) (store.Document, error) {
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

// memo keeps the results of a pure function by its argument, up to a
// number of entries, past which it starts again empty. Errors are not
// kept.
type memo[K comparable, V any] struct {
	mu sync.Mutex // protects m
	m  map[K]V
}

// get returns the value for k, made by build on the first call.
func (c *memo[K, V]) get(k K, max int, build func() (V, error)) (V, error) {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = map[K]V{}
	}
	c.m[k] = v
	c.mu.Unlock()
	return v, nil
}

// sessionDocs keeps parsed session documents by content: parsing is a
// pure function of the text, so an entry never goes stale.
type sessionDocs struct {
	memo[string, *sessionDoc]
}

const sessionDocsMax = 1000

// sessionDocument parses a session document's content, once per content.
// The result is shared: callers must not modify it.
func (s *Server) sessionDocument(content string) (*sessionDoc, error) {
	return s.sessionDocs.get(content, sessionDocsMax, func() (*sessionDoc, error) { return parseSessionDocument(content) })
}
