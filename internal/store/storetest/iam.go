package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := store.User{ID: "AIDAALICE", Name: "Alice", Path: "/eng/", Tags: tags("Team", "core", "Env", "Dev"), CreatedAt: t0}
	must(t, s.CreateUser(ctx, alice))

	want := alice
	want.CreatedAt = micro(t0)
	want.Tags = tags("Env", "Dev", "Team", "core") // ordered by key
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, name)
		must(t, err)
		diff(t, "GetUser("+name+")", got, want)
	}

	t.Run("errors", func(t *testing.T) {
		wantErr(t, s.CreateUser(ctx, store.User{ID: "AIDAOTHER", Name: "aLiCe"}), store.ErrExists)
		wantErr(t, s.CreateUser(ctx, store.User{ID: "AIDAALICE", Name: "carol"}), store.ErrExists)
		_, err := s.GetUser(ctx, "nobody")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteUser(ctx, "nobody"), store.ErrNotFound)
		wantErr(t, s.UpdateUser(ctx, "nobody", store.UserUpdate{}), store.ErrNotFound)
		wantErr(t, s.CreateUser(ctx, store.User{ID: "AIDAB", Name: "b", PermissionsBoundary: "nope"}), store.ErrNotFound)
		// A failed create leaves nothing behind.
		_, err = s.GetUser(ctx, "b")
		wantErr(t, err, store.ErrNotFound)
	})

	t.Run("defaults", func(t *testing.T) {
		must(t, s.CreateUser(ctx, store.User{ID: "AIDADEF", Name: "def"}))
		got, err := s.GetUser(ctx, "def")
		must(t, err)
		if got.Path != "/" || got.CreatedAt.IsZero() {
			t.Errorf("defaults: path %q, created %v; want / and now", got.Path, got.CreatedAt)
		}
	})

	t.Run("update", func(t *testing.T) {
		must(t, s.CreateUser(ctx, user("bob")))
		newName, newPath := "Alicia", "/ops/"
		must(t, s.UpdateUser(ctx, "alice", store.UserUpdate{NewName: &newName, NewPath: &newPath}))
		_, err := s.GetUser(ctx, "alice")
		wantErr(t, err, store.ErrNotFound)
		got, err := s.GetUser(ctx, "alicia")
		must(t, err)
		if got.Name != "Alicia" || got.Path != "/ops/" || got.ID != "AIDAALICE" || len(got.Tags) != 2 {
			t.Errorf("after update: %+v", got)
		}
		bob := "BOB"
		wantErr(t, s.UpdateUser(ctx, "alicia", store.UserUpdate{NewName: &bob}), store.ErrExists)
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteUser(ctx, "BOB"))
		_, err := s.GetUser(ctx, "bob")
		wantErr(t, err, store.ErrNotFound)
		must(t, s.DeleteUser(ctx, "alicia"))
		_, err = s.ListTags(ctx, store.Resource{Type: store.ResourceUser, ID: "alicia"})
		wantErr(t, err, store.ErrNotFound)
		// The name is free again.
		must(t, s.CreateUser(ctx, store.User{ID: "AIDAALICE2", Name: "alice"}))
	})
}

func testUserPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := []string{"a1", "B2", "c3", "D4", "e5", "F6", "g7"}
	for i, n := range all {
		u := user(n)
		u.Path = "/even/"
		if i%2 == 1 {
			u.Path = "/odd/"
		}
		u.Tags = tags("N", n)
		must(t, s.CreateUser(ctx, u))
	}
	for _, limit := range []int{1, 3, 7, 100} {
		got, n := pages(t, limit, func(o store.ListOptions) (store.Page[store.User], error) {
			return s.ListUsers(ctx, "", o)
		})
		diff(t, fmt.Sprintf("names, limit %d", limit), names(got, func(u store.User) string { return u.Name }), all)
		if want := (len(all) + limit - 1) / limit; n != want {
			t.Errorf("limit %d: %d pages, want %d", limit, n, want)
		}
		for _, u := range got {
			diff(t, "tags of "+u.Name, u.Tags, tags("N", u.Name))
		}
	}
	odd, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.User], error) {
		return s.ListUsers(ctx, "/od", o)
	})
	diff(t, "path prefix /od", names(odd, func(u store.User) string { return u.Name }), []string{"B2", "D4", "F6"})
	p, err := s.ListUsers(ctx, "/", store.ListOptions{})
	must(t, err)
	if len(p.Items) != len(all) || p.NextToken != "" {
		t.Errorf("default page: %d items, token %q", len(p.Items), p.NextToken)
	}
}

func testDeleteConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAP", Name: "p", Document: allowAll}))
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAG", Name: "g"}))
	uses := []struct {
		name        string
		use, unuse  func(u string) error
		blocksGroup bool
	}{
		{"access key", func(u string) error {
			return s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIA" + u, UserName: u, Secret: "s"})
		}, func(u string) error { return s.DeleteAccessKey(ctx, u, "AKIA"+u) }, false},
		{"inline policy", func(u string) error {
			return s.PutInlinePolicy(ctx, store.Entity{Kind: store.EntityUser, Name: u}, store.InlinePolicy{Name: "i", Document: allowAll})
		}, func(u string) error {
			return s.DeleteInlinePolicy(ctx, store.Entity{Kind: store.EntityUser, Name: u}, "i")
		}, false},
		{"managed policy", func(u string) error {
			return s.AttachPolicy(ctx, store.Entity{Kind: store.EntityUser, Name: u}, "p")
		}, func(u string) error {
			return s.DetachPolicy(ctx, store.Entity{Kind: store.EntityUser, Name: u}, "p")
		}, false},
		{"group", func(u string) error { return s.AddUserToGroup(ctx, "g", u) },
			func(u string) error { return s.RemoveUserFromGroup(ctx, "g", u) }, true},
	}
	for i, tt := range uses {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("u%d", i)
			must(t, s.CreateUser(ctx, user(name)))
			must(t, tt.use(name))
			wantErr(t, s.DeleteUser(ctx, name), store.ErrConflict)
			if tt.blocksGroup {
				wantErr(t, s.DeleteGroup(ctx, "g"), store.ErrConflict)
			}
			must(t, tt.unuse(name))
			must(t, s.DeleteUser(ctx, name))
		})
	}
	// A group with a policy cannot go either.
	must(t, s.AttachPolicy(ctx, store.Entity{Kind: store.EntityGroup, Name: "g"}, "p"))
	wantErr(t, s.DeleteGroup(ctx, "g"), store.ErrConflict)
	must(t, s.DetachPolicy(ctx, store.Entity{Kind: store.EntityGroup, Name: "g"}, "p"))
	must(t, s.DeleteGroup(ctx, "G"))
	wantErr(t, s.DeleteGroup(ctx, "g"), store.ErrNotFound)
}

func testGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := store.Group{ID: "AGPADEV", Name: "Devs", Path: "/eng/", CreatedAt: t0}
	must(t, s.CreateGroup(ctx, g))
	wantErr(t, s.CreateGroup(ctx, store.Group{ID: "AGPAX", Name: "devs"}), store.ErrExists)
	got, err := s.GetGroup(ctx, "DEVS")
	must(t, err)
	g.CreatedAt = micro(t0)
	diff(t, "GetGroup", got, g)
	_, err = s.GetGroup(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	for _, n := range []string{"carol", "Alice", "bob"} {
		must(t, s.CreateUser(ctx, user(n)))
		must(t, s.AddUserToGroup(ctx, "devs", n))
	}
	must(t, s.AddUserToGroup(ctx, "Devs", "ALICE")) // idempotent
	wantErr(t, s.AddUserToGroup(ctx, "nope", "bob"), store.ErrNotFound)
	wantErr(t, s.AddUserToGroup(ctx, "devs", "nope"), store.ErrNotFound)
	members, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.User], error) {
		return s.ListGroupUsers(ctx, "devs", o)
	})
	diff(t, "members", names(members, func(u store.User) string { return u.Name }), []string{"Alice", "bob", "carol"})
	_, err = s.ListGroupUsers(ctx, "nope", store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)

	must(t, s.RemoveUserFromGroup(ctx, "devs", "bob"))
	wantErr(t, s.RemoveUserFromGroup(ctx, "devs", "bob"), store.ErrNotFound)

	// A user is in at most MaxGroupsPerUser groups.
	for i := 1; i < store.MaxGroupsPerUser; i++ {
		name := fmt.Sprintf("g%02d", i)
		must(t, s.CreateGroup(ctx, store.Group{ID: "AGPA" + name, Name: name, Path: "/other/"}))
		must(t, s.AddUserToGroup(ctx, name, "alice"))
	}
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAFULL", Name: "full"}))
	wantErr(t, s.AddUserToGroup(ctx, "full", "alice"), store.ErrLimitExceeded)
	must(t, s.AddUserToGroup(ctx, "devs", "alice")) // already a member: not counted twice

	mine, _ := pages(t, 4, func(o store.ListOptions) (store.Page[store.Group], error) {
		return s.ListGroupsForUser(ctx, "alice", o)
	})
	if len(mine) != store.MaxGroupsPerUser || mine[0].Name != "Devs" {
		t.Errorf("alice's groups: %v", names(mine, func(g store.Group) string { return g.Name }))
	}
	_, err = s.ListGroupsForUser(ctx, "nope", store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)
	eng, _ := pages(t, 100, func(o store.ListOptions) (store.Page[store.Group], error) {
		return s.ListGroups(ctx, "/eng/", o)
	})
	diff(t, "groups under /eng/", names(eng, func(g store.Group) string { return g.Name }), []string{"Devs"})
	every, _ := pages(t, 3, func(o store.ListOptions) (store.Page[store.Group], error) {
		return s.ListGroups(ctx, "", o)
	})
	if len(every) != store.MaxGroupsPerUser+1 {
		t.Errorf("%d groups, want %d", len(every), store.MaxGroupsPerUser+1)
	}
}

func testRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAB", Name: "Boundary", Document: allowAll}))
	r := store.Role{
		ID: "AROAOPS", Name: "Ops", Path: "/svc/", Description: "operators",
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[]}`, MaxSessionDuration: time.Hour,
		PermissionsBoundary: "Boundary", Tags: tags("Env", "Prod"), CreatedAt: t0,
	}
	must(t, s.CreateRole(ctx, r))
	wantErr(t, s.CreateRole(ctx, store.Role{ID: "AROAX", Name: "OPS"}), store.ErrExists)
	got, err := s.GetRole(ctx, "ops")
	must(t, err)
	r.CreatedAt = micro(t0)
	diff(t, "GetRole", got, r)

	desc, dur, trust := "changed", 2*time.Hour, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`
	must(t, s.UpdateRole(ctx, "ops", store.RoleUpdate{Description: &desc, MaxSessionDuration: &dur, AssumeRolePolicy: &trust}))
	got, err = s.GetRole(ctx, "ops")
	must(t, err)
	if got.Description != desc || got.MaxSessionDuration != dur || got.AssumeRolePolicy != trust {
		t.Errorf("after UpdateRole: %+v", got)
	}
	wantErr(t, s.UpdateRole(ctx, "nope", store.RoleUpdate{Description: &desc}), store.ErrNotFound)

	must(t, s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityRole, Name: "ops"}, ""))
	got, err = s.GetRole(ctx, "ops")
	must(t, err)
	if got.PermissionsBoundary != "" {
		t.Errorf("boundary %q after clearing", got.PermissionsBoundary)
	}
	wantErr(t, s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityRole, Name: "ops"}, "nope"), store.ErrNotFound)
	wantErr(t, s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityRole, Name: "nope"}, "Boundary"), store.ErrNotFound)
	if err := s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityGroup, Name: "g"}, "Boundary"); err == nil {
		t.Error("a group took a permissions boundary")
	}

	for _, n := range []string{"b", "a", "c"} {
		must(t, s.CreateRole(ctx, store.Role{ID: "AROA" + n, Name: n, Tags: tags("K", n)}))
	}
	roles, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Role], error) {
		return s.ListRoles(ctx, "", o)
	})
	diff(t, "roles", names(roles, func(r store.Role) string { return r.Name }), []string{"a", "b", "c", "Ops"})
	diff(t, "tags of listed role", roles[0].Tags, tags("K", "a"))
	svc, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Role], error) {
		return s.ListRoles(ctx, "/svc/", o)
	})
	diff(t, "roles under /svc/", names(svc, func(r store.Role) string { return r.Name }), []string{"Ops"})

	must(t, s.PutInlinePolicy(ctx, store.Entity{Kind: store.EntityRole, Name: "ops"}, store.InlinePolicy{Name: "i", Document: allowAll}))
	wantErr(t, s.DeleteRole(ctx, "ops"), store.ErrConflict)
	must(t, s.DeleteInlinePolicy(ctx, store.Entity{Kind: store.EntityRole, Name: "ops"}, "i"))
	must(t, s.DeleteRole(ctx, "OPS"))
	_, err = s.GetRole(ctx, "ops")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteRole(ctx, "ops"), store.ErrNotFound)
}
