package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"parley/internal/confusables"
	"parley/internal/store"
)

// TestKeysUnicodeVersion fails when the confusables data moves to a new
// Unicode version without a migration that computes the stored keys again.
func TestKeysUnicodeVersion(t *testing.T) {
	if confusables.UnicodeVersion != keysUnicodeVersion {
		t.Fatalf("the confusables data is Unicode %s, the stored keys are made with %s: "+
			"add a migration that computes every key again (as 002 does, but from the names: "+
			"accounts.name, offline_dms.recipient, messages.room_name), then set keysUnicodeVersion",
			confusables.UnicodeVersion, keysUnicodeVersion)
	}
}

func TestNameKeyFunc(t *testing.T) {
	s := openClosed(t, Memory)
	var k string
	var null sql.NullString
	err := s.r.QueryRow(`SELECT parley_name_key('ALICE'), parley_name_key('mallory'), parley_name_key(NULL)`).Scan(&k, new(string), &null)
	if err != nil {
		t.Fatal(err)
	}
	if k != "alice" || null.Valid {
		t.Errorf("parley_name_key: %q, %v; want alice, NULL", k, null)
	}
}

// openAtVersion makes a database at path with the migrations up to v only,
// as an older parley left it, and returns it open.
func openAtVersion(t *testing.T, path string, v int) *sql.DB {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:v] {
		if err := applyMigration(ctx, db, m); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	return db
}

// TestLookalikeKeysMigration opens a database whose keys are case foldings
// (schema 1), as the hub made them before names were keyed by look, and
// checks that every account, queued message and room line is found under
// its new key.
func TestLookalikeKeysMigration(t *testing.T) {
	p := filepath.Join(t.TempDir(), "parley.db")
	old := openAtVersion(t, p, 1)
	for _, q := range []string{
		// key (the name case-folded), name, hash, created
		`INSERT INTO accounts VALUES ('alice', 'Alice', 'h-alice', 1)`,
		`INSERT INTO accounts VALUES ('mallory', 'Mallory', 'h-mallory', 2)`,
		`INSERT INTO accounts VALUES ('rnallory', 'rnallory', 'h-rn', 3)`, // looks like mallory, registered later
		`INSERT INTO accounts VALUES ('bob', 'Bob', 'h-bob', 5)`,
		`INSERT INTO accounts VALUES ('b0b', 'b0b', 'h-b0b', 5)`,    // as old as Bob; its old key sorts first
		`INSERT INTO accounts VALUES ('аlex', 'Аlex', 'h-alex', 7)`, // Cyrillic а
		`INSERT INTO offline_dms VALUES (10, 'mallory', 'Mallory', 'ann', '', 'for mallory', 10)`,
		`INSERT INTO offline_dms VALUES (11, 'rnallory', 'rnallory', 'ann', '', 'for rnallory', 11)`,
		`INSERT INTO offline_dms VALUES (12, 'alice', 'Alice', 'ann', '', 'for alice', 12)`,
		`INSERT INTO messages VALUES (1, 'den', 'Den', 'ann', '', 'one', 1)`,
		`INSERT INTO messages VALUES (2, 'dеn', 'Dеn', 'ann', '', 'two', 2)`, // Cyrillic е: another room then
		`INSERT INTO messages VALUES (3, 'main', 'Main', 'ann', '', 'three', 3)`,
		`INSERT INTO messages VALUES (4, 'lobby', 'lobby', 'ann', '', 'four', 4)`,
		`INSERT INTO messages VALUES (5, 'den', 'den', 'ann', '', 'five', 5)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	s := openClosed(t, p)
	if applied := appliedMigrations(t, s); applied[2] == 0 {
		t.Fatalf("versions applied: %v, want 2 among them", applied)
	}
	ctx := context.Background()
	accts, err := s.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range accts {
		got[a.Key] = a.Name + " " + a.Hash
	}
	want := map[string]string{
		"alice":        "Alice h-alice",
		"rnallory":     "Mallory h-mallory",
		"\x1frnallory": "rnallory h-rn", // parked
		"bob":          "b0b h-b0b",
		"\x1fbob":      "Bob h-bob", // parked
		"alex":         "Аlex h-alex",
	}
	if !maps.Equal(got, want) {
		t.Errorf("accounts after the migration:\n got %+q\nwant %+q", got, want)
	}
	for _, a := range accts {
		if k := confusables.CaseFoldedSkeleton(a.Name); a.Key[0] != 0x1f && a.Key != k {
			t.Errorf("account %q has key %+q, want %+q", a.Name, a.Key, k)
		}
	}
	if a, err := s.Account(ctx, confusables.CaseFoldedSkeleton("MALLORY")); err != nil || a.Name != "Mallory" {
		t.Errorf("Account(key of MALLORY) = %+v, %v; want Mallory's", a, err)
	}

	for key, ids := range map[string][]int64{
		"rnallory": {10}, "\x1frnallory": {11}, "alice": {12}, "mallory": nil,
	} {
		dms, err := s.TakeDMs(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if gotIDs := dmIDs(dms); !slices.Equal(gotIDs, ids) {
			t.Errorf("TakeDMs(%+q) = %v, want %v", key, gotIDs, ids)
		}
	}
	for room, ids := range map[string][]int64{
		"den": {1, 2, 5}, "rnain": {3}, "main": nil, "lobby": {4},
	} {
		ms, err := s.History(ctx, room, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if gotIDs := msgIDs(ms); !slices.Equal(gotIDs, ids) {
			t.Errorf("History(%+q) = %v, want %v", room, gotIDs, ids)
		}
	}
	if id, err := s.LastID(ctx); err != nil || id != 12 {
		t.Errorf("LastID = %d, %v; want 12", id, err)
	}
}

func dmIDs(dms []store.DM) []int64 {
	var ids []int64
	for _, d := range dms {
		ids = append(ids, d.ID)
	}
	return ids
}

func msgIDs(ms []store.Message) []int64 {
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
