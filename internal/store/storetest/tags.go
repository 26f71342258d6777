package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
)

func testTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u")))
	must(t, s.CreateRole(ctx, store.Role{ID: "AROAR", Name: "r"}))
	must(t, s.CreateActivation(ctx, activation("act", 1)))
	must(t, s.RegisterNode(ctx, "act", node("mi-0123456789abcdef0")))
	must(t, s.CreateDocument(ctx, sessionDoc("D", "123456789012")))
	for _, r := range []store.Resource{
		{Type: store.ResourceUser, ID: "U"},
		{Type: store.ResourceRole, ID: "r"},
		{Type: store.ResourceNode, ID: "mi-0123456789abcdef0"},
		{Type: store.ResourceDocument, ID: "D"},
	} {
		t.Run(string(r.Type), func(t *testing.T) {
			got, err := s.ListTags(ctx, r)
			must(t, err)
			diff(t, "no tags", got, []store.Tag(nil))
			must(t, s.AddTags(ctx, r, tags("Env", "Dev", "Team", "a")))
			must(t, s.AddTags(ctx, r, tags("Team", "b", "env", "lower")))
			got, err = s.ListTags(ctx, r)
			must(t, err)
			diff(t, "tags", got, tags("Env", "Dev", "Team", "b", "env", "lower"))
			must(t, s.RemoveTags(ctx, r, []string{"Team", "absent"}))
			must(t, s.RemoveTags(ctx, r, nil))
			got, err = s.ListTags(ctx, r)
			must(t, err)
			diff(t, "after remove", got, tags("Env", "Dev", "env", "lower"))

			// At most MaxTagsPerResource, and a refused add adds nothing.
			var many []store.Tag
			for i := range store.MaxTagsPerResource - 1 {
				many = append(many, store.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
			}
			wantErr(t, s.AddTags(ctx, r, many), store.ErrLimitExceeded)
			got, err = s.ListTags(ctx, r)
			must(t, err)
			if len(got) != 2 {
				t.Errorf("%d tags after a refused add, want 2", len(got))
			}
			wantErr(t, s.AddTags(ctx, r, append(many, many[0], many[1])[:store.MaxTagsPerResource+1]), store.ErrLimitExceeded)
			must(t, s.AddTags(ctx, r, many[:store.MaxTagsPerResource-2]))
			must(t, s.AddTags(ctx, r, tags("Env", "Prod"))) // replacing a value adds no tag
			wantErr(t, s.AddTags(ctx, r, tags("one", "more")), store.ErrLimitExceeded)
		})
	}
	for _, r := range []store.Resource{
		{Type: store.ResourceUser, ID: "nobody"},
		{Type: store.ResourceNode, ID: "mi-nope"},
		{Type: store.ResourceDocument, ID: "d"},
		{Type: "Bucket", ID: "b"},
	} {
		wantErr(t, s.AddTags(ctx, r, tags("a", "b")), store.ErrNotFound)
		wantErr(t, s.RemoveTags(ctx, r, []string{"a"}), store.ErrNotFound)
		_, err := s.ListTags(ctx, r)
		wantErr(t, err, store.ErrNotFound)
	}
}

// race runs fn in n goroutines at once and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// winners checks that exactly want calls succeeded and the others failed
// with loss.
func winners(t *testing.T, what string, errs []error, want int, loss error) {
	t.Helper()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, loss):
			t.Errorf("%s: error %v, want %v", what, err, loss)
		}
	}
	if won != want {
		t.Errorf("%s: %d succeeded, want %d", what, won, want)
	}
}

func testConcurrency(t *testing.T, s store.Store) {
	ctx := t.Context()
	for round := range 5 {
		name := fmt.Sprintf("racer%d", round)
		errs := race(2, func(i int) error {
			return s.CreateUser(ctx, store.User{ID: fmt.Sprintf("AIDA%d%d", round, i), Name: name})
		})
		winners(t, "two creates of one user", errs, 1, store.ErrExists)
	}

	// Quotas hold under concurrency: the count and the insert are one
	// step.
	must(t, s.CreateUser(ctx, user("keys")))
	must(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIA0", UserName: "keys", Secret: "s"}))
	errs := race(4, func(i int) error {
		return s.CreateAccessKey(ctx, store.AccessKey{ID: fmt.Sprintf("AKIA%d", i+1), UserName: "keys", Secret: "s"})
	})
	winners(t, "access keys past the quota", errs, 1, store.ErrLimitExceeded)

	must(t, s.CreateActivation(ctx, activation("once", 1)))
	errs = race(4, func(i int) error {
		return s.RegisterNode(ctx, "once", node(fmt.Sprintf("mi-%017x", i)))
	})
	winners(t, "registrations past the limit", errs, 1, store.ErrLimitExceeded)

	// One session, terminated and resumed at once: whatever the order, a
	// terminated session stays terminated.
	for round := range 5 {
		id := fmt.Sprintf("s%d", round)
		reach(t, s, id, store.SessionDisconnected)
		race(2, func(i int) error {
			if i == 0 {
				return s.SetSessionStatus(ctx, id, store.SessionTerminated, "", t0)
			}
			return s.SetSessionStatus(ctx, id, store.SessionConnected, "", t0)
		})
		err := s.SetSessionStatus(ctx, id, store.SessionConnected, "", t0)
		wantErr(t, err, store.ErrConflict)
		got, err := s.GetSession(ctx, id)
		must(t, err)
		if got.Status != store.SessionTerminated {
			t.Errorf("%s: status %s after the race", id, got.Status)
		}
	}
}

func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetUser(ctx, "anyone")
	wantErr(t, err, context.Canceled)
	wantErr(t, s.CreateUser(ctx, user("anyone")), context.Canceled)
	_, err = s.GetUser(t.Context(), "anyone")
	wantErr(t, err, store.ErrNotFound)
}

func testInvalidToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u")))
	bad := store.ListOptions{Token: "not base64!"}
	calls := map[string]func() error{
		"users":       func() error { _, err := s.ListUsers(ctx, "", bad); return err },
		"groups":      func() error { _, err := s.ListGroups(ctx, "", bad); return err },
		"roles":       func() error { _, err := s.ListRoles(ctx, "", bad); return err },
		"policies":    func() error { _, err := s.ListPolicies(ctx, "", bad); return err },
		"keys":        func() error { _, err := s.ListAccessKeys(ctx, "u", bad); return err },
		"activations": func() error { _, err := s.ListActivations(ctx, bad); return err },
		"nodes":       func() error { _, err := s.ListNodeIDs(ctx, store.NodeFilter{}, bad); return err },
		"documents":   func() error { _, err := s.ListDocuments(ctx, store.DocumentFilter{}, bad); return err },
		"sessions":    func() error { _, err := s.ListSessions(ctx, store.SessionFilter{}, bad); return err },
		"inline": func() error {
			_, err := s.ListInlinePolicies(ctx, store.Entity{Kind: store.EntityUser, Name: "u"}, bad)
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("%s: error %v, want %v", name, err, store.ErrInvalidToken)
		}
	}
}
