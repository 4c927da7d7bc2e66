package bench

import (
	"runtime"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1µs to a minute, to three
// significant digits. A histogram that size takes some 140 KB, too much to
// give each of tens of thousands of clients one: a client collects its
// latencies in a small batch and adds the batch to one of a few shared
// histograms under that histogram's lock.
const (
	latMax    = int64(time.Minute / time.Microsecond)
	latDigits = 3
	latBatch  = 128
)

// Latency is a latency distribution in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// latencies is a few histograms shared by all clients.
type latencies struct {
	shards []latencyShard
}

type latencyShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [48]byte // a cache line of its own for mu
}

func newLatencies() *latencies {
	l := &latencies{shards: make([]latencyShard, 2*runtime.GOMAXPROCS(0))}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(1, latMax, latDigits)
	}
	return l
}

// add records a batch of latencies in microseconds into shard i (mod the
// number of shards).
func (l *latencies) add(i int, us []int64) {
	s := &l.shards[i%len(l.shards)]
	s.mu.Lock()
	for _, v := range us {
		s.h.RecordValue(min(max(v, 0), latMax))
	}
	s.mu.Unlock()
}

// summary merges the shards.
func (l *latencies) summary() Latency {
	all := hdrhistogram.New(1, latMax, latDigits)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all.Merge(s.h)
		s.mu.Unlock()
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count: all.TotalCount(),
		P50:   ms(all.ValueAtQuantile(50)),
		P90:   ms(all.ValueAtQuantile(90)),
		P99:   ms(all.ValueAtQuantile(99)),
		P999:  ms(all.ValueAtQuantile(99.9)),
		Max:   ms(all.Max()),
		Mean:  all.Mean() / 1000,
	}
}
