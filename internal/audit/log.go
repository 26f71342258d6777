package audit

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultSyncInterval is how often a Log flushes written records to stable
// storage when Config.SyncInterval is zero.
const DefaultSyncInterval = 100 * time.Millisecond

// SyncEachRecord, as Config.SyncInterval, makes every Write fsync the
// record before it returns.
const SyncEachRecord time.Duration = -1

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit log closed")

// Config configures a Log. Only Path is required.
type Config struct {
	Path   string           // the log file, e.g. PathIn(dataDir)
	Clock  func() time.Time // default time.Now
	Rand   io.Reader        // source of event ids; default crypto/rand.Reader
	Logger *slog.Logger     // reports failed background syncs; default discards

	// SyncInterval is how often records written since the last fsync are
	// flushed, by a goroutine the Log owns. Zero means
	// DefaultSyncInterval; SyncEachRecord fsyncs in every Write.
	SyncInterval time.Duration

	// MaxSize rotates the log before a record would take it past this
	// many bytes: audit.log becomes audit.log.1, audit.log.1 becomes
	// audit.log.2, and so on. Zero: never rotate.
	MaxSize int64
	// MaxFiles is how many rotated files to keep; older ones are
	// deleted. Zero: keep them all.
	MaxFiles int
}

// Log is an append-only audit log: one JSON record a line. It is safe for
// concurrent use.
type Log struct {
	path     string
	clock    func() time.Time
	log      *slog.Logger
	syncEach bool
	maxSize  int64
	maxFiles int

	randMu  sync.Mutex // protects the following
	rand    io.Reader
	randBuf [16]byte // the random bytes of an event id

	stop chan struct{} // closed by Close to stop the syncer
	done chan struct{} // closed when the syncer has returned

	mu      sync.Mutex // protects the following
	f       *os.File
	size    int64
	dirty   bool  // written since the last fsync
	torn    bool  // the file may end inside a line: start the next record on a new line
	syncErr error // first failed background fsync, reported by Close
	closed  bool
}

// New opens (creating it and its directory if needed) the audit log at
// cfg.Path for appending. The file is created 0600 and directories 0700.
func New(cfg Config) (*Log, error) {
	l, interval, err := open(cfg)
	if err != nil {
		return nil, err
	}
	if l.syncEach {
		close(l.done)
		return l, nil
	}
	t := time.NewTicker(interval)
	go func() {
		defer t.Stop()
		l.syncLoop(t.C)
	}()
	return l, nil
}

// open checks cfg, fills its defaults and opens the log, returning the
// sync interval; the caller starts the syncer.
func open(cfg Config) (*Log, time.Duration, error) {
	if cfg.Path == "" {
		return nil, 0, errors.New("audit: no path")
	}
	if cfg.SyncInterval < 0 && cfg.SyncInterval != SyncEachRecord {
		return nil, 0, fmt.Errorf("audit: sync interval %v", cfg.SyncInterval)
	}
	if cfg.MaxSize < 0 || cfg.MaxFiles < 0 {
		return nil, 0, fmt.Errorf("audit: max size %d, max files %d", cfg.MaxSize, cfg.MaxFiles)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	l := &Log{
		path:     cfg.Path,
		clock:    cfg.Clock,
		log:      cfg.Logger,
		rand:     cfg.Rand,
		syncEach: cfg.SyncInterval == SyncEachRecord,
		maxSize:  cfg.MaxSize,
		maxFiles: cfg.MaxFiles,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	if err := l.openLocked(); err != nil {
		return nil, 0, err
	}
	return l, cfg.SyncInterval, nil
}

// openLocked opens the log file for appending. A file that does not end
// in a newline (a crash cut its last record short) gets its next record on
// a new line, so the torn one stays a line of its own.
func (l *Log) openLocked() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	l.f, l.size, l.torn = f, fi.Size(), false
	if l.size > 0 {
		last := make([]byte, 1)
		r, err := os.Open(l.path)
		if err == nil {
			_, err = r.ReadAt(last, l.size-1)
			r.Close()
		}
		l.torn = err != nil || last[0] != '\n'
	}
	return nil
}

// Write completes r and appends it to the log as one line, with a single
// write(2), so concurrent records never interleave and a crash loses at
// most the record being written. It fills EventVersion, EventType,
// EventCategory and ManagementEvent, EventTime (from the clock when zero;
// always made UTC and cut to whole seconds, as CloudTrail's) and EventID
// (a new UUID when empty). The line holds RequestParameters and
// ResponseElements redacted (see AppendRedacted); r keeps them as they
// were. Handing them over as JSON text (json.RawMessage) spares
// marshaling them.
//
// Write does not give up when ctx is done: a call whose client went away
// is audited all the same.
func (l *Log) Write(ctx context.Context, r *Record) error {
	if err := l.complete(r); err != nil {
		return err
	}
	buf := linePool.Get().(*[]byte)
	defer putLine(buf)
	line, err := appendRecord((*buf)[:0], r)
	*buf = line
	if err != nil {
		return fmt.Errorf("audit: %s %w", r.EventName, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return l.appendLocked(line)
}

// linePool holds the buffers Write encodes records in.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledLine is the largest buffer linePool keeps, so that one huge
// record does not stay in memory.
const maxPooledLine = 64 << 10

func putLine(b *[]byte) {
	if cap(*b) <= maxPooledLine {
		linePool.Put(b)
	}
}

// complete fills r's constant fields, time and id.
func (l *Log) complete(r *Record) error {
	r.EventVersion = EventVersion
	r.EventType = "AwsApiCall"
	r.EventCategory = "Management"
	r.ManagementEvent = true
	if r.EventTime.IsZero() {
		r.EventTime = l.clock()
	}
	r.EventTime = r.EventTime.UTC().Truncate(time.Second)
	if r.EventID == "" {
		l.randMu.Lock()
		id, err := newEventID(l.rand, &l.randBuf)
		l.randMu.Unlock()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		r.EventID = id
	}
	return nil
}

// appendLocked writes one line, rotating first when the line would take
// the file past its maximum size.
func (l *Log) appendLocked(line []byte) error {
	if l.f == nil { // a failed rotation left no file open: try again
		if err := l.openLocked(); err != nil {
			return err
		}
	}
	if l.maxSize > 0 && l.size > 0 && l.size+int64(len(line)) > l.maxSize {
		if err := l.rotateLocked(); err != nil {
			return err
		}
	}
	if l.torn {
		line = append([]byte{'\n'}, line...)
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	l.dirty = l.dirty || n > 0
	if err != nil {
		l.torn = n > 0
		return fmt.Errorf("audit: write: %w", err)
	}
	l.torn = false
	if l.syncEach {
		return l.syncLocked()
	}
	return nil
}

// syncLocked flushes the file to stable storage if it was written since
// the last flush.
func (l *Log) syncLocked() error {
	if !l.dirty || l.f == nil {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit: sync: %w", err)
	}
	l.dirty = false
	return nil
}

// syncLoop flushes the log on every tick until Close. The fsync runs
// without the lock, so writers are not held up by it; a rotation meanwhile
// has synced the file itself before closing it.
func (l *Log) syncLoop(tick <-chan time.Time) {
	defer close(l.done)
	for {
		select {
		case <-l.stop:
			return
		case <-tick:
		}
		l.mu.Lock()
		f, dirty := l.f, l.dirty
		l.dirty = false
		l.mu.Unlock()
		if !dirty || f == nil {
			continue
		}
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			l.log.Error("audit log sync failed", "path", l.path, "err", err)
			l.mu.Lock()
			l.syncErr = cmp.Or(l.syncErr, error(fmt.Errorf("audit: sync: %w", err)))
			l.mu.Unlock()
		}
	}
}

// Close stops the background syncer, flushes the log and closes it. It is
// idempotent; later calls return nil.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()

	if !l.syncEach {
		close(l.stop)
	}
	<-l.done

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return l.syncErr
	}
	err := errors.Join(l.syncErr, l.syncLocked())
	if cerr := l.f.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("audit: close: %w", cerr))
	}
	l.f = nil
	return err
}
