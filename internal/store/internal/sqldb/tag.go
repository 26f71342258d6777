package sqldb

import (
	"context"
	"fmt"

	"github.com/sesame-sh/sesame/internal/store"
)

// taggable is how a resource type is found and where its tags are.
type taggable struct {
	find string // selects the row's id by the resource's name or id
	tags tagTable
}

var taggables = map[store.ResourceType]taggable{
	store.ResourceUser:     {`SELECT id FROM iam_users WHERE lower(name) = lower(?)`, userTags},
	store.ResourceRole:     {`SELECT id FROM iam_roles WHERE lower(name) = lower(?)`, roleTags},
	store.ResourceNode:     {`SELECT id FROM nodes WHERE id = ?`, nodeTags},
	store.ResourceDocument: {`SELECT name FROM documents WHERE name = ?`, documentTags},
}

// resource resolves r to its row's key, locking the row if lock is set.
func (d *DB) resource(ctx context.Context, c Conn, r store.Resource, lock bool) (string, tagTable, error) {
	t, ok := taggables[r.Type]
	if !ok {
		return "", tagTable{}, fmt.Errorf("resource type %q: %w", r.Type, store.ErrNotFound)
	}
	q := t.find
	if lock {
		q += d.forUpdate
	}
	var id string
	err := c.QueryRow(ctx, q, r.ID).Scan(&id)
	return id, t.tags, err
}

// AddTags implements store.Tags.
func (d *DB) AddTags(ctx context.Context, r store.Resource, tags []store.Tag) error {
	err := d.tx(ctx, func(c Conn) error {
		id, t, err := d.resource(ctx, c, r, true)
		if err != nil {
			return err
		}
		return d.addTags(ctx, c, t, id, tags)
	})
	return fail(err, "tag %s %q", r.Type, r.ID)
}

// RemoveTags implements store.Tags.
func (d *DB) RemoveTags(ctx context.Context, r store.Resource, keys []string) error {
	id, t, err := d.resource(ctx, d.b, r, false)
	if err == nil && len(keys) > 0 {
		args := []any{id}
		for _, k := range keys {
			args = append(args, k)
		}
		_, err = d.b.Exec(ctx, "DELETE FROM "+t.table+" WHERE "+t.fk+" = ? AND key IN ("+placeholders(len(keys))+")", args...)
	}
	return fail(err, "untag %s %q", r.Type, r.ID)
}

// ListTags implements store.Tags.
func (d *DB) ListTags(ctx context.Context, r store.Resource) ([]store.Tag, error) {
	id, t, err := d.resource(ctx, d.b, r, false)
	var tags []store.Tag
	if err == nil {
		tags, err = d.tags(ctx, d.b, t, id)
	}
	return tags, fail(err, "tags of %s %q", r.Type, r.ID)
}
