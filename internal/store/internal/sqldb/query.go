package sqldb

import (
	"context"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/store"
)

// scanner is a Row or Rows.
type scanner interface {
	Scan(dest ...any) error
}

// query builds a SELECT with optional conditions.
type query struct {
	b    strings.Builder
	args []any
	n    int // conditions so far
}

func newQuery(sel string, args ...any) *query {
	q := &query{args: args}
	q.b.WriteString(sel)
	return q
}

// where adds a condition, joined to the others with AND.
func (q *query) where(cond string, args ...any) {
	if q.n == 0 {
		q.b.WriteString(" WHERE ")
	} else {
		q.b.WriteString(" AND ")
	}
	q.n++
	q.b.WriteString(cond)
	q.args = append(q.args, args...)
}

// in adds `col IN (...)` for vals; no condition when vals is empty.
func in[T ~string](q *query, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	q.where(col+" IN ("+placeholders(len(vals))+")", args...)
}

// pathPrefix adds the path prefix condition of IAM list calls.
func (q *query) pathPrefix(col, prefix string) {
	if prefix == "" || prefix == "/" {
		return
	}
	q.where("substr("+col+", 1, ?) = ?", len([]rune(prefix)), prefix)
}

// page ends the query: ORDER BY, and LIMIT one row past the page.
func (q *query) page(order string, limit int) (string, []any) {
	q.b.WriteString(" ORDER BY ")
	q.b.WriteString(order)
	q.b.WriteString(" LIMIT ")
	q.b.WriteString(strconv.Itoa(limit + 1))
	return q.b.String(), q.args
}

// collect runs a query and scans each row with scan.
func collect[T any](ctx context.Context, c Conn, sql string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// lower is SQL's lower(): ASCII only, as in both SQLite and PostgreSQL
// under the "C" collation. IAM names are ASCII.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func orSlash(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// tagTable is a resource's tag table and its key column.
type tagTable struct{ table, fk string }

var (
	userTags       = tagTable{"user_tags", "user_id"}
	roleTags       = tagTable{"role_tags", "role_id"}
	nodeTags       = tagTable{"node_tags", "node_id"}
	documentTags   = tagTable{"document_tags", "document_name"}
	activationTags = tagTable{"activation_tags", "activation_id"}
	sessionTags    = tagTable{"session_tags", "session_id"}
)

// tags reads one resource's tags, ordered by key.
func (d *DB) tags(ctx context.Context, c Conn, t tagTable, id string) ([]store.Tag, error) {
	return collect(ctx, c, "SELECT key, value FROM "+t.table+" WHERE "+t.fk+" = ? ORDER BY key", []any{id},
		func(r scanner) (store.Tag, error) {
			var tg store.Tag
			return tg, r.Scan(&tg.Key, &tg.Value)
		})
}

// tagsOf reads the tags of several resources at once.
func (d *DB) tagsOf(ctx context.Context, c Conn, t tagTable, ids []string) (map[string][]store.Tag, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := c.Query(ctx, "SELECT "+t.fk+", key, value FROM "+t.table+" WHERE "+t.fk+" IN ("+placeholders(len(ids))+") ORDER BY "+t.fk+", key", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[string][]store.Tag, len(ids))
	for rows.Next() {
		var id string
		var tg store.Tag
		if err := rows.Scan(&id, &tg.Key, &tg.Value); err != nil {
			return nil, err
		}
		m[id] = append(m[id], tg)
	}
	return m, rows.Err()
}

// addTags upserts tags on a resource whose row the transaction holds,
// then checks the quota (the transaction rolls back past it).
func (d *DB) addTags(ctx context.Context, c Conn, t tagTable, id string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	if len(tags) > store.MaxTagsPerResource {
		return store.ErrLimitExceeded
	}
	q := "INSERT INTO " + t.table + " (" + t.fk + ", key, value) VALUES (?, ?, ?) ON CONFLICT (" + t.fk + ", key) DO UPDATE SET value = excluded.value"
	for _, tg := range tags {
		if _, err := c.Exec(ctx, q, id, tg.Key, tg.Value); err != nil {
			return err
		}
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM "+t.table+" WHERE "+t.fk+" = ?", id).Scan(&n); err != nil {
		return err
	}
	if n > store.MaxTagsPerResource {
		return store.ErrLimitExceeded
	}
	return nil
}

// insertTags adds the tags of a resource created in the same transaction,
// which has no tags yet: one statement, no upsert, no count.
func insertTags(ctx context.Context, c Conn, t tagTable, id string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	if len(tags) > store.MaxTagsPerResource {
		return store.ErrLimitExceeded
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + t.table + " (" + t.fk + ", key, value) VALUES (?, ?, ?)")
	args := make([]any, 0, 3*len(tags))
	for i, tg := range tags {
		if i > 0 {
			q.WriteString(", (?, ?, ?)")
		}
		args = append(args, id, tg.Key, tg.Value)
	}
	_, err := c.Exec(ctx, q.String(), args...)
	return err
}

// attachTags sets each item's tags from a tagsOf map.
func attachTags[T any](items []T, m map[string][]store.Tag, key func(*T) (string, *[]store.Tag)) {
	for i := range items {
		id, tags := key(&items[i])
		*tags = m[id]
	}
}

// ids returns each item's id.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
