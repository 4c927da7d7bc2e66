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

	"parley/internal/store"
)

// Store failures (a read-only file, a full disk, a lock another process
// holds) come back as errors that say what went wrong, and change nothing;
// none panics or hangs, and the store works again once the cause is gone.

// writes returns every writing method of s, by name, as a call with a
// context; each must fail on a store that cannot write.
func writes(s *Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"AppendMessages": func(ctx context.Context) error { return s.AppendMessages(ctx, lines(100, 102)) },
		"QueueDM": func(ctx context.Context) error {
			return s.QueueDM(ctx, store.DM{ID: 103, ToKey: "ann", Text: "hi"})
		},
		"TakeDMs": func(ctx context.Context) error { _, err := s.TakeDMs(ctx, "ann"); return err },
		"CreateAccount": func(ctx context.Context) error {
			return s.CreateAccount(ctx, store.Account{Key: "bob", Name: "Bob", Hash: "h"})
		},
		"SetPassword":   func(ctx context.Context) error { return s.SetPassword(ctx, "ann", "new") },
		"DeleteAccount": func(ctx context.Context) error { return s.DeleteAccount(ctx, "ann") },
	}
}

// seed gives s messages 1..3, account ann and a DM 4 queued for ann.
func seed(t *testing.T, s *Store) {
	t.Helper()
	mustAppend(t, s, lines(1, 3))
	if err := s.CreateAccount(t.Context(), store.Account{Key: "ann", Name: "Ann", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueDM(t.Context(), store.DM{ID: 4, ToKey: "ann", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
}

// checkSeed fails t unless s holds exactly what seed put there.
func checkSeed(t *testing.T, s *Store) {
	t.Helper()
	checkIDs(t, s, 3)
	a, err := s.Account(t.Context(), "ann")
	if err != nil || a.Hash != "h" {
		t.Fatalf("Account(ann) = %+v, %v; want hash h", a, err)
	}
	if as, err := s.Accounts(t.Context()); err != nil || len(as) != 1 {
		t.Fatalf("Accounts = %+v, %v; want ann only", as, err)
	}
	if id, err := s.LastID(t.Context()); err != nil || id != 4 {
		t.Fatalf("LastID = %d, %v; want 4", id, err)
	}
}

// A database file that cannot be written is refused at Open, so a server
// does not start only to fail every message. Permissions do not stop root,
// so as root the file is opened the way SQLite opens it when the read-write
// open fails: read-only (mode=ro, an O_RDONLY descriptor).
func TestReadOnlyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "parley.db")
	s := openT(t, p)
	seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var err error
	if os.Geteuid() == 0 {
		s, err = open(p, "mode=ro")
	} else {
		for _, f := range []struct {
			name string
			mode os.FileMode
		}{{p, 0o444}, {dir, 0o555}} {
			if err := os.Chmod(f.name, f.mode); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(p, 0o644) })
		s, err = Open(p)
	}
	if err == nil {
		s.Close()
		t.Fatal("Open of a read-only database succeeded, want an error")
	}
	t.Logf("Open of a read-only database: %v", err)
	if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("Open = %v, want it to name the file and say it is not writable", err)
	}

	os.Chmod(dir, 0o755)
	os.Chmod(p, 0o644)
	checkSeed(t, openClosed(t, p))
}

// A database that stops being writable while the store runs (the file
// system remounted read-only, say) fails every write; reads go on. The
// test makes the one writer connection refuse writes (PRAGMA query_only),
// which gives the error SQLite gives for a read-only file.
func TestWritesFailWhenReadOnly(t *testing.T) {
	s := openClosed(t, filepath.Join(t.TempDir(), "parley.db"))
	seed(t, s)
	if _, err := s.w.Exec(`PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	for name, write := range writes(s) {
		err := write(t.Context())
		if err == nil || !strings.Contains(err.Error(), "readonly") || !strings.HasPrefix(err.Error(), "sqlite: ") {
			t.Errorf("%s on a read-only database = %v, want a wrapped readonly error", name, err)
		}
	}
	checkSeed(t, s)

	if _, err := s.w.Exec(`PRAGMA query_only = 0`); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, lines(5, 5))
}

// A full disk fails the write that needed space, stores nothing of it, and
// the store works again once there is room. The test stands in for the
// disk with SQLite's page limit (PRAGMA max_page_count on the writer),
// which gives SQLITE_FULL, the error a full disk gives.
func TestDiskFull(t *testing.T) {
	s := openClosed(t, filepath.Join(t.TempDir(), "parley.db"))
	seed(t, s)
	var pages int64
	if err := s.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	big := lines(10, 200)
	for i := range big {
		big[i].Text = strings.Repeat("x", 4000)
	}
	err := s.AppendMessages(t.Context(), big)
	t.Logf("AppendMessages on a full disk: %v", err)
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("AppendMessages on a full disk = %v, want a disk-full error", err)
	}
	checkSeed(t, s)

	if _, err := s.w.Exec(`PRAGMA max_page_count = 4294967294`); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, big)
}

// A write lock another process holds makes writes wait (busy_timeout), and
// the wait ends with an error when the caller's ctx does: no hang. The
// store writes again once the lock is gone; reads go on meanwhile (WAL).
func TestLockedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "parley.db")
	s := openClosed(t, p)
	seed(t, s)

	other, err := sql.Open("sqlite", p) // as another process would
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}

	for name, write := range writes(s) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		err := write(ctx)
		d := time.Since(start)
		cancel()
		t.Logf("%s while locked: %v after %v", name, err, d.Round(time.Millisecond))
		if err == nil || !strings.HasPrefix(err.Error(), "sqlite: ") {
			t.Errorf("%s while another process holds the lock = %v, want a wrapped error", name, err)
		}
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s while locked = %v, want neither ErrExists nor ErrNotFound", name, err)
		}
		if d > 3*time.Second {
			t.Errorf("%s while locked took %v; the wait should end with ctx (200ms)", name, d)
		}
	}
	checkSeed(t, s)

	if _, err := conn.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, lines(5, 5))
}
