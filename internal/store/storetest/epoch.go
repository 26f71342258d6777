package storetest

import (
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// testCacheEpoch checks that the cache epoch moves with every change a
// server caches and stays put for the bookkeeping it does not cache, the
// writes a busy server makes all the time (pings, sessions, key use).
func testCacheEpoch(t *testing.T, s store.Store) {
	ctx := t.Context()
	epoch := func() int64 {
		t.Helper()
		e, err := s.CacheEpoch(ctx)
		must(t, err)
		return e
	}
	changes := func(what string, moves bool, write func() error) {
		t.Helper()
		before := epoch()
		must(t, write())
		if moved := epoch() != before; moved != moves {
			t.Errorf("%s: epoch moved = %v, want %v", what, moved, moves)
		}
	}
	node := node("mi-0123456789abcdef0")
	nodeRes := store.Resource{Type: store.ResourceNode, ID: node.ID}
	userEntity := store.Entity{Kind: store.EntityUser, Name: "alice"}
	use := store.KeyUse{At: at(5), Service: "ssm", Region: "eu-west-1"}

	for _, c := range []struct {
		what  string
		moves bool
		write func() error
	}{
		{"CreateUser", true, func() error { return s.CreateUser(ctx, user("alice")) }},
		{"AddTags on a user", true, func() error {
			return s.AddTags(ctx, store.Resource{Type: store.ResourceUser, ID: "alice"}, tags("Team", "a"))
		}},
		{"CreateAccessKey", true, func() error {
			return s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE1", UserName: "alice", Secret: secret, CreatedAt: t0})
		}},
		{"RecordAccessKeyUse", false, func() error { return s.RecordAccessKeyUse(ctx, "AKIAALICE1", use) }},
		{"SetAccessKeyStatus", true, func() error {
			return s.SetAccessKeyStatus(ctx, "alice", "AKIAALICE1", store.AccessKeyInactive)
		}},
		{"CreatePolicy", true, func() error {
			return s.CreatePolicy(ctx, store.Policy{ID: "ANPAP", Name: "p", Document: allowAll})
		}},
		{"AttachPolicy", true, func() error { return s.AttachPolicy(ctx, userEntity, "p") }},
		{"PutInlinePolicy", true, func() error {
			return s.PutInlinePolicy(ctx, userEntity, store.InlinePolicy{Name: "i", Document: allowAll})
		}},
		{"CreateGroup", true, func() error { return s.CreateGroup(ctx, store.Group{ID: "AGPAG", Name: "g"}) }},
		{"AddUserToGroup", true, func() error { return s.AddUserToGroup(ctx, "g", "alice") }},
		{"CreateActivation", false, func() error { return s.CreateActivation(ctx, activation("act", 10)) }},
		{"RegisterNode", true, func() error { return s.RegisterNode(ctx, "act", node) }},
		{"AddTags on a node", true, func() error { return s.AddTags(ctx, nodeRes, tags("Env", "Dev")) }},
		{"RecordPing, Online", true, func() error { return s.RecordPing(ctx, node.ID, store.PingOnline, at(time.Minute)) }},
		{"RecordPing, same status", false, func() error {
			return s.RecordPing(ctx, node.ID, store.PingOnline, at(2*time.Minute))
		}},
		{"RecordPing, ConnectionLost", true, func() error {
			return s.RecordPing(ctx, node.ID, store.PingConnectionLost, at(3*time.Minute))
		}},
		{"UpdateNodeInfo, same info", false, func() error { return s.UpdateNodeInfo(ctx, node.ID, node.Info) }},
		{"UpdateNodeInfo", true, func() error {
			i := node.Info
			i.AgentVersion = "3.3.2.0"
			return s.UpdateNodeInfo(ctx, node.ID, i)
		}},
		{"CreateDocument", true, func() error { return s.CreateDocument(ctx, sessionDoc("Shell", "123456789012")) }},
		{"CreateSession", false, func() error {
			return s.CreateSession(ctx, session("alice-0123456789abcdef0", store.SessionConnecting, t0))
		}},
		{"SetSessionStatus", false, func() error {
			return s.SetSessionStatus(ctx, "alice-0123456789abcdef0", store.SessionConnected, "", at(time.Second))
		}},
		{"DeleteNode", true, func() error { return s.DeleteNode(ctx, node.ID) }},
	} {
		changes(c.what, c.moves, c.write)
	}
}
