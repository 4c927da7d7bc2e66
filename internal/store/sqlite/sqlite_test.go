package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, Memory)
	})
}

// openT opens the store at path; the caller closes it.
func openT(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	return s
}

// openClosed opens the store at path and closes it when the test ends.
func openClosed(t testing.TB, path string) *Store {
	t.Helper()
	s := openT(t, path)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// lines returns messages with IDs from..to in room "r".
func lines(from, to int64) []store.Message {
	var ms []store.Message
	for id := from; id <= to; id++ {
		ms = append(ms, store.Message{ID: id, Room: "r", RoomName: "R", From: "ann",
			Text: fmt.Sprintf("line %d", id), TS: time.UnixMilli(id).UTC()})
	}
	return ms
}

func mustAppend(t testing.TB, s *Store, ms []store.Message) {
	t.Helper()
	if err := s.AppendMessages(context.Background(), ms); err != nil {
		t.Fatalf("AppendMessages: %v", err)
	}
}

// checkIDs fails t unless room r of s holds exactly the IDs 1..n.
func checkIDs(t testing.TB, s *Store, n int64) {
	t.Helper()
	ms, err := s.History(context.Background(), "r", 0, int(n)+100)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if int64(len(ms)) != n {
		t.Fatalf("History: %d messages, want %d", len(ms), n)
	}
	for i, m := range ms {
		if m.ID != int64(i)+1 {
			t.Fatalf("History[%d].ID = %d, want %d", i, m.ID, i+1)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), ":memory:") {
		t.Errorf(`Open("") = %v, want an error pointing at ":memory:"`, err)
	}
	p := filepath.Join(t.TempDir(), "no", "such", "dir", "parley.db")
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Open(%s) = %v, want an error naming the path", p, err)
	}
	t.Logf("Open in a missing directory: %v", err)
}

// Paths are file names, relative to the working directory or not, with
// any characters a URI would read as syntax.
func TestPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, p := range []string{"parley.db", "sub dir/odd ?#%&=;name.db"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		s := openT(t, p)
		mustAppend(t, s, lines(1, 2))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("Open(%q) did not create that file: %v", p, err)
		}
		checkIDs(t, openClosed(t, filepath.Join(dir, p)), 2)
	}
}

func TestMigrationFiles(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if m.version != i+1 || strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %d: %s, version %d, %d bytes", i, m.name, m.version, len(m.sql))
		}
	}
}

// appliedMigrations returns schema_migrations as version → applied_at.
func appliedMigrations(t *testing.T, s *Store) map[int]int64 {
	t.Helper()
	rows, err := s.r.Query(`SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]int64{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		got[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "parley.db")
	s := openT(t, p)
	applied := appliedMigrations(t, s)
	if len(applied) != len(ms) {
		t.Fatalf("fresh file: versions applied %v, want 1..%d", applied, len(ms))
	}
	for _, m := range ms {
		if _, ok := applied[m.version]; !ok {
			t.Fatalf("fresh file: version %d not applied (%v)", m.version, applied)
		}
	}
	for _, table := range []string{"messages", "accounts", "offline_dms", "id_high_water"} {
		var n int
		err := s.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("table %s: count %d, %v", table, n, err)
		}
	}
	mustAppend(t, s, lines(1, 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openClosed(t, p)
	again := appliedMigrations(t, s)
	if fmt.Sprint(again) != fmt.Sprint(applied) {
		t.Fatalf("after reopen: schema_migrations %v, want %v unchanged", again, applied)
	}
	checkIDs(t, s, 3)
}

func TestNewerSchemaRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "parley.db")
	if err := openT(t, p).Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (7, 0)`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations()
	want := fmt.Sprintf("database schema version 7 is newer than this parley (knows up to %d)", len(ms))
	s, err := Open(p)
	if err == nil {
		s.Close()
		t.Fatalf("Open of a newer schema succeeded, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Open = %v, want it to say %q", err, want)
	}
}

func TestPragmas(t *testing.T) {
	s := openClosed(t, filepath.Join(t.TempDir(), "parley.db"))
	pragma := func(db *sql.DB, name string) string {
		var v string
		if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for _, tc := range []struct {
		db        *sql.DB
		who, name string
		want      string
	}{
		{s.w, "writer", "journal_mode", "wal"},
		{s.w, "writer", "synchronous", "2"}, // FULL
		{s.w, "writer", "busy_timeout", "5000"},
		{s.w, "writer", "foreign_keys", "1"},
		{s.w, "writer", "query_only", "0"},
		{s.r, "reader", "journal_mode", "wal"},
		{s.r, "reader", "busy_timeout", "5000"},
		{s.r, "reader", "query_only", "1"},
	} {
		if got := pragma(tc.db, tc.name); got != tc.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tc.who, tc.name, got, tc.want)
		}
	}
}

// A ":memory:" store writes no file, and two of them are two databases.
func TestMemoryKeepsNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	a, b := openClosed(t, Memory), openClosed(t, Memory)
	mustAppend(t, a, lines(1, 5))
	checkIDs(t, a, 5)
	checkIDs(t, b, 0)
	if err := a.Backup(t.Context(), filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Fatalf("Backup of a memory store: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("memory stores wrote %d files in the working directory (%s…)", len(entries), entries[0].Name())
	}
}

func TestErrExists(t *testing.T) {
	s := openClosed(t, Memory)
	mustAppend(t, s, lines(1, 2))
	err := s.AppendMessages(t.Context(), lines(2, 3))
	if !errors.Is(err, store.ErrExists) || err.Error() != "sqlite: append messages: id 2: store: already exists" {
		t.Errorf("AppendMessages of a stored ID = %v, want ErrExists naming the ID", err)
	}
	if err := s.QueueDM(t.Context(), store.DM{ID: 9, ToKey: "ann"}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueDM(t.Context(), store.DM{ID: 9, ToKey: "bob"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("QueueDM of a queued ID = %v, want ErrExists", err)
	}
	a := store.Account{Key: "ann", Name: "Ann", Hash: "h"}
	if err := s.CreateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	err = s.CreateAccount(t.Context(), a)
	if !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), `"ann"`) {
		t.Errorf("second CreateAccount = %v, want ErrExists naming the key", err)
	}
}
