// Package sqlite is Parley's default store: one SQLite file (parley.db by
// default) through modernc.org/sqlite, a pure-Go driver, so the binary needs
// no cgo. It keeps the store.Store contract, and passes store/storetest.
//
// # Durability
//
// A file store runs in WAL mode with synchronous=FULL: every commit fsyncs
// the write-ahead log before it returns, so a method that returned nil has
// its change on disk and it survives not only the process being killed
// (which synchronous=NORMAL would also survive, the data being in the
// kernel's page cache) but a kernel crash or power cut too, which NORMAL
// would not: under NORMAL the last commits before a power cut can roll back.
// The store promises more than "the process died"; Parley tells clients a
// line is stored only once it is, and each transaction carries a whole
// batch (the hub's group commit), so the fsync is paid once per batch, not
// per message. See BenchmarkAppendMessages for what that costs.
//
// # Connections
//
// SQLite lets one connection write at a time. All writes go through a pool
// of exactly one connection, so they queue in Go rather than fail with
// SQLITE_BUSY, and every write transaction begins IMMEDIATE (takes the write
// lock at BEGIN, so it never has to upgrade a read lock mid-way). Reads go
// through a second, read-only pool (PRAGMA query_only), which WAL lets run
// beside the writer: History does not wait for a commit's fsync. Each read
// is one statement, so it sees one consistent snapshot.
//
// ":memory:" keeps nothing on disk. Every connection to ":memory:" opens a
// database of its own, so that store uses one connection for reads and
// writes alike (never closed while the store is open). A shared-cache URI
// would let several connections see one database, but shared cache is a
// mode SQLite's own documentation discourages, with table-level locks
// (SQLITE_LOCKED, which busy_timeout does not cover) and a process-wide name
// two stores could clash on; a test store is not worth that.
//
// # Schema
//
// The schema is versioned migrations embedded in the binary (migrate.go,
// migrations/), applied by Open. Times are Unix milliseconds. LastID must
// count DMs that were taken, so the transaction that deletes DMs first
// raises a one-row high-water mark (id_high_water) to their highest ID;
// LastID is the largest of it and the IDs still stored. The group commit
// stays a plain insert.
//
// busy_timeout (5 s) lets another process share the file: a backup, or the
// `parley account` command writing while the server runs. A lock held
// longer than that gives "database is locked".
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/internal/store"
)

var _ store.Store = (*Store)(nil)

// Memory is the path of a store that keeps nothing on disk.
const Memory = ":memory:"

// readers is how many connections the read pool keeps at most.
const readers = 4

// Pragmas every connection runs (the driver applies busy_timeout first).
// Those of the writer make the file WAL and each commit durable; the
// readers' refuse to write, so a read path can never change the database.
const (
	commonPragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	writerPragmas = commonPragmas + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	readerPragmas = commonPragmas + "&_pragma=query_only(1)"
	memoryPragmas = commonPragmas + "&_txlock=immediate"
)

// Store is a store.Store on one SQLite database. Its methods are safe for
// concurrent use.
type Store struct {
	// Static after Open.
	uri string  // the file's SQLite URI, without parameters; "" for Memory
	w   *sql.DB // the one writer connection; every write goes here
	r   *sql.DB // read-only connections; the same as w for Memory

	// Prepared once: SQLite spends longer parsing these than running them.
	insMsg  *sql.Stmt // on w, for every group commit
	history *sql.Stmt // on r, for every room that comes to life
}

// Open opens the SQLite database at path, creating it if it does not exist,
// and brings its schema up to date. path may not be ""; Memory opens a
// database that lives and dies with the store. Open fails if the database
// cannot be written, or has a schema newer than this binary knows.
func Open(path string) (*Store, error) {
	return open(path, "")
}

// open is Open with extra SQLite URI parameters for a file, such as
// "mode=ro" (for tests).
func open(path, extra string) (*Store, error) {
	if path == "" {
		return nil, errors.New(`sqlite: open: empty path (use ":memory:" for a store that keeps nothing)`)
	}
	s := &Store{}
	var err error
	if path == Memory {
		err = s.openMemory()
	} else {
		err = s.openFile(path, extra)
	}
	if err == nil {
		err = s.setUp(context.Background())
	}
	if err == nil {
		s.insMsg, err = s.w.Prepare(`INSERT INTO messages
			(id, room, room_name, sender, addr, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	}
	if err == nil {
		s.history, err = s.r.Prepare(`SELECT id, room_name, sender, addr, text, ts
			FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`)
	}
	if err != nil {
		s.Close()
		if code(err)&0xff == sqlite3.SQLITE_READONLY {
			err = fmt.Errorf("database is not writable: %w", err)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// openMemory opens the one connection of a Memory store.
func (s *Store) openMemory() error {
	db, err := sql.Open("sqlite", Memory+"?"+memoryPragmas)
	if err != nil {
		return err
	}
	keepOneConnection(db)
	s.w, s.r = db, db
	return nil
}

// openFile opens the writer and reader pools on the file at path.
func (s *Store) openFile(path, extra string) error {
	uri, err := fileURI(path)
	if err != nil {
		return err
	}
	s.uri = uri
	if extra != "" {
		extra = "&" + extra
	}
	if s.w, err = sql.Open("sqlite", uri+"?"+writerPragmas+extra); err != nil {
		return err
	}
	keepOneConnection(s.w)
	if s.r, err = sql.Open("sqlite", uri+"?"+readerPragmas+extra); err != nil {
		return err
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	return nil
}

// keepOneConnection makes db a pool of one connection, kept open for as
// long as db is: the writer, or the Memory database itself.
func keepOneConnection(db *sql.DB) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

// setUp connects (sql.Open only checks the name), brings the schema up to
// date and checks that the database is one the store can work with.
func (s *Store) setUp(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	if err := checkWritable(ctx, s.w); err != nil {
		return err
	}
	if s.uri == "" {
		return nil
	}
	return checkWAL(ctx, s.w)
}

// fileURI returns the SQLite URI of the file at path, as an absolute path
// with the characters a URI reserves ('?', '#', '%') escaped.
func fileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x → /C:/x, as SQLite wants on Windows
	}
	u := url.URL{Scheme: "file", Path: p}
	return u.String(), nil
}

// checkWritable fails if the database cannot be written (a read-only file
// or file system), so that a server that could not keep what it is told
// refuses to start instead of failing every message. The probe changes
// nothing: an update to the same value, rolled back.
func checkWritable(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `UPDATE id_high_water SET id = id`)
	return err
}

// checkWAL fails if the file is not in WAL mode, which SQLite can decline
// (on some network file systems) without an error; readers beside the
// writer need it.
func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %s, want wal (is the file on a network file system?)", mode)
	}
	return nil
}

// Close closes the database. A file store's write-ahead log is folded back
// into the file when the last connection closes.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.insMsg, s.history} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to dest, which must not
// exist yet, while the store stays in use: writes go on during the copy (a
// file store copies a snapshot on a connection of its own) and are not in
// it. The copy is compacted, and synced to disk before Backup returns. Open
// it like any other parley.db.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if dest == "" {
		return errors.New("sqlite: backup: empty destination")
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", dest)
	}
	db := s.w // Memory: the one connection is the database
	if s.uri != "" {
		// VACUUM INTO only reads this database, but the readers'
		// query_only refuses it, and on the writer it would hold up every
		// write for the length of the copy.
		var err error
		if db, err = sql.Open("sqlite", s.uri+"?"+commonPragmas); err != nil {
			return fmt.Errorf("sqlite: backup: %w", err)
		}
		defer db.Close()
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return wrap("backup", err)
	}
	if err := syncFile(dest); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// syncFile fsyncs the file at name and the directory holding it, so that a
// new file is on disk.
func syncFile(name string) error {
	for _, p := range []string{name, filepath.Dir(name)} {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil && p == name {
			return err
		}
		// Some systems cannot fsync a directory; the file itself is synced.
	}
	return nil
}

// wrap gives err the context op ("append messages") and maps SQLite's
// constraint errors to the store's sentinels.
// A nil err stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if isDuplicate(err) {
		err = store.ErrExists
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isDuplicate reports whether err is SQLite refusing a second row with the
// same primary key or unique value.
func isDuplicate(err error) bool {
	switch code(err) {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return true
	}
	return false
}

// code returns the SQLite result code of err (extended, where SQLite gave
// one), or 0 if err is not SQLite's.
func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}
