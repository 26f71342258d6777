package audit_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sesame-sh/sesame/internal/audit"
)

func TestTailLast(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxSize = 2000 // a few records a file, so the last n span files
	l := newLog(t, cfg)
	const total = 25
	for i := range total {
		if err := l.Write(context.Background(), call(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if files, _ := filepath.Glob(cfg.Path + ".*"); len(files) < 3 {
		t.Fatalf("rotated files %v, want several", files)
	}
	ids := func(from, to int) []string {
		s := []string{}
		for i := from; i < to; i++ {
			s = append(s, call(i).RequestID)
		}
		return s
	}
	for _, n := range []int{0, 1, 3, 10, total, total + 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			got := []string{}
			for r, err := range audit.Tail(context.Background(), cfg.Path, n, nil) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.RequestID)
			}
			if diff := cmp.Diff(ids(max(total-n, 0), total), got); diff != "" {
				t.Errorf("Tail -n %d (-want +got):\n%s", n, diff)
			}
		})
	}
}

func TestTailMissing(t *testing.T) {
	t.Parallel()
	var got error
	for _, err := range audit.Tail(context.Background(), filepath.Join(t.TempDir(), "audit.log"), 10, nil) {
		got = err
	}
	if !errors.Is(got, fs.ErrNotExist) {
		t.Errorf("Tail on no log: %v, want ErrNotExist", got)
	}
}

// follower runs Tail with a poll channel the test drives.
type follower struct {
	t    *testing.T
	poll chan time.Time
	recs chan *audit.Record
	errs chan error // Tail's errors; the last is ctx.Err()
	stop context.CancelFunc
	done chan struct{}
}

func follow(t *testing.T, path string, n int) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{t: t, poll: make(chan time.Time), recs: make(chan *audit.Record, 1000),
		errs: make(chan error, 100), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for r, err := range audit.Tail(ctx, path, n, f.poll) {
			if err != nil {
				f.errs <- err
				continue
			}
			f.recs <- r
		}
	}()
	t.Cleanup(func() { cancel(); <-f.done })
	return f
}

// tick has Tail poll, and returns once the poll is over: the second send
// is only taken when Tail is back waiting.
func (f *follower) tick() {
	f.poll <- time.Time{}
	f.poll <- time.Time{}
}

// expect receives the next records and checks their RequestIDs, then
// that no more are pending.
func (f *follower) expect(ids ...string) {
	f.t.Helper()
	got := []string{}
	for range ids {
		select {
		case r := <-f.recs:
			got = append(got, r.RequestID)
		case err := <-f.errs:
			f.t.Fatalf("Tail: %v", err)
		case <-time.After(10 * time.Second): // a guard against a hang, not synchronisation
			f.t.Fatalf("got %v, waiting for %v", got, ids)
		}
	}
	if diff := cmp.Diff(ids, got, cmpopts.EquateEmpty()); diff != "" {
		f.t.Errorf("records (-want +got):\n%s", diff)
	}
	select {
	case r := <-f.recs:
		f.t.Errorf("unexpected record %s", r.RequestID)
	default:
	}
}

func TestTailFollow(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxSize = 3000
	l := newLog(t, cfg)
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if err := l.Write(context.Background(), call(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 3)
	f := follow(t, cfg.Path, 2)
	f.expect("req-00001", "req-00002")

	f.tick()
	f.expect()

	write(3, 5)
	f.tick()
	f.expect("req-00003", "req-00004")

	// Enough records to rotate the log between two polls: the file
	// rotated away is drained before the new file is read.
	write(5, 9)
	f.tick()
	if files, _ := filepath.Glob(cfg.Path + ".*"); len(files) == 0 {
		t.Fatal("no rotation")
	}
	f.expect("req-00005", "req-00006", "req-00007", "req-00008")

	// A record being written shows once it is whole.
	line := string(mustJSON(t, completed(t, call(9)))) + "\n"
	appendFile(t, cfg.Path, line[:30])
	f.tick()
	f.expect()
	appendFile(t, cfg.Path, line[30:])
	f.tick()
	f.expect("req-00009")

	f.stop()
	<-f.done
	select {
	case err := <-f.errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Tail ended with %v, want context.Canceled", err)
		}
	default:
		t.Error("Tail ended without an error")
	}
}

// TestTailWaits follows a log that does not exist yet.
func TestTailWaits(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	f := follow(t, cfg.Path, 10)
	f.tick()
	f.expect()
	l := newLog(t, cfg)
	if err := l.Write(context.Background(), call(1)); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.expect("req-00001")
}

// TestTailTruncated starts over when the file is truncated in place.
func TestTailTruncated(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := newLog(t, cfg)
	for i := range 3 {
		if err := l.Write(context.Background(), call(i)); err != nil {
			t.Fatal(err)
		}
	}
	f := follow(t, cfg.Path, 0)
	f.tick()
	f.expect()
	if err := os.Truncate(cfg.Path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, cfg.Path, string(mustJSON(t, completed(t, call(7))))+"\n")
	f.tick()
	f.expect("req-00007")
}

// completed is r with the fields Write fills.
func completed(t *testing.T, r *audit.Record) *audit.Record {
	r.EventVersion, r.EventTime, r.EventID = audit.EventVersion, t0, "00000000-0000-4000-8000-000000000000"
	return r
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
