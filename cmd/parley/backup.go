package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"parley/internal/store/sqlite"
)

// backup copies the database to a new file while the server may be running
// on it (SQLite's VACUUM INTO: a consistent snapshot, written compactly).
func backup(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "parley.db", "the SQLite file to back up (also PARLEY_DB)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: parley backup [--db PATH] DEST\n\nCopies the database to DEST (which must not exist), safely while the server runs.")
		fs.PrintDefaults()
	}
	if v := getenv("PARLEY_DB"); v != "" {
		*db = v
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dest := fs.Arg(0)
	if *db == ":memory:" {
		fmt.Fprintln(stderr, "parley backup: an in-memory database has nothing to back up")
		return 2
	}
	if _, err := os.Stat(*db); err != nil { // never make an empty database to copy
		fmt.Fprintf(stderr, "parley backup: %v\n", err)
		return 1
	}
	st, err := sqlite.Open(*db)
	if err != nil {
		fmt.Fprintf(stderr, "parley backup: %v\n", err)
		return 1
	}
	defer st.Close()
	if err := st.Backup(context.Background(), dest); err != nil {
		fmt.Fprintf(stderr, "parley backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", *db, dest)
	return 0
}
