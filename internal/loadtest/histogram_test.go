package loadtest

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	t.Parallel()
	seq := func(from, to int, unit time.Duration) []time.Duration {
		var out []time.Duration
		for i := from; i <= to; i++ {
			out = append(out, time.Duration(i)*unit)
		}
		return out
	}
	repeat := func(d time.Duration, n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	type want struct {
		q  float64
		lo time.Duration // the exact nearest-rank value
	}
	tests := []struct {
		name   string
		values []time.Duration
		want   []want
		min    time.Duration
		max    time.Duration
		mean   time.Duration
	}{{
		name:   "small values are exact",
		values: seq(1, 100, time.Nanosecond),
		want:   []want{{0.01, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {0.999, 100}, {1, 100}},
		min:    1, max: 100, mean: 51, // 50.5 rounds up
	}, {
		name:   "one to a thousand microseconds",
		values: seq(1, 1000, time.Microsecond),
		want: []want{{0.5, 500 * time.Microsecond}, {0.9, 900 * time.Microsecond},
			{0.99, 990 * time.Microsecond}, {0.999, 999 * time.Microsecond}},
		min: time.Microsecond, max: time.Millisecond, mean: 500500 * time.Nanosecond,
	}, {
		name:   "one value",
		values: []time.Duration{1234567},
		want:   []want{{0.5, 1234567}, {0.99, 1234567}, {1, 1234567}},
		min:    1234567, max: 1234567, mean: 1234567,
	}, {
		name:   "a slow tail of one percent",
		values: append(repeat(time.Millisecond, 990), repeat(100*time.Millisecond, 10)...),
		want:   []want{{0.5, time.Millisecond}, {0.99, time.Millisecond}, {0.991, 100 * time.Millisecond}, {0.999, 100 * time.Millisecond}},
		min:    time.Millisecond, max: 100 * time.Millisecond, mean: 1990 * time.Microsecond,
	}, {
		name:   "negative counts as zero",
		values: []time.Duration{-5, 0, 10},
		want:   []want{{0.5, 0}, {1, 10}},
		min:    0, max: 10, mean: 3,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Histogram
			// Order must not matter.
			vals := append([]time.Duration(nil), tt.values...)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
			for _, v := range vals {
				h.Record(v)
			}
			if h.Count() != uint64(len(tt.values)) {
				t.Errorf("Count = %d, want %d", h.Count(), len(tt.values))
			}
			for _, w := range tt.want {
				got := h.Quantile(w.q)
				// At most 1/128 above the exact value, never below.
				if got < w.lo || got > w.lo+w.lo/128 {
					t.Errorf("Quantile(%g) = %v, want %v (+ at most %v)", w.q, got, w.lo, w.lo/128)
				}
			}
			if h.Min() != tt.min || h.Max() != tt.max || h.Mean() != tt.mean {
				t.Errorf("Min, Max, Mean = %v, %v, %v; want %v, %v, %v", h.Min(), h.Max(), h.Mean(), tt.min, tt.max, tt.mean)
			}
		})
	}
}

func TestHistogramEmpty(t *testing.T) {
	t.Parallel()
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Max() != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Errorf("empty histogram: %v %v %v %d", h.Quantile(0.99), h.Max(), h.Mean(), h.Count())
	}
}

func TestHistogramMerge(t *testing.T) {
	t.Parallel()
	var a, b, both Histogram
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		d := time.Duration(rnd.ExpFloat64() * float64(time.Millisecond))
		both.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{}) // an empty one changes nothing
	for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
		if merged.Quantile(q) != both.Quantile(q) {
			t.Errorf("Quantile(%g): merged %v, recorded together %v", q, merged.Quantile(q), both.Quantile(q))
		}
	}
	if merged.Count() != both.Count() || merged.Min() != both.Min() || merged.Max() != both.Max() || merged.Mean() != both.Mean() {
		t.Errorf("merged %d %v %v %v, together %d %v %v %v", merged.Count(), merged.Min(), merged.Max(), merged.Mean(),
			both.Count(), both.Min(), both.Max(), both.Mean())
	}
}

// TestBuckets checks that the buckets tile the int64 range without gaps
// or overlaps, each within the precision promised.
func TestBuckets(t *testing.T) {
	t.Parallel()
	next := int64(0)
	for i := range numBuckets {
		lo, hi := bucketRange(i)
		if lo != next || hi < lo {
			t.Fatalf("bucket %d = [%d, %d], want it to start at %d", i, lo, hi, next)
		}
		if hi > lo && float64(hi-lo+1)/float64(lo) > 1.0/128 {
			t.Fatalf("bucket %d = [%d, %d] is wider than 1/128 of its start", i, lo, hi)
		}
		for _, v := range []int64{lo, hi, lo + (hi-lo)/2} {
			if bucketOf(v) != i {
				t.Fatalf("bucketOf(%d) = %d, want %d", v, bucketOf(v), i)
			}
		}
		if hi == 1<<63-1 {
			if i != numBuckets-1 {
				t.Fatalf("the last value is in bucket %d of %d", i, numBuckets)
			}
			return
		}
		next = hi + 1
	}
	t.Fatal("the buckets stop short of the largest int64")
}
