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
	schemaURL, drop, err := newSchema(ctx, spec)
	if err != nil {
		removeDir()
		return nil, err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: schemaURL, SecretKey: secretKey})
	if err != nil {
		drop()
		removeDir()
		return nil, err
	}
	b.Store, b.name, b.seedWorkers = db, "postgres", 8
	b.cleanup = func() error { return errors.Join(db.Close(), drop(), removeDir()) }
	return b, nil
}

// newSchema creates a schema of the run's own in the database at base and
// returns a URL whose connections use it, and a function that drops it.
func newSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		// The URL may hold a password: say what is wrong, not the URL.
		return "", nil, errors.New("postgres: cannot parse the connection URL")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "sesame_bench_" + hex.EncodeToString(b[:])
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
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, admin.String())
		if err != nil {
			return fmt.Errorf("postgres: connect to %s: %v", u.Host, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("postgres: %v", err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q = u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() error {
		return exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	}
	return u.String(), drop, nil
}
