package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/sigv4"
	"github.com/sesame-sh/sesame/internal/store"
)

// Auditor records API calls. *audit.Log is one.
type Auditor interface {
	Write(ctx context.Context, r *audit.Record) error
}

// Config configures a Server. Store and Audit are required.
type Config struct {
	Store store.Store
	Audit Auditor
	// Account and Region are the server's one account and region
	// (defaults 123456789012 and us-east-1).
	Account   string
	Region    string
	Partition string // default "aws"
	// DocumentCheck selects how StartSession treats the default session
	// document (default: checked, as AWS accounts do today).
	DocumentCheck iam.DocumentCheck
	// TokenKey seals STS session tokens: 32 bytes, kept across restarts.
	TokenKey []byte
	Logger   *slog.Logger
	Clock    func() time.Time
	Rand     io.Reader
}

// Server serves the AWS APIs. Create it with New.
type Server struct {
	cfg         Config
	log         *slog.Logger
	verifier    *sigv4.Verifier
	tokens      *tokenSealer
	ops         map[string]*operation // "ssm:StartSession" → operation
	policies    policyCache
	cache       readCache
	sessionDocs sessionDocs
	metrics     *metrics
	hub         *hub // agents' control channels and sessions' relays
}

// New checks cfg, fills its defaults and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: config: Store is required")
	}
	if cfg.Audit == nil {
		return nil, errors.New("server: config: Audit is required")
	}
	if cfg.Account == "" {
		cfg.Account = "123456789012"
	}
	if len(cfg.Account) != 12 || strings.Trim(cfg.Account, "0123456789") != "" {
		return nil, fmt.Errorf("server: config: account id %q is not 12 digits", cfg.Account)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	tokens, err := newTokenSealer(cfg.TokenKey, cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tokens: tokens, ops: map[string]*operation{}}
	s.metrics = newMetrics(&s.cache.stats)
	s.hub = newHub(s)
	s.verifier, err = sigv4.New(sigv4.Config{Keys: sigv4.KeysFunc(s.lookupKey), Clock: cfg.Clock})
	if err != nil {
		return nil, err
	}
	s.registerSSM()
	s.registerIAM()
	s.registerSTS()
	return s, nil
}

// Handler returns the server's HTTP handler: the AWS APIs at /, plus
// /healthz, /metrics, the agent endpoints and the WebSocket channels.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", s.metrics)
	s.mountAgent(mux)
	s.mountChannels(mux)
	mux.HandleFunc("/", s.serveAPI)
	return mux
}

// policyCache keeps compiled policies by document text, so that a policy
// is compiled once however many calls it governs.
type policyCache struct {
	memo[[32]byte, *iam.Policy]
}

const policyCacheMax = 10000

func (c *policyCache) compile(name string, t iam.Type, doc string) (*iam.Policy, error) {
	key := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s", t, name, doc)))
	return c.get(key, policyCacheMax, func() (*iam.Policy, error) {
		// Stored policies were checked against their quotas when written
		// (an inline policy's is its principal's, up to 10,240 for a
		// role), so only their grammar is checked again here.
		d, err := iam.ParseDocumentAnySize([]byte(doc), t)
		if err != nil {
			return nil, fmt.Errorf("policy %q: %w", name, err)
		}
		p, err := iam.Compile(name, t, d)
		if err != nil {
			return nil, err
		}
		p.Source = doc
		return p, nil
	})
}
