package server

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/store/sqlite"
)

// testServer is a real server for integration tests: a SQLite store and
// an audit log in t.TempDir(), an httptest server on loopback, and the
// bootstrap admin (AdministratorAccess, one access key).
type testServer struct {
	*Server
	URL       string
	Store     *sqlite.DB
	Admin     *Admin
	AuditPath string
}

// clients are AWS SDK for Go v2 clients signed with one set of
// credentials and pointed at a testServer.
type clients struct {
	IAM *iam.Client
	STS *sts.Client
	SSM *ssm.Client
}

// newTestServer starts a server; t.Cleanup stops it. opts change the
// Config before the server is made (account, region, clock...).
func newTestServer(t testing.TB, opts ...func(*Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "sesame.db"), SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	auditPath := filepath.Join(dir, "audit.log")
	log, err := audit.New(audit.Config{Path: auditPath, SyncInterval: audit.SyncEachRecord})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cfg := Config{Store: db, Audit: log, TokenKey: key}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: s, URL: hs.URL, Store: db, Admin: admin, AuditPath: auditPath}
}

// admin returns clients signed with the bootstrap admin's key.
func (ts *testServer) admin() clients {
	return ts.clients(ts.Admin.AccessKeyID, ts.Admin.SecretAccessKey, "")
}

// clients returns clients signed with the given credentials (token is
// empty for a user's long-term key).
func (ts *testServer) clients(keyID, secret, token string) clients {
	cfg := aws.Config{
		Region: ts.cfg.Region,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token}, nil
		})),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
	endpoint := aws.String(ts.URL)
	return clients{
		IAM: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = endpoint }),
		STS: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = endpoint }),
		SSM: ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = endpoint }),
	}
}
