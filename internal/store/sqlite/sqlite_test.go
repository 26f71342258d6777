package sqlite

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/storetest"
)

var testKey = bytes.Repeat([]byte{0x5e}, 32)

// rawDB adds storetest.Raw to a DB.
type rawDB struct{ *DB }

func (r rawDB) RawSecret(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := r.db.QueryRowContext(ctx, `SELECT secret FROM access_keys WHERE id = ?`, id).Scan(&b)
	return b, err
}

func (r rawDB) RawExec(ctx context.Context, query string, args ...any) error {
	_, err := r.db.ExecContext(ctx, query, args...)
	return err
}

func open(tb testing.TB, path string, key []byte) *DB {
	tb.Helper()
	db, err := Open(context.Background(), Config{Path: path, SecretKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func openTest(tb testing.TB) store.Store {
	return rawDB{open(tb, filepath.Join(tb.TempDir(), "sesame.db"), testKey)}
}

func TestStore(t *testing.T) { storetest.Run(t, openTest) }

func BenchmarkStore(b *testing.B) { storetest.Benchmark(b, openTest) }

func TestOpen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sesame.db")
	db := open(t, path, testKey)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000"} {
		var got string
		if err := db.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
	if err := db.CreateUser(ctx, store.User{ID: "AIDAA", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAA", UserName: "a", Secret: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// Reopening migrates nothing and finds the data.
	db = open(t, path, testKey)
	k, err := db.GetAccessKey(ctx, "AKIAA")
	if err != nil || k.Secret != "s3cret" {
		t.Fatalf("after reopen: %+v, %v", k, err)
	}
	var versions int
	if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&versions); err != nil || versions != 2 {
		t.Errorf("schema_migrations has %d rows (%v), want 2", versions, err)
	}
	db.Close()

	// Another server key cannot open the secret, and says so.
	other := open(t, path, bytes.Repeat([]byte{1}, 32))
	_, err = other.GetAccessKey(ctx, "AKIAA")
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("wrong key: error %v", err)
	}
	other.Close()

	// A database from a newer program is refused.
	db = open(t, path, testKey)
	if _, err := db.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (99, 'future')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, Config{Path: path, SecretKey: testKey}); err == nil {
		t.Error("opened a database with a newer schema")
	}

	for name, cfg := range map[string]Config{
		"no path":   {SecretKey: testKey},
		"short key": {Path: filepath.Join(t.TempDir(), "x.db"), SecretKey: []byte("short")},
	} {
		if db, err := Open(ctx, cfg); err == nil {
			db.Close()
			t.Errorf("%s: opened", name)
		}
	}
}
