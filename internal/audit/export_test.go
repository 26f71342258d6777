package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// NewTicked is New with the syncer's ticks coming from tick.
func NewTicked(cfg Config, tick <-chan time.Time) (*Log, error) {
	l, _, err := open(cfg)
	if err != nil {
		return nil, err
	}
	go l.syncLoop(tick)
	return l, nil
}

// Dirty reports whether records were written since the last fsync.
func (l *Log) Dirty() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dirty
}

// Redact is what the log writes of v, a record's requestParameters or
// responseElements, decoded (numbers as json.Number).
func Redact(v any) (any, error) {
	b, err := appendElements(nil, v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return out, nil
}
