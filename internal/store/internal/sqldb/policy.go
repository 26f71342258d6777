package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/store"
)

// Managed policies. Versions are numbers in the database and "v<n>" in
// the store's records; next_version only grows, so numbers are not reused.

const policyCols = `p.id, p.name, p.path, p.description, v.document, p.default_version,
	(SELECT COUNT(*) FROM user_attached a WHERE a.policy_id = p.id)
	+ (SELECT COUNT(*) FROM group_attached a WHERE a.policy_id = p.id)
	+ (SELECT COUNT(*) FROM role_attached a WHERE a.policy_id = p.id),
	(SELECT COUNT(*) FROM iam_users b WHERE b.boundary_id = p.id)
	+ (SELECT COUNT(*) FROM iam_roles b WHERE b.boundary_id = p.id),
	p.created_at, p.updated_at
	FROM iam_policies p
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version`

func scanPolicy(r scanner) (store.Policy, error) {
	var p store.Policy
	var def int
	err := r.Scan(&p.ID, &p.Name, &p.Path, &p.Description, &p.Document, &def,
		&p.AttachmentCount, &p.BoundaryCount, tm(&p.CreatedAt), tm(&p.UpdatedAt))
	p.DefaultVersion = versionName(def)
	return p, err
}

func versionName(n int) string { return "v" + strconv.Itoa(n) }

// versionNumber parses "v<n>"; anything else is a version that does not
// exist.
func versionNumber(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
	if err != nil || !strings.HasPrefix(v, "v") || n <= 0 {
		return 0, ErrNoRows
	}
	return n, nil
}

// CreatePolicy implements store.Policies.
func (d *DB) CreatePolicy(ctx context.Context, p store.Policy) error {
	at := d.t(d.stamp(p.CreatedAt))
	err := d.tx(ctx, func(c Conn) error {
		if _, err := c.Exec(ctx, `INSERT INTO iam_policies (id, name, path, description, default_version,
			next_version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 2, ?, ?)`,
			p.ID, p.Name, orSlash(p.Path), p.Description, at, at); err != nil {
			return err
		}
		_, err := c.Exec(ctx, `INSERT INTO policy_versions (policy_id, version, document, created_at) VALUES (?, 1, ?, ?)`,
			p.ID, p.Document, at)
		return err
	})
	return fail(err, "create policy %q", p.Name)
}

// GetPolicy implements store.Policies.
func (d *DB) GetPolicy(ctx context.Context, name string) (store.Policy, error) {
	p, err := scanPolicy(d.b.QueryRow(ctx, `SELECT `+policyCols+` WHERE lower(p.name) = lower(?)`, name))
	return p, fail(err, "policy %q", name)
}

// DeletePolicy implements store.Policies. Attachments and boundaries
// refer to the policy with foreign keys, which refuse the delete.
func (d *DB) DeletePolicy(ctx context.Context, name string) error {
	return fail(d.deleteNamed(ctx, "iam_policies", name), "delete policy %q", name)
}

// ListPolicies implements store.PolicyLister.
func (d *DB) ListPolicies(ctx context.Context, pathPrefix string, opts store.ListOptions) (store.Page[store.Policy], error) {
	q := newQuery(`SELECT ` + policyCols)
	q.pathPrefix("p.path", pathPrefix)
	p, err := d.listPolicies(ctx, q, opts)
	return p, fail(err, "list policies")
}

func (d *DB) listPolicies(ctx context.Context, q *query, opts store.ListOptions) (store.Page[store.Policy], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.Policy]{}, err
	}
	if tok != nil {
		q.where("lower(p.name) > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("lower(p.name)", limit)
	ps, err := collect(ctx, d.b, sql, args, scanPolicy)
	if err != nil {
		return store.Page[store.Policy]{}, err
	}
	return finish(ps, limit, func(p store.Policy) []string { return []string{lower(p.Name)} }), nil
}

// lockPolicy reads a policy's id and default version, locking its row.
func (d *DB) lockPolicy(ctx context.Context, c Conn, name string) (id string, def, next int, err error) {
	err = c.QueryRow(ctx, `SELECT id, default_version, next_version FROM iam_policies WHERE lower(name) = lower(?)`+d.forUpdate,
		name).Scan(&id, &def, &next)
	return id, def, next, fail(err, "policy %q", name)
}

// CreatePolicyVersion implements store.PolicyVersions.
func (d *DB) CreatePolicyVersion(ctx context.Context, policy, document string, setDefault bool) (store.PolicyVersion, error) {
	at := d.nowMicro()
	var v store.PolicyVersion
	err := d.tx(ctx, func(c Conn) error {
		id, def, next, err := d.lockPolicy(ctx, c, policy)
		if err != nil {
			return err
		}
		var n int
		if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM policy_versions WHERE policy_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n >= store.MaxPolicyVersions {
			return store.ErrLimitExceeded
		}
		if _, err := c.Exec(ctx, `INSERT INTO policy_versions (policy_id, version, document, created_at) VALUES (?, ?, ?, ?)`,
			id, next, document, d.t(at)); err != nil {
			return err
		}
		if setDefault {
			def = next
		}
		if _, err := c.Exec(ctx, `UPDATE iam_policies SET next_version = ?, default_version = ?, updated_at = ? WHERE id = ?`,
			next+1, def, d.t(at), id); err != nil {
			return err
		}
		v = store.PolicyVersion{Version: versionName(next), Document: document, Default: setDefault, CreatedAt: at}
		return nil
	})
	return v, fail(err, "create version of policy %q", policy)
}

// DeletePolicyVersion implements store.PolicyVersions.
func (d *DB) DeletePolicyVersion(ctx context.Context, policy, version string) error {
	err := d.tx(ctx, func(c Conn) error {
		num, err := versionNumber(version)
		if err != nil {
			return err
		}
		id, def, _, err := d.lockPolicy(ctx, c, policy)
		if err != nil {
			return err
		}
		if num == def {
			return store.ErrConflict
		}
		n, err := c.Exec(ctx, `DELETE FROM policy_versions WHERE policy_id = ? AND version = ?`, id, num)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
		return err
	})
	return fail(err, "delete version %q of policy %q", version, policy)
}

// SetDefaultPolicyVersion implements store.PolicyVersions.
func (d *DB) SetDefaultPolicyVersion(ctx context.Context, policy, version string) error {
	num, err := versionNumber(version)
	if err == nil {
		var n int64
		n, err = d.b.Exec(ctx, `UPDATE iam_policies SET default_version = ?, updated_at = ?
			WHERE lower(name) = lower(?)
			AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_id = iam_policies.id AND v.version = ?)`,
			num, d.t(d.nowMicro()), policy, num)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
	}
	return fail(err, "set default version of policy %q to %q", policy, version)
}

const versionCols = `v.version, v.document, v.version = p.default_version, v.created_at
	FROM policy_versions v JOIN iam_policies p ON p.id = v.policy_id`

func scanVersion(r scanner) (store.PolicyVersion, error) {
	var v store.PolicyVersion
	var num int
	err := r.Scan(&num, &v.Document, &v.Default, tm(&v.CreatedAt))
	v.Version = versionName(num)
	return v, err
}

// GetPolicyVersion implements store.PolicyVersionReader.
func (d *DB) GetPolicyVersion(ctx context.Context, policy, version string) (store.PolicyVersion, error) {
	num, err := versionNumber(version)
	var v store.PolicyVersion
	if err == nil {
		v, err = scanVersion(d.b.QueryRow(ctx, `SELECT `+versionCols+` WHERE lower(p.name) = lower(?) AND v.version = ?`, policy, num))
	}
	return v, fail(err, "version %q of policy %q", version, policy)
}

// ListPolicyVersions implements store.PolicyVersionReader.
func (d *DB) ListPolicyVersions(ctx context.Context, policy string) ([]store.PolicyVersion, error) {
	id, err := d.idOf(ctx, d.b, policyTable, policy, false)
	if err != nil {
		return nil, err
	}
	vs, err := collect(ctx, d.b, `SELECT `+versionCols+` WHERE p.id = ? ORDER BY v.version`, []any{id}, scanVersion)
	return vs, fail(err, "list versions of policy %q", policy)
}

// Attachments.

// AttachPolicy implements store.Attachments.
func (d *DB) AttachPolicy(ctx context.Context, e store.Entity, policy string) error {
	err := d.tx(ctx, func(c Conn) error {
		t, err := entityOf(e)
		if err != nil {
			return err
		}
		eid, err := d.idOf(ctx, c, t, e.Name, true)
		if err != nil {
			return err
		}
		pid, err := d.idOf(ctx, c, policyTable, policy, false)
		if err != nil {
			return err
		}
		var n, have int
		if err := c.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN policy_id = ? THEN 1 ELSE 0 END), 0)
			FROM `+t.attached+` WHERE `+t.fk+` = ?`, pid, eid).Scan(&n, &have); err != nil {
			return err
		}
		switch {
		case have > 0:
			return nil
		case n >= store.MaxAttachedPolicies:
			return store.ErrLimitExceeded
		}
		_, err = c.Exec(ctx, `INSERT INTO `+t.attached+` (`+t.fk+`, policy_id) VALUES (?, ?)`, eid, pid)
		return err
	})
	return fail(err, "attach policy %q to %s %q", policy, e.Kind, e.Name)
}

// DetachPolicy implements store.Attachments.
func (d *DB) DetachPolicy(ctx context.Context, e store.Entity, policy string) error {
	t, err := entityOf(e)
	if err == nil {
		var n int64
		n, err = d.b.Exec(ctx, `DELETE FROM `+t.attached+`
			WHERE `+t.fk+` = (SELECT id FROM `+t.table+` WHERE lower(name) = lower(?))
			AND policy_id = (SELECT id FROM iam_policies WHERE lower(name) = lower(?))`, e.Name, policy)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
	}
	return fail(err, "detach policy %q from %s %q", policy, e.Kind, e.Name)
}

// ListAttachedPolicies implements store.Attachments.
func (d *DB) ListAttachedPolicies(ctx context.Context, e store.Entity, opts store.ListOptions) (store.Page[store.Policy], error) {
	t, err := entityOf(e)
	if err != nil {
		return store.Page[store.Policy]{}, err
	}
	eid, err := d.idOf(ctx, d.b, t, e.Name, false)
	if err != nil {
		return store.Page[store.Policy]{}, err
	}
	q := newQuery(`SELECT ` + policyCols + ` JOIN ` + t.attached + ` x ON x.policy_id = p.id`)
	q.where("x."+t.fk+" = ?", eid)
	p, err := d.listPolicies(ctx, q, opts)
	return p, fail(err, "list policies attached to %s %q", e.Kind, e.Name)
}

// SetPermissionsBoundary implements store.Boundaries.
func (d *DB) SetPermissionsBoundary(ctx context.Context, e store.Entity, policy string) error {
	if e.Kind != store.EntityUser && e.Kind != store.EntityRole {
		return fmt.Errorf("set permissions boundary: a %s has none", e.Kind)
	}
	t := entityTables[e.Kind]
	err := d.tx(ctx, func(c Conn) error {
		b, err := d.boundaryID(ctx, c, policy)
		if err != nil {
			return err
		}
		n, err := c.Exec(ctx, `UPDATE `+t.table+` SET boundary_id = ? WHERE lower(name) = lower(?)`, b, e.Name)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
		return err
	})
	return fail(err, "set permissions boundary of %s %q", e.Kind, e.Name)
}

// Inline policies.

// PutInlinePolicy implements store.InlinePolicies.
func (d *DB) PutInlinePolicy(ctx context.Context, e store.Entity, p store.InlinePolicy) error {
	t, err := entityOf(e)
	if err == nil {
		var n int64
		n, err = d.b.Exec(ctx, `INSERT INTO `+t.inline+` (`+t.fk+`, name, document)
			SELECT id, ?, ? FROM `+t.table+` WHERE lower(name) = lower(?)
			ON CONFLICT (`+t.fk+`, name) DO UPDATE SET document = excluded.document`, p.Name, p.Document, e.Name)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
	}
	return fail(err, "put policy %q of %s %q", p.Name, e.Kind, e.Name)
}

// GetInlinePolicy implements store.InlinePolicies.
func (d *DB) GetInlinePolicy(ctx context.Context, e store.Entity, name string) (store.InlinePolicy, error) {
	p := store.InlinePolicy{Name: name}
	t, err := entityOf(e)
	if err == nil {
		err = d.b.QueryRow(ctx, `SELECT i.document FROM `+t.inline+` i JOIN `+t.table+` e ON e.id = i.`+t.fk+`
			WHERE lower(e.name) = lower(?) AND i.name = ?`, e.Name, name).Scan(&p.Document)
	}
	return p, fail(err, "policy %q of %s %q", name, e.Kind, e.Name)
}

// DeleteInlinePolicy implements store.InlinePolicies.
func (d *DB) DeleteInlinePolicy(ctx context.Context, e store.Entity, name string) error {
	t, err := entityOf(e)
	if err == nil {
		var n int64
		n, err = d.b.Exec(ctx, `DELETE FROM `+t.inline+`
			WHERE `+t.fk+` = (SELECT id FROM `+t.table+` WHERE lower(name) = lower(?)) AND name = ?`, e.Name, name)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
	}
	return fail(err, "delete policy %q of %s %q", name, e.Kind, e.Name)
}

// ListInlinePolicies implements store.InlinePolicyLister.
func (d *DB) ListInlinePolicies(ctx context.Context, e store.Entity, opts store.ListOptions) (store.Page[string], error) {
	t, err := entityOf(e)
	if err != nil {
		return store.Page[string]{}, err
	}
	eid, err := d.idOf(ctx, d.b, t, e.Name, false)
	if err != nil {
		return store.Page[string]{}, err
	}
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[string]{}, fail(err, "list policies of %s %q", e.Kind, e.Name)
	}
	q := newQuery(`SELECT name FROM `+t.inline+` WHERE `+t.fk+` = ?`, eid)
	q.n = 1
	if tok != nil {
		q.where("name > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("name", limit)
	names, err := collect(ctx, d.b, sql, args, func(r scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
	if err != nil {
		return store.Page[string]{}, fail(err, "list policies of %s %q", e.Kind, e.Name)
	}
	return finish(names, limit, func(s string) []string { return []string{s} }), nil
}
