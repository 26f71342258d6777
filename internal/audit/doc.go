// Package audit is sesame's audit log: every API call, allowed or denied,
// as one CloudTrail-shaped JSON record a line, appended to a file.
//
// # Records
//
// A Record has CloudTrail's fields and JSON keys (event version 1.08):
// who called (UserIdentity), what (eventSource, eventName, resources),
// from where (sourceIPAddress, userAgent), the outcome (errorCode,
// errorMessage: exactly what the caller was told), and in
// additionalEventData sesame's authorization decision (allowed,
// implicitDeny, explicitDeny), the resource that was denied and the policy
// engine's reason, which the caller never sees. Write redacts secrets from
// requestParameters and responseElements (AppendRedacted): the value of
// any key such as SecretAccessKey, SessionToken, TokenValue, Password,
// PrivateKey or ActivationCode, at any depth, becomes
// HIDDEN_DUE_TO_SECURITY_REASONS.
//
// A record is written for every API call, so writing one is cheap: the
// caller hands the request and response over as the JSON text it read and
// sent (json.RawMessage), the redactor copies that text through in runs,
// keeping its key order, and Write encodes the record by hand, into a
// pooled buffer, as the bytes encoding/json would write.
//
// # The file
//
// The log lives at PathIn(dataDir), DIR/audit/audit.log, created 0600 in a
// 0700 directory and opened O_APPEND. Each record is marshaled first and
// then written with a single write(2) under a mutex, so records never
// interleave and each is in the file whole or, after a crash in the middle
// of a write, cut short as the last line. A Log opening a file whose last
// line was cut short starts on a new line, so the torn record stays a line
// of its own that readers report (a *LineError) and skip.
//
// # Durability
//
// A record is in the kernel once Write returns: it survives a crash of the
// server process. Surviving a crash of the machine needs an fsync, which
// BenchmarkWrite measured at 0.5-2.8 ms a record on the project's 2-core
// test machine (ext4 on a virtual disk, under varying load), against
// 7-10 µs for a Write without it, one writer or several. Syncing every
// record would cap the log at a few hundred to two thousand calls a
// second, all serialized behind the fsync, and add up to milliseconds to
// every API call, so by default a goroutine the Log owns fsyncs every
// DefaultSyncInterval (100 ms) when something was written, without
// holding up writers, and Close syncs last. A machine crash then loses at
// most the last 100 ms of records. Config.SyncInterval sets another
// interval, or SyncEachRecord to sync in every Write.
//
// # Rotation
//
// With Config.MaxSize set, a Write that would take the file past it first
// renames audit.log to audit.log.1 (audit.log.1 to audit.log.2, ..., up to
// Config.MaxFiles kept), syncing the file and the directory, and opens a
// new audit.log. Rotation happens under the write lock between two
// records, so no record is lost, split or written twice.
//
// # Reading
//
// Query streams the records that match a Filter, oldest first across the
// rotated files; Tail yields the last n and then follows the log, polling
// on an injected channel and moving to the new file after a rotation.
// Both are iterators that yield a *LineError for a line that is not a
// record and carry on, and leave out a last line still being written.
package audit
