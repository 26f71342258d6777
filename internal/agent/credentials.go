package agent

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Credentials are what registration gives a node and the agent keeps in
// its state directory: the node's id, its secret token (rotated by the
// server), and how to reach and trust the server.
type Credentials struct {
	InstanceID   string    `json:"InstanceId"`
	Token        string    `json:"Token"`
	Endpoint     string    `json:"Endpoint"`     // the server's URL, https://host:port
	CA           string    `json:"CA,omitempty"` // PEM certificates to trust; the system's roots when empty
	RegisteredAt time.Time `json:"RegisteredAt"`
	// PreviousToken is the token before the last rotation, kept until
	// the new one has worked: if the server never heard the agent
	// confirm the rotation, it still knows only this one.
	PreviousToken string `json:"PreviousToken,omitempty"`
}

// ErrNotRegistered is returned by LoadCredentials when the state
// directory holds no credentials.
var ErrNotRegistered = errors.New("this host is not registered: run sesame-agent register first")

// credentialsFile is the name of the credentials in the state directory.
const credentialsFile = "credentials.json"

// Check reports what is missing or wrong in c.
func (c Credentials) Check() error {
	switch {
	case c.InstanceID == "":
		return errors.New("credentials have no instance id")
	case c.Token == "":
		return errors.New("credentials have no token")
	}
	if _, err := endpointURL(c.Endpoint); err != nil {
		return err
	}
	if _, err := c.TLSConfig(); err != nil {
		return err
	}
	return nil
}

// endpointURL parses a server endpoint: an http or https URL.
func endpointURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http:// or https:// URL", s)
	}
	return u, nil
}

// TLSConfig is the TLS configuration that trusts the server: the CA of
// the credentials, or the system's roots.
func (c Credentials) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA == "" {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(c.CA)) {
		return nil, errors.New("the CA holds no PEM certificate")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// DefaultStateDir is where the agent keeps its credentials:
// /var/lib/sesame-agent for root, else ~/.local/state/sesame-agent (or
// $XDG_STATE_HOME/sesame-agent).
func DefaultStateDir() (string, error) {
	if os.Geteuid() == 0 {
		return "/var/lib/sesame-agent", nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "sesame-agent"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: %w; pass --state-dir", err)
	}
	return filepath.Join(home, ".local", "state", "sesame-agent"), nil
}

// LoadCredentials reads the credentials in dir.
func LoadCredentials(dir string) (Credentials, error) {
	var c Credentials
	path := filepath.Join(dir, credentialsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("%w (no %s)", ErrNotRegistered, path)
	}
	if err != nil {
		return c, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("read credentials %s: %w", path, err)
	}
	if err := c.Check(); err != nil {
		return c, fmt.Errorf("credentials %s: %w", path, err)
	}
	return c, nil
}

// SaveCredentials writes c to dir atomically: a temporary file of mode
// 0600, synced, renamed over the old one, and the directory synced. It
// creates dir with mode 0700 and tightens an existing one to 0700.
func SaveCredentials(dir string, c Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return writeAtomic(filepath.Join(dir, credentialsFile), append(b, '\n'), 0o600)
}

// writeAtomic replaces path with data, so that a crash leaves either the
// old file or the new one.
func writeAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: the rename itself is atomic
		d.Close()
	}
	return nil
}
