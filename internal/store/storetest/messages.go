package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/store"
)

// An empty batch is a no-op.
func testAppendEmpty(t *testing.T, s store.Store) {
	for _, ms := range [][]store.Message{nil, {}} {
		if err := s.AppendMessages(t.Context(), ms); err != nil {
			t.Fatalf("AppendMessages(%#v) = %v, want nil", ms, err)
		}
	}
	checkLastID(t, s, 0)
}

// Thousands of messages in one call are all stored, with the IDs given
// (which need not be consecutive), each in its room.
func testAppendMany(t *testing.T, s store.Store) {
	const n = 1000
	rooms := []string{"a", "b", "c"}
	var all []store.Message
	byRoom := map[string][]store.Message{}
	for i := range int64(n) {
		m := msg(10*(i+1), rooms[i%3], strings.Repeat("x", int(i%100)))
		all = append(all, m)
		byRoom[m.Room] = append(byRoom[m.Room], m)
	}
	appendMessages(t, s, all)
	for _, r := range rooms {
		checkMessages(t, "History("+r+")", history(t, s, r, 0, n), byRoom[r])
	}
	checkLastID(t, s, 10*n)
}

// A batch is stored all or none: one repeated ID, within the batch or with
// a stored message, fails the call and stores nothing of the batch; the
// store goes on working.
func testAppendAllOrNone(t *testing.T, s store.Store) {
	appendMessages(t, s, msgs("r", 1, 2))
	for _, batch := range [][]store.Message{
		msgs("r", 3, 4, 3), // repeated within the batch
		msgs("r", 5, 2, 6), // repeats a stored ID
		append(msgs("other", 7, 8), msg(1, "r", "again")),
	} {
		if err := s.AppendMessages(t.Context(), batch); err == nil {
			t.Fatalf("AppendMessages(%v) = nil, want an error (repeated ID)", ids(batch))
		}
	}
	checkMessages(t, "History(r) after failed batches", history(t, s, "r", 0, 100), msgs("r", 1, 2))
	checkMessages(t, "History(other) after failed batches", history(t, s, "other", 0, 100), nil)
	checkLastID(t, s, 2)

	appendMessages(t, s, msgs("r", 3, 4))
	checkMessages(t, "History(r)", history(t, s, "r", 0, 100), msgs("r", 1, 2, 3, 4))
}

// Every field comes back as it went in: any Unicode, long text, characters
// that mean something to SQL, an empty Addr.
func testAppendRoundTrip(t *testing.T, s store.Store) {
	long := strings.Repeat("ünïcödé 日本語 🎉 ", 4000) // about 100 kB
	ms := []store.Message{
		{ID: 1, Room: "café", RoomName: "Café", From: "Zoë", Addr: "", Text: "hello 👋🏽 wörld", TS: t0},
		{ID: 2, Room: "café", RoomName: "CAFÉ", From: "李雷", Addr: "[::1]:6667", Text: "你好，世界", TS: t0},
		{ID: 3, Room: "café", RoomName: "Café", From: "x", Addr: "10.0.0.1:1",
			Text: `'; DROP TABLE messages; -- "quoted" \back\slash 100% _under_`, TS: t0},
		{ID: 4, Room: "café", RoomName: "Café", From: "y", Addr: "", Text: long, TS: t0},
		{ID: 5, Room: "café", RoomName: "Café", From: "z", Addr: "", Text: "مرحبا بالعالم · e\u0301 · tab\there", TS: t0},
		{ID: 6, Room: "🎉", RoomName: "🎉", From: "🙂", Addr: "", Text: "", TS: t0},
	}
	appendMessages(t, s, ms)
	checkMessages(t, "History(café)", history(t, s, "café", 0, 10), ms[:5])
	checkMessages(t, "History(🎉)", history(t, s, "🎉", 0, 10), ms[5:])
	if got := history(t, s, "cafe", 0, 10); len(got) != 0 {
		t.Fatalf("History(cafe) = %v, want none (keys match exactly)", ids(got))
	}
}

// Times come back at millisecond precision (truncated), in UTC, whatever
// zone and precision they went in with.
func testAppendTime(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	ms := []store.Message{
		msg(1, "r", "ms in UTC"),
		msg(2, "r", "ns in a zone"),
		msg(3, "r", "before 1970"),
		msg(4, "r", "far ahead"),
	}
	ms[1].TS = time.Date(2026, 5, 17, 17, 30, 1, 123456789, zone)
	ms[2].TS = time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC)
	ms[3].TS = time.Date(2999, 12, 31, 23, 59, 59, 999000000, time.UTC)
	appendMessages(t, s, ms)
	got := history(t, s, "r", 0, 10)
	checkMessages(t, "History(r)", got, ms)
	if got[1].TS.Nanosecond() != 123000000 {
		t.Fatalf("TS %v: want .123 s exactly", got[1].TS)
	}
}

// LastID is the highest ID stored, of a message or a DM, including DMs
// since taken or dropped with their account.
func testLastID(t *testing.T, s store.Store) {
	checkLastID(t, s, 0)
	appendMessages(t, s, msgs("r", 1, 2, 3))
	checkLastID(t, s, 3)
	queueDM(t, s, dm(10, "amy"))
	checkLastID(t, s, 10)
	appendMessages(t, s, msgs("r", 11))
	checkLastID(t, s, 11)

	queueDM(t, s, dm(20, "bob"))
	if got := takeDMs(t, s, "bob"); len(got) != 1 {
		t.Fatalf("TakeDMs(bob) = %+v, want 1", got)
	}
	checkLastID(t, s, 20)

	createAccount(t, s, acct("cat"))
	queueDM(t, s, dm(30, "cat"))
	if err := s.DeleteAccount(t.Context(), "cat"); err != nil {
		t.Fatalf("DeleteAccount(cat): %v", err)
	}
	checkLastID(t, s, 30)

	appendMessages(t, s, msgs("r", 31))
	checkLastID(t, s, 31)
}

// History returns the newest messages of one room below before, at most
// limit, oldest first.
func testHistory(t *testing.T, s store.Store) {
	// Room r has the even IDs 2..20; room rr the odd ones between.
	var even, odd []int64
	for id := int64(1); id <= 20; id++ {
		if id%2 == 0 {
			even = append(even, id)
		} else {
			odd = append(odd, id)
		}
	}
	// Interleave the rooms in the batches, as the hub's group commit does.
	for i := range even {
		appendMessages(t, s, append(msgs("rr", odd[i]), msgs("r", even[i])...))
	}
	tests := []struct {
		before int64
		limit  int
		want   []int64
	}{
		{0, 100, even},                       // everything
		{0, 10, even},                        // limit exactly what there is
		{0, 11, even},                        // limit more than there is
		{0, 3, []int64{16, 18, 20}},          // the newest 3
		{-1, 3, []int64{16, 18, 20}},         // before < 0: no bound
		{10, 100, []int64{2, 4, 6, 8}},       // strictly below before
		{11, 2, []int64{8, 10}},              // before and limit
		{21, 1, []int64{20}},                 // before above every ID
		{1 << 62, 2, []int64{18, 20}},        // before far above
		{3, 100, []int64{2}},                 // one left
		{2, 100, nil},                        // none below the first
		{1, 100, nil},                        // none below
		{0, 0, nil},                          // limit 0: none
		{0, -1, nil},                         // limit < 0: none
		{15, 1, []int64{14}},                 // before between two IDs
		{20, 5, []int64{10, 12, 14, 16, 18}}, // before an ID that exists
	}
	for _, tc := range tests {
		got := history(t, s, "r", tc.before, tc.limit)
		checkMessages(t, fmt.Sprintf("History(r, %d, %d)", tc.before, tc.limit), got, msgs("r", tc.want...))
	}
	checkMessages(t, "History(rr)", history(t, s, "rr", 0, 3), msgs("rr", 15, 17, 19))
}

// A room with no messages has an empty history, not an error.
func testHistoryEmptyRoom(t *testing.T, s store.Store) {
	if got := history(t, s, "nowhere", 0, 50); len(got) != 0 {
		t.Fatalf("History(nowhere) on an empty store = %v, want none", ids(got))
	}
	appendMessages(t, s, msgs("somewhere", 1))
	if got := history(t, s, "nowhere", 0, 50); len(got) != 0 {
		t.Fatalf("History(nowhere) = %v, want none", ids(got))
	}
}

// testCanceledContext checks that a call whose ctx is done fails, and a
// write fails without changing anything.
func testCanceledContext(t *testing.T, s store.Store) {
	appendMessages(t, s, msgs("r", 1))
	createAccount(t, s, acct("ann"))
	queueDM(t, s, dm(2, "ann"))
	putSanction(t, s, sanction(store.Ban, "ann", 0))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := acct("bob")
	calls := map[string]func() error{
		"AppendMessages": func() error { return s.AppendMessages(ctx, msgs("r", 3)) },
		"QueueDM":        func() error { return s.QueueDM(ctx, dm(4, "ann")) },
		"TakeDMs":        func() error { _, err := s.TakeDMs(ctx, "ann"); return err },
		"CreateAccount":  func() error { return s.CreateAccount(ctx, a) },
		"SetPassword":    func() error { return s.SetPassword(ctx, "ann", "new") },
		"DeleteAccount":  func() error { return s.DeleteAccount(ctx, "ann") },
		"LastID":         func() error { _, err := s.LastID(ctx); return err },
		"History":        func() error { _, err := s.History(ctx, "r", 0, 10); return err },
		"Account":        func() error { _, err := s.Account(ctx, "ann"); return err },
		"Accounts":       func() error { _, err := s.Accounts(ctx); return err },
		"PutSanction":    func() error { return s.PutSanction(ctx, sanction(store.Mute, "ann", 0)) },
		"DeleteSanction": func() error { return s.DeleteSanction(ctx, store.Ban, "ann") },
		"Sanctions":      func() error { _, err := s.Sanctions(ctx); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s with a canceled context = nil, want an error", name)
		}
	}
	checkMessages(t, "History(r)", history(t, s, "r", 0, 10), msgs("r", 1))
	checkLastID(t, s, 2)
	checkAccount(t, "Account(ann)", account(t, s, "ann"), acct("ann"))
	if n := len(accounts(t, s)); n != 1 {
		t.Fatalf("Accounts: %d, want 1", n)
	}
	checkDMs(t, "TakeDMs(ann)", takeDMs(t, s, "ann"), []store.DM{dm(2, "ann")})
	checkSanctions(t, "Sanctions", sanctions(t, s), []store.Sanction{sanction(store.Ban, "ann", 0)})
}
