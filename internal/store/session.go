package store

import (
	"context"
	"time"
)

// SessionStatus is a session's state, as AWS spells it.
type SessionStatus string

// Session statuses.
const (
	SessionConnecting   SessionStatus = "Connecting"
	SessionConnected    SessionStatus = "Connected"
	SessionDisconnected SessionStatus = "Disconnected"
	SessionTerminating  SessionStatus = "Terminating"
	SessionTerminated   SessionStatus = "Terminated"
	SessionFailed       SessionStatus = "Failed"
)

// SessionTransitions is the session state machine: the statuses each
// status may change to. Terminated and Failed are final. The backends
// enforce the same table in SQL (their migrations), and the conformance
// suite checks that every pair agrees with it.
//
//	Connecting ──▶ Connected ◀──▶ Disconnected
//	    │  │           │               │
//	    │  └──▶ Failed ▼               ▼
//	    └──────▶ Terminating ──▶ Terminated
//	    (and any live status ──▶ Terminated)
var SessionTransitions = map[SessionStatus][]SessionStatus{
	SessionConnecting:   {SessionConnected, SessionFailed, SessionTerminating, SessionTerminated},
	SessionConnected:    {SessionDisconnected, SessionTerminating, SessionTerminated},
	SessionDisconnected: {SessionConnected, SessionTerminating, SessionTerminated},
	SessionTerminating:  {SessionTerminated},
	SessionTerminated:   nil,
	SessionFailed:       nil,
}

// Final reports whether no status can follow s.
func (s SessionStatus) Final() bool {
	return s == SessionTerminated || s == SessionFailed
}

// Session is a Session Manager session.
type Session struct {
	ID           string // <principal name>-<17 hex>
	Target       string // node id
	Owner        string // the principal's ARN
	DocumentName string
	Status       SessionStatus
	Reason       string // why it ended, or failed
	StartedAt    time.Time
	EndedAt      time.Time // set when the status becomes final
	// Tags are fixed at creation: aws:ssmmessages:session-id and
	// aws:ssmmessages:target-id.
	Tags []Tag
}

// Sessions creates, reads and moves sessions through their states.
type Sessions interface {
	// CreateSession fails with ErrExists for a taken id; the status must
	// be Connecting or Connected.
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	// SetSessionStatus moves the session to status at the given time. A
	// change SessionTransitions does not allow fails with ErrConflict.
	// Reaching a final status sets EndedAt.
	SetSessionStatus(ctx context.Context, id string, status SessionStatus, reason string, at time.Time) error
}

// SessionState selects live or ended sessions, as DescribeSessions' State.
type SessionState string

// Session states.
const (
	SessionsActive  SessionState = "Active"  // not final
	SessionsHistory SessionState = "History" // final
)

// SessionFilter selects sessions; empty fields match everything.
type SessionFilter struct {
	State  SessionState
	Target string
	Owner  string
	Status SessionStatus
}

// SessionLister lists sessions, newest first.
type SessionLister interface {
	ListSessions(ctx context.Context, f SessionFilter, opts ListOptions) (Page[Session], error)
}
