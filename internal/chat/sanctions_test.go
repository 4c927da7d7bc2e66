package chat

import (
	"testing"
	"time"

	"parley/internal/store"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * day, true},
		{"00000001d", day, true}, // leading zeros are not a bigger number
		{"30s", 30 * time.Second, true},
		{"1500ms", 1500 * time.Millisecond, true},
		{"3650d", MaxSanction, true},
		{"3651d", MaxSanction, true},
		{"99999999999999999999999d", MaxSanction, true}, // too big for 64 bits: capped, not refused
		{"3000000h", MaxSanction, true},
		{"9000000000000000000s", MaxSanction, true},
		{"0d", 0, false},
		{"0s", 0, false},
		{"-1h", 0, false},
		{"d", 0, false},
		{"7", 0, false},
		{"soon", 0, false},
		{"1.5d", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEndAfter(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{t0, 0, time.Time{}},
		{t0, time.Hour, t0.Add(time.Hour)},
		{t0.Add(300 * time.Millisecond), time.Second, t0.Add(2 * time.Second)}, // rounded up, never short
		{t0.Add(999 * time.Millisecond), time.Minute, t0.Add(61 * time.Second)},
	} {
		if got := endAfter(tt.from, tt.d); !got.Equal(tt.want) {
			t.Errorf("endAfter(%v, %v) = %v, want %v", tt.from, tt.d, got, tt.want)
		}
	}
}

// TestAsAddr: an address target, with or without a port, is counted as
// the per-address limits count it.
func TestAsAddr(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"192.0.2.7", "192.0.2.7", true},
		{"192.0.2.7:5000", "192.0.2.7", true},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64", true},
		{"[2001:db8:1:2::9]:5000", "2001:db8:1:2::/64", true},
		{"::ffff:192.0.2.7", "192.0.2.7", true},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7", true},
		{"bob", "", false},
		{"127.0.0", "", false},
		{"", "", false},
	} {
		if got, ok := asAddr(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("asAddr(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := sanctionAddr("127.0.0.2:5000"); got != "" {
		t.Errorf("sanctionAddr of a loopback address = %q, want none", got)
	}
	if got := sanctionAddr("[::1]:5000"); got != "" {
		t.Errorf("sanctionAddr of ::1 = %q, want none", got)
	}
}

// TestSanctionsIndex: the address checks find the ban or mute in force
// that ends last, ignore ended ones, and forget removed ones; the counts
// that skip the checks follow.
func TestSanctionsIndex(t *testing.T) {
	x := newSanctions()
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	if _, ok := x.onAddr(store.Ban, "192.0.2.1", t0); ok {
		t.Fatal("a ban with none held")
	}
	x.put(store.Sanction{Kind: store.Ban, Key: "bob", Addr: "192.0.2.1", Until: t0.Add(time.Hour)})
	x.put(store.Sanction{Kind: store.Ban, Key: "addr:192.0.2.1", Addr: "192.0.2.1", Until: t0.Add(2 * time.Hour)})
	x.put(store.Sanction{Kind: store.Ban, Key: "old", Addr: "192.0.2.1", Until: t0.Add(-time.Second)})
	x.put(store.Sanction{Kind: store.Mute, Key: "amy", Addr: "192.0.2.9"})
	if x.nBans.Load() != 3 || x.nMutes.Load() != 1 {
		t.Fatalf("counts %d bans, %d mutes; want 3, 1", x.nBans.Load(), x.nMutes.Load())
	}
	if sn, ok := x.onAddr(store.Ban, "192.0.2.1", t0); !ok || sn.Key != "addr:192.0.2.1" {
		t.Errorf("ban on the address: %+v, %v; want the one ending last", sn, ok)
	}
	if _, ok := x.onAddr(store.Ban, "192.0.2.9", t0); ok {
		t.Error("a mute's address is banned")
	}
	if sn, ok := x.onAddr(store.Mute, "192.0.2.9", t0); !ok || sn.Key != "amy" {
		t.Errorf("mute on the address: %+v, %v", sn, ok)
	}
	x.remove(store.Ban, "addr:192.0.2.1")
	if sn, ok := x.onAddr(store.Ban, "192.0.2.1", t0); !ok || sn.Key != "bob" {
		t.Errorf("after removing one: %+v, %v; want bob's", sn, ok)
	}
	if _, ok := x.onAddr(store.Ban, "192.0.2.1", t0.Add(time.Hour)); ok {
		t.Error("a ban in force after its end")
	}
	bans, ended := x.listBans(t0.Add(90 * time.Minute))
	if len(bans) != 0 || len(ended) != 2 || x.nBans.Load() != 0 || x.nMutes.Load() != 1 {
		t.Errorf("listBans after every ban ended: %v, ended %d, counts %d/%d", bans, len(ended), x.nBans.Load(), x.nMutes.Load())
	}
}
