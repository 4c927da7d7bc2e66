package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/store/sqlite"
)

// TestBackupWhileServing backs up the database of a running server and
// finds in the copy what was said before.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "parley.db")
	_, addr := startServe(t, db)
	c := dialJSONLines(t, addr)
	r := bufio.NewReader(c)
	fmt.Fprintln(c, `{"op":"say","text":"keep me"}`)
	for {
		e, err := readEvent(r)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == "msg" && e.Text == "keep me" {
			break
		}
	}

	dest := filepath.Join(dir, "copy.db")
	var out, errs bytes.Buffer
	if code := run([]string{"backup", "--db", db, dest}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("parley backup: exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "backed up") {
		t.Errorf("output %q", out.String())
	}
	st, err := sqlite.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.History(context.Background(), "lobby", 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "keep me" {
		t.Errorf("the copy's history: %v, %v", msgs, err)
	}
	// A database that is not there is not made to be copied.
	if code := run([]string{"backup", "--db", filepath.Join(dir, "nope.db"), filepath.Join(dir, "x.db")}, &out, &errs, func(string) string { return "" }); code != 1 {
		t.Errorf("backup of a missing database: exit %d", code)
	}
	// A second backup to the same place is refused rather than overwriting.
	if code := run([]string{"backup", "--db", db, dest}, &out, &errs, func(string) string { return "" }); code != 1 {
		t.Errorf("backup over an existing file: exit %d", code)
	}
}
