package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// crashEnv, when set, makes TestKilled the child process: it appends to the
// database the variable names until killed.
const crashEnv = "PARLEY_SQLITE_CRASH_DB"

// TestKilled checks the store's promise that a nil return is durable: a
// child process appends batches and prints each ID it was told is stored;
// the test SIGKILLs it mid-stream, reopens the file, and finds every
// acknowledged message, whole batches only. (A kill leaves the kernel's page
// cache intact, so this tests the commit protocol and WAL recovery, not the
// fsync that synchronous=FULL adds against power loss.)
func TestKilled(t *testing.T) {
	if p := os.Getenv(crashEnv); p != "" {
		appendUntilKilled(p)
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	p := filepath.Join(t.TempDir(), "parley.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+p)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const acks = 60
	var acked int64
	sc := bufio.NewScanner(out)
	for acked < acks*10 && sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "stored "); ok {
			if acked, err = strconv.ParseInt(id, 10, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd.Process.Kill() // SIGKILL: no deferred Close, no checkpoint
	cmd.Wait()
	if acked < acks*10 {
		t.Fatalf("child acknowledged up to %d before it stopped, want %d", acked, acks*10)
	}

	s := openClosed(t, p)
	n, err := s.LastID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n < acked || n%10 != 0 {
		t.Fatalf("after SIGKILL: LastID %d, want whole batches and at least %d (acknowledged)", n, acked)
	}
	checkIDs(t, s, n)
	t.Logf("acknowledged 1..%d, found 1..%d", acked, n)
}

// appendUntilKilled appends batches of 10 messages to the database at p
// and prints the last ID of each once AppendMessages has returned nil.
func appendUntilKilled(p string) {
	s, err := Open(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for next := int64(1); ; next += 10 {
		if err := s.AppendMessages(context.Background(), lines(next, next+9)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "stored %d\n", next+9)
		w.Flush()
	}
}
