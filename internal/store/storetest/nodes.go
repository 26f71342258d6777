package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

func activation(id string, limit int) store.Activation {
	return store.Activation{
		ID: id, CodeHash: []byte("hash-" + id), Description: "test", DefaultInstanceName: "web",
		IAMRole: "SSMServiceRole", RegistrationLimit: limit, ExpiresAt: at(24 * time.Hour), CreatedAt: t0,
	}
}

func node(id string) store.Node {
	return store.Node{ID: id, CredentialsHash: []byte("cred-" + id), RegisteredAt: at(time.Minute),
		Info: store.NodeInfo{PlatformType: "Linux", PlatformName: "Debian", PlatformVersion: "12", AgentVersion: "3.3.1.0",
			IPAddress: "10.0.0.1", ComputerName: "host-" + id}}
}

func testActivations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := activation("act-1", 3)
	a.Tags = tags("Env", "Dev", "App", "web")
	must(t, s.CreateActivation(ctx, a))
	wantErr(t, s.CreateActivation(ctx, activation("act-1", 1)), store.ErrExists)
	wantErr(t, s.CreateActivation(ctx, activation("act-0", 0)), store.ErrConflict) // limit must be positive
	got, err := s.GetActivation(ctx, "act-1")
	must(t, err)
	a.ExpiresAt, a.CreatedAt, a.Tags = micro(a.ExpiresAt), micro(a.CreatedAt), tags("App", "web", "Env", "Dev")
	diff(t, "GetActivation", got, a)
	if got.Expired(at(time.Hour)) || !got.Expired(at(24*time.Hour)) {
		t.Error("Expired is wrong")
	}
	_, err = s.GetActivation(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	for i := 2; i <= 5; i++ {
		b := activation(fmt.Sprintf("act-%d", i), 1)
		b.CreatedAt = at(time.Duration(i%3) * time.Second) // ties on time, broken by id
		must(t, s.CreateActivation(ctx, b))
	}
	list, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Activation], error) {
		return s.ListActivations(ctx, o)
	})
	diff(t, "activations, newest first", names(list, func(a store.Activation) string { return a.ID }),
		[]string{"act-5", "act-2", "act-4", "act-3", "act-1"})
	diff(t, "listed tags", list[4].Tags, a.Tags)

	must(t, s.DeleteActivation(ctx, "act-1"))
	wantErr(t, s.DeleteActivation(ctx, "act-1"), store.ErrNotFound)
}

func testRegistration(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := activation("act", 2)
	a.Tags = tags("Env", "Dev", "Team", "a")
	must(t, s.CreateActivation(ctx, a))

	n := node("mi-0123456789abcdef0")
	n.Tags = tags("Team", "b", "Own", "yes") // a node's own tag wins
	must(t, s.RegisterNode(ctx, "act", n))
	got, err := s.GetNode(ctx, n.ID)
	must(t, err)
	want := n
	want.Name, want.ActivationID, want.IAMRole = "web", "act", "SSMServiceRole"
	want.PingStatus, want.RegisteredAt = store.PingConnectionLost, micro(n.RegisteredAt)
	want.Tags = tags("Env", "Dev", "Own", "yes", "Team", "b")
	diff(t, "registered node", got, want)

	wantErr(t, s.RegisterNode(ctx, "act", node(n.ID)), store.ErrExists)
	named := node("i-0abc")
	named.Name, named.IAMRole = "db", "Other"
	must(t, s.RegisterNode(ctx, "act", named))
	got, err = s.GetNode(ctx, "i-0abc")
	must(t, err)
	if got.Name != "db" || got.IAMRole != "Other" {
		t.Errorf("given name and role: %q %q", got.Name, got.IAMRole)
	}
	wantErr(t, s.RegisterNode(ctx, "act", node("mi-00000000000000003")), store.ErrLimitExceeded)
	_, err = s.GetNode(ctx, "mi-00000000000000003")
	wantErr(t, err, store.ErrNotFound)
	act, err := s.GetActivation(ctx, "act")
	must(t, err)
	if act.RegistrationCount != 2 { // the failed ones did not count
		t.Errorf("registration count %d, want 2", act.RegistrationCount)
	}

	must(t, s.CreateActivation(ctx, activation("old", 5)))
	late := node("mi-00000000000000004")
	late.RegisteredAt = at(24 * time.Hour)
	wantErr(t, s.RegisterNode(ctx, "old", late), store.ErrExpired)
	wantErr(t, s.RegisterNode(ctx, "nope", node("mi-00000000000000005")), store.ErrNotFound)

	// Nodes outlive their activation.
	must(t, s.DeleteActivation(ctx, "act"))
	_, err = s.GetNode(ctx, n.ID)
	must(t, err)
}

func testNodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateActivation(ctx, activation("act", 10)))
	id := "mi-0123456789abcdef0"
	must(t, s.RegisterNode(ctx, "act", node(id)))
	_, err := s.GetNode(ctx, "mi-nope")
	wantErr(t, err, store.ErrNotFound)

	info := store.NodeInfo{PlatformType: "Linux", PlatformName: "Ubuntu", PlatformVersion: "24.04",
		AgentVersion: "3.3.2.0", IPAddress: "192.0.2.7", ComputerName: "box"}
	must(t, s.UpdateNodeInfo(ctx, id, info))
	wantErr(t, s.UpdateNodeInfo(ctx, "mi-nope", info), store.ErrNotFound)
	must(t, s.RecordPing(ctx, id, store.PingOnline, at(time.Hour)))
	wantErr(t, s.RecordPing(ctx, "mi-nope", store.PingOnline, t0), store.ErrNotFound)
	wantErr(t, s.RecordPing(ctx, id, "Sleeping", t0), store.ErrConflict)
	must(t, s.RecordPings(ctx, nil, store.PingConnectionLost, t0))
	wantErr(t, s.RecordPings(ctx, []string{id}, "Sleeping", t0), store.ErrConflict)
	got, err := s.GetNode(ctx, id)
	must(t, err)
	if got.Info != info || got.PingStatus != store.PingOnline || !got.LastPingAt.Equal(micro(at(time.Hour))) {
		t.Errorf("after update: %+v", got)
	}

	wantErr(t, s.RotateNodeCredentials(ctx, id, []byte("wrong"), []byte("new")), store.ErrConflict)
	must(t, s.RotateNodeCredentials(ctx, id, []byte("cred-"+id), []byte("new")))
	wantErr(t, s.RotateNodeCredentials(ctx, id, []byte("cred-"+id), []byte("newer")), store.ErrConflict)
	wantErr(t, s.RotateNodeCredentials(ctx, "mi-nope", nil, []byte("x")), store.ErrNotFound)
	got, err = s.GetNode(ctx, id)
	must(t, err)
	if string(got.CredentialsHash) != "new" {
		t.Errorf("credentials hash %q", got.CredentialsHash)
	}

	must(t, s.AddTags(ctx, store.Resource{Type: store.ResourceNode, ID: id}, tags("Env", "Dev")))
	must(t, s.DeleteNode(ctx, id))
	wantErr(t, s.DeleteNode(ctx, id), store.ErrNotFound)
	_, err = s.ListTags(ctx, store.Resource{Type: store.ResourceNode, ID: id})
	wantErr(t, err, store.ErrNotFound)
	// Its id can be registered again, without its old tags.
	must(t, s.RegisterNode(ctx, "act", node(id)))
	got, err = s.GetNode(ctx, id)
	must(t, err)
	if len(got.Tags) != 0 {
		t.Errorf("re-registered node has tags %v", got.Tags)
	}
}

func testNodeFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateActivation(ctx, activation("act", 100)))
	for i := range 12 {
		n := node(fmt.Sprintf("mi-%017x", i))
		n.Tags = tags("Env", []string{"Dev", "Prod", "Test"}[i%3], "N", fmt.Sprint(i))
		if i%4 == 0 {
			n.Info.PlatformType = "Windows"
		}
		must(t, s.RegisterNode(ctx, "act", n))
		if i%2 == 0 {
			must(t, s.RecordPing(ctx, n.ID, store.PingOnline, t0))
		}
	}
	id := func(i int) string { return fmt.Sprintf("mi-%017x", i) }
	ids := func(is ...int) []string {
		out := make([]string, len(is))
		for j, i := range is {
			out[j] = id(i)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.NodeFilter
		want []string
	}{
		{"all", store.NodeFilter{}, ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		{"ids", store.NodeFilter{IDs: []string{id(3), id(1), "mi-nope"}}, ids(1, 3)},
		{"ping", store.NodeFilter{PingStatuses: []store.PingStatus{store.PingOnline}}, ids(0, 2, 4, 6, 8, 10)},
		{"platform", store.NodeFilter{PlatformTypes: []string{"Windows"}}, ids(0, 4, 8)},
		{"tag value", store.NodeFilter{Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev"}}}}, ids(0, 3, 6, 9)},
		{"tag values", store.NodeFilter{Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev", "Test"}}}}, ids(0, 2, 3, 5, 6, 8, 9, 11)},
		{"tag key", store.NodeFilter{Tags: []store.TagFilter{{Key: "N"}}}, ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		{"no such tag", store.NodeFilter{Tags: []store.TagFilter{{Key: "env"}}}, nil},
		{"two tags", store.NodeFilter{Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev"}}, {Key: "N", Values: []string{"3", "4"}}}}, ids(3)},
		{"everything", store.NodeFilter{
			PingStatuses: []store.PingStatus{store.PingOnline}, PlatformTypes: []string{"Linux"},
			Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev", "Prod"}}},
		}, ids(6, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := pages(t, 5, func(o store.ListOptions) (store.Page[string], error) {
				return s.ListNodeIDs(ctx, tt.f, o)
			})
			diff(t, "node ids", got, tt.want)
		})
	}

	// RecordPings: many at once, unknown ids skipped.
	must(t, s.RecordPings(ctx, []string{id(1), id(3), "mi-nope", id(4)}, store.PingConnectionLost, at(time.Hour)))
	got, _ := pages(t, 5, func(o store.ListOptions) (store.Page[string], error) {
		return s.ListNodeIDs(ctx, store.NodeFilter{PingStatuses: []store.PingStatus{store.PingConnectionLost}}, o)
	})
	diff(t, "ConnectionLost after RecordPings", got, ids(1, 3, 4, 5, 7, 9, 11))
	for _, i := range []int{1, 4} {
		n, err := s.GetNode(ctx, id(i))
		must(t, err)
		if !n.LastPingAt.Equal(micro(at(time.Hour))) {
			t.Errorf("%s: last ping %v", n.ID, n.LastPingAt)
		}
	}
}
