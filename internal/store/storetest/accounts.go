package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"parley/internal/store"
)

// DMs come out per recipient, oldest first, and only once.
func testDMs(t *testing.T, s store.Store) {
	for _, d := range []store.DM{dm(3, "bob"), dm(4, "amy"), dm(5, "bob"), dm(6, "amy"), dm(8, "bob")} {
		queueDM(t, s, d)
	}
	checkDMs(t, "TakeDMs(bob)", takeDMs(t, s, "bob"), []store.DM{dm(3, "bob"), dm(5, "bob"), dm(8, "bob")})
	checkDMs(t, "TakeDMs(bob) again", takeDMs(t, s, "bob"), nil)
	queueDM(t, s, dm(9, "bob"))
	checkDMs(t, "TakeDMs(amy)", takeDMs(t, s, "amy"), []store.DM{dm(4, "amy"), dm(6, "amy")})
	checkDMs(t, "TakeDMs(bob) after a new one", takeDMs(t, s, "bob"), []store.DM{dm(9, "bob")})
	checkDMs(t, "TakeDMs(Bob)", takeDMs(t, s, "Bob"), nil) // keys match exactly
}

// Taking DMs for a key nothing was queued for gives none, not an error.
func testTakeNobody(t *testing.T, s store.Store) {
	checkDMs(t, "TakeDMs(nobody) on an empty store", takeDMs(t, s, "nobody"), nil)
	queueDM(t, s, dm(1, "somebody"))
	checkDMs(t, "TakeDMs(nobody)", takeDMs(t, s, "nobody"), nil)
}

// Every field of a DM comes back as it went in; times at millisecond
// precision, in UTC.
func testDMRoundTrip(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC-3", -3*3600)
	want := []store.DM{
		{ID: 1, ToKey: "zoë", To: "Zoë", From: "李雷", Addr: "", Text: "秘密 🤫 'quoted' \"double\"", TS: t0},
		{ID: 2, ToKey: "zoë", To: "ZOË", From: "ann", Addr: "[::1]:1", Text: "", TS: time.Date(2026, 1, 1, 0, 0, 0, 987654321, zone)},
	}
	for _, d := range want {
		queueDM(t, s, d)
	}
	checkDMs(t, "TakeDMs(zoë)", takeDMs(t, s, "zoë"), want)
}

// A repeated DM ID fails and leaves the first one queued.
func testDMDuplicate(t *testing.T, s store.Store) {
	queueDM(t, s, dm(1, "amy"))
	again := dm(1, "bob")
	if err := s.QueueDM(t.Context(), again); err == nil {
		t.Fatalf("QueueDM with a repeated ID = nil, want an error")
	}
	checkDMs(t, "TakeDMs(bob)", takeDMs(t, s, "bob"), nil)
	checkDMs(t, "TakeDMs(amy)", takeDMs(t, s, "amy"), []store.DM{dm(1, "amy")})
}

// An account comes back as created, its time at millisecond precision in
// UTC.
func testAccountCreateGet(t *testing.T, s store.Store) {
	a := acct("ann")
	a.Name = "Ann ✨"
	a.Created = time.Date(2026, 2, 3, 4, 5, 6, 789123456, time.FixedZone("CET", 3600))
	createAccount(t, s, a)
	checkAccount(t, "Account(ann)", account(t, s, "ann"), a)
}

// A second account with the same key is refused with ErrExists, and the
// first is kept as it was.
func testAccountExists(t *testing.T, s store.Store) {
	createAccount(t, s, acct("ann"))
	other := acct("ann")
	other.Name, other.Hash = "ANN-2", "other-hash"
	err := s.CreateAccount(t.Context(), other)
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateAccount(ann) = %v, want ErrExists", err)
	}
	checkAccount(t, "Account(ann)", account(t, s, "ann"), acct("ann"))
	if n := len(accounts(t, s)); n != 1 {
		t.Fatalf("Accounts: %d, want 1", n)
	}
}

// A key not registered gives ErrNotFound.
func testAccountNotFound(t *testing.T, s store.Store) {
	if _, err := s.Account(t.Context(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Account(nobody) on an empty store = %v, want ErrNotFound", err)
	}
	createAccount(t, s, acct("ann"))
	for _, key := range []string{"nobody", "Ann", "ann ", "an", ""} {
		if _, err := s.Account(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Account(%q) = %v, want ErrNotFound", key, err)
		}
	}
}

// Accounts lists every account sorted by key, bytewise as Go compares
// strings (a database whose collation sorts "a-c" before "ab", or folds case,
// does not meet this: use a binary collation).
func testAccountsSorted(t *testing.T, s store.Store) {
	if got := accounts(t, s); len(got) != 0 {
		t.Fatalf("Accounts on an empty store = %+v, want none", got)
	}
	keys := []string{"zed", "ab", "é", "a-c", "B", "b", "日本", "a", "a_b", "ä"}
	for _, k := range keys {
		createAccount(t, s, acct(k))
	}
	slices.Sort(keys)
	got := accounts(t, s)
	if len(got) != len(keys) {
		t.Fatalf("Accounts: %d, want %d", len(got), len(keys))
	}
	for i, a := range got {
		if a.Key != keys[i] {
			var gotKeys []string
			for _, a := range got {
				gotKeys = append(gotKeys, a.Key)
			}
			t.Fatalf("Accounts keys = %q, want %q", gotKeys, keys)
		}
		checkAccount(t, "Accounts", a, acct(keys[i]))
	}
}

// SetPassword changes the hash and nothing else; a missing key gives
// ErrNotFound.
func testSetPassword(t *testing.T, s store.Store) {
	createAccount(t, s, acct("ann"))
	createAccount(t, s, acct("bob"))
	if err := s.SetPassword(t.Context(), "ann", "new-hash"); err != nil {
		t.Fatalf("SetPassword(ann): %v", err)
	}
	want := acct("ann")
	want.Hash = "new-hash"
	checkAccount(t, "Account(ann)", account(t, s, "ann"), want)
	checkAccount(t, "Account(bob)", account(t, s, "bob"), acct("bob"))

	if err := s.SetPassword(t.Context(), "ann", "new-hash"); err != nil {
		t.Fatalf("SetPassword(ann) to the same hash: %v", err)
	}
	if err := s.SetPassword(t.Context(), "nobody", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetPassword(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := s.Account(t.Context(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Account(nobody) after SetPassword(nobody) = %v, want ErrNotFound", err)
	}
}

// DeleteAccount removes the account and the DMs queued for it, and nobody
// else's; the key can be registered again.
func testDeleteAccount(t *testing.T, s store.Store) {
	createAccount(t, s, acct("ann"))
	createAccount(t, s, acct("bob"))
	queueDM(t, s, dm(1, "ann"))
	queueDM(t, s, dm(2, "bob"))
	queueDM(t, s, dm(3, "ann"))
	if err := s.DeleteAccount(t.Context(), "ann"); err != nil {
		t.Fatalf("DeleteAccount(ann): %v", err)
	}
	if _, err := s.Account(t.Context(), "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Account(ann) after delete = %v, want ErrNotFound", err)
	}
	if got := accounts(t, s); len(got) != 1 || got[0].Key != "bob" {
		t.Fatalf("Accounts after delete = %+v, want bob only", got)
	}
	if err := s.DeleteAccount(t.Context(), "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteAccount(ann) = %v, want ErrNotFound", err)
	}
	checkDMs(t, "TakeDMs(ann) after delete", takeDMs(t, s, "ann"), nil)
	checkDMs(t, "TakeDMs(bob)", takeDMs(t, s, "bob"), []store.DM{dm(2, "bob")})
	checkLastID(t, s, 3)

	createAccount(t, s, acct("ann"))
	checkAccount(t, "Account(ann) registered again", account(t, s, "ann"), acct("ann"))
}

// Deleting a key that is not registered gives ErrNotFound and changes
// nothing, not even DMs queued for that key.
func testDeleteMissing(t *testing.T, s store.Store) {
	queueDM(t, s, dm(1, "ghost"))
	if err := s.DeleteAccount(t.Context(), "ghost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteAccount(ghost) = %v, want ErrNotFound", err)
	}
	checkDMs(t, "TakeDMs(ghost)", takeDMs(t, s, "ghost"), []store.DM{dm(1, "ghost")})
}
