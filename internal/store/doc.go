// Package store is sesame's persistence layer: the domain records the
// control plane keeps (IAM identities and policies, access keys,
// activations, nodes, documents, sessions, tags) and the small interfaces
// through which the server reads and writes them.
//
// Two backends implement every interface: sqlite (embedded, the default)
// and postgres (several server nodes sharing one database). One
// conformance suite, storetest, runs against both, so they behave alike:
//
//	store            records, interfaces, sentinel errors
//	store/sqlite     modernc.org/sqlite, WAL     ─┐ both: Open(ctx, Config),
//	store/postgres   pgx/v5, pgxpool             ─┤ embedded migrations
//	store/internal/sqldb  the queries they share ◀┘
//	store/storetest  Run and Benchmark: one suite for every backend
//
// Errors: a method reports a kind of failure with a sentinel (ErrNotFound,
// ErrExists, ErrConflict, ErrLimitExceeded, ErrExpired, ErrInvalidToken),
// wrapped with the name of what failed; test with errors.Is. Driver errors
// never cross this boundary.
//
// Names: IAM names (users, groups, roles, managed policies) are unique
// without regard to case, as in AWS, and keep the case they were created
// with. Ids (AIDA..., mi-..., session ids) are made by the caller; the
// store keeps them. Times are kept to the microsecond, in UTC.
//
// Secrets: the secret part of an access key is sealed with AES-256-GCM
// under the server key before it is written, and opened when it is read.
//
// Sessions: the status machine (SessionTransitions) is enforced by the
// database itself, so no writer, however buggy, can bring a terminated
// session back.
package store
