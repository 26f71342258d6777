package sqldb

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema change: a file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads the *.sql files of fsys's root, ordered by version.
func Migrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name is not NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: want version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrate brings the schema up to date in one transaction: it records
// applied versions in schema_migrations and applies the newer ones in
// order. lock, if not empty, is run first to keep other servers from
// migrating at the same time (SQLite's write transaction is lock enough).
// A database newer than ms is refused.
func Migrate(ctx context.Context, b Backend, ms []Migration, lock string) error {
	return b.InTx(ctx, func(c Conn) error {
		if lock != "" {
			if _, err := c.Exec(ctx, lock); err != nil {
				return fmt.Errorf("migrate: lock: %v", err)
			}
		}
		if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL
		)`); err != nil {
			return fmt.Errorf("migrate: %v", err)
		}
		var have int
		if err := c.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("migrate: %v", err)
		}
		if have > len(ms) {
			return fmt.Errorf("migrate: the database has schema version %d, newer than this program's %d", have, len(ms))
		}
		for _, m := range ms[have:] {
			if _, err := c.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate: %s: %v", m.Name, err)
			}
			if _, err := c.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("migrate: %s: %v", m.Name, err)
			}
		}
		return nil
	})
}
