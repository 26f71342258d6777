package sqldb

import (
	"context"
	"errors"
)

// Stmt is a statement and its arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// Batcher is a Backend that can send the statements of a write
// transaction that reads nothing together: one round trip to a database
// server instead of one for each statement, BEGIN and COMMIT.
type Batcher interface {
	// ExecBatch runs stmts in order in one transaction, committed when
	// they all succeed and rolled back otherwise.
	ExecBatch(ctx context.Context, stmts []Stmt) error
}

// writeBatch runs fn in a write transaction that only writes: fn may
// Exec, learning no row counts, and may not read. On a Batcher, fn's
// statements are queued and sent together when it returns; on another
// backend fn runs in InTx.
func (d *DB) writeBatch(ctx context.Context, fn func(Conn) error) error {
	bt, ok := d.b.(Batcher)
	if !ok {
		return d.tx(ctx, fn)
	}
	var q queue
	if err := fn(&q); err != nil {
		return err
	}
	return bt.ExecBatch(ctx, q.stmts)
}

// errBatchRead is what a read in writeBatch's fn returns.
var errBatchRead = errors.New("sqldb: a batched write transaction cannot read")

// queue is the Conn of writeBatch's fn on a Batcher: Exec queues the
// statement, which has not run when it returns (so it reports no rows
// affected), and the reads fail.
type queue struct{ stmts []Stmt }

func (q *queue) Exec(_ context.Context, query string, args ...any) (int64, error) {
	q.stmts = append(q.stmts, Stmt{SQL: query, Args: args})
	return 0, nil
}

func (q *queue) Query(context.Context, string, ...any) (Rows, error) { return nil, errBatchRead }

func (q *queue) QueryRow(context.Context, string, ...any) Row { return errRow{errBatchRead} }

// errRow is a Row whose Scan fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
