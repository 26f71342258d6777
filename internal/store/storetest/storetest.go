// Package storetest is the conformance suite every store backend passes:
// one test body, run against each backend like net/http's modes. A
// backend's own test calls Run with a function that opens a new, empty
// store, and Benchmark for the hot reads.
//
//	func TestStore(t *testing.T) { storetest.Run(t, openTestDB) }
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sesame-sh/sesame/internal/store"
)

// Open returns a new, empty store for one test or benchmark and closes
// it in tb's cleanup.
type Open func(tb testing.TB) store.Store

// Raw is what a backend's test adds to the stores it hands to Run, so the
// suite can look under the interfaces: the sealed secret column, and
// writes that bypass the store's code to show the database itself holds
// the session state machine. Queries are in the SQL both backends share,
// with ? placeholders.
type Raw interface {
	RawSecret(ctx context.Context, accessKeyID string) ([]byte, error)
	RawExec(ctx context.Context, query string, args ...any) error
}

// Run runs the conformance suite; each test gets its own store from open
// and runs in parallel with the others.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Users", testUsers},
		{"UserPaging", testUserPaging},
		{"DeleteConflicts", testDeleteConflicts},
		{"Groups", testGroups},
		{"Roles", testRoles},
		{"Policies", testPolicies},
		{"PolicyVersions", testPolicyVersions},
		{"Attachments", testAttachments},
		{"InlinePolicies", testInlinePolicies},
		{"ResolvePolicies", testResolvePolicies},
		{"AccessKeys", testAccessKeys},
		{"SecretsSealed", testSecretsSealed},
		{"Activations", testActivations},
		{"Registration", testRegistration},
		{"Nodes", testNodes},
		{"NodeFilters", testNodeFilters},
		{"Documents", testDocuments},
		{"DocumentVersions", testDocumentVersions},
		{"Sessions", testSessions},
		{"SessionStateMachine", testSessionStateMachine},
		{"SessionStateMachineInSQL", testSessionStateMachineInSQL},
		{"Tags", testTags},
		{"Concurrency", testConcurrency},
		{"Canceled", testCanceled},
		{"InvalidToken", testInvalidToken},
		{"CacheEpoch", testCacheEpoch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// t0 is the suite's clock: a time with nanoseconds, which the store
// keeps to the microsecond.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// micro is what the store gives back for t.
func micro(t time.Time) time.Time { return store.Micro(t) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func diff(t testing.TB, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// pages reads every page of a list call with the given page size and
// returns the items and the number of pages.
func pages[T any](t testing.TB, limit int, list func(store.ListOptions) (store.Page[T], error)) ([]T, int) {
	t.Helper()
	var all []T
	opts := store.ListOptions{Limit: limit}
	for n := 1; ; n++ {
		p, err := list(opts)
		must(t, err)
		if len(p.Items) > limit {
			t.Fatalf("page %d has %d items, limit %d", n, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextToken == "" {
			return all, n
		}
		if n > 1000 {
			t.Fatal("pagination does not end")
		}
		opts.Token = p.NextToken
	}
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func tags(kv ...string) []store.Tag {
	var out []store.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, store.Tag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func user(name string) store.User {
	return store.User{ID: "AIDA" + name, Name: name, Path: "/", CreatedAt: t0}
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func doc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}
