package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/storetest"
)

// envURL names the variable that points the tests at a PostgreSQL
// database; .ci/postgres starts one and prints its URL.
const envURL = "SESAME_TEST_POSTGRES_URL"

var testKey = bytes.Repeat([]byte{0x5e}, 32)

// rawDB adds storetest.Raw to a DB.
type rawDB struct{ *DB }

func (r rawDB) RawSecret(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := r.pool.QueryRow(ctx, `SELECT secret FROM access_keys WHERE id = $1`, id).Scan(&b)
	return b, err
}

func (r rawDB) RawExec(ctx context.Context, query string, args ...any) error {
	_, err := r.pool.Exec(ctx, rebind(query), args...)
	return err
}

func baseURL(tb testing.TB) string {
	u := os.Getenv(envURL)
	if u == "" {
		tb.Skip(envURL + " is not set: skipping the PostgreSQL backend (`bash .ci/postgres start` starts one and prints its URL)")
	}
	return u
}

// schemaURL creates a schema of its own for one test, dropped at its end,
// and returns a URL whose connections use it.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	base := baseURL(tb)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "sesame_test_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	tb.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(tb testing.TB, u string, key []byte) *DB {
	tb.Helper()
	db, err := Open(context.Background(), Config{URL: u, SecretKey: key, MaxConns: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func openTest(tb testing.TB) store.Store {
	return rawDB{open(tb, schemaURL(tb), testKey)}
}

func TestStore(t *testing.T) {
	baseURL(t)
	storetest.Run(t, openTest)
}

func BenchmarkStore(b *testing.B) {
	baseURL(b)
	storetest.Benchmark(b, openTest)
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	u := schemaURL(t)
	// Servers that start together migrate once.
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := Open(ctx, Config{URL: u, SecretKey: testKey, MaxConns: 2})
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db := open(t, u, testKey)
	var versions int
	if err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&versions); err != nil || versions != 2 {
		t.Errorf("schema_migrations has %d rows (%v), want 2", versions, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A bad URL is refused without echoing it (it may hold a password).
	_, err := Open(ctx, Config{URL: "postgres://u:hunter2@[bad", SecretKey: testKey})
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
		t.Errorf("bad URL: %v", err)
	}
}

// TestCreateSessionBatch: the session and its tags are one batch, and
// one transaction: a tag the database refuses leaves no session.
func TestCreateSessionBatch(t *testing.T) {
	ctx := t.Context()
	db := open(t, schemaURL(t), testKey)
	s := store.Session{ID: "alice-0123456789abcdef0", Target: "mi-0123456789abcdef0",
		Owner: "arn:aws:iam::123456789012:user/alice", DocumentName: "SSM-SessionManagerRunShell",
		Status: store.SessionConnecting, StartedAt: time.Unix(1700000000, 0).UTC(),
		Tags: []store.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}}
	if err := db.CreateSession(ctx, s); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateSession with a tag key twice: %v, want ErrExists", err)
	}
	if _, err := db.GetSession(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession after the batch failed: %v, want ErrNotFound", err)
	}
	s.Tags = s.Tags[:1]
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetSession(ctx, s.ID)
	if err != nil || len(got.Tags) != 1 {
		t.Errorf("GetSession = %+v, %v; want the session with its tag", got, err)
	}
}

// TestListsPlannedPerCall: the statements that return pages of lists are
// not prepared, so that PostgreSQL plans each for its arguments instead
// of settling on a generic plan after five calls; the others are (see
// conn.Query).
func TestListsPlannedPerCall(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, Config{URL: schemaURL(t), SecretKey: testKey, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := store.NodeFilter{Tags: []store.TagFilter{{Key: "Env", Values: []string{"Dev"}}}}
	for range 7 {
		if _, err := db.ListNodeIDs(ctx, f, store.ListOptions{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ListNodeIDs(ctx, store.NodeFilter{}, store.ListOptions{Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	s := store.Session{ID: "alice-0123456789abcdef0", Target: "mi-0123456789abcdef0",
		Owner: "arn:aws:iam::123456789012:user/alice", DocumentName: "SSM-SessionManagerRunShell",
		Status: store.SessionConnecting, Tags: []store.Tag{{Key: "k", Value: "v"}}}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, s.ID); err != nil { // reads its tags with Query
		t.Fatal(err)
	}
	// The pool has one connection: the one the statements ran on.
	prepared := func(like string) int {
		var n int
		// (The pattern is an argument: this statement is prepared too.)
		err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE $1`, like).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := prepared("%FROM nodes n WHERE%"); n != 0 {
		t.Errorf("%d prepared statements list nodes with a filter, want 0", n)
	}
	if n := prepared("SELECT key, value FROM session_tags%"); n != 1 {
		t.Errorf("%d prepared statements read a session's tags, want 1", n)
	}
	if n := prepared("SELECT n.id FROM nodes n ORDER BY%"); n != 1 {
		t.Errorf("%d prepared statements list nodes without a filter, want 1", n)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                          "SELECT 1",
		"SELECT ? WHERE a = ? AND b IN (?)": "SELECT $1 WHERE a = $2 AND b IN ($3)",
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
