package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	chatcore "parley/internal/chat" // main has a func chat
	"parley/internal/password"
	"parley/internal/store"
	"parley/internal/store/sqlite"
)

const accountUsage = `usage: parley account add|passwd|del|list [--db PATH] [NAME]

  add NAME      make an account for NAME
  passwd NAME   give NAME's account a new password
  del NAME      delete NAME's account and the private messages kept for it
  list          print each account and when it was made (RFC 3339, UTC)

The password is read from standard input: on a terminal it is asked for
twice, without echo; otherwise it is the first line. Each command works with
the server stopped or running on the same file, and a running server sees
the change at the next login. This is the only way to make the account of a
name in parley serve --operators: nobody can register one over the wire.

Exit status: 0 when done, 1 on failure, 2 for a usage error.

Flags (before or after NAME):
`

// maxPassword is the longest password accepted, in bytes. It leaves room
// for "/login NAME " within the server's default --max-line of 4096.
const maxPassword = 1024

// account runs `parley account`: it makes, changes, deletes and lists
// accounts in the database, reading passwords from stdin.
func account(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fset := flag.NewFlagSet("account", flag.ContinueOnError)
	fset.SetOutput(stderr)
	db := fset.String("db", "parley.db", "the SQLite database `PATH` holding the accounts (also PARLEY_DB)")
	fset.Usage = func() {
		fmt.Fprint(stderr, accountUsage)
		fset.PrintDefaults()
	}
	if v := getenv("PARLEY_DB"); v != "" {
		*db = v
	}
	if len(args) == 0 {
		fset.Usage()
		return 2
	}
	verb := args[0]
	switch verb {
	case "add", "passwd", "del", "list":
	case "help", "-h", "-help", "--help":
		fset.Usage()
		return 0
	default:
		fmt.Fprintf(stderr, "parley account: unknown command %q\n\n", verb)
		fset.Usage()
		return 2
	}
	names, err := parseInterspersed(fset, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // the flag package has written the error and the usage
	}
	wantNames, takes := 1, "takes one NAME"
	if verb == "list" {
		wantNames, takes = 0, "takes no NAME"
	}
	if len(names) != wantNames {
		fmt.Fprintf(stderr, "parley account %s: %s\n\n", verb, takes)
		fset.Usage()
		return 2
	}
	if *db == sqlite.Memory {
		fmt.Fprintln(stderr, "parley account: an in-memory database would be gone when this command ends: name a file with --db")
		return 2
	}
	if err := runAccount(verb, names, *db, stdin, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "parley account: %v\n", err)
		return 1
	}
	return 0
}

// parseInterspersed parses args with fset, letting flags come before and
// after the positional arguments, which it returns; after "--" everything
// is positional (a name may start with '-').
func parseInterspersed(fset *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		rest := fset.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// runAccount opens the database and does verb. Only add may create the
// file: the others would find nothing in a new one.
func runAccount(verb string, names []string, db string, stdin io.Reader, stdout, stderr io.Writer) error {
	var name, key string
	if len(names) == 1 {
		var err error
		if name, key, err = accountName(names[0]); err != nil {
			return err
		}
	}
	if verb != "add" {
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no database at %s", db)
		} else if err != nil {
			return err
		}
	}
	st, err := sqlite.Open(db)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch verb {
	case "add":
		return addAccount(ctx, st, name, key, stdin, stdout, stderr)
	case "passwd":
		return changePassword(ctx, st, name, key, stdin, stdout, stderr)
	case "del":
		return deleteAccount(ctx, st, name, key, stdout)
	default:
		return listAccounts(ctx, st, db, stdout, stderr)
	}
}

// accountName cleans a name as the server cleans a typed one and returns
// it with its key.
func accountName(arg string) (name, key string, err error) {
	name = chatcore.Clean(arg)
	if nerr := chatcore.ValidName(name); nerr != nil {
		reason := nerr.Error()
		if nerr.Problem == chatcore.NameBadChar {
			reason = fmt.Sprintf("character %q not allowed", nerr.Char)
		}
		return "", "", fmt.Errorf("invalid name %q: %s (a name is 1 to %d letters, digits, '_', '-' or '.')", arg, reason, chatcore.MaxNameLen)
	}
	return name, chatcore.Fold(name), nil
}

func addAccount(ctx context.Context, st store.Store, name, key string, stdin io.Reader, stdout, stderr io.Writer) error {
	if a, err := st.Account(ctx, key); err == nil {
		return existsError(name, a.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash, err := newPasswordHash(ctx, name, stdin, stderr)
	if err != nil {
		return err
	}
	err = st.CreateAccount(ctx, store.Account{Key: key, Name: name, Hash: hash, Created: time.Now().UTC()})
	if errors.Is(err, store.ErrExists) { // made meanwhile
		if a, aerr := st.Account(ctx, key); aerr == nil {
			return existsError(name, a.Name)
		}
		return fmt.Errorf("account %s already exists", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added account %s\n", name)
	return nil
}

// existsError refuses name, whose key is taken by the account of taken
// (the same name in another case, or one that looks alike).
func existsError(name, taken string) error {
	if name == taken {
		return fmt.Errorf("account %s already exists", name)
	}
	return fmt.Errorf("account %s already exists, and %s is the same name to the server", taken, name)
}

func changePassword(ctx context.Context, st store.Store, name, key string, stdin io.Reader, stdout, stderr io.Writer) error {
	a, err := st.Account(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account named %s", name)
	}
	if err != nil {
		return err
	}
	hash, err := newPasswordHash(ctx, a.Name, stdin, stderr)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, key, hash); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account named %s (deleted meanwhile)", a.Name)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "changed the password of %s\n", a.Name)
	return nil
}

func deleteAccount(ctx context.Context, st store.Store, name, key string, stdout io.Writer) error {
	a, err := st.Account(ctx, key)
	if err == nil {
		err = st.DeleteAccount(ctx, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account named %s", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted account %s\n", a.Name)
	return nil
}

// listAccounts prints "NAME CREATED" per account, in the store's order
// (by key); with none, stdout stays empty and stderr says so.
func listAccounts(ctx context.Context, st store.Store, db string, stdout, stderr io.Writer) error {
	as, err := st.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		fmt.Fprintf(stderr, "parley account: no accounts in %s\n", db)
		return nil
	}
	w := bufio.NewWriter(stdout)
	for _, a := range as {
		fmt.Fprintf(w, "%s %s\n", a.Name, a.Created.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}

// newPasswordHash reads a password for name and hashes it as the server
// does at /register.
func newPasswordHash(ctx context.Context, name string, stdin io.Reader, stderr io.Writer) (string, error) {
	pw, err := readPassword(name, stdin, stderr)
	if err != nil {
		return "", err
	}
	// Cleaned as the server cleans the one typed at /login, so that what
	// is set here is what logs in.
	pw = chatcore.CleanPassword(pw)
	if pw == "" {
		return "", errors.New("empty password")
	}
	if len(pw) > maxPassword {
		return "", fmt.Errorf("password longer than %d bytes", maxPassword)
	}
	return password.NewHasher(1).Hash(ctx, pw)
}

// readPassword asks for the password twice without echo when stdin is a
// terminal, and otherwise reads stdin's first line.
func readPassword(name string, stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return readTerminalPassword(int(f.Fd()), name, stderr)
	}
	return readPasswordLine(stdin)
}

// readPasswordLine reads one line, without its LF or CRLF; a last line
// without LF counts. It reads no further than maxPassword+2 bytes.
func readPasswordLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, maxPassword+2)
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("password longer than %d bytes", maxPassword)
	case errors.Is(err, io.EOF) && len(line) == 0:
		return "", errors.New("no password on standard input")
	case err != nil && !errors.Is(err, io.EOF):
		return "", fmt.Errorf("read password: %w", err)
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return string(line[:n]), nil
}

// readTerminalPassword prompts on stderr and reads the password from the
// terminal fd twice, without echo, refusing a mismatch. A signal while it
// reads gives the terminal back its echo before the process ends.
func readTerminalPassword(fd int, name string, stderr io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case sig := <-sigs:
			term.Restore(fd, state)
			fmt.Fprintln(stderr)
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()

	pw, err := promptNoEcho(fd, stderr, fmt.Sprintf("Password for %s: ", name))
	if err != nil {
		return "", err
	}
	again, err := promptNoEcho(fd, stderr, fmt.Sprintf("Password for %s, again: ", name))
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the passwords do not match; nothing changed")
	}
	return pw, nil
}

func promptNoEcho(fd int, stderr io.Writer, prompt string) (string, error) {
	fmt.Fprint(stderr, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr) // the Enter was not echoed either
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}
