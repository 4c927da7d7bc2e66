package chat

import "time"

// buckets is a token bucket per client address: rate tokens a second, up
// to a burst of twice that, one taken for each connection admitted. It
// forgets the buckets that have filled up again once there are many, so an
// attacker with many addresses costs a bounded amount of memory for each
// one's last second or two. Its owner guards it.
type buckets struct {
	rate, burst float64
	m           map[string]*bucket
	sweepAt     int // the size at which full buckets are forgotten
}

type bucket struct {
	tokens float64
	last   time.Time
}

// minSweep is the fewest buckets kept before full ones are forgotten.
const minSweep = 4096

func newBuckets(rate float64) buckets {
	return buckets{rate: rate, burst: max(2*rate, 1), m: make(map[string]*bucket), sweepAt: minSweep}
}

// take takes a token from key's bucket, and reports 0, or how long until
// one will be there (taking none).
func (b *buckets) take(key string, now time.Time) time.Duration {
	k := b.m[key]
	if k == nil {
		if len(b.m) >= b.sweepAt {
			b.sweep(now)
		}
		k = &bucket{tokens: b.burst, last: now}
		b.m[key] = k
	}
	k.tokens = min(b.burst, k.tokens+now.Sub(k.last).Seconds()*b.rate)
	k.last = now
	if k.tokens >= 1 {
		k.tokens--
		return 0
	}
	return time.Duration((1 - k.tokens) / b.rate * float64(time.Second))
}

// sweep forgets the buckets that are full again: a new one starts full.
func (b *buckets) sweep(now time.Time) {
	for key, k := range b.m {
		if k.tokens+now.Sub(k.last).Seconds()*b.rate >= b.burst {
			delete(b.m, key)
		}
	}
	b.sweepAt = max(minSweep, 2*len(b.m))
}
