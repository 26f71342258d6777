package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/audit"
)

func newAuditCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log: every API call, its caller and the decision",
		Long: `The sesame server appends a record of every API call, allowed or denied, to
DATA_DIR/audit/audit.log: one JSON object a line in AWS CloudTrail's record
shape, with secrets redacted. additionalEventData holds the authorization
decision (allowed, implicitDeny, explicitDeny), the resource that was denied
and why: the statement that denied or nearly matched, which the caller
never sees beyond AWS's AccessDenied text.

The data directory is --data-dir, else $SESAME_DATA_DIR, else
~/.local/share/sesame. Rotated files (audit.log.1, audit.log.2, ...) are read
too, oldest first.

The text format is one line a call:
  TIME  DECISION  PRINCIPAL  SERVICE:ACTION  RESOURCES  ERROR`,
	}
	c.AddCommand(newAuditTailCmd(), newAuditQueryCmd())
	return c
}

// auditFlags are the flags both audit commands take.
type auditFlags struct {
	dataDir string
	format  string
}

func (f *auditFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.dataDir, "data-dir", "", "sesame data `DIR` (default $SESAME_DATA_DIR or ~/.local/share/sesame)")
	c.Flags().StringVar(&f.format, "format", "text", "output `format`: text (a line a call) or json (a record a line)")
}

// path returns the audit log's path, or a usage error.
func (f *auditFlags) path() (string, error) {
	if f.format != "text" && f.format != "json" {
		return "", usageError("--format must be text or json")
	}
	dir := f.dataDir
	if dir == "" {
		dir = os.Getenv("SESAME_DATA_DIR")
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no data directory: pass --data-dir or set SESAME_DATA_DIR (%w)", err)
		}
		dir = filepath.Join(home, ".local", "share", "sesame")
	}
	return audit.PathIn(dir), nil
}

func newAuditTailCmd() *cobra.Command {
	var (
		f        auditFlags
		n        int
		follow   bool
		interval time.Duration
	)
	c := &cobra.Command{
		Use:   "tail [-n N] [-f]",
		Short: "Print the last records of the audit log, and follow it with -f",
		Example: `  sesame audit tail                 # the last 10 calls
  sesame audit tail -n 50 -f        # the last 50, then every new call until Ctrl-C
  sesame audit tail --format json | jq 'select(.additionalEventData.decision != "allowed")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := f.path()
			if err != nil {
				return err
			}
			if n < 0 || interval <= 0 {
				return usageError("-n must be 0 or more, --interval more than 0")
			}
			var poll <-chan time.Time
			if follow {
				t := time.NewTicker(interval)
				defer t.Stop()
				poll = t.C
			}
			return printAuditRecords(cmd, f.format, audit.Tail(cmd.Context(), path, n, poll))
		},
	}
	f.register(c)
	c.Flags().IntVarP(&n, "lines", "n", 10, "print the last `N` records")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "print new records as they are written, until interrupted")
	c.Flags().DurationVar(&interval, "interval", 500*time.Millisecond, "how often -f checks the log for new records")
	return c
}

type auditQueryFlags struct {
	auditFlags
	since, until string
	filter       audit.Filter
}

func newAuditQueryCmd() *cobra.Command {
	var f auditQueryFlags
	c := &cobra.Command{
		Use:   "query [--since T] [--until T] [--user U] [--event NAME] [--decision D] [--error CODE] [--limit N]",
		Short: "Print the audit records that match, oldest first",
		Long: `query prints the records of the audit log that match every filter given,
oldest first.

--since and --until take a time (RFC 3339, e.g. 2024-05-01T12:00:00Z, or a
date, 2024-05-01, in UTC) or a duration back from now (90s, 15m, 1h, 7d).
--since is inclusive, --until exclusive. --user matches, without regard to
case, part of the caller's ARN, user name, principal or access key id, or of
the role an assumed-role session came from.`,
		Example: `  # Denied calls in the last hour
  sesame audit query --since 1h --decision denied

  # What alice did yesterday
  sesame audit query --user alice --since 2024-05-01 --until 2024-05-02

  # Sessions started through a role, as JSON
  sesame audit query --user role/Operators --event StartSession --format json

  # Calls with bad credentials
  sesame audit query --error InvalidClientTokenId --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := f.path()
			if err != nil {
				return err
			}
			if err := f.times(time.Now()); err != nil {
				return err
			}
			if f.filter.Limit < 0 {
				return usageError("--limit must be 0 (no limit) or more")
			}
			return printAuditRecords(cmd, f.format, audit.Query(cmd.Context(), path, f.filter))
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&f.since, "since", "", "records at or after `TIME` (RFC 3339, date, or duration ago: 1h)")
	fl.StringVar(&f.until, "until", "", "records before `TIME`")
	fl.StringVar(&f.filter.User, "user", "", "caller whose ARN, name, principal or access key id contains `TEXT`")
	fl.StringVar(&f.filter.EventName, "event", "", "API operation `NAME`, e.g. StartSession")
	fl.StringVar(&f.filter.EventSource, "service", "", "`SERVICE` called: ssm, iam, sts, ssmmessages")
	fl.StringVar(&f.filter.Decision, "decision", "", "`DECISION`: allowed, denied, implicitDeny or explicitDeny")
	fl.StringVar(&f.filter.ErrorCode, "error", "", "AWS error `CODE`, e.g. AccessDenied")
	fl.StringVar(&f.filter.SourceIP, "source-ip", "", "caller `ADDRESS` or CIDR prefix")
	fl.IntVar(&f.filter.Limit, "limit", 0, "print at most `N` records (0: all)")
	return c
}

// times parses --since and --until into the filter.
func (f *auditQueryFlags) times(now time.Time) error {
	var err error
	if f.filter.Since, err = parseAuditTime(f.since, now); err != nil {
		return usageError("--since: " + err.Error())
	}
	if f.filter.Until, err = parseAuditTime(f.until, now); err != nil {
		return usageError("--until: " + err.Error())
	}
	return nil
}

// parseAuditTime parses an RFC 3339 time, a date (midnight UTC), or a
// duration before now (Go's units, plus d for days). Empty is the zero
// time.
func parseAuditTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2024-05-01T12:00:00Z, 2024-05-01) or a duration ago (15m, 1h, 7d)", s)
}

// printAuditRecords prints what an audit iterator yields. Lines of the log
// that are not records are reported on stderr and skipped; being
// interrupted ends the output quietly.
func printAuditRecords(cmd *cobra.Command, format string, seq iter.Seq2[*audit.Record, error]) error {
	w := cmd.OutOrStdout()
	for r, err := range seq {
		var le *audit.LineError
		switch {
		case errors.As(err, &le):
			fmt.Fprintf(cmd.ErrOrStderr(), "sesame: skipping a line that is not a record: %v\n", le)
			continue
		case errors.Is(err, context.Canceled):
			return nil
		case err != nil:
			return err
		}
		if err := printAuditRecord(w, format, r); err != nil {
			return err
		}
	}
	return nil
}

func printAuditRecord(w io.Writer, format string, r *audit.Record) error {
	if format == "json" {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintln(w, auditLine(r))
	return err
}

// auditLine is a record's text form: time, decision, principal,
// service:action, resources, error code; "-" for what a record lacks.
func auditLine(r *audit.Record) string {
	service, _, _ := strings.Cut(r.EventSource, ".")
	resources := make([]string, len(r.Resources))
	for i, res := range r.Resources {
		resources[i] = res.ARN
	}
	return fmt.Sprintf("%s  %-12s  %s  %s:%s  %s  %s",
		r.EventTime.UTC().Format(time.RFC3339), auditDash(r.Decision()), auditPrincipal(&r.UserIdentity),
		auditDash(service), auditDash(r.EventName), auditDash(strings.Join(resources, ",")), auditDash(r.ErrorCode))
}

// auditPrincipal names the caller: its ARN, or what an unauthenticated call
// claimed to be.
func auditPrincipal(u *audit.UserIdentity) string {
	switch {
	case u.ARN != "":
		return u.ARN
	case u.AccessKeyID != "":
		return cmp.Or(u.Type, audit.Unknown) + "(" + u.AccessKeyID + ")"
	case u.PrincipalID != "":
		return u.PrincipalID
	}
	return cmp.Or(u.Type, "-")
}

func auditDash(s string) string { return cmp.Or(s, "-") }
