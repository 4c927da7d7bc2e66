// Package storetest is the conformance suite every store.Store backend runs
// unchanged, so that SQLite today and PostgreSQL later keep one contract:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// It knows nothing of any backend: it only calls store.Store methods and
// checks what they return. Where the contract in package store leaves a
// choice open, the suite pins down one reading, said in the subtest.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/store"
)

// Run runs the suite. open must return a new, empty store each time it is
// called (once per subtest); Run closes it and fails if Close does.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"AppendMessages/Empty", testAppendEmpty},
		{"AppendMessages/Many", testAppendMany},
		{"AppendMessages/AllOrNone", testAppendAllOrNone},
		{"AppendMessages/RoundTrip", testAppendRoundTrip},
		{"AppendMessages/Time", testAppendTime},
		{"LastID", testLastID},
		{"History", testHistory},
		{"History/EmptyRoom", testHistoryEmptyRoom},
		{"DMs/QueueTake", testDMs},
		{"DMs/TakeNobody", testTakeNobody},
		{"DMs/RoundTrip", testDMRoundTrip},
		{"DMs/Duplicate", testDMDuplicate},
		{"Accounts/CreateGet", testAccountCreateGet},
		{"Accounts/Exists", testAccountExists},
		{"Accounts/NotFound", testAccountNotFound},
		{"Accounts/Sorted", testAccountsSorted},
		{"Accounts/SetPassword", testSetPassword},
		{"Accounts/Delete", testDeleteAccount},
		{"Accounts/DeleteMissing", testDeleteMissing},
		{"Sanctions/RoundTrip", testSanctions},
		{"Sanctions/Replace", testSanctionReplace},
		{"Sanctions/Delete", testSanctionDelete},
		{"CanceledContext", testCanceledContext},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is when the suite's messages are said; message n is n ms later.
var t0 = time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)

// msg returns a message with id in room, at t0 + id ms.
func msg(id int64, room, text string) store.Message {
	return store.Message{
		ID:       id,
		Room:     room,
		RoomName: "Room-" + room,
		From:     "ann",
		Addr:     "192.0.2.7:50000",
		Text:     text,
		TS:       t0.Add(time.Duration(id) * time.Millisecond),
	}
}

// msgs returns messages with ids in room.
func msgs(room string, ids ...int64) []store.Message {
	var ms []store.Message
	for _, id := range ids {
		ms = append(ms, msg(id, room, fmt.Sprintf("line %d", id)))
	}
	return ms
}

// dm returns a private message with id for key, at t0 + id ms.
func dm(id int64, key string) store.DM {
	return store.DM{
		ID:    id,
		ToKey: key,
		To:    strings.ToUpper(key),
		From:  "zed",
		Addr:  "[2001:db8::1]:4000",
		Text:  fmt.Sprintf("psst %d", id),
		TS:    t0.Add(time.Duration(id) * time.Millisecond),
	}
}

// stored is what the store must give back for a time it was given:
// millisecond precision, in UTC.
func stored(ts time.Time) time.Time { return ts.Truncate(time.Millisecond).UTC() }

// sameTime reports whether got is want as stored: equal, and in UTC.
func sameTime(got, want time.Time) bool {
	return got.Location() == time.UTC && got.Equal(stored(want))
}

// checkMessages fails t unless got is want, in order, field by field.
func checkMessages(t testing.TB, what string, got, want []store.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d messages %v, want %d %v", what, len(got), ids(got), len(want), ids(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !sameTime(g.TS, w.TS) {
			t.Fatalf("%s: message %d: TS = %v, want %v (UTC, ms)", what, i, g.TS, stored(w.TS))
		}
		g.TS, w.TS = time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("%s: message %d:\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

// checkDMs fails t unless got is want, in order, field by field.
func checkDMs(t testing.TB, what string, got, want []store.DM) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d DMs %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !sameTime(g.TS, w.TS) {
			t.Fatalf("%s: DM %d: TS = %v, want %v (UTC, ms)", what, i, g.TS, stored(w.TS))
		}
		g.TS, w.TS = time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("%s: DM %d:\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

// checkAccount fails t unless got is want as stored.
func checkAccount(t testing.TB, what string, got, want store.Account) {
	t.Helper()
	if !sameTime(got.Created, want.Created) {
		t.Fatalf("%s: Created = %v, want %v (UTC, ms)", what, got.Created, stored(want.Created))
	}
	got.Created, want.Created = time.Time{}, time.Time{}
	if got != want {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func ids(ms []store.Message) []int64 {
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// Helpers that fail t on any error.

func appendMessages(t testing.TB, s store.Store, ms []store.Message) {
	t.Helper()
	if err := s.AppendMessages(context.Background(), ms); err != nil {
		t.Fatalf("AppendMessages(%v): %v", ids(ms), err)
	}
}

func history(t testing.TB, s store.Store, room string, before int64, limit int) []store.Message {
	t.Helper()
	ms, err := s.History(context.Background(), room, before, limit)
	if err != nil {
		t.Fatalf("History(%q, %d, %d): %v", room, before, limit, err)
	}
	return ms
}

func lastID(t testing.TB, s store.Store) int64 {
	t.Helper()
	id, err := s.LastID(context.Background())
	if err != nil {
		t.Fatalf("LastID: %v", err)
	}
	return id
}

func checkLastID(t testing.TB, s store.Store, want int64) {
	t.Helper()
	if got := lastID(t, s); got != want {
		t.Fatalf("LastID = %d, want %d", got, want)
	}
}

func queueDM(t testing.TB, s store.Store, d store.DM) {
	t.Helper()
	if err := s.QueueDM(context.Background(), d); err != nil {
		t.Fatalf("QueueDM(%d to %q): %v", d.ID, d.ToKey, err)
	}
}

func takeDMs(t testing.TB, s store.Store, key string) []store.DM {
	t.Helper()
	dms, err := s.TakeDMs(context.Background(), key)
	if err != nil {
		t.Fatalf("TakeDMs(%q): %v", key, err)
	}
	return dms
}

func createAccount(t testing.TB, s store.Store, a store.Account) {
	t.Helper()
	if err := s.CreateAccount(context.Background(), a); err != nil {
		t.Fatalf("CreateAccount(%q): %v", a.Key, err)
	}
}

func account(t testing.TB, s store.Store, key string) store.Account {
	t.Helper()
	a, err := s.Account(context.Background(), key)
	if err != nil {
		t.Fatalf("Account(%q): %v", key, err)
	}
	return a
}

func accounts(t testing.TB, s store.Store) []store.Account {
	t.Helper()
	as, err := s.Accounts(context.Background())
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	return as
}

// acct returns an account for key, created at t0.
func acct(key string) store.Account {
	return store.Account{
		Key:     key,
		Name:    strings.ToUpper(key),
		Hash:    "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$" + key,
		Created: t0,
	}
}
