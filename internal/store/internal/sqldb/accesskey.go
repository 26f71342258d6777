package sqldb

import (
	"context"

	"github.com/sesame-sh/sesame/internal/store"
)

// Access keys. The secret column holds the secret sealed with the
// key id as additional data (see seal.go); plaintext never reaches SQL.

const (
	keyCols = `k.id, u.name, k.status, k.created_at, k.last_used_at, k.last_used_service, k.last_used_region`
	keyFrom = ` FROM access_keys k JOIN iam_users u ON u.id = k.user_id`
)

func scanKey(r scanner, extra ...any) (store.AccessKey, error) {
	var k store.AccessKey
	var status string
	err := r.Scan(append([]any{&k.ID, &k.UserName, &status, tm(&k.CreatedAt), tm(&k.LastUsed.At),
		&k.LastUsed.Service, &k.LastUsed.Region}, extra...)...)
	k.Status = store.AccessKeyStatus(status)
	return k, err
}

// CreateAccessKey implements store.AccessKeys.
func (d *DB) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	sealed, err := d.seal.seal([]byte(k.Secret), []byte(k.ID))
	if err != nil {
		return fail(err, "create access key for user %q", k.UserName)
	}
	if k.Status == "" {
		k.Status = store.AccessKeyActive
	}
	err = d.tx(ctx, func(c Conn) error {
		uid, err := d.idOf(ctx, c, entityTables[store.EntityUser], k.UserName, true)
		if err != nil {
			return err
		}
		var n int
		if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM access_keys WHERE user_id = ?`, uid).Scan(&n); err != nil {
			return err
		}
		if n >= store.MaxAccessKeys {
			return store.ErrLimitExceeded
		}
		_, err = c.Exec(ctx, `INSERT INTO access_keys (id, user_id, secret, status, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, uid, sealed, string(k.Status), d.t(d.stamp(k.CreatedAt)))
		return err
	})
	return fail(err, "create access key for user %q", k.UserName)
}

// GetAccessKey implements store.AccessKeys.
func (d *DB) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	var sealed []byte
	k, err := scanKey(d.b.QueryRow(ctx, `SELECT `+keyCols+`, k.secret`+keyFrom+` WHERE k.id = ?`, id), &sealed)
	if err == nil {
		var secret []byte
		secret, err = d.seal.open(sealed, []byte(k.ID))
		k.Secret = string(secret)
	}
	return k, fail(err, "access key %q", id)
}

// DeleteAccessKey implements store.AccessKeys.
func (d *DB) DeleteAccessKey(ctx context.Context, user, id string) error {
	n, err := d.b.Exec(ctx, `DELETE FROM access_keys WHERE id = ?
		AND user_id = (SELECT id FROM iam_users WHERE lower(name) = lower(?))`, id, user)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "delete access key %q of user %q", id, user)
}

// ListAccessKeys implements store.AccessKeyLister.
func (d *DB) ListAccessKeys(ctx context.Context, user string, opts store.ListOptions) (store.Page[store.AccessKey], error) {
	uid, err := d.idOf(ctx, d.b, entityTables[store.EntityUser], user, false)
	if err != nil {
		return store.Page[store.AccessKey]{}, err
	}
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.AccessKey]{}, fail(err, "list access keys of user %q", user)
	}
	q := newQuery(`SELECT ` + keyCols + keyFrom)
	q.where("k.user_id = ?", uid)
	if tok != nil {
		q.where("k.id > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("k.id", limit)
	keys, err := collect(ctx, d.b, sql, args, func(r scanner) (store.AccessKey, error) { return scanKey(r) })
	if err != nil {
		return store.Page[store.AccessKey]{}, fail(err, "list access keys of user %q", user)
	}
	return finish(keys, limit, func(k store.AccessKey) []string { return []string{k.ID} }), nil
}

// SetAccessKeyStatus implements store.AccessKeyUpdater.
func (d *DB) SetAccessKeyStatus(ctx context.Context, user, id string, s store.AccessKeyStatus) error {
	n, err := d.b.Exec(ctx, `UPDATE access_keys SET status = ? WHERE id = ?
		AND user_id = (SELECT id FROM iam_users WHERE lower(name) = lower(?))`, string(s), id, user)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "set status of access key %q of user %q", id, user)
}

// RecordAccessKeyUse implements store.AccessKeyUpdater.
func (d *DB) RecordAccessKeyUse(ctx context.Context, id string, u store.KeyUse) error {
	n, err := d.b.Exec(ctx, `UPDATE access_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ? WHERE id = ?`,
		d.t(d.stamp(u.At)), u.Service, u.Region, id)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "record use of access key %q", id)
}
