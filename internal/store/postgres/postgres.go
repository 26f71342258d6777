// Package postgres is the store backend for several server nodes sharing
// one PostgreSQL database (jackc/pgx/v5 with a pgxpool). Its schema is the
// SQLite one's twin, in migrations/, embedded and applied by Open in one
// transaction under an advisory lock, so nodes that start together
// migrate once. Writers that count against a quota lock the row they
// count under (SELECT ... FOR UPDATE), so READ COMMITTED is enough.
//
// Statements are prepared once per connection (pgx's statement cache),
// but for pages of lists, which PostgreSQL plans for their arguments on
// every call (conn.Query). A write transaction that only writes, as
// CreateSession's, goes in one round trip (backend.ExecBatch).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock Open holds while it migrates: one
// per schema, so servers sharing a schema migrate it once, and databases
// in other schemas (the tests') do not wait for each other. 0x5e5a is
// sesame's class of advisory locks.
const migrationLock = "SELECT pg_advisory_xact_lock(x'5e5a'::int, hashtext(current_schema()))"

// Config configures Open.
type Config struct {
	// URL is a PostgreSQL connection string:
	// postgres://user:password@host:port/database?sslmode=...
	URL string
	// SecretKey is the 32-byte server key that seals secrets at rest.
	SecretKey []byte
	// MaxConns caps the pool: pgxpool's default (the larger of 4 and the
	// number of CPUs) when zero.
	MaxConns int32
	// Rand is the source of nonces: crypto/rand when nil.
	Rand io.Reader
	// Now is the clock for records created without a time: time.Now when
	// nil.
	Now func() time.Time
}

type core = sqldb.DB

// DB is a store.Store on PostgreSQL.
type DB struct {
	*core
	pool  *pgxpool.Pool
	close sync.Once
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

// Open connects to cfg.URL and brings the schema up to date.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The URL may hold a password: say what is wrong, not the URL.
		return nil, errors.New("postgres: cannot parse the connection URL")
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %v", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %v", pc.ConnConfig.Host, err)
	}
	b := backend{conn{pool}, pool}
	ms, err := sqldb.Migrations(mustSub(migrationFiles, "migrations"))
	if err == nil {
		err = sqldb.Migrate(ctx, b, ms, migrationLock)
	}
	var c *sqldb.DB
	if err == nil {
		c, err = sqldb.New(sqldb.Config{
			Backend:   b,
			ForUpdate: " FOR UPDATE",
			Time:      func(t time.Time) any { return t },
			SecretKey: cfg.SecretKey,
			Rand:      cfg.Rand,
			Now:       cfg.Now,
		})
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &DB{core: c, pool: pool}, nil
}

// Close closes the pool. It is idempotent.
func (d *DB) Close() error {
	d.close.Do(d.pool.Close)
	return nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a literal embedded above
	}
	return sub
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn adapts a querier to sqldb.Conn: it rewrites ? placeholders as $n
// and classifies constraint errors.
type conn struct{ q querier }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, classify(err)
	}
	return tag.RowsAffected(), nil
}

// Query runs a statement that returns rows. A page of a list is run on
// the unnamed statement, so that PostgreSQL plans it for its arguments
// each time: a list's plan depends on how many rows its filters match
// (Env=Dev, half the fleet: walk the primary key to the page's end;
// Name=node-00042, one node: read the tag index, then sort), which the
// generic plan a prepared statement settles on after five calls does not
// know. That plan, made for a tag value as rare as the average one (a
// unique Name tag makes that one row), read every Env=Dev node for each
// page of 10 (15,000 buffers, 10-30 ms). pgx still caches the statement's
// description, so it is one round trip; planning costs about 0.2 ms.
// Other statements, by key, keep their prepared statements and plans
// (ResolvePolicies' would take 1 ms to plan), as do pages without
// arguments (an unfiltered first page), which have one plan.
func (c conn) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	if len(args) > 0 && paged(query) {
		args = append([]any{pgx.QueryExecModeCacheDescribe}, args...)
	}
	r, err := c.q.Query(ctx, rebind(query), args...)
	if err != nil {
		return nil, classify(err)
	}
	return rows{r}, nil
}

// paged reports whether query is a page of a list: the shared queries
// end those, and only those, with ORDER BY ... LIMIT n.
func paged(query string) bool { return strings.Contains(query, " LIMIT ") }

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	return row{c.q.QueryRow(ctx, rebind(query), args...)}
}

type rows struct{ r pgx.Rows }

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }
func (r rows) Err() error             { return classify(r.r.Err()) }
func (r rows) Close()                 { r.r.Close() }

type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }

// backend is the pool, and runs transactions.
type backend struct {
	conn
	pool *pgxpool.Pool
}

var _ sqldb.Batcher = backend{}

func (b backend) InTx(ctx context.Context, fn func(sqldb.Conn) error) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	if err := fn(conn{tx}); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return classify(tx.Commit(ctx))
}

// ExecBatch implements sqldb.Batcher: the statements go in one message
// stream ended by one Sync, which PostgreSQL runs as one implicit
// transaction, rolled back at the first error.
func (b backend) ExecBatch(ctx context.Context, stmts []sqldb.Stmt) error {
	var batch pgx.Batch
	for _, s := range stmts {
		batch.Queue(rebind(s.SQL), s.Args...)
	}
	return classify(b.pool.SendBatch(ctx, &batch).Close())
}

func (b backend) Close() { b.pool.Close() }

// classify turns constraint violations into *sqldb.Error and pgx.ErrNoRows
// into sqldb.ErrNoRows; other errors pass unchanged, for sqldb to report
// without their types.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return sqldb.ErrNoRows
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &sqldb.Error{Kind: sqldb.Unique, Msg: pe.Message}
	case "23503": // foreign_key_violation
		return &sqldb.Error{Kind: sqldb.ForeignKey, Msg: pe.Message}
	case "23514", "23502": // check_violation (and the session triggers), not_null_violation
		return &sqldb.Error{Kind: sqldb.Check, Msg: pe.Message}
	}
	return err
}

// rebind rewrites the ? placeholders of the shared queries as $1, $2, ...
// The shared queries hold no ? in literals or identifiers. (It costs far
// less than the round trip; pgx caches the prepared statements by the
// rewritten text.)
func rebind(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 2*n)
	n = 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
