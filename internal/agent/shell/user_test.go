package shell

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

type fakeAccounts struct {
	mu      sync.Mutex
	users   map[string]*User
	created []string
}

func (f *fakeAccounts) lookup(_ context.Context, name string) (*User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.users[name]; ok {
		return u, nil
	}
	return nil, fmt.Errorf("user %s: %w", name, ErrNoUser)
}

func (f *fakeAccounts) create(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, name)
	f.users[name] = &User{Name: name, UID: 1001, GID: 1001, Home: "/home/" + name}
	return nil
}

func TestUsersResolve(t *testing.T) {
	t.Parallel()
	root := &User{Name: "root", UID: 0, GID: 0, Home: "/root"}
	alice := &User{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"}
	tests := []struct {
		name        string
		self        *User
		runAs       string
		haveDefault bool
		want        string
		wantCreated bool
		wantErr     string
	}{
		{name: "root without RunAs creates ssm-user", self: root, want: DefaultUser, wantCreated: true},
		{name: "root without RunAs reuses ssm-user", self: root, haveDefault: true, want: DefaultUser},
		{name: "root with RunAs", self: root, runAs: "alice", want: "alice"},
		{name: "root with RunAs root", self: root, runAs: "root", want: "root"},
		{name: "root with missing RunAs", self: root, runAs: "bob", wantErr: "RunAs user bob does not exist"},
		{name: "non-root runs as itself", self: alice, want: "alice"},
		{name: "non-root RunAs itself", self: alice, runAs: "alice", want: "alice"},
		{name: "non-root cannot switch", self: alice, runAs: "root", wantErr: "must run as root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fa := &fakeAccounts{users: map[string]*User{"root": root, "alice": alice}}
			if tt.haveDefault {
				fa.users[DefaultUser] = &User{Name: DefaultUser, UID: 1001}
			}
			u := &Users{Self: tt.self, Lookup: fa.lookup, Create: fa.create}
			got, err := u.Resolve(context.Background(), tt.runAs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve(%q) error = %v, want one containing %q", tt.runAs, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.runAs, err)
			}
			if got.Name != tt.want {
				t.Errorf("Resolve(%q) = %s, want %s", tt.runAs, got.Name, tt.want)
			}
			if created := len(fa.created) > 0; created != tt.wantCreated {
				t.Errorf("created = %v, want %v", fa.created, tt.wantCreated)
			}
		})
	}
}

func TestUsersResolveCreatesOnce(t *testing.T) {
	t.Parallel()
	fa := &fakeAccounts{users: map[string]*User{}}
	u := &Users{Self: &User{Name: "root"}, Lookup: fa.lookup, Create: fa.create}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := u.Resolve(context.Background(), ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(fa.created) != 1 {
		t.Errorf("created %v, want ssm-user once", fa.created)
	}
}

func TestUsersResolveCreateFails(t *testing.T) {
	t.Parallel()
	fa := &fakeAccounts{users: map[string]*User{}}
	u := &Users{Self: &User{Name: "root"}, Lookup: fa.lookup,
		Create: func(context.Context, string) error { return errors.New("useradd: permission denied") }}
	_, err := u.Resolve(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "create user ssm-user: useradd: permission denied") {
		t.Fatalf("Resolve error = %v", err)
	}
}

func TestPasswdShell(t *testing.T) {
	t.Parallel()
	passwd := "root:x:0:0:root:/root:/bin/bash\nssm-user:x:1001:1001::/home/ssm-user:/bin/sh\nbad line\n"
	for name, want := range map[string]string{"root": "/bin/bash", "ssm-user": "/bin/sh", "nobody": ""} {
		if got, _ := passwdShell([]byte(passwd), name); got != want {
			t.Errorf("passwdShell(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestShellPath(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{"": "sh", "/usr/sbin/nologin": "sh", "/bin/false": "sh", "/no/such/shell": "sh", "/bin/sh": "/bin/sh"} {
		if got := (&User{Shell: shell}).ShellPath(); got != want {
			t.Errorf("ShellPath with %q = %q, want %q", shell, got, want)
		}
	}
}

func TestLookupUser(t *testing.T) {
	t.Parallel()
	if _, err := LookupUser(context.Background(), "no-such-user-sesame"); !errors.Is(err, ErrNoUser) {
		t.Errorf("LookupUser(missing) error = %v, want ErrNoUser", err)
	}
	u, err := LookupUser(context.Background(), "root")
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != 0 || u.Home == "" {
		t.Errorf("root = %+v", u)
	}
}
