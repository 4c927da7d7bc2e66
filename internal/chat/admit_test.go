package chat

import (
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAdmitCaps: the per-address cap counts each address apart and exempts
// loopback; the total cap counts everyone; releasing frees a place, once.
func TestAdmitCaps(t *testing.T) {
	h, err := NewHub(Config{MaxConns: 5, MaxConnsPerIP: 2})
	if err != nil {
		t.Fatal(err)
	}
	admit := func(addr string, want Reject) func() {
		t.Helper()
		release, why, _ := h.Admit(addr)
		if why != want {
			t.Fatalf("Admit(%s) = %v, want %v", addr, why, want)
		}
		return release
	}
	a1 := admit("192.0.2.1:1000", RejectNone)
	admit("192.0.2.1:1001", RejectNone)
	admit("192.0.2.1:1002", RejectPerIP)
	admit("[2001:db8::1]:1000", RejectNone)
	admit("127.0.0.1:1000", RejectNone) // loopback: no per-address cap
	admit("[::1]:1000", RejectNone)
	admit("198.51.100.7:1", RejectMaxConns)
	a1()
	a1() // a second release changes nothing
	admit("192.0.2.1:1003", RejectNone)
	admit("192.0.2.1:1004", RejectMaxConns)
	if got := h.Metrics.ConnsOpen.Load(); got != 5 {
		t.Errorf("open = %d, want 5", got)
	}
	if got := h.Metrics.Rejected[RejectPerIP].Load(); got != 1 {
		t.Errorf("rejected per IP = %d, want 1", got)
	}
}

// TestAdmitIPv6Prefix: IPv6 addresses count per /64 (one subscriber's
// usual allocation); an IPv4-mapped address counts as its IPv4 address.
func TestAdmitIPv6Prefix(t *testing.T) {
	h, err := NewHub(Config{MaxConnsPerIP: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr string
		want Reject
	}{
		{"[2001:db8:1:2::1]:1000", RejectNone},
		{"[2001:db8:1:2:ffff:ffff:ffff:ffff]:1000", RejectNone},
		{"[2001:db8:1:2::99]:1000", RejectPerIP}, // the same /64
		{"[2001:db8:1:3::1]:1000", RejectNone},   // the next /64
		{"192.0.2.9:1", RejectNone},
		{"[::ffff:192.0.2.9]:2", RejectNone},
		{"[::ffff:192.0.2.9]:3", RejectPerIP}, // the same IPv4 address
	} {
		if _, why, _ := h.Admit(c.addr); why != c.want {
			t.Errorf("Admit(%s) = %v, want %v", c.addr, why, c.want)
		}
	}
}

func TestAdmitWhileClosing(t *testing.T) {
	h, err := NewHub(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, why, _ := h.Admit("192.0.2.1:1"); why != RejectClosing {
		t.Errorf("Admit after Shutdown = %v, want %v", why, RejectClosing)
	}
}

// TestAdmitConnRate: an address may open a burst of 2 × --conn-rate
// connections, then one per 1/rate seconds; the refusal says how long to
// wait, in whole seconds. Other addresses, and loopback, are not held back.
func TestAdmitConnRate(t *testing.T) {
	h, err := NewHub(Config{ConnRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // the burst
		if _, why, _ := h.Admit("192.0.2.1:" + strconv.Itoa(1000+i)); why != RejectNone {
			t.Fatalf("connection %d of the burst: %v", i+1, why)
		}
	}
	_, why, refused := h.Admit("192.0.2.1:2000")
	if why != RejectConnRate || refused.Problem != ProbConnRate || refused.Wait != time.Second {
		t.Fatalf("fifth connection: %v, %+v; want %v, wait 1s", why, refused, RejectConnRate)
	}
	if _, why, _ := h.Admit("[2001:db8::1]:1"); why != RejectNone {
		t.Errorf("another address: %v", why)
	}
	for i := range 10 {
		if _, why, _ := h.Admit("127.0.0.1:" + strconv.Itoa(3000+i)); why != RejectNone {
			t.Fatalf("loopback connection %d: %v", i+1, why)
		}
	}
	if got := h.Metrics.Rejected[RejectConnRate].Load(); got != 1 {
		t.Errorf("rejected for the rate: %d, want 1", got)
	}
}

// TestBucketsRefillAndForget: a bucket refills at the rate, and full
// buckets are forgotten once there are many.
func TestBucketsRefillAndForget(t *testing.T) {
	b := newBuckets(1) // burst 2
	now := time.Unix(1000, 0)
	for i := range 2 {
		if w := b.take("a", now); w != 0 {
			t.Fatalf("connection %d of the burst: wait %v", i+1, w)
		}
	}
	if w := b.take("a", now); w != time.Second {
		t.Fatalf("empty bucket: wait %v, want 1s", w)
	}
	if w := b.take("a", now.Add(500*time.Millisecond)); w != 500*time.Millisecond {
		t.Fatalf("half refilled: wait %v, want 500ms", w)
	}
	if w := b.take("a", now.Add(time.Second)); w != 0 {
		t.Fatalf("refilled: wait %v", w)
	}
	for i := range minSweep { // the last of these sweeps, and forgets none
		b.take(strconv.Itoa(i), now)
	}
	if len(b.m) != minSweep+1 || b.sweepAt != 2*minSweep {
		t.Fatalf("%d buckets, next sweep at %d; want %d, %d", len(b.m), b.sweepAt, minSweep+1, 2*minSweep)
	}
	b.sweep(now.Add(time.Hour)) // every bucket is full by then
	if len(b.m) != 0 || b.sweepAt != minSweep {
		t.Errorf("%d buckets kept after the sweep (next at %d), want none", len(b.m), b.sweepAt)
	}
}
