package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/postgres"
	"github.com/sesame-sh/sesame/internal/store/sqlite"
)

// backend is a store opened for one run, and what its cleanup removes.
type backend struct {
	store.Store
	name    string // sqlite, postgres
	dir     string // the run's temporary directory: database, audit log
	cleanup func() error
	// seedWorkers is how many goroutines seed it: SQLite has one writer,
	// so more only wait on its lock.
	seedWorkers int
	// analyze, if set, updates the planner's statistics after seeding.
	analyze func(context.Context) error
}

// openBackend opens a fresh store for a run: SQLite in a new temporary
// directory, or PostgreSQL in a new schema of the database at spec. The
// temporary directory also holds the run's audit log.
func openBackend(ctx context.Context, spec string, secretKey []byte) (*backend, error) {
	dir, err := os.MkdirTemp("", "sesame-bench-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	b := &backend{dir: dir}
	removeDir := func() error { return os.RemoveAll(dir) }
	if !postgresURL(spec) {
		db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "sesame.db"), SecretKey: secretKey})
		if err != nil {
			removeDir()
			return nil, err
		}
		b.Store, b.name, b.seedWorkers = db, "sqlite", 1
		b.cleanup = func() error { return errors.Join(db.Close(), removeDir()) }
		return b, nil
	}
	schemaURL, schema, err := newSchema(ctx, spec)
	if err != nil {
		removeDir()
		return nil, err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: schemaURL, SecretKey: secretKey})
	if err != nil {
		schema.drop()
		removeDir()
		return nil, err
	}
	b.Store, b.name, b.seedWorkers, b.analyze = db, "postgres", 8, schema.analyze
	b.cleanup = func() error { return errors.Join(db.Close(), schema.drop(), removeDir()) }
	return b, nil
}

// schema is a PostgreSQL schema of a run's own.
type schema struct {
	name  string
	admin string // the URL without the pool's settings
	host  string
}

// exec runs sql on a connection of its own.
func (s *schema) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return fmt.Errorf("postgres: connect to %s: %v", s.host, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres: %v", err)
	}
	return nil
}

func (s *schema) drop() error {
	return s.exec(context.Background(), "DROP SCHEMA "+s.name+" CASCADE")
}

// analyze gathers the planner's statistics on the schema's tables, as
// autovacuum does within a minute or so of a bulk load. Without them the
// planner takes the freshly seeded tables for empty: a
// DescribeInstanceInformation with a tag filter then sorts every
// matching node (10 ms) instead of walking the primary key (0.05 ms).
func (s *schema) analyze(ctx context.Context) error {
	return s.exec(ctx, `DO $$ DECLARE t text; BEGIN
	FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '`+s.name+`' LOOP
		EXECUTE format('ANALYZE %I.%I', '`+s.name+`', t);
	END LOOP; END $$`)
}

// newSchema creates a schema of the run's own in the database at base and
// returns a URL whose connections use it.
func newSchema(ctx context.Context, base string) (string, *schema, error) {
	u, err := url.Parse(base)
	if err != nil {
		// The URL may hold a password: say what is wrong, not the URL.
		return "", nil, errors.New("postgres: cannot parse the connection URL")
	}
	var b [6]byte
	rand.Read(b[:])
	name := "sesame_bench_" + hex.EncodeToString(b[:])
	// The pool's settings (pool_max_conns, ...) are pgxpool's, not the
	// server's: a plain connection would send them as parameters.
	admin := *u
	q := admin.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	admin.RawQuery = q.Encode()
	s := &schema{name: name, admin: admin.String(), host: u.Host}
	if err := s.exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	q = u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), s, nil
}
