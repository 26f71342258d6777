package storetest

import (
	"fmt"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
)

func testPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := store.Policy{ID: "ANPASSM", Name: "SsmDev", Path: "/ssm/", Description: "dev sessions", Document: doc("ssm:StartSession"), CreatedAt: t0}
	must(t, s.CreatePolicy(ctx, p))
	wantErr(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAX", Name: "ssmdev", Document: allowAll}), store.ErrExists)
	got, err := s.GetPolicy(ctx, "ssmdev")
	must(t, err)
	p.DefaultVersion, p.CreatedAt, p.UpdatedAt = "v1", micro(t0), micro(t0)
	diff(t, "GetPolicy", got, p)
	_, err = s.GetPolicy(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	// Attachment and boundary counts, and the deletes they block.
	must(t, s.CreateUser(ctx, user("u")))
	must(t, s.CreateRole(ctx, store.Role{ID: "AROAR", Name: "r"}))
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAG", Name: "g"}))
	for _, e := range []store.Entity{{Kind: store.EntityUser, Name: "u"}, {Kind: store.EntityGroup, Name: "g"}, {Kind: store.EntityRole, Name: "r"}} {
		must(t, s.AttachPolicy(ctx, e, "SsmDev"))
	}
	must(t, s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityUser, Name: "u"}, "ssmdev"))
	got, err = s.GetPolicy(ctx, "SsmDev")
	must(t, err)
	if got.AttachmentCount != 3 || got.BoundaryCount != 1 {
		t.Errorf("counts: attached %d, boundary %d; want 3, 1", got.AttachmentCount, got.BoundaryCount)
	}
	u, err := s.GetUser(ctx, "u")
	must(t, err)
	if u.PermissionsBoundary != "SsmDev" {
		t.Errorf("user's boundary %q", u.PermissionsBoundary)
	}
	wantErr(t, s.DeletePolicy(ctx, "ssmdev"), store.ErrConflict)
	for _, e := range []store.Entity{{Kind: store.EntityUser, Name: "u"}, {Kind: store.EntityGroup, Name: "g"}, {Kind: store.EntityRole, Name: "r"}} {
		must(t, s.DetachPolicy(ctx, e, "SsmDev"))
	}
	wantErr(t, s.DeletePolicy(ctx, "ssmdev"), store.ErrConflict) // still a boundary
	must(t, s.SetPermissionsBoundary(ctx, store.Entity{Kind: store.EntityUser, Name: "u"}, ""))
	_, err = s.CreatePolicyVersion(ctx, "SsmDev", allowAll, false)
	must(t, err)
	must(t, s.DeletePolicy(ctx, "ssmdev"))
	_, err = s.GetPolicyVersion(ctx, "ssmdev", "v2")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeletePolicy(ctx, "ssmdev"), store.ErrNotFound)

	// Listing by path.
	for _, n := range []string{"c", "A", "b"} {
		must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPA" + n, Name: n, Path: "/" + n + "/", Document: allowAll}))
	}
	all, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Policy], error) {
		return s.ListPolicies(ctx, "", o)
	})
	diff(t, "policies", names(all, func(p store.Policy) string { return p.Name }), []string{"A", "b", "c"})
	if all[0].Document != allowAll || all[0].DefaultVersion != "v1" {
		t.Errorf("listed policy: %+v", all[0])
	}
	under, _ := pages(t, 2, func(o store.ListOptions) (store.Page[store.Policy], error) {
		return s.ListPolicies(ctx, "/b/", o)
	})
	diff(t, "policies under /b/", names(under, func(p store.Policy) string { return p.Name }), []string{"b"})
}

func testPolicyVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAP", Name: "p", Document: doc("a:1")}))
	v2, err := s.CreatePolicyVersion(ctx, "P", doc("a:2"), false)
	must(t, err)
	if v2.Version != "v2" || v2.Default || v2.Document != doc("a:2") {
		t.Errorf("v2: %+v", v2)
	}
	v3, err := s.CreatePolicyVersion(ctx, "p", doc("a:3"), true)
	must(t, err)
	if v3.Version != "v3" || !v3.Default {
		t.Errorf("v3: %+v", v3)
	}
	p, err := s.GetPolicy(ctx, "p")
	must(t, err)
	if p.DefaultVersion != "v3" || p.Document != doc("a:3") {
		t.Errorf("after v3: default %s, document %s", p.DefaultVersion, p.Document)
	}
	got, err := s.GetPolicyVersion(ctx, "p", "v1")
	must(t, err)
	if got.Document != doc("a:1") || got.Default {
		t.Errorf("v1: %+v", got)
	}
	for _, v := range []string{"v9", "3", "x", "v0", ""} {
		_, err := s.GetPolicyVersion(ctx, "p", v)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = s.CreatePolicyVersion(ctx, "nope", allowAll, true)
	wantErr(t, err, store.ErrNotFound)

	// The default cannot go; others can, and numbers are not reused.
	wantErr(t, s.DeletePolicyVersion(ctx, "p", "v3"), store.ErrConflict)
	must(t, s.DeletePolicyVersion(ctx, "p", "v2"))
	wantErr(t, s.DeletePolicyVersion(ctx, "p", "v2"), store.ErrNotFound)
	v4, err := s.CreatePolicyVersion(ctx, "p", doc("a:4"), false)
	must(t, err)
	if v4.Version != "v4" {
		t.Errorf("next version %s, want v4", v4.Version)
	}
	// At most MaxPolicyVersions.
	for i := 3; i < store.MaxPolicyVersions; i++ {
		_, err := s.CreatePolicyVersion(ctx, "p", doc(fmt.Sprintf("b:%d", i)), false)
		must(t, err)
	}
	_, err = s.CreatePolicyVersion(ctx, "p", allowAll, false)
	wantErr(t, err, store.ErrLimitExceeded)
	vs, err := s.ListPolicyVersions(ctx, "p")
	must(t, err)
	diff(t, "versions", names(vs, func(v store.PolicyVersion) string { return fmt.Sprint(v.Version, v.Default) }),
		[]string{"v1false", "v3true", "v4false", "v5false", "v6false"})
	_, err = s.ListPolicyVersions(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	must(t, s.SetDefaultPolicyVersion(ctx, "p", "v1"))
	p, err = s.GetPolicy(ctx, "p")
	must(t, err)
	if p.DefaultVersion != "v1" || p.Document != doc("a:1") {
		t.Errorf("after SetDefault v1: %s %s", p.DefaultVersion, p.Document)
	}
	wantErr(t, s.SetDefaultPolicyVersion(ctx, "p", "v2"), store.ErrNotFound)
	wantErr(t, s.SetDefaultPolicyVersion(ctx, "p", "bogus"), store.ErrNotFound)
	wantErr(t, s.SetDefaultPolicyVersion(ctx, "nope", "v1"), store.ErrNotFound)
}

func testAttachments(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateRole(ctx, store.Role{ID: "AROAR", Name: "r"}))
	role := store.Entity{Kind: store.EntityRole, Name: "R"}
	for i := range store.MaxAttachedPolicies + 1 {
		n := fmt.Sprintf("p%02d", i)
		must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPA" + n, Name: n, Document: allowAll}))
	}
	for i := range store.MaxAttachedPolicies {
		must(t, s.AttachPolicy(ctx, role, fmt.Sprintf("p%02d", i)))
	}
	must(t, s.AttachPolicy(ctx, role, "P00")) // idempotent, even when full
	wantErr(t, s.AttachPolicy(ctx, role, fmt.Sprintf("p%02d", store.MaxAttachedPolicies)), store.ErrLimitExceeded)
	wantErr(t, s.AttachPolicy(ctx, role, "nope"), store.ErrNotFound)
	wantErr(t, s.AttachPolicy(ctx, store.Entity{Kind: store.EntityRole, Name: "nope"}, "p00"), store.ErrNotFound)
	wantErr(t, s.AttachPolicy(ctx, store.Entity{Kind: "bogus", Name: "r"}, "p00"), store.ErrNotFound)

	got, n := pages(t, 4, func(o store.ListOptions) (store.Page[store.Policy], error) {
		return s.ListAttachedPolicies(ctx, role, o)
	})
	if len(got) != store.MaxAttachedPolicies || n != 3 || got[0].Name != "p00" {
		t.Errorf("attached: %d in %d pages, first %+v", len(got), n, got[0])
	}
	_, err := s.ListAttachedPolicies(ctx, store.Entity{Kind: store.EntityUser, Name: "nope"}, store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)

	must(t, s.DetachPolicy(ctx, role, "p03"))
	wantErr(t, s.DetachPolicy(ctx, role, "p03"), store.ErrNotFound)
	wantErr(t, s.DetachPolicy(ctx, role, "nope"), store.ErrNotFound)
	must(t, s.AttachPolicy(ctx, role, fmt.Sprintf("p%02d", store.MaxAttachedPolicies)))
}

func testInlinePolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAG", Name: "g"}))
	g := store.Entity{Kind: store.EntityGroup, Name: "G"}
	must(t, s.PutInlinePolicy(ctx, g, store.InlinePolicy{Name: "b", Document: doc("x:1")}))
	must(t, s.PutInlinePolicy(ctx, g, store.InlinePolicy{Name: "b", Document: doc("x:2")})) // replaces
	must(t, s.PutInlinePolicy(ctx, g, store.InlinePolicy{Name: "a", Document: doc("y")}))
	must(t, s.PutInlinePolicy(ctx, g, store.InlinePolicy{Name: "c", Document: doc("z")}))
	got, err := s.GetInlinePolicy(ctx, g, "b")
	must(t, err)
	diff(t, "inline b", got, store.InlinePolicy{Name: "b", Document: doc("x:2")})
	_, err = s.GetInlinePolicy(ctx, g, "B") // inline names keep their case
	wantErr(t, err, store.ErrNotFound)
	list, n := pages(t, 2, func(o store.ListOptions) (store.Page[string], error) {
		return s.ListInlinePolicies(ctx, g, o)
	})
	diff(t, "inline names", list, []string{"a", "b", "c"})
	if n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	must(t, s.DeleteInlinePolicy(ctx, g, "b"))
	wantErr(t, s.DeleteInlinePolicy(ctx, g, "b"), store.ErrNotFound)

	nobody := store.Entity{Kind: store.EntityUser, Name: "nobody"}
	wantErr(t, s.PutInlinePolicy(ctx, nobody, store.InlinePolicy{Name: "a", Document: allowAll}), store.ErrNotFound)
	_, err = s.GetInlinePolicy(ctx, nobody, "a")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ListInlinePolicies(ctx, nobody, store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteInlinePolicy(ctx, nobody, "a"), store.ErrNotFound)
}

func testResolvePolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAM1", Name: "m1", Document: doc("m1:old")}))
	_, err := s.CreatePolicyVersion(ctx, "m1", doc("m1:new"), true)
	must(t, err)
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPAM2", Name: "m2", Document: doc("m2")}))
	must(t, s.CreatePolicy(ctx, store.Policy{ID: "ANPABD", Name: "bound", Document: doc("b")}))
	must(t, s.CreateUser(ctx, store.User{ID: "AIDAU", Name: "Ursula", PermissionsBoundary: "bound"}))
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAA", Name: "alpha"}))
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAB", Name: "beta"}))
	must(t, s.CreateGroup(ctx, store.Group{ID: "AGPAC", Name: "empty"}))
	u := store.Entity{Kind: store.EntityUser, Name: "ursula"}
	must(t, s.PutInlinePolicy(ctx, u, store.InlinePolicy{Name: "own", Document: doc("own")}))
	must(t, s.AttachPolicy(ctx, u, "m1"))
	for _, g := range []string{"beta", "alpha", "empty"} {
		must(t, s.AddUserToGroup(ctx, g, "ursula"))
	}
	must(t, s.PutInlinePolicy(ctx, store.Entity{Kind: store.EntityGroup, Name: "beta"}, store.InlinePolicy{Name: "bi", Document: doc("bi")}))
	must(t, s.AttachPolicy(ctx, store.Entity{Kind: store.EntityGroup, Name: "beta"}, "m2"))
	must(t, s.AttachPolicy(ctx, store.Entity{Kind: store.EntityGroup, Name: "alpha"}, "m1"))

	got, err := s.ResolvePolicies(ctx, u)
	must(t, err)
	alpha := store.Entity{Kind: store.EntityGroup, Name: "alpha"}
	beta := store.Entity{Kind: store.EntityGroup, Name: "beta"}
	diff(t, "user's policies", got, store.PolicySet{
		Principal: u,
		Policies: []store.EffectivePolicy{
			{From: u, Name: "own", Document: doc("own")},
			{From: u, Name: "m1", Managed: true, Document: doc("m1:new")},
			{From: alpha, Name: "m1", Managed: true, Document: doc("m1:new")},
			{From: beta, Name: "bi", Document: doc("bi")},
			{From: beta, Name: "m2", Managed: true, Document: doc("m2")},
		},
		Boundary:     doc("b"),
		BoundaryName: "bound",
	})

	must(t, s.CreateRole(ctx, store.Role{ID: "AROAR", Name: "r"}))
	r := store.Entity{Kind: store.EntityRole, Name: "r"}
	got, err = s.ResolvePolicies(ctx, r)
	must(t, err)
	diff(t, "empty role", got, store.PolicySet{Principal: r})
	must(t, s.AttachPolicy(ctx, r, "m2"))
	must(t, s.PutInlinePolicy(ctx, r, store.InlinePolicy{Name: "ri", Document: doc("ri")}))
	must(t, s.SetPermissionsBoundary(ctx, r, "m1"))
	got, err = s.ResolvePolicies(ctx, r)
	must(t, err)
	diff(t, "role's policies", got, store.PolicySet{
		Principal: r,
		Policies: []store.EffectivePolicy{
			{From: r, Name: "ri", Document: doc("ri")},
			{From: r, Name: "m2", Managed: true, Document: doc("m2")},
		},
		Boundary:     doc("m1:new"),
		BoundaryName: "m1",
	})

	_, err = s.ResolvePolicies(ctx, store.Entity{Kind: store.EntityUser, Name: "nobody"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ResolvePolicies(ctx, store.Entity{Kind: store.EntityRole, Name: "nobody"})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.ResolvePolicies(ctx, alpha); err == nil {
		t.Error("a group resolved as a principal")
	}
}
