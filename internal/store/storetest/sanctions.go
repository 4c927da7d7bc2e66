package storetest

import (
	"errors"
	"testing"
	"time"

	"parley/internal/store"
)

// sanction returns a sanction of kind on key, ending at t0 + n hours (or
// never, for n = 0).
func sanction(kind store.SanctionKind, key string, n int) store.Sanction {
	sn := store.Sanction{Kind: kind, Key: key, Target: "T " + key, Reason: "why " + key, By: "op", Created: t0}
	if kind == store.Ban {
		sn.Addr = "192.0.2.1"
	}
	if n > 0 {
		sn.Until = t0.Add(time.Duration(n) * time.Hour)
	}
	return sn
}

// Every field of a sanction comes back as it went in, times at millisecond
// precision in UTC and a zero Until kept zero; they come sorted by kind,
// then key; a ban and a mute on one key are two sanctions.
func testSanctions(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+8", 8*3600)
	odd := store.Sanction{Kind: store.Ban, Key: "addr:2001:db8::/64", Target: "2001:db8::1", Addr: "2001:db8::/64",
		Until: time.Date(2026, 12, 1, 8, 0, 0, 987654321, zone), Reason: "说 'spam' \"x\"", By: "李雷", Created: t0}
	want := []store.Sanction{odd, sanction(store.Ban, "bob", 0), sanction(store.Ban, "zoë", 2),
		sanction(store.Mute, "bob", 1), sanction(store.Mute, "carl", 0)}
	for _, i := range []int{4, 2, 0, 3, 1} {
		putSanction(t, s, want[i])
	}
	checkSanctions(t, "Sanctions", sanctions(t, s), want)
}

// A sanction on a key that has one of its kind replaces it.
func testSanctionReplace(t *testing.T, s store.Store) {
	putSanction(t, s, sanction(store.Ban, "bob", 1))
	again := sanction(store.Ban, "bob", 0)
	again.Reason = "again"
	putSanction(t, s, again)
	checkSanctions(t, "Sanctions", sanctions(t, s), []store.Sanction{again})
}

// DeleteSanction removes one sanction, of its kind only, and a missing one
// is ErrNotFound.
func testSanctionDelete(t *testing.T, s store.Store) {
	ban, mute := sanction(store.Ban, "bob", 0), sanction(store.Mute, "bob", 0)
	putSanction(t, s, ban)
	putSanction(t, s, mute)
	if err := s.DeleteSanction(t.Context(), store.Ban, "bob"); err != nil {
		t.Fatalf("DeleteSanction(ban, bob): %v", err)
	}
	checkSanctions(t, "Sanctions after deleting the ban", sanctions(t, s), []store.Sanction{mute})
	if err := s.DeleteSanction(t.Context(), store.Ban, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteSanction(ban, bob) again = %v, want ErrNotFound", err)
	}
	if err := s.DeleteSanction(t.Context(), store.Mute, "Bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteSanction(mute, Bob) = %v, want ErrNotFound (keys match exactly)", err)
	}
	if got := sanctions(t, s); len(got) != 1 {
		t.Fatalf("Sanctions after failed deletes: %+v, want the mute", got)
	}
}

func putSanction(t testing.TB, s store.Store, sn store.Sanction) {
	t.Helper()
	if err := s.PutSanction(t.Context(), sn); err != nil {
		t.Fatalf("PutSanction(%+v): %v", sn, err)
	}
}

func sanctions(t testing.TB, s store.Store) []store.Sanction {
	t.Helper()
	sns, err := s.Sanctions(t.Context())
	if err != nil {
		t.Fatalf("Sanctions: %v", err)
	}
	return sns
}

// checkSanctions fails t unless got is want as stored, in order.
func checkSanctions(t testing.TB, what string, got, want []store.Sanction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d sanctions %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !sameTime(g.Created, w.Created) {
			t.Fatalf("%s: %d: Created = %v, want %v (UTC, ms)", what, i, g.Created, stored(w.Created))
		}
		if w.Until.IsZero() != g.Until.IsZero() || !w.Until.IsZero() && !sameTime(g.Until, w.Until) {
			t.Fatalf("%s: %d: Until = %v, want %v (UTC, ms; zero stays zero)", what, i, g.Until, w.Until)
		}
		g.Created, w.Created, g.Until, w.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("%s: %d:\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}
