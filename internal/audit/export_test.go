package audit

import "time"

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
