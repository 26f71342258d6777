package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sesame-sh/sesame/internal/store"
)

const allowDescribe = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeInstanceInformation","Resource":"*"}]}`

// A change this server makes applies to the very next call.
func TestCacheOwnWrites(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := newIAMUser(t, ts, "alice", allowDescribe)
	if _, err := alice.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.admin().IAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("policy")}); err != nil {
		t.Fatal(err)
	}
	_, err := alice.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
}

// A change made behind the server's back (another server on the same
// database, or by hand) moves the store's cache epoch, and the server
// sees it within about cacheCheckEvery.
func TestCacheOutsideWrites(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := newIAMUser(t, ts, "alice", allowDescribe)
	call := func() error {
		_, err := alice.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
		return err
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	user := store.Entity{Kind: store.EntityUser, Name: "alice"}

	// eventually waits for the server to see the change, well past the
	// epoch's check interval.
	eventually := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := call()
			if ok(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen after 5s (last error %v)", what, err)
			}
			time.Sleep(cacheCheckEvery / 4)
		}
	}
	if err := ts.Store.DeleteInlinePolicy(ctx, user, "policy"); err != nil {
		t.Fatal(err)
	}
	eventually("policy deleted", func(err error) bool { return err != nil })
	wantAPIError(t, call(), "AccessDeniedException", "")

	if err := ts.Store.PutInlinePolicy(ctx, user, store.InlinePolicy{Name: "again", Document: allowDescribe}); err != nil {
		t.Fatal(err)
	}
	eventually("policy put back", func(err error) bool { return err == nil })

	keys, err := ts.Store.ListAccessKeys(ctx, "alice", store.ListOptions{})
	if err != nil || len(keys.Items) != 1 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	if err := ts.Store.SetAccessKeyStatus(ctx, "alice", keys.Items[0].ID, store.AccessKeyInactive); err != nil {
		t.Fatal(err)
	}
	eventually("key deactivated", func(err error) bool { return err != nil })
	wantAPIError(t, call(), "UnrecognizedClientException", "The security token included in the request is invalid.")
}

// /metrics counts the cache's hits and misses by kind: a node read twice
// is read from the store once.
func TestCacheMetrics(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	n := taggedNode(t, ts, "i-0123456789abcdef0", map[string]string{"Env": "Dev"})
	alice := newSSMUser(t, ts, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetConnectionStatus","Resource":"*"}]}`)
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := scrape()
	for range 2 {
		if _, err := alice.SSM.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String(n.ID)}); err != nil {
			t.Fatal(err)
		}
	}
	after := scrape()
	count := func(text, series string) int {
		for _, line := range strings.Split(text, "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		t.Fatalf("no %s in /metrics", series)
		return 0
	}
	for series, want := range map[string]int{
		`sesame_cache_lookups_total{kind="node",result="miss"}`:   1,
		`sesame_cache_lookups_total{kind="node",result="hit"}`:    1,
		`sesame_cache_lookups_total{kind="caller",result="miss"}`: 1,
		`sesame_cache_lookups_total{kind="caller",result="hit"}`:  1,
	} {
		if got := count(after, series) - count(before, series); got != want {
			t.Errorf("%s went up by %d, want %d", series, got, want)
		}
	}
}

// epochStore is a cache epoch that fails when asked to.
type epochStore struct {
	epoch int64
	err   error
}

func (e *epochStore) CacheEpoch(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return e.epoch, e.err
}

// The epoch's reader purges the cache when the epoch moved or cannot be
// read, but not when its own request ended while reading it.
func TestCacheRevalidate(t *testing.T) {
	var c readCache
	st := &epochStore{epoch: 7}
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	fill := func() {
		c.mu.Lock()
		c.m = map[cacheKey]any{{cacheNode, "i-1"}: 1}
		if !c.checked.IsZero() {
			c.checked = time.Now().Add(-cacheCheckEvery) // due for a check
		}
		c.mu.Unlock()
	}
	kept := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.m) == 1
	}
	c.revalidate(ctx, st, log) // the first read adopts the epoch
	fill()
	c.revalidate(ctx, st, log)
	if !kept() {
		t.Fatal("purged with the epoch unchanged")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	fill()
	c.revalidate(canceled, st, log)
	if !kept() || c.stats.purgedByError.Load() != 0 {
		t.Fatal("purged by a request that ended")
	}
	st.err = errors.New("database down")
	fill()
	c.revalidate(ctx, st, log)
	if kept() || c.stats.purgedByError.Load() != 1 {
		t.Fatal("kept with the epoch unreadable")
	}
	st.err, st.epoch = nil, 8
	c.revalidate(ctx, st, log)
	fill()
	st.epoch = 9
	c.revalidate(ctx, st, log)
	if kept() || c.stats.purgedByEpoch.Load() != 1 {
		t.Fatalf("kept after the epoch moved (purges by epoch: %d)", c.stats.purgedByEpoch.Load())
	}
}
