package sqldb

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// entityTable is where a user, group or role and its policies live.
type entityTable struct {
	noun     string // for errors
	table    string
	fk       string // the column that refers to it
	inline   string // inline policies
	attached string // attached managed policies
}

var entityTables = map[store.EntityKind]entityTable{
	store.EntityUser:  {"user", "iam_users", "user_id", "user_policies", "user_attached"},
	store.EntityGroup: {"group", "iam_groups", "group_id", "group_policies", "group_attached"},
	store.EntityRole:  {"role", "iam_roles", "role_id", "role_policies", "role_attached"},
}

func entityOf(e store.Entity) (entityTable, error) {
	t, ok := entityTables[e.Kind]
	if !ok {
		return t, fail(store.ErrNotFound, "entity kind %q", e.Kind)
	}
	return t, nil
}

// idOf resolves a name to its row's id, locking the row when lock is set
// (a transaction that goes on to count against a quota).
func (d *DB) idOf(ctx context.Context, c Conn, t entityTable, name string, lock bool) (string, error) {
	q := "SELECT id FROM " + t.table + " WHERE lower(name) = lower(?)"
	if lock {
		q += d.forUpdate
	}
	var id string
	if err := c.QueryRow(ctx, q, name).Scan(&id); err != nil {
		return "", fail(err, "%s %q", t.noun, name)
	}
	return id, nil
}

var policyTable = entityTable{noun: "policy", table: "iam_policies"}

// boundaryID resolves a boundary policy name; "" stays NULL.
func (d *DB) boundaryID(ctx context.Context, c Conn, name string) (any, error) {
	if name == "" {
		return nil, nil
	}
	return d.idOf(ctx, c, policyTable, name, false)
}

// Users.

const userCols = `u.id, u.name, u.path, COALESCE(p.name, ''), u.created_at
	FROM iam_users u LEFT JOIN iam_policies p ON p.id = u.boundary_id`

func scanUser(r scanner) (store.User, error) {
	var u store.User
	return u, r.Scan(&u.ID, &u.Name, &u.Path, &u.PermissionsBoundary, tm(&u.CreatedAt))
}

// CreateUser implements store.Users.
func (d *DB) CreateUser(ctx context.Context, u store.User) error {
	err := d.tx(ctx, func(c Conn) error {
		b, err := d.boundaryID(ctx, c, u.PermissionsBoundary)
		if err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `INSERT INTO iam_users (id, name, path, boundary_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.ID, u.Name, orSlash(u.Path), b, d.t(d.stamp(u.CreatedAt))); err != nil {
			return err
		}
		return d.addTags(ctx, c, userTags, u.ID, u.Tags)
	})
	return fail(err, "create user %q", u.Name)
}

// GetUser implements store.Users.
func (d *DB) GetUser(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(d.b.QueryRow(ctx, `SELECT `+userCols+` WHERE lower(u.name) = lower(?)`, name))
	if err == nil {
		u.Tags, err = d.tags(ctx, d.b, userTags, u.ID)
	}
	return u, fail(err, "user %q", name)
}

// DeleteUser implements store.Users.
func (d *DB) DeleteUser(ctx context.Context, name string) error {
	return fail(d.deleteNamed(ctx, "iam_users", name), "delete user %q", name)
}

// deleteNamed deletes a row by case-insensitive name.
func (d *DB) deleteNamed(ctx context.Context, table, name string) error {
	n, err := d.b.Exec(ctx, "DELETE FROM "+table+" WHERE lower(name) = lower(?)", name)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return err
}

// ListUsers implements store.UserLister.
func (d *DB) ListUsers(ctx context.Context, pathPrefix string, opts store.ListOptions) (store.Page[store.User], error) {
	q := newQuery(`SELECT ` + userCols)
	q.pathPrefix("u.path", pathPrefix)
	return d.listUsers(ctx, q, "lower(u.name)", opts)
}

// listUsers pages a user query by name and reads the users' tags.
func (d *DB) listUsers(ctx context.Context, q *query, key string, opts store.ListOptions) (store.Page[store.User], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.User]{}, fail(err, "list users")
	}
	if tok != nil {
		q.where(key+" > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page(key, limit)
	users, err := collect(ctx, d.b, sql, args, scanUser)
	if err != nil {
		return store.Page[store.User]{}, fail(err, "list users")
	}
	p := finish(users, limit, func(u store.User) []string { return []string{lower(u.Name)} })
	m, err := d.tagsOf(ctx, d.b, userTags, ids(p.Items, func(u store.User) string { return u.ID }))
	attachTags(p.Items, m, func(u *store.User) (string, *[]store.Tag) { return u.ID, &u.Tags })
	return p, fail(err, "list users")
}

// UpdateUser implements store.UserUpdater.
func (d *DB) UpdateUser(ctx context.Context, name string, u store.UserUpdate) error {
	var set []string
	var args []any
	if u.NewName != nil {
		set, args = append(set, "name = ?"), append(args, *u.NewName)
	}
	if u.NewPath != nil {
		set, args = append(set, "path = ?"), append(args, orSlash(*u.NewPath))
	}
	return fail(d.update(ctx, "iam_users", name, set, args), "update user %q", name)
}

// update sets columns of a row found by case-insensitive name.
func (d *DB) update(ctx context.Context, table, name string, set []string, args []any) error {
	if len(set) == 0 {
		var one int
		return d.b.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE lower(name) = lower(?)", name).Scan(&one)
	}
	n, err := d.b.Exec(ctx, "UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE lower(name) = lower(?)", append(args, name)...)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return err
}

// Groups.

const groupCols = `g.id, g.name, g.path, g.created_at FROM iam_groups g`

func scanGroup(r scanner) (store.Group, error) {
	var g store.Group
	return g, r.Scan(&g.ID, &g.Name, &g.Path, tm(&g.CreatedAt))
}

// CreateGroup implements store.Groups.
func (d *DB) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := d.b.Exec(ctx, `INSERT INTO iam_groups (id, name, path, created_at) VALUES (?, ?, ?, ?)`,
		g.ID, g.Name, orSlash(g.Path), d.t(d.stamp(g.CreatedAt)))
	return fail(err, "create group %q", g.Name)
}

// GetGroup implements store.Groups.
func (d *DB) GetGroup(ctx context.Context, name string) (store.Group, error) {
	g, err := scanGroup(d.b.QueryRow(ctx, `SELECT `+groupCols+` WHERE lower(g.name) = lower(?)`, name))
	return g, fail(err, "group %q", name)
}

// DeleteGroup implements store.Groups.
func (d *DB) DeleteGroup(ctx context.Context, name string) error {
	return fail(d.deleteNamed(ctx, "iam_groups", name), "delete group %q", name)
}

// ListGroups implements store.GroupLister.
func (d *DB) ListGroups(ctx context.Context, pathPrefix string, opts store.ListOptions) (store.Page[store.Group], error) {
	q := newQuery(`SELECT ` + groupCols)
	q.pathPrefix("g.path", pathPrefix)
	p, err := d.listGroups(ctx, q, opts)
	return p, fail(err, "list groups")
}

// ListGroupsForUser implements store.GroupLister.
func (d *DB) ListGroupsForUser(ctx context.Context, user string, opts store.ListOptions) (store.Page[store.Group], error) {
	uid, err := d.idOf(ctx, d.b, entityTables[store.EntityUser], user, false)
	if err != nil {
		return store.Page[store.Group]{}, err
	}
	q := newQuery(`SELECT ` + groupCols + ` JOIN group_members m ON m.group_id = g.id`)
	q.where("m.user_id = ?", uid)
	p, err := d.listGroups(ctx, q, opts)
	return p, fail(err, "list groups for user %q", user)
}

func (d *DB) listGroups(ctx context.Context, q *query, opts store.ListOptions) (store.Page[store.Group], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.Group]{}, err
	}
	if tok != nil {
		q.where("lower(g.name) > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("lower(g.name)", limit)
	gs, err := collect(ctx, d.b, sql, args, scanGroup)
	if err != nil {
		return store.Page[store.Group]{}, err
	}
	return finish(gs, limit, func(g store.Group) []string { return []string{lower(g.Name)} }), nil
}

// AddUserToGroup implements store.GroupMembers.
func (d *DB) AddUserToGroup(ctx context.Context, group, user string) error {
	err := d.tx(ctx, func(c Conn) error {
		gid, err := d.idOf(ctx, c, entityTables[store.EntityGroup], group, false)
		if err != nil {
			return err
		}
		uid, err := d.idOf(ctx, c, entityTables[store.EntityUser], user, true)
		if err != nil {
			return err
		}
		var member, n int
		if err := c.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN group_id = ? THEN 1 ELSE 0 END), 0)
			FROM group_members WHERE user_id = ?`, gid, uid).Scan(&n, &member); err != nil {
			return err
		}
		switch {
		case member > 0:
			return nil
		case n >= store.MaxGroupsPerUser:
			return store.ErrLimitExceeded
		}
		_, err = c.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, gid, uid)
		return err
	})
	return fail(err, "add user %q to group %q", user, group)
}

// RemoveUserFromGroup implements store.GroupMembers.
func (d *DB) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	n, err := d.b.Exec(ctx, `DELETE FROM group_members
		WHERE group_id = (SELECT id FROM iam_groups WHERE lower(name) = lower(?))
		AND user_id = (SELECT id FROM iam_users WHERE lower(name) = lower(?))`, group, user)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "remove user %q from group %q", user, group)
}

// ListGroupUsers implements store.GroupMembers.
func (d *DB) ListGroupUsers(ctx context.Context, group string, opts store.ListOptions) (store.Page[store.User], error) {
	gid, err := d.idOf(ctx, d.b, entityTables[store.EntityGroup], group, false)
	if err != nil {
		return store.Page[store.User]{}, err
	}
	q := newQuery(`SELECT ` + userCols + ` JOIN group_members m ON m.user_id = u.id`)
	q.where("m.group_id = ?", gid)
	return d.listUsers(ctx, q, "lower(u.name)", opts)
}

// Roles.

const roleCols = `r.id, r.name, r.path, r.description, r.assume_role_policy, r.max_session_seconds,
	COALESCE(p.name, ''), r.created_at
	FROM iam_roles r LEFT JOIN iam_policies p ON p.id = r.boundary_id`

func scanRole(s scanner) (store.Role, error) {
	var r store.Role
	var secs int64
	err := s.Scan(&r.ID, &r.Name, &r.Path, &r.Description, &r.AssumeRolePolicy, &secs,
		&r.PermissionsBoundary, tm(&r.CreatedAt))
	r.MaxSessionDuration = time.Duration(secs) * time.Second
	return r, err
}

// CreateRole implements store.Roles.
func (d *DB) CreateRole(ctx context.Context, r store.Role) error {
	err := d.tx(ctx, func(c Conn) error {
		b, err := d.boundaryID(ctx, c, r.PermissionsBoundary)
		if err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `INSERT INTO iam_roles (id, name, path, description, assume_role_policy,
			max_session_seconds, boundary_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Name, orSlash(r.Path), r.Description, r.AssumeRolePolicy,
			int64(r.MaxSessionDuration/time.Second), b, d.t(d.stamp(r.CreatedAt))); err != nil {
			return err
		}
		return d.addTags(ctx, c, roleTags, r.ID, r.Tags)
	})
	return fail(err, "create role %q", r.Name)
}

// GetRole implements store.Roles.
func (d *DB) GetRole(ctx context.Context, name string) (store.Role, error) {
	r, err := scanRole(d.b.QueryRow(ctx, `SELECT `+roleCols+` WHERE lower(r.name) = lower(?)`, name))
	if err == nil {
		r.Tags, err = d.tags(ctx, d.b, roleTags, r.ID)
	}
	return r, fail(err, "role %q", name)
}

// DeleteRole implements store.Roles.
func (d *DB) DeleteRole(ctx context.Context, name string) error {
	return fail(d.deleteNamed(ctx, "iam_roles", name), "delete role %q", name)
}

// ListRoles implements store.RoleLister.
func (d *DB) ListRoles(ctx context.Context, pathPrefix string, opts store.ListOptions) (store.Page[store.Role], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.Role]{}, fail(err, "list roles")
	}
	q := newQuery(`SELECT ` + roleCols)
	q.pathPrefix("r.path", pathPrefix)
	if tok != nil {
		q.where("lower(r.name) > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("lower(r.name)", limit)
	roles, err := collect(ctx, d.b, sql, args, scanRole)
	if err != nil {
		return store.Page[store.Role]{}, fail(err, "list roles")
	}
	p := finish(roles, limit, func(r store.Role) []string { return []string{lower(r.Name)} })
	m, err := d.tagsOf(ctx, d.b, roleTags, ids(p.Items, func(r store.Role) string { return r.ID }))
	attachTags(p.Items, m, func(r *store.Role) (string, *[]store.Tag) { return r.ID, &r.Tags })
	return p, fail(err, "list roles")
}

// UpdateRole implements store.RoleUpdater.
func (d *DB) UpdateRole(ctx context.Context, name string, u store.RoleUpdate) error {
	var set []string
	var args []any
	if u.Description != nil {
		set, args = append(set, "description = ?"), append(args, *u.Description)
	}
	if u.MaxSessionDuration != nil {
		set, args = append(set, "max_session_seconds = ?"), append(args, int64(*u.MaxSessionDuration/time.Second))
	}
	if u.AssumeRolePolicy != nil {
		set, args = append(set, "assume_role_policy = ?"), append(args, *u.AssumeRolePolicy)
	}
	return fail(d.update(ctx, "iam_roles", name, set, args), "update role %q", name)
}
