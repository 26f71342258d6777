package sqldb

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// recorder is a Backend that records what it is asked to run and runs
// nothing; batcher adds ExecBatch.
type recorder struct {
	queue       // the statements Exec'd, in a transaction or not
	txs     int // InTx calls
	batches [][]Stmt
}

func (r *recorder) InTx(ctx context.Context, fn func(Conn) error) error {
	r.txs++
	return fn(&r.queue)
}

func (r *recorder) Close() {}

type batcher struct{ *recorder }

func (b batcher) ExecBatch(_ context.Context, stmts []Stmt) error {
	b.batches = append(b.batches, stmts)
	return nil
}

func newRecorded(t *testing.T, b Backend) *DB {
	t.Helper()
	d, err := New(Config{Backend: b, Time: func(t time.Time) any { return t }, SecretKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWriteBatch(t *testing.T) {
	ctx := t.Context()
	s := store.Session{ID: "alice-0123456789abcdef0", Target: "mi-0123456789abcdef0", Status: store.SessionConnecting,
		Tags: []store.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}

	t.Run("Batcher", func(t *testing.T) {
		r := &recorder{}
		if err := newRecorded(t, batcher{r}).CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if r.txs != 0 || len(r.stmts) != 0 || len(r.batches) != 1 {
			t.Fatalf("%d transactions, %d statements outside a batch, %d batches; want one batch alone", r.txs, len(r.stmts), len(r.batches))
		}
		b := r.batches[0]
		if len(b) != 2 || !strings.HasPrefix(b[0].SQL, "INSERT INTO sessions ") || !strings.HasPrefix(b[1].SQL, "INSERT INTO session_tags ") {
			t.Fatalf("batch = %q, want the session, then its tags", b)
		}
		if len(b[1].Args) != 6 {
			t.Errorf("tags' arguments = %q, want 2 rows of 3", b[1].Args)
		}
	})

	t.Run("Backend", func(t *testing.T) {
		r := &recorder{}
		if err := newRecorded(t, r).CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if r.txs != 1 || len(r.stmts) != 2 {
			t.Errorf("%d transactions of %d statements, want one of 2", r.txs, len(r.stmts))
		}
	})

	t.Run("NoReads", func(t *testing.T) {
		r := &recorder{}
		d := newRecorded(t, batcher{r})
		err := d.writeBatch(ctx, func(c Conn) error {
			var n int
			return c.QueryRow(ctx, "SELECT 1").Scan(&n)
		})
		if !errors.Is(err, errBatchRead) || len(r.batches) != 0 {
			t.Errorf("a read in a batch: %v, %d batches sent; want errBatchRead, none", err, len(r.batches))
		}
		if _, err := (&queue{}).Query(ctx, "SELECT 1"); !errors.Is(err, errBatchRead) {
			t.Errorf("Query in a batch: %v, want errBatchRead", err)
		}
	})
}
