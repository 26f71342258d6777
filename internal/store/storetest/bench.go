package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// Benchmark sizes: a fleet and a staff, as in the control plane's
// benchmark (scaled down to keep the seeding short).
const (
	benchNodes = 1000
	benchUsers = 100
)

// Benchmark measures the hot reads of an authorized call: the target
// node with its tags (StartSession), a user's policies with their groups'
// and boundary (every call), and an access key with its secret opened
// (request signing).
func Benchmark(b *testing.B, open Open) {
	s := open(b)
	ctx := b.Context()
	seedBench(b, s)
	b.Run("GetNode", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			n, err := s.GetNode(ctx, fmt.Sprintf("mi-%017x", i%benchNodes))
			if err != nil || len(n.Tags) != 5 {
				b.Fatal(err, n.Tags)
			}
		}
	})
	b.Run("ResolvePolicies", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			set, err := s.ResolvePolicies(ctx, store.Entity{Kind: store.EntityUser, Name: fmt.Sprintf("user%03d", i%benchUsers)})
			if err != nil || len(set.Policies) != 6 || set.Boundary == "" {
				b.Fatal(err, len(set.Policies))
			}
		}
	})
	b.Run("ListNodeIDs", func(b *testing.B) {
		// DescribeInstanceInformation's first page, half the time filtered
		// on a tag.
		filters := []store.NodeFilter{{}, {Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev"}}}}}
		for i := 0; b.Loop(); i++ {
			p, err := s.ListNodeIDs(ctx, filters[i%2], store.ListOptions{Limit: 10})
			if err != nil || len(p.Items) != 10 {
				b.Fatal(err, len(p.Items))
			}
		}
	})
	b.Run("GetAccessKey", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			k, err := s.GetAccessKey(ctx, fmt.Sprintf("AKIA%016d", i%benchUsers))
			if err != nil || k.Secret != secret {
				b.Fatal(err)
			}
		}
	})
	var sessions atomic.Int64 // ids across the runs of the benchmarks
	b.Run("CreateSession", func(b *testing.B) {
		for b.Loop() {
			id := fmt.Sprintf("bench-%017x", sessions.Add(1))
			if err := s.CreateSession(ctx, session(id, store.SessionConnecting, t0)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateSessionParallel", func(b *testing.B) {
		// Concurrent writers, as StartSession calls are: SQLite has one
		// writer at a time, and how the others wait shows in the tail.
		var mu sync.Mutex
		var lat []time.Duration
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				i := sessions.Add(1)
				start := time.Now()
				err := s.CreateSession(ctx, session(fmt.Sprintf("bench-%017x", i), store.SessionConnecting, t0))
				mine = append(mine, time.Since(start))
				if err != nil {
					b.Error(err)
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
		}
	})
	b.Run("GetNodeParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if _, err := s.GetNode(ctx, fmt.Sprintf("mi-%017x", i%benchNodes)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// seedBench registers benchNodes nodes with 5 tags each and benchUsers
// users, each with an inline and a managed policy, two groups with one of
// each, a boundary and an access key.
func seedBench(b *testing.B, s store.Store) {
	ctx := b.Context()
	must(b, s.CreateActivation(ctx, activation("bench", benchNodes)))
	for i := range benchNodes {
		n := node(fmt.Sprintf("mi-%017x", i))
		n.Tags = tags("Env", []string{"Dev", "Prod"}[i%2], "Team", fmt.Sprint(i%10), "Name", n.ID, "OS", "Linux", "Rack", fmt.Sprint(i%40))
		must(b, s.RegisterNode(ctx, "bench", n))
	}
	for _, p := range []string{"Managed", "GroupManaged", "Boundary"} {
		must(b, s.CreatePolicy(ctx, store.Policy{ID: "ANPA" + p, Name: p, Document: doc("ssm:" + p)}))
	}
	for _, g := range []string{"devs", "ops"} {
		must(b, s.CreateGroup(ctx, store.Group{ID: "AGPA" + g, Name: g}))
		e := store.Entity{Kind: store.EntityGroup, Name: g}
		must(b, s.PutInlinePolicy(ctx, e, store.InlinePolicy{Name: g + "-inline", Document: doc("ssm:" + g)}))
		must(b, s.AttachPolicy(ctx, e, "GroupManaged"))
	}
	for i := range benchUsers {
		name := fmt.Sprintf("user%03d", i)
		must(b, s.CreateUser(ctx, store.User{ID: fmt.Sprintf("AIDA%016d", i), Name: name, PermissionsBoundary: "Boundary"}))
		e := store.Entity{Kind: store.EntityUser, Name: name}
		must(b, s.PutInlinePolicy(ctx, e, store.InlinePolicy{Name: "own", Document: doc("ssm:StartSession")}))
		must(b, s.AttachPolicy(ctx, e, "Managed"))
		must(b, s.AddUserToGroup(ctx, "devs", name))
		must(b, s.AddUserToGroup(ctx, "ops", name))
		must(b, s.CreateAccessKey(ctx, store.AccessKey{ID: fmt.Sprintf("AKIA%016d", i), UserName: name, Secret: secret}))
	}
}
