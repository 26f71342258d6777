package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sesame-sh/sesame/internal/sigv4"
	"github.com/sesame-sh/sesame/internal/store"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex // protects the following
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ssmUser is a user made through the store, with inline policies, and
// its access key.
type ssmUser struct {
	clients
	Name, ARN, KeyID, Secret string
}

// newSSMUser creates a user through the store with one inline policy per
// document and an access key.
func newSSMUser(t testing.TB, ts *testServer, name string, policies ...string) ssmUser {
	t.Helper()
	ctx := context.Background()
	u := store.User{ID: ts.newID("AIDA", 21), Name: name, Path: "/", CreatedAt: time.Now()}
	if err := ts.Store.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	for i, p := range policies {
		if err := ts.Store.PutInlinePolicy(ctx, store.Entity{Kind: store.EntityUser, Name: name},
			store.InlinePolicy{Name: fmt.Sprintf("policy%d", i+1), Document: p}); err != nil {
			t.Fatalf("put policy: %v", err)
		}
	}
	k := store.AccessKey{ID: ts.newID("AKIA", 20), UserName: name, Secret: ts.newSecret(), Status: store.AccessKeyActive, CreatedAt: time.Now()}
	if err := ts.Store.CreateAccessKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	return ssmUser{clients: ts.clients(k.ID, k.Secret, ""), Name: name, ARN: ts.userARN(u), KeyID: k.ID, Secret: k.Secret}
}

// seedPolicy reads one of the seed scenarios' policies.
func seedPolicy(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "cli", "testdata", "explain", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newActivation creates an activation as the admin.
func newActivation(t testing.TB, ts *testServer, limit int32, tags map[string]string) (id, code string) {
	t.Helper()
	in := &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"), RegistrationLimit: aws.Int32(limit), DefaultInstanceName: aws.String("web")}
	for k, v := range tags {
		in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := ts.admin().SSM.CreateActivation(context.Background(), in)
	if err != nil {
		t.Fatalf("create activation: %v", err)
	}
	return *out.ActivationId, *out.ActivationCode
}

// agentPost posts a JSON body to an agent endpoint and decodes the
// answer.
func agentPost(t testing.TB, ts *testServer, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := http.NewRequest(http.MethodPost, ts.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

// testNode is a registered node and its credentials.
type testNode struct {
	ID, Token string
}

// registerNode registers a node with an activation (instanceID may be
// empty: a managed instance) and, when online, heartbeats once and
// connects its control channel (which StartSession needs).
func registerNode(t testing.TB, ts *testServer, actID, code, instanceID string, online bool) testNode {
	t.Helper()
	status, out := agentPost(t, ts, "/agent/v1/register", "", map[string]any{
		"ActivationId": actID, "ActivationCode": code, "InstanceId": instanceID, "Hostname": "host-" + instanceID,
		"PlatformType": "Linux", "PlatformName": "Ubuntu", "PlatformVersion": "24.04", "AgentVersion": "3.3.1.0", "IPAddress": "10.0.0.5",
	})
	if status != http.StatusOK {
		t.Fatalf("register: %d %v", status, out)
	}
	n := testNode{ID: out["InstanceId"].(string), Token: out["Token"].(string)}
	if online {
		heartbeat(t, ts, n)
		connectAgent(t, ts, n)
	}
	return n
}

func heartbeat(t testing.TB, ts *testServer, n testNode) {
	t.Helper()
	if status, out := agentPost(t, ts, "/agent/v1/heartbeat", n.Token, ""); status != http.StatusOK {
		t.Fatalf("heartbeat: %d %v", status, out)
	}
}

// taggedNode registers an online node with the given tags (given by its
// activation).
func taggedNode(t testing.TB, ts *testServer, instanceID string, tags map[string]string) testNode {
	t.Helper()
	id, code := newActivation(t, ts, 1, tags)
	return registerNode(t, ts, id, code, instanceID, true)
}

// rawSSM sends an SSM request signed by the admin, with any target and
// body, and returns the status and body.
func (ts *testServer) rawSSM(t *testing.T, target string, body []byte) (int, string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", target)
	creds := sigv4.Credentials{AccessKeyID: ts.Admin.AccessKeyID, Secret: ts.Admin.SecretAccessKey}
	if err := sigv4.Sign(r, body, creds, ts.cfg.Region, "ssm", ts.cfg.Clock()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// ssmCounts is how many records of each SSM kind the store holds, to check
// that a failed call changed nothing.
type ssmCounts struct {
	Activations, Nodes, Documents, Sessions int
	Tags                                    string
}

func storeCounts(t *testing.T, ts *testServer) ssmCounts {
	t.Helper()
	ctx := context.Background()
	var c ssmCounts
	as := must(ts.Store.ListActivations(ctx, store.ListOptions{Limit: store.MaxPageSize}))(t)
	ns := must(ts.Store.ListNodeIDs(ctx, store.NodeFilter{}, store.ListOptions{Limit: store.MaxPageSize}))(t)
	ds := must(ts.Store.ListDocuments(ctx, store.DocumentFilter{}, store.ListOptions{Limit: store.MaxPageSize}))(t)
	var tags []string
	for _, id := range ns.Items {
		n := must(ts.Store.GetNode(ctx, id))(t)
		tags = append(tags, fmt.Sprintf("%s%v", n.ID, n.Tags))
	}
	docs := 0
	for _, d := range ds.Items {
		if _, ok := builtinDocuments[d.Name]; ok && d.LatestVersion == "1" && len(d.Tags) == 0 {
			continue // written on first use: there from the start, for the API
		}
		docs++
		tags = append(tags, fmt.Sprintf("%s@%s%v", d.Name, d.LatestVersion, d.Tags))
	}
	c.Activations, c.Nodes, c.Documents, c.Tags = len(as.Items), len(ns.Items), docs, strings.Join(tags, " ")
	for _, st := range []store.SessionState{store.SessionsActive, store.SessionsHistory} {
		ss := must(ts.Store.ListSessions(ctx, store.SessionFilter{State: st}, store.ListOptions{Limit: store.MaxPageSize}))(t)
		c.Sessions += len(ss.Items)
	}
	return c
}
