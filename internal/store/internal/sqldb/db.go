// Package sqldb holds the queries the SQL backends share. Their SQL is the
// dialect SQLite and PostgreSQL have in common, written with ? placeholders;
// a backend supplies a Backend that runs it (rewriting the placeholders if
// it must) and classifies its driver's constraint errors as *Error, and
// this package turns those into the store's sentinel errors.
package sqldb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// Conn runs statements, on the pool or in a transaction.
type Conn interface {
	// Exec returns the number of rows affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow's Scan returns ErrNoRows when there is no row.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Backend is a backend's connection pool.
type Backend interface {
	Conn
	// InTx runs fn in a write transaction, committed when fn returns nil
	// and rolled back otherwise. Writers that read before they write take
	// their locks through Config.ForUpdate or the backend's own
	// transaction mode.
	InTx(ctx context.Context, fn func(Conn) error) error
	Close()
}

// ErrNoRows is what a Row's Scan returns when there is no row.
var ErrNoRows = errors.New("no rows in result set")

// Kind classifies a constraint violation.
type Kind int

// Constraint violations a backend reports.
const (
	// Unique: a primary key or unique index.
	Unique Kind = iota + 1
	// ForeignKey: a row still referenced, or a reference to no row.
	ForeignKey
	// Check: a CHECK constraint or a trigger refused the change (the
	// session state machine).
	Check
)

// Error is a constraint violation, classified by the backend.
type Error struct {
	Kind Kind
	Msg  string // the driver's message, for logs
}

func (e *Error) Error() string { return e.Msg }

// Config configures a DB.
type Config struct {
	Backend Backend
	// ForUpdate is appended to the reads of rows a transaction goes on to
	// change or count against a quota: " FOR UPDATE" for PostgreSQL, empty
	// for SQLite, whose write transactions hold the database lock from
	// their start.
	ForUpdate string
	// Time encodes a time for a query argument: microseconds since the
	// epoch for SQLite, the time for PostgreSQL. Either reads back.
	Time func(time.Time) any
	// SecretKey is the 32-byte AES-256 key that seals secrets.
	SecretKey []byte
	// Rand is the source of nonces; crypto/rand when nil.
	Rand io.Reader
	// Now is the clock for records created without a time; time.Now when
	// nil.
	Now func() time.Time
}

// DB implements the store's interfaces over a Backend.
type DB struct {
	b         Backend
	forUpdate string
	time      func(time.Time) any
	seal      *sealer
	now       func() time.Time
}

// New returns a DB over cfg.Backend.
func New(cfg Config) (*DB, error) {
	if cfg.Backend == nil {
		return nil, errors.New("sqldb: no backend")
	}
	if cfg.Time == nil {
		return nil, errors.New("sqldb: no time encoding")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s, err := newSealer(cfg.SecretKey, cfg.Rand)
	if err != nil {
		return nil, err
	}
	return &DB{b: cfg.Backend, forUpdate: cfg.ForUpdate, time: cfg.Time, seal: s, now: cfg.Now}, nil
}

// Close closes the backend.
func (d *DB) Close() error {
	d.b.Close()
	return nil
}

// t encodes a time argument; the zero time becomes NULL.
func (d *DB) t(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.time(store.Micro(t))
}

// stamp returns t, or now when t is zero, as the store keeps it.
func (d *DB) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = d.now()
	}
	return store.Micro(t)
}

// fail turns err into the store's errors: sentinels for what the caller
// can act on, the context's error, or a message with no driver type in it.
// what names the record, as in `user "alice"`.
func fail(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	var kind error
	var e *Error
	switch {
	case errors.Is(err, ErrNoRows):
		kind = store.ErrNotFound
	case errors.As(err, &e) && e.Kind == Unique:
		kind = store.ErrExists
	case errors.As(err, &e):
		kind = store.ErrConflict
	case errors.Is(err, context.Canceled):
		kind = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		kind = context.DeadlineExceeded
	}
	if kind != nil {
		return fmt.Errorf("%s: %w", what, kind)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return fmt.Errorf("%s: %v", what, err)
}

var sentinels = []error{store.ErrNotFound, store.ErrExists, store.ErrConflict,
	store.ErrLimitExceeded, store.ErrExpired, store.ErrInvalidToken}

// scanTime scans a time column, stored as microseconds or as a time, into
// *T; NULL scans as the zero time.
type scanTime struct{ t *time.Time }

func tm(t *time.Time) scanTime { return scanTime{t} }

func (s scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	case time.Time:
		*s.t = v.UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// nullString scans a nullable text column; NULL scans as "".
type nullString struct{ s *string }

func ns(s *string) nullString { return nullString{s} }

func (n nullString) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = v
	case []byte:
		*n.s = string(v)
	default:
		return fmt.Errorf("scan text: unexpected %T", src)
	}
	return nil
}

// orNull returns nil for "", for nullable text columns.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// tx runs fn in a write transaction.
func (d *DB) tx(ctx context.Context, fn func(Conn) error) error {
	return d.b.InTx(ctx, fn)
}

// nowMicro is the clock's time as the store keeps it.
func (d *DB) nowMicro() time.Time { return store.Micro(d.now()) }

// CacheEpoch implements store.CacheEpochs: the migrations' triggers move it.
func (d *DB) CacheEpoch(ctx context.Context) (int64, error) {
	var e int64
	if err := d.b.QueryRow(ctx, `SELECT epoch FROM cache_epoch WHERE id = 1`).Scan(&e); err != nil {
		return 0, fail(err, "cache epoch")
	}
	return e, nil
}
