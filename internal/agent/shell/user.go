package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultUser is the account a session runs as when the agent runs as
// root and the session names no user, as AWS's agent does.
const DefaultUser = "ssm-user"

// ErrNoUser is returned by a lookup when the account does not exist.
var ErrNoUser = errors.New("no such user")

// User is an OS account a session runs as.
type User struct {
	Name   string
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
	Home   string
	Shell  string // login shell from the passwd entry; empty when unknown
}

// Users decides which account a session runs as, and creates the
// default account when it is missing. The zero value uses the system's
// accounts; Resolve is safe for concurrent use.
type Users struct {
	// Self is the agent's own account: the current user by default.
	Self *User
	// Lookup finds an account by name and returns an error wrapping
	// ErrNoUser when there is none: LookupUser by default.
	Lookup func(ctx context.Context, name string) (*User, error)
	// Create adds the default account: CreateUser by default.
	Create func(ctx context.Context, name string) error

	mu sync.Mutex // serialises the creation of the default account
}

// Resolve returns the account a session runs as. A named account
// (RunAs) must exist, and only an agent running as root can switch to
// it; without one, an agent running as root uses DefaultUser, created
// when missing, and any other agent uses its own account.
func (u *Users) Resolve(ctx context.Context, runAs string) (*User, error) {
	self, err := u.self()
	if err != nil {
		return nil, err
	}
	lookup := u.Lookup
	if lookup == nil {
		lookup = LookupUser
	}
	switch {
	case runAs == "" && self.UID != 0:
		return self, nil
	case runAs == self.Name:
		return self, nil
	case runAs != "" && self.UID != 0:
		return nil, fmt.Errorf("the agent must run as root to run sessions as %q (it runs as %q)", runAs, self.Name)
	case runAs != "":
		usr, err := lookup(ctx, runAs)
		if errors.Is(err, ErrNoUser) {
			return nil, fmt.Errorf("failed to start the session since RunAs user %s does not exist", runAs)
		}
		return usr, err
	}
	return u.ensureDefault(ctx, lookup)
}

// Current returns the agent's own account: the one elevated commands
// (runAsElevated) run as.
func (u *Users) Current() (*User, error) { return u.self() }

func (u *Users) self() (*User, error) {
	if u.Self != nil {
		return u.Self, nil
	}
	cur, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("the agent's own user: %w", err)
	}
	return fromOS(cur)
}

// ensureDefault returns DefaultUser, creating it first if needed.
func (u *Users) ensureDefault(ctx context.Context, lookup func(context.Context, string) (*User, error)) (*User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	usr, err := lookup(ctx, DefaultUser)
	if !errors.Is(err, ErrNoUser) {
		return usr, err
	}
	create := u.Create
	if create == nil {
		create = CreateUser
	}
	if err := create(ctx, DefaultUser); err != nil {
		return nil, fmt.Errorf("create user %s: %w", DefaultUser, err)
	}
	return lookup(ctx, DefaultUser)
}

// LookupUser finds an account with os/user and reads its login shell
// from /etc/passwd (or getent).
func LookupUser(ctx context.Context, name string) (*User, error) {
	osu, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("user %s: %w", name, ErrNoUser)
		}
		return nil, fmt.Errorf("look up user %s: %w", name, err)
	}
	u, err := fromOS(osu)
	if err != nil {
		return nil, err
	}
	u.Shell = loginShell(ctx, name)
	return u, nil
}

func fromOS(osu *user.User) (*User, error) {
	uid, err1 := strconv.ParseUint(osu.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(osu.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %s: ids %s:%s are not numbers", osu.Username, osu.Uid, osu.Gid)
	}
	u := &User{Name: osu.Username, UID: uint32(uid), GID: uint32(gid), Home: osu.HomeDir}
	gids, err := osu.GroupIds()
	if err != nil {
		gids = nil // no group database: the primary group only
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			u.Groups = append(u.Groups, uint32(n))
		}
	}
	return u, nil
}

// loginShell returns name's login shell, or "" when it is unknown.
func loginShell(ctx context.Context, name string) string {
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		if sh, ok := passwdShell(b, name); ok {
			return sh
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "getent", "passwd", name).Output()
	if err != nil {
		return ""
	}
	sh, _ := passwdShell(out, name)
	return sh
}

// passwdShell reads the shell field of name's line in passwd(5) text.
func passwdShell(b []byte, name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) == 7 && f[0] == name {
			return f[6], true
		}
	}
	return "", false
}

// ShellPath returns the program a shell session runs for u: its login
// shell, or sh when that is unknown, not executable, or refuses logins.
func (u *User) ShellPath() string {
	sh := u.Shell
	switch filepath.Base(sh) {
	case "", ".", "/", "nologin", "false":
		return "sh"
	}
	if fi, err := os.Stat(sh); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "sh"
	}
	return sh
}

// SudoersFile is where CreateUser gives the default account sudo
// rights, as AWS's agent does for ssm-user.
const SudoersFile = "/etc/sudoers.d/sesame-agent-users"

// CreateUser adds the account name with a home directory (useradd -m)
// and, as AWS's agent does for ssm-user, lets it use sudo without a
// password when /etc/sudoers.d exists.
func CreateUser(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "useradd", "-m", "-s", "/bin/sh", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("useradd -m %s: %w: %s", name, err, bytes.TrimSpace(out))
	}
	if fi, err := os.Stat(filepath.Dir(SudoersFile)); err != nil || !fi.IsDir() {
		return nil
	}
	line := name + " ALL=(ALL) NOPASSWD:ALL\n"
	if err := os.WriteFile(SudoersFile, []byte(line), 0o440); err != nil {
		return fmt.Errorf("write %s: %w", SudoersFile, err)
	}
	return nil
}
