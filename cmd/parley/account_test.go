package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	chatcore "parley/internal/chat"
	"parley/internal/password"
	"parley/internal/store"
	"parley/internal/store/sqlite"
)

// accountRun runs `parley account ARGS` in-process through run, with stdin
// (a pipe, as when piped in a shell) holding input; it returns the exit
// status and the output. No test in this package runs in parallel, so
// os.Stdin may be swapped for the call.
func accountRun(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString(input); err != nil { // small: fits the pipe's buffer
		t.Fatal(err)
	}
	w.Close()
	defer func(f *os.File) { os.Stdin = f }(os.Stdin)
	os.Stdin = r
	var out, errs bytes.Buffer
	code = run(append([]string{"account"}, args...), &out, &errs, noEnv)
	return code, out.String(), errs.String()
}

// wantAccountRun runs accountRun and checks its exit status and output
// (stderr by substring).
func wantAccountRun(t *testing.T, input string, args []string, wantCode int, wantStdout, wantStderr string) {
	t.Helper()
	code, stdout, stderr := accountRun(t, input, args...)
	if code != wantCode || stdout != wantStdout || !strings.Contains(stderr, wantStderr) {
		t.Errorf("parley account %q: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
			args, code, stdout, stderr, wantCode, wantStdout, wantStderr)
	}
}

// storedAccount reads name's account from db, as the server does at login.
func storedAccount(t *testing.T, db, name string) (store.Account, error) {
	t.Helper()
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return st.Account(context.Background(), chatcore.Fold(name))
}

// passwordWorks reports whether pw is the password of name's account in db,
// checked as the server checks the one sent at login.
func passwordWorks(t *testing.T, db, name, pw string) bool {
	t.Helper()
	a, err := storedAccount(t, db, name)
	if err != nil {
		t.Fatalf("account %s: %v", name, err)
	}
	ok, err := password.NewHasher(1).Check(context.Background(), a.Hash, chatcore.CleanPassword(pw))
	if err != nil {
		t.Fatalf("check the password of %s: %v", name, err)
	}
	return ok
}

// TestAccountCommands adds, lists, changes and deletes accounts in a file,
// and checks every refusal and its exit status.
func TestAccountCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "parley.db")
	start := time.Now().Add(-time.Second)

	// add: flags after NAME or before it; LF, CRLF or no newline at all.
	wantAccountRun(t, "open sesame\n", []string{"add", "alice", "--db", db}, 0, "added account alice\n", "")
	wantAccountRun(t, "hunter2\r\n", []string{"add", "--db", db, "Bob"}, 0, "added account Bob\n", "")
	wantAccountRun(t, "only line", []string{"add", "-db=" + db, "carol"}, 0, "added account carol\n", "")
	if code, _, stderr := accountRun(t, "s\n", "add", "--db", db, "--", "-dash-"); code != 0 {
		t.Errorf(`add -- -dash-: exit %d (%s), want 0: after "--" a name may start with '-'`, code, stderr)
	}
	if !passwordWorks(t, db, "alice", "open sesame") || passwordWorks(t, db, "alice", "open") {
		t.Error("alice's password is not the line read")
	}
	if !passwordWorks(t, db, "bob", "hunter2") {
		t.Error("Bob's password kept the CR of its CRLF")
	}
	if !passwordWorks(t, db, "carol", "only line") {
		t.Error("carol's password, given without a newline, does not work")
	}
	// Cleaned as the server cleans the password typed at login: a tab is a
	// space, and trailing white space goes (leading spaces stay).
	wantAccountRun(t, " pass\tword \t\n", []string{"add", "dave", "--db", db}, 0, "added account dave\n", "")
	if !passwordWorks(t, db, "dave", " pass word") {
		t.Error("dave's password was not cleaned as the server cleans the one at login")
	}
	// Only the first line is the password.
	wantAccountRun(t, "first\nsecond\n", []string{"add", "erin", "--db", db}, 0, "added account erin\n", "")
	if !passwordWorks(t, db, "erin", "first") {
		t.Error("erin's password is not the first line")
	}

	// add refuses a name that has an account, in any case or look-alike
	// spelling, and names the server would refuse; nothing is read or made.
	wantAccountRun(t, "x\n", []string{"add", "alice", "--db", db}, 1, "", "parley account: account alice already exists")
	wantAccountRun(t, "x\n", []string{"add", "ALICE", "--db", db}, 1, "", "account alice already exists, and ALICE is the same name")
	wantAccountRun(t, "x\n", []string{"add", "аlice", "--db", db}, 1, "", "account alice already exists") // Cyrillic а
	wantAccountRun(t, "x\n", []string{"add", "a b", "--db", db}, 1, "", `parley account: invalid name "a b": character ' ' not allowed`)
	wantAccountRun(t, "x\n", []string{"add", strings.Repeat("n", 33), "--db", db}, 1, "", "too long")
	wantAccountRun(t, "x\n", []string{"add", "\x1b[31m", "--db", db}, 1, "", `invalid name "\x1b[31m": empty`)
	if !passwordWorks(t, db, "alice", "open sesame") {
		t.Error("a refused add changed alice's password")
	}
	// An empty password, once cleaned, is refused; so is none at all, and
	// one too long to be typed at login.
	for _, input := range []string{"\n", "\r\n", " \t \n", "\x1b[1m\n", "", strings.Repeat("p", maxPassword+1) + "\n"} {
		code, stdout, stderr := accountRun(t, input, "add", "frank", "--db", db)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "parley account: ") {
			t.Errorf("add with password %q: exit %d, stdout %q, stderr %q; want exit 1 and a reason", input, code, stdout, stderr)
		}
		if strings.Contains(stderr, "ppp") {
			t.Errorf("the error shows the password: %q", stderr)
		}
		if _, err := storedAccount(t, db, "frank"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("add with password %q: made the account (%v)", input, err)
		}
	}

	// list: name and creation time, by key, as the store returns them.
	code, stdout, stderr := accountRun(t, "", "list", "--db", db)
	if code != 0 || stderr != "" {
		t.Fatalf("list: exit %d, stderr %q", code, stderr)
	}
	var names []string
	for line := range strings.Lines(stdout) {
		name, ts, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		created, err := time.Parse(time.RFC3339, ts)
		if !ok || err != nil || !strings.HasSuffix(ts, "Z") || created.Before(start.Truncate(time.Second)) || created.After(time.Now()) {
			t.Errorf("list line %q: want NAME and a time of this test in RFC 3339 UTC", line)
		}
		names = append(names, name)
	}
	if got, want := strings.Join(names, ","), "-dash-,alice,Bob,carol,dave,erin"; got != want {
		t.Errorf("list names %q, want %q", got, want)
	}

	// passwd: the new password works, the old one does not.
	wantAccountRun(t, "new one\n", []string{"passwd", "ALICE", "--db", db}, 0, "changed the password of alice\n", "")
	if passwordWorks(t, db, "alice", "open sesame") || !passwordWorks(t, db, "alice", "new one") {
		t.Error("after passwd, the old password works or the new one does not")
	}
	wantAccountRun(t, "\n", []string{"passwd", "alice", "--db", db}, 1, "", "parley account: empty password")
	if !passwordWorks(t, db, "alice", "new one") {
		t.Error("a refused passwd changed the password")
	}
	wantAccountRun(t, "x\n", []string{"passwd", "nobody", "--db", db}, 1, "", "parley account: no account named nobody")

	// del: the account and the private messages kept for it go.
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	dm := store.DM{ID: 1000, ToKey: chatcore.Fold("carol"), To: "carol", From: "alice", Text: "kept", TS: time.Now().UTC().Truncate(time.Millisecond)}
	if err := st.QueueDM(context.Background(), dm); err != nil {
		t.Fatal(err)
	}
	st.Close()
	wantAccountRun(t, "", []string{"del", "--db", db, "carol"}, 0, "deleted account carol\n", "")
	wantAccountRun(t, "", []string{"del", "carol", "--db", db}, 1, "", "parley account: no account named carol")
	wantAccountRun(t, "", []string{"passwd", "carol", "--db", db}, 1, "", "no account named carol")
	if _, err := storedAccount(t, db, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol's account after del: %v, want not found", err)
	}
	st, err = sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	dms, err := st.TakeDMs(context.Background(), chatcore.Fold("carol"))
	st.Close()
	if err != nil || len(dms) != 0 {
		t.Errorf("carol's kept messages after del: %v, %v; want none", dms, err)
	}

	// list with no accounts: nothing on stdout, a word on stderr.
	for _, name := range []string{"alice", "Bob", "-dash-", "dave", "erin"} {
		if code, _, stderr := accountRun(t, "", "del", "--db", db, "--", name); code != 0 {
			t.Fatalf("del %s: exit %d: %s", name, code, stderr)
		}
	}
	wantAccountRun(t, "", []string{"list", "--db", db}, 0, "", "parley account: no accounts in "+db)
}

// TestAccountRefusals: usage errors exit 2, and passwd, del and list never
// make a database file.
func TestAccountRefusals(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	for _, args := range [][]string{{"list", "--db", missing}, {"del", "alice", "--db", missing}, {"passwd", "alice", "--db", missing}} {
		wantAccountRun(t, "pw\n", args, 1, "", "parley account: no database at "+missing)
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q made the database file (%v)", args, err)
		}
	}
	usage := "usage: parley account add|passwd|del|list"
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, usage},
		{[]string{"-h"}, 0, usage},
		{[]string{"add", "-h"}, 0, "-db"},
		{[]string{"rename", "alice"}, 2, `parley account: unknown command "rename"`},
		{[]string{"add", "--db", missing}, 2, "parley account add: takes one NAME"},
		{[]string{"add", "alice", "bob", "--db", missing}, 2, "takes one NAME"},
		{[]string{"list", "alice", "--db", missing}, 2, "parley account list: takes no NAME"},
		{[]string{"add", "alice", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"add", "alice", "--db", ":memory:"}, 2, "parley account: an in-memory database"},
	} {
		wantAccountRun(t, "pw\n", tc.args, tc.code, "", tc.stderr)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error made the database file (%v)", err)
	}

	// PARLEY_DB names the file when --db does not.
	db := filepath.Join(dir, "env.db")
	env := func(k string) string { return map[string]string{"PARLEY_DB": db}[k] }
	var stdout, stderr bytes.Buffer
	if code := run([]string{"account", "list"}, &stdout, &stderr, env); code != 1 || !strings.Contains(stderr.String(), "no database at "+db) {
		t.Errorf("list with PARLEY_DB: exit %d, stderr %q", code, stderr.String())
	}
}

// textConn is a text-mode connection to a server, closed with the test.
type textConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialText(t *testing.T, addr string) *textConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &textConn{c: c, r: bufio.NewReader(c)}
}

// ask sends line and returns the first line from the server that starts
// with one of answers or with "error: ".
func (tc *textConn) ask(t *testing.T, line string, answers ...string) string {
	t.Helper()
	fmt.Fprintf(tc.c, "%s\n", line)
	for {
		got, err := tc.r.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for the answer to %q: %v", strings.Fields(line)[0], err)
		}
		got = strings.TrimSuffix(got, "\n")
		for _, a := range append(answers, "error: ") {
			if strings.HasPrefix(got, a) {
				return got
			}
		}
	}
}

// login logs in as name with pw over a new text-mode connection to addr,
// and returns the connection and the server's answer.
func login(t *testing.T, addr, name, pw string) (*textConn, string) {
	t.Helper()
	tc := dialText(t, addr)
	return tc, tc.ask(t, "/login "+name+" "+pw, "logged in as ")
}

// TestAccountWhileServing adds an operator's account, changes its password
// and deletes it while a server runs on the same file; each change holds
// at the next login over TCP.
func TestAccountWhileServing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	_, addr := startServeLogging(t, io.Discard, nil, "--db", db, "--rate", "0", "--operators", "alice")

	wantAccountRun(t, "correct horse\t \n", []string{"add", "alice", "--db", db}, 0, "added account alice\n", "")
	tc, got := login(t, addr, "alice", "correct horse")
	if want := "logged in as alice"; got != want {
		t.Fatalf("login after add: %q, want %q", got, want)
	}
	if got, want := tc.ask(t, "/bans", "*** "), "*** no bans"; got != want {
		t.Errorf("the operator's /bans: %q, want %q", got, want)
	}

	wantAccountRun(t, "battery staple\n", []string{"passwd", "alice", "--db", db}, 0, "changed the password of alice\n", "")
	if _, got := login(t, addr, "alice", "correct horse"); got != "error: bad password" {
		t.Errorf("login with the old password: %q, want %q", got, "error: bad password")
	}
	if _, got := login(t, addr, "Alice", "battery staple"); got != "logged in as alice" {
		t.Errorf("login with the new password: %q, want %q", got, "logged in as alice")
	}

	wantAccountRun(t, "", []string{"del", "alice", "--db", db}, 0, "deleted account alice\n", "")
	if _, got := login(t, addr, "alice", "battery staple"); got != "error: bad password" {
		t.Errorf("login after del: %q, want %q", got, "error: bad password")
	}
}

// TestAccountOnATerminal runs the real binary's `parley account add` in
// tmux (a real terminal): the password is asked for twice, with the echo
// off while it is typed, and never shows on the screen; a mismatch is
// refused; Ctrl-C at the prompt gives the terminal its echo back.
func TestAccountOnATerminal(t *testing.T) {
	tm := newTmux(t)
	db := filepath.Join(t.TempDir(), "parley.db")
	const secret = "s3cret-typed-here"

	tm.start("add", "account", "add", "alice", "--db", db)
	tm.typeSecret("add", "Password for alice:", secret)
	tm.typeSecret("add", "Password for alice, again:", secret)
	screen := tm.waitFor("add", "parley exited 0")
	if !strings.Contains(screen, "added account alice") {
		t.Errorf("no %q on the screen:\n%s", "added account alice", screen)
	}
	if strings.Contains(screen, secret) {
		t.Errorf("the password shows on the screen:\n%s", screen)
	}
	if !passwordWorks(t, db, "alice", secret) {
		t.Error("alice's password is not the one typed")
	}

	tm.start("mismatch", "account", "add", "bob", "--db", db)
	tm.typeSecret("mismatch", "Password for bob:", "one password")
	tm.typeSecret("mismatch", "Password for bob, again:", "another one")
	screen = tm.waitFor("mismatch", "parley exited 1")
	if !strings.Contains(screen, "parley account: the passwords do not match") {
		t.Errorf("no refusal of the mismatch on the screen:\n%s", screen)
	}
	if _, err := storedAccount(t, db, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob's account after a mismatch: %v, want none", err)
	}

	tm.start("interrupt", "account", "passwd", "alice", "--db", db)
	tm.waitFor("interrupt", "Password for alice:")
	tm.waitEcho("interrupt", false)
	if _, err := tm.run("send-keys", "-t", "interrupt", "C-c"); err != nil {
		t.Fatal(err)
	}
	tm.waitFor("interrupt", "parley exited 130")
	tm.waitEcho("interrupt", true)
	if !passwordWorks(t, db, "alice", secret) {
		t.Error("an interrupted passwd changed the password")
	}
}

// tmux drives a tmux server of the test's own; every pane runs this test
// binary as parley and stays open when it ends.
type tmux struct {
	t      *testing.T
	path   string
	socket string
	conf   string
}

func newTmux(t *testing.T) *tmux {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (apt-get install tmux): no terminal to test the password prompt on")
	}
	if _, err := exec.LookPath("stty"); err != nil {
		t.Skip("stty is not installed: cannot see whether the terminal echoes")
	}
	dir := t.TempDir()
	tm := &tmux{t: t, path: path, socket: fmt.Sprintf("parley-account-%d-%d", os.Getpid(), time.Now().UnixNano()),
		conf: filepath.Join(dir, "tmux.conf")}
	if err := os.WriteFile(tm.conf, []byte("set -g remain-on-exit on\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.run("kill-server") })
	return tm
}

func (tm *tmux) run(args ...string) (string, error) {
	cmd := exec.Command(tm.path, append([]string{"-L", tm.socket, "-f", tm.conf}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// start opens session running `parley ARGS`, then prints its exit status
// and waits, so that the terminal stays open. A signal from the terminal
// ends parley only: the shell traps it.
func (tm *tmux) start(session string, args ...string) {
	tm.t.Helper()
	quoted := []string{"RUN_PARLEY_MAIN=1", quoteForSh(os.Args[0])}
	for _, a := range args {
		quoted = append(quoted, quoteForSh(a))
	}
	line := "trap : INT; " + strings.Join(quoted, " ") + "; echo parley exited $?; read x"
	if _, err := tm.run("new-session", "-d", "-x", "150", "-y", "30", "-s", session, line); err != nil {
		tm.t.Fatal(err)
	}
}

// typeSecret waits for prompt, then for the echo to be off, and types pw
// and Enter.
func (tm *tmux) typeSecret(session, prompt, pw string) {
	tm.t.Helper()
	tm.waitFor(session, prompt)
	tm.waitEcho(session, false)
	if _, err := tm.run("send-keys", "-t", session, "-l", pw); err != nil {
		tm.t.Fatal(err)
	}
	if _, err := tm.run("send-keys", "-t", session, "Enter"); err != nil {
		tm.t.Fatal(err)
	}
}

// waitFor polls session's pane until it shows want, for up to 20 s, and
// returns the screen.
func (tm *tmux) waitFor(session, want string) string {
	tm.t.Helper()
	var screen string
	shown := tm.poll(func() bool {
		out, err := tm.run("capture-pane", "-p", "-S", "-", "-t", session)
		screen = out
		return err == nil && strings.Contains(out, want)
	})
	if !shown {
		tm.t.Fatalf("session %s never showed %q; its screen:\n%s", session, want, screen)
	}
	return screen
}

// waitEcho polls until the terminal of session's pane echoes, or does not.
func (tm *tmux) waitEcho(session string, on bool) {
	tm.t.Helper()
	var settings string
	if !tm.poll(func() bool { settings = tm.stty(session); return echoes(settings) == on }) {
		tm.t.Fatalf("session %s: the terminal's echo never turned %v:\n%s", session, on, settings)
	}
}

// stty returns the settings of the terminal of session's pane, stty -a's
// way. It opens the terminal by its name or, where the test sees another
// /dev/pts (a container), as the pane's shell has it open.
func (tm *tmux) stty(session string) string {
	tm.t.Helper()
	out, err := tm.run("display-message", "-p", "-t", session, "#{pane_tty} #{pane_pid}")
	if err != nil {
		tm.t.Fatal(err)
	}
	tty, pid, _ := strings.Cut(strings.TrimSpace(out), " ")
	f, err := os.OpenFile(tty, os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		var err2 error
		if f, err2 = os.OpenFile("/proc/"+pid+"/fd/0", os.O_RDONLY|syscall.O_NOCTTY, 0); err2 != nil {
			tm.t.Fatalf("open the pane's terminal: %v; %v", err, err2)
		}
	}
	defer f.Close()
	cmd := exec.Command("stty", "-a")
	cmd.Stdin = f
	settings, err := cmd.Output()
	if err != nil {
		tm.t.Fatalf("stty -a on %s: %v", tty, err)
	}
	return string(settings)
}

// echoes reports whether stty -a's settings have echo on.
func echoes(settings string) bool {
	for _, f := range strings.FieldsFunc(settings, func(r rune) bool { return r == ' ' || r == '\n' || r == ';' }) {
		switch f {
		case "echo":
			return true
		case "-echo":
			return false
		}
	}
	return false
}

// poll calls done every 20 ms until it reports true, for up to 20 s; it
// reports whether done did.
func (tm *tmux) poll(done func() bool) bool {
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// quoteForSh quotes s for sh.
func quoteForSh(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
