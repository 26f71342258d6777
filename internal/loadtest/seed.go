package loadtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// fleet is what was seeded: the nodes and users, with their secrets.
type fleet struct {
	nodes []node
	users []user
}

// newFleet builds the fleet's description; secrets come from rnd.
func newFleet(nodes, users int, rnd *rand.Rand) *fleet {
	f := &fleet{nodes: make([]node, nodes), users: make([]user, users)}
	for i := range f.nodes {
		f.nodes[i] = newNode(i)
		f.nodes[i].token = nodeToken(f.nodes[i].id, rnd)
	}
	for i := range f.users {
		f.users[i] = newUser(i, newSecret(rnd))
	}
	return f
}

// newSecret returns a 40-character secret access key, as AWS's look.
func newSecret(rnd *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, 40)
	for i := range b {
		b[i] = alphabet[rnd.IntN(len(alphabet))]
	}
	return string(b)
}

const benchActivation = "5e5a0000-0000-4000-8000-000000000001"

// seed writes the fleet into st through the store's own methods, as the
// server would have: the two managed policies, an activation and the
// nodes registered with it (Online, with a fresh ping and the hash of
// their agents' credentials), and the users
// with their tags, policies, boundaries and access keys. Nodes and users
// are written by workers goroutines.
func seed(ctx context.Context, st store.Store, f *fleet, workers int, progress io.Writer) error {
	now := time.Now().UTC()
	for _, p := range []struct{ id, name, desc, doc string }{
		{"ANPA5E5A0000000000001", readOnlyPolicy, "Describe and Get actions of Session Manager.", readOnlyDocument},
		{"ANPA5E5A0000000000002", boundaryPolicy, "Permissions boundary: no session on Prod nodes.", boundaryDocument},
	} {
		if err := st.CreatePolicy(ctx, store.Policy{ID: p.id, Name: p.name, Path: "/", Description: p.desc,
			Document: p.doc, CreatedAt: now, UpdatedAt: now}); err != nil {
			return fmt.Errorf("seed policy %s: %w", p.name, err)
		}
	}
	if err := st.CreateActivation(ctx, store.Activation{ID: benchActivation, CodeHash: make([]byte, 32),
		Description: "sesame bench api", DefaultInstanceName: "bench", IAMRole: "SSMServiceRole",
		RegistrationLimit: len(f.nodes), ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now}); err != nil {
		return fmt.Errorf("seed activation: %w", err)
	}
	err := parallel(ctx, "nodes", len(f.nodes), workers, progress, func(ctx context.Context, i int) error {
		n := &f.nodes[i]
		at := time.Now().UTC()
		err := st.RegisterNode(ctx, benchActivation, store.Node{
			ID: n.id, Name: fmt.Sprintf("node-%05d", i), CredentialsHash: nodeTokenHash(n.token),
			Info: store.NodeInfo{PlatformType: n.info.PlatformType, PlatformName: n.info.PlatformName,
				PlatformVersion: n.info.PlatformVersion, AgentVersion: n.info.AgentVersion,
				IPAddress: n.info.IPAddress, ComputerName: n.info.Hostname},
			PingStatus: store.PingOnline, LastPingAt: at, RegisteredAt: at, Tags: n.tags,
		})
		if err != nil {
			return fmt.Errorf("seed node %s: %w", n.id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return parallel(ctx, "users", len(f.users), workers, progress, func(ctx context.Context, i int) error {
		if err := seedUser(ctx, st, &f.users[i], now); err != nil {
			return fmt.Errorf("seed user %s: %w", f.users[i].name, err)
		}
		return nil
	})
}

func seedUser(ctx context.Context, st store.Store, u *user, now time.Time) error {
	e := store.Entity{Kind: store.EntityUser, Name: u.name}
	if err := st.CreateUser(ctx, store.User{ID: u.id, Name: u.name, Path: "/", CreatedAt: now,
		Tags: []store.Tag{{Key: "Team", Value: u.team}, {Key: "CostCenter", Value: "cc-" + u.team}}}); err != nil {
		return err
	}
	if err := st.PutInlinePolicy(ctx, e, store.InlinePolicy{Name: sessionPolicy, Document: u.sessionDocument()}); err != nil {
		return err
	}
	if !u.noRead {
		if err := st.AttachPolicy(ctx, e, readOnlyPolicy); err != nil {
			return err
		}
	}
	if u.bounded {
		if err := st.SetPermissionsBoundary(ctx, e, boundaryPolicy); err != nil {
			return err
		}
	}
	return st.CreateAccessKey(ctx, store.AccessKey{ID: u.keyID, UserName: u.name, Secret: u.secret,
		Status: store.AccessKeyActive, CreatedAt: now})
}

// parallel runs fn for 0..n-1 on workers goroutines, stopping at the
// first error, and reports progress every tenth.
func parallel(ctx context.Context, what string, n, workers int, progress io.Writer, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var (
		next, done atomic.Int64
		errOnce    sync.Once
		firstErr   error
		wg         sync.WaitGroup
		mu         sync.Mutex // serializes progress lines
	)
	step := int64(max(n/10, 1))
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, int(i)); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				if d := done.Add(1); d%step == 0 || d == int64(n) {
					mu.Lock()
					fmt.Fprintf(progress, "seed: %s %d/%d (%.1fs)\n", what, d, n, time.Since(start).Seconds())
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
