// Package sqlite is the embedded store backend: one SQLite database file
// (modernc.org/sqlite, pure Go) in WAL mode, with foreign keys on, a busy
// timeout, and write transactions that take the write lock when they
// begin (BEGIN IMMEDIATE), so a read-then-write never has to be retried.
// The schema is the migrations in migrations/, embedded and applied in
// one transaction by Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Config configures Open.
type Config struct {
	// Path is the database file, created if missing.
	Path string
	// SecretKey is the 32-byte server key that seals secrets at rest.
	SecretKey []byte
	// BusyTimeout is how long a statement waits for a lock another
	// connection holds: 5s when zero.
	BusyTimeout time.Duration
	// Rand is the source of nonces: crypto/rand when nil.
	Rand io.Reader
	// Now is the clock for records created without a time: time.Now when
	// nil.
	Now func() time.Time
}

type core = sqldb.DB

// DB is a store.Store on SQLite.
type DB struct {
	*core
	db    *sql.DB
	b     backend
	close sync.Once
	stop  chan struct{} // closed by Close: ends checkpoints
	done  chan struct{} // closed when checkpoints has returned
}

var _ store.Store = (*DB)(nil)

var (
	_ store.Users               = (*DB)(nil)
	_ store.UserLister          = (*DB)(nil)
	_ store.UserUpdater         = (*DB)(nil)
	_ store.Groups              = (*DB)(nil)
	_ store.GroupLister         = (*DB)(nil)
	_ store.GroupMembers        = (*DB)(nil)
	_ store.Roles               = (*DB)(nil)
	_ store.RoleLister          = (*DB)(nil)
	_ store.RoleUpdater         = (*DB)(nil)
	_ store.Policies            = (*DB)(nil)
	_ store.PolicyLister        = (*DB)(nil)
	_ store.PolicyVersions      = (*DB)(nil)
	_ store.PolicyVersionReader = (*DB)(nil)
	_ store.Attachments         = (*DB)(nil)
	_ store.Boundaries          = (*DB)(nil)
	_ store.InlinePolicies      = (*DB)(nil)
	_ store.InlinePolicyLister  = (*DB)(nil)
	_ store.PolicyResolver      = (*DB)(nil)
	_ store.AccessKeys          = (*DB)(nil)
	_ store.AccessKeyLister     = (*DB)(nil)
	_ store.AccessKeyUpdater    = (*DB)(nil)
	_ store.Activations         = (*DB)(nil)
	_ store.ActivationLister    = (*DB)(nil)
	_ store.Registrar           = (*DB)(nil)
	_ store.Nodes               = (*DB)(nil)
	_ store.NodeLister          = (*DB)(nil)
	_ store.NodeUpdater         = (*DB)(nil)
	_ store.Documents           = (*DB)(nil)
	_ store.DocumentLister      = (*DB)(nil)
	_ store.DocumentVersions    = (*DB)(nil)
	_ store.Sessions            = (*DB)(nil)
	_ store.SessionLister       = (*DB)(nil)
	_ store.Tags                = (*DB)(nil)
)

// Open opens (creating if needed) the database at cfg.Path and brings its
// schema up to date.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: no path")
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = 5 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Checkpoints run in the background (checkpoints), not in the commit
	// that crosses the WAL's size threshold: a checkpoint writes pages to
	// the database file and fsyncs it, milliseconds that the committing
	// request would otherwise wait out.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+cfg.Path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %v", cfg.Path, err)
	}
	// A bounded pool: past a few connections SQLite gains nothing (writers
	// take turns anyway), and an unbounded pool under load opened and
	// closed connections (re-reading the schema each time) until it
	// collapsed (sesame bench api).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	b := backend{conn{q: db, stmts: &stmts{db: db, m: map[string]*sql.Stmt{}}, writes: &sync.Mutex{}}, db}
	ms, err := sqldb.Migrations(mustSub(migrationFiles, "migrations"))
	if err == nil {
		err = sqldb.Migrate(ctx, b, ms, "")
	}
	var c *sqldb.DB
	if err == nil {
		c, err = sqldb.New(sqldb.Config{
			Backend:   b,
			Time:      func(t time.Time) any { return t.UnixMicro() },
			SecretKey: cfg.SecretKey,
			Rand:      cfg.Rand,
			Now:       cfg.Now,
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	d := &DB{core: c, db: db, b: b, stop: make(chan struct{}), done: make(chan struct{})}
	go d.checkpoints(checkpointEvery)
	return d, nil
}

// checkpointEvery is how often the background checkpoint runs. The WAL
// grows by what is written in between (at 1,000 StartSession calls a
// second, a few MB).
const checkpointEvery = time.Second

// checkpoints copies the WAL's committed pages into the database file
// every interval, without blocking writers or readers (PASSIVE), until
// Close.
func (d *DB) checkpoints(every time.Duration) {
	defer close(d.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			// An error (a busy checkpoint lock) only means the next one
			// copies more.
			d.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Close closes the database. It is idempotent.
func (d *DB) Close() error {
	var err error
	d.close.Do(func() {
		close(d.stop)
		<-d.done
		d.b.stmts.close()
		err = d.db.Close()
	})
	return err
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a literal embedded above
	}
	return sub
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn adapts a querier to sqldb.Conn, classifying constraint errors.
// It runs statements prepared once (stmts), on the pool or, through
// Tx.StmtContext, in a transaction.
type conn struct {
	q     querier
	stmts *stmts
	tx    *sql.Tx // in a transaction
	// writes is held by every write on the pool and every transaction,
	// so that this process's writers queue here, in order, rather than
	// in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between
	// tries: with a few concurrent writers it made single inserts take
	// up to 700 ms (BenchmarkStore/CreateSessionParallel).
	writes *sync.Mutex
}

// on returns what runs query: a prepared statement, or the querier.
func (c conn) on(ctx context.Context, query string) querier {
	st := c.stmts.get(ctx, query)
	switch {
	case st == nil:
		return c.q
	case c.tx != nil:
		return stmt{c.tx.StmtContext(ctx, st)}
	}
	return stmt{st}
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if c.tx == nil { // a transaction holds it
		c.writes.Lock()
		defer c.writes.Unlock()
	}
	r, err := c.on(ctx, query).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, classify(err)
	}
	return r.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	r, err := c.on(ctx, query).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	return rows{r}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	return row{c.on(ctx, query).QueryRowContext(ctx, query, args...)}
}

// maxStmts bounds the statement cache: the shared queries are a few
// dozen, but those with IN lists vary with their arguments.
const maxStmts = 256

// stmts caches the pool's prepared statements by query text, sparing
// SQLite the parse and plan of every call (a third of a small read).
type stmts struct {
	db *sql.DB
	mu sync.Mutex // protects m
	m  map[string]*sql.Stmt
}

// get returns the statement for query, preparing it if needed; nil when
// the cache is full or the query does not prepare (the caller then runs
// it unprepared, and reports its error).
func (s *stmts) get(ctx context.Context, query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[query]; ok {
		return st
	}
	if len(s.m) >= maxStmts {
		return nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.m[query] = st
	return st
}

func (s *stmts) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.m {
		st.Close()
		delete(s.m, q)
	}
}

// stmt is a prepared statement as a querier; the query text is already
// in it.
type stmt struct{ s *sql.Stmt }

func (s stmt) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.s.ExecContext(ctx, args...)
}

func (s stmt) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.s.QueryContext(ctx, args...)
}

func (s stmt) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.s.QueryRowContext(ctx, args...)
}

type rows struct{ r *sql.Rows }

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }
func (r rows) Err() error             { return classify(r.r.Err()) }
func (r rows) Close()                 { r.r.Close() }

type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }

// backend is the pool, and runs transactions.
type backend struct {
	conn
	db *sql.DB
}

func (b backend) InTx(ctx context.Context, fn func(sqldb.Conn) error) error {
	b.writes.Lock()
	defer b.writes.Unlock()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(conn{q: tx, stmts: b.stmts, tx: tx, writes: b.writes}); err != nil {
		tx.Rollback()
		return err
	}
	return classify(tx.Commit())
}

func (b backend) Close() {
	b.stmts.close()
	b.db.Close()
}

// classify turns the driver's constraint errors into *sqldb.Error and
// sql.ErrNoRows into sqldb.ErrNoRows; other errors pass unchanged, for
// sqldb to report without their types.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return sqldb.ErrNoRows
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &sqldb.Error{Kind: sqldb.Unique, Msg: se.Error()}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &sqldb.Error{Kind: sqldb.ForeignKey, Msg: se.Error()}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_TRIGGER, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &sqldb.Error{Kind: sqldb.Check, Msg: se.Error()}
	}
	return err
}
