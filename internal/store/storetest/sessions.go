package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

func session(id string, status store.SessionStatus, started time.Time) store.Session {
	return store.Session{ID: id, Target: "mi-0123456789abcdef0", Owner: "arn:aws:iam::123456789012:user/alice",
		DocumentName: "SSM-SessionManagerRunShell", Status: status, StartedAt: started,
		Tags: tags("aws:ssmmessages:session-id", "AIDAALICE", "aws:ssmmessages:target-id", "mi-0123456789abcdef0")}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := session("alice-0123456789abcdef0", store.SessionConnected, t0)
	must(t, s.CreateSession(ctx, want))
	wantErr(t, s.CreateSession(ctx, session("alice-0123456789abcdef0", store.SessionConnecting, t0)), store.ErrExists)
	got, err := s.GetSession(ctx, want.ID)
	must(t, err)
	want.StartedAt = micro(t0)
	diff(t, "GetSession", got, want)
	_, err = s.GetSession(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.SetSessionStatus(ctx, "nope", store.SessionTerminated, "", t0), store.ErrNotFound)

	must(t, s.SetSessionStatus(ctx, want.ID, store.SessionDisconnected, "", at(time.Minute)))
	must(t, s.SetSessionStatus(ctx, want.ID, store.SessionConnected, "", at(2*time.Minute)))
	must(t, s.SetSessionStatus(ctx, want.ID, store.SessionTerminated, "terminated by alice", at(time.Hour)))
	got, err = s.GetSession(ctx, want.ID)
	must(t, err)
	if got.Status != store.SessionTerminated || got.Reason != "terminated by alice" || !got.EndedAt.Equal(micro(at(time.Hour))) {
		t.Errorf("terminated session: %+v", got)
	}

	// Listing: newest first, by state, target, owner and status.
	for i := range 6 {
		sess := session(fmt.Sprintf("bob-%017x", i), store.SessionConnected, at(time.Duration(i%3)*time.Second))
		sess.Owner = "arn:aws:iam::123456789012:user/bob"
		if i == 5 {
			sess.Target = "i-0abc"
		}
		must(t, s.CreateSession(ctx, sess))
	}
	must(t, s.SetSessionStatus(ctx, "bob-00000000000000004", store.SessionTerminated, "", at(time.Hour)))
	must(t, s.CreateSession(ctx, session("carol-1", store.SessionConnecting, t0)))
	must(t, s.SetSessionStatus(ctx, "carol-1", store.SessionFailed, "agent gone", at(time.Second)))
	tests := []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"all", store.SessionFilter{}, []string{"bob-00000000000000005", "bob-00000000000000002", "bob-00000000000000004", "bob-00000000000000001",
			"carol-1", "bob-00000000000000003", "bob-00000000000000000", "alice-0123456789abcdef0"}},
		{"active", store.SessionFilter{State: store.SessionsActive}, []string{"bob-00000000000000005", "bob-00000000000000002",
			"bob-00000000000000001", "bob-00000000000000003", "bob-00000000000000000"}},
		{"history", store.SessionFilter{State: store.SessionsHistory}, []string{"bob-00000000000000004", "carol-1", "alice-0123456789abcdef0"}},
		{"target", store.SessionFilter{Target: "i-0abc"}, []string{"bob-00000000000000005"}},
		{"owner", store.SessionFilter{State: store.SessionsHistory, Owner: "arn:aws:iam::123456789012:user/alice"}, []string{"carol-1", "alice-0123456789abcdef0"}},
		{"status", store.SessionFilter{Status: store.SessionFailed}, []string{"carol-1"}},
	}
	for _, tt := range tests {
		got, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Session], error) {
			return s.ListSessions(ctx, tt.f, o)
		})
		diff(t, "sessions "+tt.name, names(got, func(s store.Session) string { return s.ID }), tt.want)
		for _, s := range got {
			if len(s.Tags) != 2 {
				t.Errorf("%s: listed tags %v", s.ID, s.Tags)
			}
		}
	}
}

// reach creates a session and walks it to status along allowed changes.
func reach(t *testing.T, s store.Store, id string, status store.SessionStatus) {
	t.Helper()
	paths := map[store.SessionStatus][]store.SessionStatus{
		store.SessionConnecting:   {store.SessionConnecting},
		store.SessionConnected:    {store.SessionConnected},
		store.SessionDisconnected: {store.SessionConnected, store.SessionDisconnected},
		store.SessionTerminating:  {store.SessionConnected, store.SessionTerminating},
		store.SessionTerminated:   {store.SessionConnected, store.SessionTerminated},
		store.SessionFailed:       {store.SessionConnecting, store.SessionFailed},
	}
	path := paths[status]
	must(t, s.CreateSession(t.Context(), session(id, path[0], t0)))
	for _, next := range path[1:] {
		must(t, s.SetSessionStatus(t.Context(), id, next, "", t0))
	}
}

// testSessionStateMachine tries every status change from every status:
// the store allows exactly SessionTransitions, and a refused change
// leaves the session as it was.
func testSessionStateMachine(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := []store.SessionStatus{store.SessionConnecting, store.SessionConnected, store.SessionDisconnected,
		store.SessionTerminating, store.SessionTerminated, store.SessionFailed}
	allowed := func(from, to store.SessionStatus) bool {
		for _, s := range store.SessionTransitions[from] {
			if s == to {
				return true
			}
		}
		return false
	}
	for _, from := range all {
		for _, to := range all {
			id := fmt.Sprintf("%s-%s", from, to)
			reach(t, s, id, from)
			before, err := s.GetSession(ctx, id)
			must(t, err)
			err = s.SetSessionStatus(ctx, id, to, "why", at(time.Hour))
			after, gerr := s.GetSession(ctx, id)
			must(t, gerr)
			if !allowed(from, to) {
				if err == nil {
					t.Errorf("%s -> %s was allowed", from, to)
				}
				wantErr(t, err, store.ErrConflict)
				diff(t, id+" after a refused change", after, before)
				continue
			}
			must(t, err)
			if after.Status != to || after.Reason != "why" {
				t.Errorf("%s -> %s: status %s, reason %q", from, to, after.Status, after.Reason)
			}
			if ended := !after.EndedAt.IsZero(); ended != to.Final() {
				t.Errorf("%s -> %s: ended at %v", from, to, after.EndedAt)
			}
		}
	}
	for _, st := range []store.SessionStatus{store.SessionDisconnected, store.SessionTerminating, store.SessionTerminated, store.SessionFailed, "Bogus"} {
		wantErr(t, s.CreateSession(ctx, session("new-"+string(st), st, t0)), store.ErrConflict)
	}
}

// testSessionStateMachineInSQL goes around the store's code: the database
// itself refuses to bring a terminated session back.
func testSessionStateMachineInSQL(t *testing.T, s store.Store) {
	raw, ok := s.(Raw)
	if !ok {
		t.Fatalf("%T does not implement storetest.Raw: the backend's test must add it", s)
	}
	ctx := t.Context()
	reach(t, s, "done", store.SessionTerminated)
	for _, q := range []string{
		"UPDATE sessions SET status = 'Connected', ended_at = NULL WHERE id = 'done'",
		"UPDATE sessions SET status = 'Terminated' WHERE id = 'done'",
		"UPDATE sessions SET ended_at = NULL WHERE id = 'done'",
		"INSERT INTO sessions (id, target, owner, document_name, status, reason, started_at) SELECT 'x', target, owner, document_name, 'Terminated', '', started_at FROM sessions WHERE id = 'done'",
	} {
		if err := raw.RawExec(ctx, q); err == nil {
			t.Errorf("the database allowed %s", q)
		}
	}
	got, err := s.GetSession(ctx, "done")
	must(t, err)
	if got.Status != store.SessionTerminated {
		t.Errorf("status %s", got.Status)
	}
}
