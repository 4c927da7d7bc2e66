package chat

import (
	"testing"

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
		release, why := h.Admit(addr)
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
		if _, why := h.Admit(c.addr); why != c.want {
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
	if _, why := h.Admit("192.0.2.1:1"); why != RejectClosing {
		t.Errorf("Admit after Shutdown = %v, want %v", why, RejectClosing)
	}
}
