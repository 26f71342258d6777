package sqldb

import (
	"context"
	"strconv"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// Sessions. The state machine is the database's: triggers refuse a
// status change that session_transitions does not list (a Check error,
// so ErrConflict here), and a CHECK keeps ended_at set exactly when the
// status is final. This code only reports what the database decided.

const sessionCols = `s.id, s.target, s.owner, s.document_name, s.status, s.reason, s.started_at, s.ended_at FROM sessions s`

func scanSession(r scanner) (store.Session, error) {
	var s store.Session
	var status string
	err := r.Scan(&s.ID, &s.Target, &s.Owner, &s.DocumentName, &status, &s.Reason, tm(&s.StartedAt), tm(&s.EndedAt))
	s.Status = store.SessionStatus(status)
	return s, err
}

// CreateSession implements store.Sessions: the session and its tags in
// one transaction that only writes, which a Batcher sends at once (on
// PostgreSQL one round trip instead of four).
func (d *DB) CreateSession(ctx context.Context, s store.Session) error {
	err := d.writeBatch(ctx, func(c Conn) error {
		if _, err := c.Exec(ctx, `INSERT INTO sessions (id, target, owner, document_name, status, reason, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.Target, s.Owner, s.DocumentName, string(s.Status), s.Reason, d.t(d.stamp(s.StartedAt))); err != nil {
			return err
		}
		return insertTags(ctx, c, sessionTags, s.ID, s.Tags)
	})
	return fail(err, "create session %q", s.ID)
}

// GetSession implements store.Sessions.
func (d *DB) GetSession(ctx context.Context, id string) (store.Session, error) {
	s, err := scanSession(d.b.QueryRow(ctx, `SELECT `+sessionCols+` WHERE s.id = ?`, id))
	if err == nil {
		s.Tags, err = d.tags(ctx, d.b, sessionTags, id)
	}
	return s, fail(err, "session %q", id)
}

// SetSessionStatus implements store.Sessions.
func (d *DB) SetSessionStatus(ctx context.Context, id string, status store.SessionStatus, reason string, at time.Time) error {
	var ended any
	if status.Final() {
		ended = d.t(d.stamp(at))
	}
	sql, args := `UPDATE sessions SET status = ?, ended_at = ? WHERE id = ?`, []any{string(status), ended, id}
	if reason != "" {
		sql, args = `UPDATE sessions SET status = ?, ended_at = ?, reason = ? WHERE id = ?`, []any{string(status), ended, reason, id}
	}
	n, err := d.b.Exec(ctx, sql, args...)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "set status of session %q to %s", id, status)
}

// ListSessions implements store.SessionLister.
func (d *DB) ListSessions(ctx context.Context, f store.SessionFilter, opts store.ListOptions) (store.Page[store.Session], error) {
	q := newQuery(`SELECT ` + sessionCols)
	switch f.State {
	case store.SessionsActive:
		q.where("s.status NOT IN ('Terminated', 'Failed')")
	case store.SessionsHistory:
		q.where("s.status IN ('Terminated', 'Failed')")
	}
	if f.Target != "" {
		q.where("s.target = ?", f.Target)
	}
	if f.Owner != "" {
		q.where("s.owner = ?", f.Owner)
	}
	if f.Status != "" {
		q.where("s.status = ?", string(f.Status))
	}
	if err := d.before(q, "s.started_at", "s.id", opts.Token); err != nil {
		return store.Page[store.Session]{}, fail(err, "list sessions")
	}
	limit := pageSize(opts)
	sql, args := q.page("s.started_at DESC, s.id DESC", limit)
	ss, err := collect(ctx, d.b, sql, args, scanSession)
	if err != nil {
		return store.Page[store.Session]{}, fail(err, "list sessions")
	}
	p := finish(ss, limit, func(s store.Session) []string {
		return []string{strconv.FormatInt(s.StartedAt.UnixMicro(), 10), s.ID}
	})
	m, err := d.tagsOf(ctx, d.b, sessionTags, ids(p.Items, func(s store.Session) string { return s.ID }))
	attachTags(p.Items, m, func(s *store.Session) (string, *[]store.Tag) { return s.ID, &s.Tags })
	return p, fail(err, "list sessions")
}
