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

// backend is a run's server data directory, laid out as `sesame server`
// keeps one, and its store: DIR/server.key (64 bytes: the first 32 seal
// secrets at rest, the last 32 seal STS tokens), and SQLite at
// DIR/sesame.db or a PostgreSQL schema of the run's own.
type backend struct {
	name     string // sqlite, postgres
	dir      string // the data directory: key, database, audit log, server.log
	key      []byte // the server key, as DIR/server.key holds it
	storeURL string // the server's --store: the schema's URL; empty for SQLite
	schema   *schema
	// seedWorkers is how many goroutines seed it: SQLite has one writer,
	// so more only wait on its lock.
	seedWorkers int
}

// newBackend makes a fresh data directory with its server key, and for
// a PostgreSQL spec a new schema in that database.
func newBackend(ctx context.Context, spec string) (*backend, error) {
	dir, err := os.MkdirTemp("", "sesame-bench-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	b := &backend{name: "sqlite", dir: dir, key: make([]byte, 64), seedWorkers: 1}
	rand.Read(b.key)
	if err := os.WriteFile(filepath.Join(dir, "server.key"), b.key, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("server key: %w", err)
	}
	if postgresURL(spec) {
		if b.storeURL, b.schema, err = newSchema(ctx, spec); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		b.name, b.seedWorkers = "postgres", 8
	}
	return b, nil
}

// open opens the store as the server will, for seeding. The caller
// closes it before the server starts: SQLite has one writer.
func (b *backend) open(ctx context.Context) (store.Store, error) {
	if b.schema != nil {
		return postgres.Open(ctx, postgres.Config{URL: b.storeURL, SecretKey: b.key[:32]})
	}
	return sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.dir, "sesame.db"), SecretKey: b.key[:32]})
}

// cleanup drops the schema, if any, and removes the data directory.
func (b *backend) cleanup() error {
	var err error
	if b.schema != nil {
		err = b.schema.drop()
	}
	return errors.Join(err, os.RemoveAll(b.dir))
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
