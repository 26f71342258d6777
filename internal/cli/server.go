package cli

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/certs"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/server"
	"github.com/sesame-sh/sesame/internal/store"
	"github.com/sesame-sh/sesame/internal/store/postgres"
	"github.com/sesame-sh/sesame/internal/store/sqlite"
)

// serverOptions are sesame server's settings: from the config file, then
// the flags.
type serverOptions struct {
	DataDir               string `json:"data_dir"`
	Listen                string `json:"listen"`
	Account               string `json:"account"`
	Region                string `json:"region"`
	Store                 string `json:"store"`
	HTTP                  bool   `json:"http"`
	TLSCert               string `json:"tls_cert"`
	TLSKey                string `json:"tls_key"`
	ExemptDefaultDocument bool   `json:"exempt_default_document"`
	LogLevel              string `json:"log_level"`
	DebugListen           string `json:"debug_listen"`
}

func newServerCmd() *cobra.Command {
	var (
		opts       serverOptions
		configFile string
	)
	c := &cobra.Command{
		Use:   "server",
		Short: "Run the sesame control plane: the AWS SSM, IAM and STS APIs",
		Long: `server runs sesame's control plane. The real aws CLI and the AWS SDKs work
against it with --endpoint-url (or the profile it writes).

On first start it creates, in the data directory: the database (SQLite, unless
--store names a PostgreSQL URL), a server key that encrypts secrets at rest, a
private CA and a TLS certificate (unless --http), the audit log, and an
administrator whose access key goes into DIR/aws/credentials with profile
"sesame" (DIR/aws/config holds its region and endpoint). The key is written
once and never printed or logged.`,
		Example: `  sesame server --data-dir /var/lib/sesame --listen 0.0.0.0:8443
  sesame server --data-dir /tmp/s --listen 127.0.0.1:8080 --http
  sesame server --store postgres://sesame@db:5432/sesame?sslmode=require`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile != "" {
				if err := loadServerConfig(configFile, &opts, cmd); err != nil {
					return err
				}
			}
			return runServer(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, nil)
		},
	}
	f := c.Flags()
	f.StringVar(&configFile, "config", "", "JSON config `FILE` with the flags' names as keys (data_dir, listen, ...); flags win")
	f.StringVar(&opts.DataDir, "data-dir", defaultDataDir(), "data `DIR` (database, keys, TLS files, audit log, AWS profile)")
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:8443", "`HOST:PORT` to listen on")
	f.StringVar(&opts.Account, "account", "123456789012", "the server's AWS account id")
	f.StringVar(&opts.Region, "region", "us-east-1", "the server's AWS region")
	f.StringVar(&opts.Store, "store", "", "PostgreSQL `URL` (postgres://...); default: SQLite in the data directory")
	f.BoolVar(&opts.HTTP, "http", false, "serve plain HTTP (loopback and tests only)")
	f.StringVar(&opts.TLSCert, "tls-cert", "", "TLS certificate `FILE` (default: one signed by the server's own CA)")
	f.StringVar(&opts.TLSKey, "tls-key", "", "TLS key `FILE` for --tls-cert")
	f.BoolVar(&opts.ExemptDefaultDocument, "exempt-default-document", false, "AWS's documented exemption: StartSession without a document name does not check SSM-SessionManagerRunShell")
	f.StringVar(&opts.LogLevel, "log-level", "info", "log `LEVEL`: debug, info, warn, error")
	f.StringVar(&opts.DebugListen, "debug-listen", "", "serve Go's profiles (net/http/pprof, /debug/pprof/) on `HOST:PORT`, a listener apart from the API's; bind it to loopback: they are unauthenticated (default: off)")
	return c
}

// defaultDataDir is $SESAME_DATA_DIR, else ~/.local/share/sesame.
func defaultDataDir() string {
	if d := os.Getenv("SESAME_DATA_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "sesame-data"
	}
	return filepath.Join(home, ".local", "share", "sesame")
}

func loadServerConfig(path string, opts *serverOptions, cmd *cobra.Command) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var fromFile serverOptions
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fromFile); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	// Flags given on the command line win over the file.
	set := func(name string, dst *string, v string) {
		if v != "" && !cmd.Flags().Changed(name) {
			*dst = v
		}
	}
	set("data-dir", &opts.DataDir, fromFile.DataDir)
	set("listen", &opts.Listen, fromFile.Listen)
	set("account", &opts.Account, fromFile.Account)
	set("region", &opts.Region, fromFile.Region)
	set("store", &opts.Store, fromFile.Store)
	set("tls-cert", &opts.TLSCert, fromFile.TLSCert)
	set("tls-key", &opts.TLSKey, fromFile.TLSKey)
	set("log-level", &opts.LogLevel, fromFile.LogLevel)
	set("debug-listen", &opts.DebugListen, fromFile.DebugListen)
	if fromFile.HTTP && !cmd.Flags().Changed("http") {
		opts.HTTP = true
	}
	if fromFile.ExemptDefaultDocument && !cmd.Flags().Changed("exempt-default-document") {
		opts.ExemptDefaultDocument = true
	}
	return nil
}

// runServer runs the server until ctx ends. ready, if set, gets the URL
// once the server accepts requests.
func runServer(ctx context.Context, stdout, stderr io.Writer, opts serverOptions, ready func(url string)) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return usageError(fmt.Sprintf("--log-level %q: use debug, info, warn or error", opts.LogLevel))
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	key, err := serverKey(filepath.Join(opts.DataDir, "server.key"))
	if err != nil {
		return err
	}
	st, err := openStore(ctx, opts, key)
	if err != nil {
		return err
	}
	defer st.Close()
	alog, err := audit.New(audit.Config{Path: audit.PathIn(opts.DataDir), Logger: logger})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer alog.Close()
	check := iam.CheckDefaultDocument
	if opts.ExemptDefaultDocument {
		check = iam.ExemptDefaultDocument
	}
	srv, err := server.New(server.Config{Store: st, Audit: alog, Account: opts.Account, Region: opts.Region,
		DocumentCheck: check, TokenKey: key[32:], Logger: logger})
	if err != nil {
		return err
	}
	if opts.DebugListen != "" {
		stop, err := serveDebug(stdout, opts.DebugListen)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "https"
	var tlsCfg *tls.Config
	var caFile string
	if opts.HTTP {
		scheme = "http"
	} else if tlsCfg, caFile, err = serverTLS(stdout, opts, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	url := scheme + "://" + advertisedAddr(ln.Addr(), opts.Listen)
	admin, err := srv.Bootstrap(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	if admin != nil {
		if err := writeProfile(opts.DataDir, "sesame", admin.AccessKeyID, admin.SecretAccessKey, opts.Region, url, caFile); err != nil {
			ln.Close()
			return err
		}
		awsDir := filepath.Join(opts.DataDir, "aws")
		fmt.Fprintf(stdout, "sesame: created administrator %s; its access key is in %s (profile sesame). To use it:\n", admin.ARN, filepath.Join(awsDir, "credentials"))
		ca := ""
		if caFile != "" {
			// AWS_CA_BUNDLE in the environment wins over the profile's
			// ca_bundle, so the line sets it too.
			ca = " AWS_CA_BUNDLE=" + caFile
		}
		fmt.Fprintf(stdout, "  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s%s\n", filepath.Join(awsDir, "credentials"), filepath.Join(awsDir, "config"), ca)
		fmt.Fprintf(stdout, "  aws --profile sesame sts get-caller-identity\n")
	}
	return srv.Serve(ctx, ln, tlsCfg, func() {
		fmt.Fprintf(stdout, "sesame: listening on %s\n", url)
		if ready != nil {
			ready(url)
		}
	})
}

// serveDebug serves net/http/pprof's handlers on a listener of their
// own at addr, never on the API's, until the function it returns is
// called. They answer anyone who reaches them, hence the loopback
// advice in --debug-listen's help.
func serveDebug(stdout io.Writer, addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listen: %w", err)
	}
	// Importing net/http/pprof also registers these on
	// http.DefaultServeMux, which sesame never serves.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.Serve(ln) // ErrServerClosed once stopped
	}()
	fmt.Fprintf(stdout, "sesame: debug handlers on http://%s/debug/pprof/\n", ln.Addr())
	return func() {
		hs.Close()
		<-done
	}, nil
}

// serverKey loads the 64-byte server key (32 to seal secrets at rest, 32
// to seal STS session tokens), creating it on first start.
func serverKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 64 {
			return nil, fmt.Errorf("server key %s: expected 64 bytes, found %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("server key: %w", err)
	}
	key = make([]byte, 64)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

func openStore(ctx context.Context, opts serverOptions, key []byte) (store.Store, error) {
	if strings.HasPrefix(opts.Store, "postgres://") || strings.HasPrefix(opts.Store, "postgresql://") {
		db, err := postgres.Open(ctx, postgres.Config{URL: opts.Store, SecretKey: key[:32]})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return db, nil
	}
	if opts.Store != "" {
		return nil, usageError(fmt.Sprintf("--store %q: expected a postgres:// URL (or nothing for SQLite)", opts.Store))
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(opts.DataDir, "sesame.db"), SecretKey: key[:32]})
	if err != nil {
		return nil, fmt.Errorf("open SQLite store: %w", err)
	}
	return db, nil
}

func serverTLS(stdout io.Writer, opts serverOptions, addr net.Addr) (*tls.Config, string, error) {
	if opts.TLSCert != "" || opts.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, "", fmt.Errorf("TLS certificate: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, "", nil
	}
	files := certs.In(filepath.Join(opts.DataDir, "tls"))
	var hosts []string
	if h, _, err := net.SplitHostPort(opts.Listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	cert, created, err := certs.Ensure(certs.Config{Files: files, Hosts: hosts})
	if err != nil {
		return nil, "", fmt.Errorf("TLS: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "sesame: created a private CA at %s. Clients trust it with AWS_CA_BUNDLE=%s, the aws CLI's --ca-bundle %s, or SSL_CERT_FILE=%s.\n",
			files.CACert, files.CACert, files.CACert, files.CACert)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, files.CACert, nil
}

// advertisedAddr is the address clients use: the listen host (loopback
// for a wildcard) and the port actually bound.
func advertisedAddr(addr net.Addr, listen string) string {
	_, port, _ := net.SplitHostPort(addr.String())
	host, _, _ := net.SplitHostPort(listen)
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// writeProfile writes an AWS CLI profile for the key: DIR/aws/credentials
// (0600) and DIR/aws/config with the region, the endpoint and the CA.
func writeProfile(dataDir, profile, keyID, secret, region, url, caFile string) error {
	dir := filepath.Join(dataDir, "aws")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	creds := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, keyID, secret)
	if err := appendProfile(filepath.Join(dir, "credentials"), creds); err != nil {
		return err
	}
	conf := fmt.Sprintf("[profile %s]\nregion = %s\nendpoint_url = %s\n", profile, region, url)
	if caFile != "" {
		conf += "ca_bundle = " + caFile + "\n"
	}
	return appendProfile(filepath.Join(dir, "config"), conf)
}

func appendProfile(path, section string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		section = "\n" + section
	}
	if _, err := f.WriteString(section); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
