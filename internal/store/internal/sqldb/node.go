package sqldb

import (
	"context"
	"crypto/subtle"
	"strconv"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// Activations.

const activationCols = `id, code_hash, description, default_instance_name, iam_role,
	registration_limit, registration_count, expires_at, created_at FROM activations`

func scanActivation(r scanner) (store.Activation, error) {
	var a store.Activation
	return a, r.Scan(&a.ID, &a.CodeHash, &a.Description, &a.DefaultInstanceName, &a.IAMRole,
		&a.RegistrationLimit, &a.RegistrationCount, tm(&a.ExpiresAt), tm(&a.CreatedAt))
}

// CreateActivation implements store.Activations.
func (d *DB) CreateActivation(ctx context.Context, a store.Activation) error {
	err := d.tx(ctx, func(c Conn) error {
		if _, err := c.Exec(ctx, `INSERT INTO activations (id, code_hash, description, default_instance_name,
			iam_role, registration_limit, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.CodeHash, a.Description, a.DefaultInstanceName, a.IAMRole, a.RegistrationLimit,
			d.t(a.ExpiresAt), d.t(d.stamp(a.CreatedAt))); err != nil {
			return err
		}
		return d.addTags(ctx, c, activationTags, a.ID, a.Tags)
	})
	return fail(err, "create activation %q", a.ID)
}

// GetActivation implements store.Activations.
func (d *DB) GetActivation(ctx context.Context, id string) (store.Activation, error) {
	a, err := scanActivation(d.b.QueryRow(ctx, `SELECT `+activationCols+` WHERE id = ?`, id))
	if err == nil {
		a.Tags, err = d.tags(ctx, d.b, activationTags, id)
	}
	return a, fail(err, "activation %q", id)
}

// DeleteActivation implements store.Activations.
func (d *DB) DeleteActivation(ctx context.Context, id string) error {
	n, err := d.b.Exec(ctx, `DELETE FROM activations WHERE id = ?`, id)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "delete activation %q", id)
}

// ListActivations implements store.ActivationLister.
func (d *DB) ListActivations(ctx context.Context, opts store.ListOptions) (store.Page[store.Activation], error) {
	q := newQuery(`SELECT ` + activationCols)
	if err := d.newestFirst(q, opts.Token); err != nil {
		return store.Page[store.Activation]{}, fail(err, "list activations")
	}
	limit := pageSize(opts)
	sql, args := q.page("created_at DESC, id DESC", limit)
	as, err := collect(ctx, d.b, sql, args, scanActivation)
	if err != nil {
		return store.Page[store.Activation]{}, fail(err, "list activations")
	}
	p := finish(as, limit, func(a store.Activation) []string {
		return []string{strconv.FormatInt(a.CreatedAt.UnixMicro(), 10), a.ID}
	})
	m, err := d.tagsOf(ctx, d.b, activationTags, ids(p.Items, func(a store.Activation) string { return a.ID }))
	attachTags(p.Items, m, func(a *store.Activation) (string, *[]store.Tag) { return a.ID, &a.Tags })
	return p, fail(err, "list activations")
}

// newestFirst adds the keyset condition of a list ordered by
// (created_at or started_at) DESC, id DESC; the column is named by the
// query's table.
func (d *DB) newestFirst(q *query, token string) error {
	return d.before(q, "created_at", "id", token)
}

func (d *DB) before(q *query, timeCol, idCol, token string) error {
	tok, err := decodeToken(token, 2)
	if err != nil || tok == nil {
		return err
	}
	us, err := strconv.ParseInt(tok[0], 10, 64)
	if err != nil {
		return store.ErrInvalidToken
	}
	at := d.t(time.UnixMicro(us))
	q.where("("+timeCol+" < ? OR ("+timeCol+" = ? AND "+idCol+" < ?))", at, at, tok[1])
	return nil
}

// RegisterNode implements store.Registrar.
func (d *DB) RegisterNode(ctx context.Context, activationID string, n store.Node) error {
	n.RegisteredAt = d.stamp(n.RegisteredAt)
	if n.PingStatus == "" {
		n.PingStatus = store.PingConnectionLost
	}
	err := d.tx(ctx, func(c Conn) error {
		var limit, count int
		var expires time.Time
		var defName, role string
		if err := c.QueryRow(ctx, `SELECT registration_limit, registration_count, expires_at, default_instance_name, iam_role
			FROM activations WHERE id = ?`+d.forUpdate, activationID).Scan(&limit, &count, tm(&expires), &defName, &role); err != nil {
			return fail(err, "activation %q", activationID)
		}
		switch {
		case !n.RegisteredAt.Before(expires):
			return fail(store.ErrExpired, "activation %q", activationID)
		case count >= limit:
			return fail(store.ErrLimitExceeded, "activation %q", activationID)
		}
		if n.Name == "" {
			n.Name = defName
		}
		if n.IAMRole == "" {
			n.IAMRole = role
		}
		if _, err := c.Exec(ctx, `UPDATE activations SET registration_count = registration_count + 1 WHERE id = ?`, activationID); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `INSERT INTO nodes (id, name, activation_id, iam_role, credentials_hash,
			platform_type, platform_name, platform_version, agent_version, ip_address, computer_name,
			ping_status, last_ping_at, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.Name, activationID, n.IAMRole, n.CredentialsHash,
			n.Info.PlatformType, n.Info.PlatformName, n.Info.PlatformVersion, n.Info.AgentVersion,
			n.Info.IPAddress, n.Info.ComputerName, string(n.PingStatus), d.t(n.LastPingAt), d.t(n.RegisteredAt)); err != nil {
			return fail(err, "node %q", n.ID)
		}
		if _, err := c.Exec(ctx, `INSERT INTO node_tags (node_id, key, value)
			SELECT ?, key, value FROM activation_tags WHERE activation_id = ?`, n.ID, activationID); err != nil {
			return err
		}
		return d.addTags(ctx, c, nodeTags, n.ID, n.Tags)
	})
	return fail(err, "register node %q", n.ID)
}

// Nodes.

const nodeCols = `n.id, n.name, n.activation_id, n.iam_role, n.credentials_hash,
	n.platform_type, n.platform_name, n.platform_version, n.agent_version, n.ip_address, n.computer_name,
	n.ping_status, n.last_ping_at, n.registered_at`

func scanNode(r scanner, extra ...any) (store.Node, error) {
	var n store.Node
	var ping string
	err := r.Scan(append([]any{&n.ID, &n.Name, &n.ActivationID, &n.IAMRole, &n.CredentialsHash,
		&n.Info.PlatformType, &n.Info.PlatformName, &n.Info.PlatformVersion, &n.Info.AgentVersion,
		&n.Info.IPAddress, &n.Info.ComputerName, &ping, tm(&n.LastPingAt), tm(&n.RegisteredAt)}, extra...)...)
	n.PingStatus = store.PingStatus(ping)
	return n, err
}

// GetNode implements store.Nodes: the node, then its tags. (One query
// with a join repeated the node's 14 columns on every tag's row: four
// times the allocations, for a read every agent connection makes.)
func (d *DB) GetNode(ctx context.Context, id string) (store.Node, error) {
	n, err := scanNode(d.b.QueryRow(ctx, `SELECT `+nodeCols+` FROM nodes n WHERE n.id = ?`, id))
	if err == nil {
		n.Tags, err = d.tags(ctx, d.b, nodeTags, id)
	}
	return n, fail(err, "node %q", id)
}

// DeleteNode implements store.Nodes.
func (d *DB) DeleteNode(ctx context.Context, id string) error {
	n, err := d.b.Exec(ctx, `DELETE FROM nodes WHERE id = ?`, id)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "delete node %q", id)
}

// tagFilters adds a condition per tag filter on a resource's tag table.
func tagFilters(q *query, t tagTable, idCol string, fs []store.TagFilter) {
	for _, f := range fs {
		cond := "EXISTS (SELECT 1 FROM " + t.table + " t WHERE t." + t.fk + " = " + idCol + " AND t.key = ?"
		args := []any{f.Key}
		if len(f.Values) > 0 {
			cond += " AND t.value IN (" + placeholders(len(f.Values)) + ")"
			for _, v := range f.Values {
				args = append(args, v)
			}
		}
		q.where(cond+")", args...)
	}
}

// ListNodeIDs implements store.NodeLister.
func (d *DB) ListNodeIDs(ctx context.Context, f store.NodeFilter, opts store.ListOptions) (store.Page[string], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[string]{}, fail(err, "list nodes")
	}
	q := newQuery(`SELECT n.id FROM nodes n`)
	in(q, "n.id", f.IDs)
	in(q, "n.ping_status", f.PingStatuses)
	in(q, "n.platform_type", f.PlatformTypes)
	tagFilters(q, nodeTags, "n.id", f.Tags)
	if tok != nil {
		q.where("n.id > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("n.id", limit)
	ids, err := collect(ctx, d.b, sql, args, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return store.Page[string]{}, fail(err, "list nodes")
	}
	return finish(ids, limit, func(id string) []string { return []string{id} }), nil
}

// UpdateNodeInfo implements store.NodeUpdater.
func (d *DB) UpdateNodeInfo(ctx context.Context, id string, i store.NodeInfo) error {
	n, err := d.b.Exec(ctx, `UPDATE nodes SET platform_type = ?, platform_name = ?, platform_version = ?,
		agent_version = ?, ip_address = ?, computer_name = ? WHERE id = ?`,
		i.PlatformType, i.PlatformName, i.PlatformVersion, i.AgentVersion, i.IPAddress, i.ComputerName, id)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "update node %q", id)
}

// RecordPing implements store.NodeUpdater.
func (d *DB) RecordPing(ctx context.Context, id string, s store.PingStatus, at time.Time) error {
	n, err := d.b.Exec(ctx, `UPDATE nodes SET ping_status = ?, last_ping_at = ? WHERE id = ?`,
		string(s), d.t(d.stamp(at)), id)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "record ping of node %q", id)
}

// RecordPings implements store.NodeUpdater, a statement per
// maxPingBatch nodes.
func (d *DB) RecordPings(ctx context.Context, ids []string, s store.PingStatus, at time.Time) error {
	at, n := d.stamp(at), len(ids)
	err := d.tx(ctx, func(c Conn) error {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), maxPingBatch)]
			ids = ids[len(batch):]
			args := append(make([]any, 0, 2+len(batch)), string(s), d.t(at))
			for _, id := range batch {
				args = append(args, id)
			}
			if _, err := c.Exec(ctx, `UPDATE nodes SET ping_status = ?, last_ping_at = ? WHERE id IN (`+placeholders(len(batch))+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return fail(err, "record pings of %d nodes", n)
}

// maxPingBatch keeps RecordPings' statements under SQLite's 32,766
// parameters and PostgreSQL's 65,535.
const maxPingBatch = 1000

// RotateNodeCredentials implements store.NodeUpdater: a compare-and-swap
// on the hash.
func (d *DB) RotateNodeCredentials(ctx context.Context, id string, old, new []byte) error {
	err := d.tx(ctx, func(c Conn) error {
		var have []byte
		if err := c.QueryRow(ctx, `SELECT credentials_hash FROM nodes WHERE id = ?`+d.forUpdate, id).Scan(&have); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(have, old) != 1 {
			return store.ErrConflict
		}
		_, err := c.Exec(ctx, `UPDATE nodes SET credentials_hash = ? WHERE id = ?`, new, id)
		return err
	})
	return fail(err, "rotate credentials of node %q", id)
}
