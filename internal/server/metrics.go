package server

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics counts API calls and their latency, exposed in Prometheus'
// text format at /metrics. It belongs to one Server: no global registry.
type metrics struct {
	mu    sync.Mutex // protects the following
	calls map[callKey]*callStats

	cache *cacheStats // the read cache's
}

type callKey struct {
	service, operation, code string
}

type callStats struct {
	count   uint64
	sum     float64
	buckets [len(latencyBuckets)]uint64
}

// latencyBuckets are the histogram's upper bounds, in seconds.
var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

func newMetrics(cache *cacheStats) *metrics {
	return &metrics{calls: map[callKey]*callStats{}, cache: cache}
}

func (m *metrics) observe(service, operation, code string, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	k := callKey{service, operation, code}
	st := m.calls[k]
	if st == nil {
		st = &callStats{}
		m.calls[k] = st
	}
	st.count++
	st.sum += sec
	for i, b := range latencyBuckets {
		if sec <= b {
			st.buckets[i]++
		}
	}
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	keys := make([]callKey, 0, len(m.calls))
	for k := range m.calls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.service+a.operation+a.code < b.service+b.operation+b.code
	})
	var b strings.Builder
	b.WriteString("# HELP sesame_api_requests_total API calls by service, operation and error code (empty when it succeeded).\n# TYPE sesame_api_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "sesame_api_requests_total{service=%q,operation=%q,code=%q} %d\n", k.service, k.operation, k.code, m.calls[k].count)
	}
	b.WriteString("# HELP sesame_api_request_duration_seconds API call latency.\n# TYPE sesame_api_request_duration_seconds histogram\n")
	for _, k := range keys {
		st := m.calls[k]
		labels := fmt.Sprintf("service=%q,operation=%q,code=%q", k.service, k.operation, k.code)
		for i, ub := range latencyBuckets {
			fmt.Fprintf(&b, "sesame_api_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", labels, ub, st.buckets[i])
		}
		fmt.Fprintf(&b, "sesame_api_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, st.count)
		fmt.Fprintf(&b, "sesame_api_request_duration_seconds_sum{%s} %g\n", labels, st.sum)
		fmt.Fprintf(&b, "sesame_api_request_duration_seconds_count{%s} %d\n", labels, st.count)
	}
	m.mu.Unlock()
	c := m.cache
	fmt.Fprintf(&b, "# HELP sesame_cache_lookups_total Reads of the request path's cache, by kind of value and result.\n# TYPE sesame_cache_lookups_total counter\n")
	for kind := range numCacheKinds {
		l := &c.lookups[kind]
		fmt.Fprintf(&b, "sesame_cache_lookups_total{kind=%q,result=\"hit\"} %d\nsesame_cache_lookups_total{kind=%q,result=\"miss\"} %d\n", kind, l.hits.Load(), kind, l.misses.Load())
	}
	fmt.Fprintf(&b, "# HELP sesame_cache_purges_total Times the cache was emptied, by cause: this server's writes, the store's cache epoch moving, or the epoch unreadable.\n# TYPE sesame_cache_purges_total counter\n")
	fmt.Fprintf(&b, "sesame_cache_purges_total{cause=\"write\"} %d\nsesame_cache_purges_total{cause=\"epoch\"} %d\nsesame_cache_purges_total{cause=\"error\"} %d\n",
		c.purgedByWrite.Load(), c.purgedByEpoch.Load(), c.purgedByError.Load())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.Write([]byte(b.String()))
}
