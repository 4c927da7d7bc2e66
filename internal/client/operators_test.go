package client_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/client"
	"parley/internal/password"
	"parley/internal/server"
	"parley/internal/store"
	"parley/internal/store/sqlite"
)

// The operator of these tests, as --operators names it, and its password.
const (
	opName = "root"
	opPW   = "root pw"
)

// opServer serves db with root as its operator. The accounts of root and
// of those in accounts (name → password) are made on the store first, as
// parley account add makes them.
func opServer(t *testing.T, db string, accounts map[string]string, mod func(*server.Config)) *server.Server {
	t.Helper()
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	h := password.NewHasher(2)
	all := map[string]string{opName: opPW}
	for name, pw := range accounts {
		all[name] = pw
	}
	for name, pw := range all {
		hash, err := h.Hash(t.Context(), pw)
		if err == nil {
			err = st.CreateAccount(t.Context(), store.Account{Key: chat.Fold(name), Name: name, Hash: hash, Created: time.Now()})
		}
		if err != nil {
			t.Fatalf("account %s: %v", name, err)
		}
	}
	return serve(t, func(c *server.Config) {
		c.Store = st
		c.Operators = []string{opName}
		if mod != nil {
			mod(c)
		}
	})
}

// operator connects as root, in a room of its own.
func operator(t *testing.T, s *server.Server) *client.Client {
	t.Helper()
	return dial(t, client.Config{Addr: s.TCPAddr(), Name: opName, Password: opPW, Room: "ops"})
}

// TestOperatorCommands: each command does what it says, and its reply,
// an ok naming the target, leaves the operator's own name alone.
func TestOperatorCommands(t *testing.T) {
	s := opServer(t, filepath.Join(t.TempDir(), "parley.db"), map[string]string{"dave": "dave pw"}, nil)
	root := operator(t, s)
	carol := dial(t, client.Config{Addr: s.TCPAddr(), Name: "carol"})

	if err := root.Mute(ctx(t), "CAROL", time.Hour); err != nil {
		t.Fatal(err)
	}
	carol.Say("can you hear me")
	if e := next[client.ServerError](t, carol, nil); e.Code != "unauthorized" || !strings.HasPrefix(e.Message, "muted until 20") {
		t.Errorf("a muted line: %+v, want unauthorized, muted until TIME", e)
	}
	if err := root.Unmute(ctx(t), "carol"); err != nil {
		t.Fatal(err)
	}
	carol.Say("back")
	next(t, carol, func(m client.Message) bool { return m.Text == "back" })
	if err := root.Unmute(ctx(t), "carol"); !isError(err, "bad_request", "not muted: carol") {
		t.Errorf("Unmute again: %v", err)
	}
	if err := root.Mute(ctx(t), "carol", -time.Second); err == nil {
		t.Error("Mute for a negative duration: no error")
	}

	if err := root.Ban(ctx(t), "Dave", 90*time.Minute, "spam"); err != nil { // registered, away
		t.Fatal(err)
	}
	if err := root.Ban(ctx(t), "10.1.2.3", 0, ""); err != nil {
		t.Fatal(err)
	}
	bans, err := root.Bans(ctx(t))
	if err != nil || len(bans) != 2 {
		t.Fatalf("Bans: %+v, %v", bans, err)
	}
	if b := bans[0]; b.Target != "10.1.2.3" || !b.Until.IsZero() || b.Reason != "" {
		t.Errorf("the ban until lifted: %+v", b)
	}
	if b := bans[1]; b.Target != "dave" || b.Reason != "spam" || b.Until.Location() != time.UTC ||
		time.Until(b.Until) < 89*time.Minute || time.Until(b.Until) > 91*time.Minute {
		t.Errorf("the ban for 90m: %+v", b)
	}
	if err := root.Unban(ctx(t), "DAVE"); err != nil {
		t.Fatal(err)
	}
	if err := root.Unban(ctx(t), "dave"); !isError(err, "bad_request", "not banned: dave") {
		t.Errorf("Unban again: %v", err)
	}
	if bans, err := root.Bans(ctx(t)); err != nil || len(bans) != 1 {
		t.Errorf("Bans after Unban: %+v, %v", bans, err)
	}

	if err := root.Kick(ctx(t), "nobody", ""); !isCode(err, "no_such_user") {
		t.Errorf("Kick nobody: %v", err)
	}
	if err := root.Mute(ctx(t), "no good", 0); !isCode(err, "invalid_name") {
		t.Errorf("Mute an invalid name: %v", err)
	}
	if err := root.Kick(ctx(t), "carol", "enough"); err != nil {
		t.Fatal(err)
	}
	if bye := next[client.Bye](t, carol, nil); bye.Reason != "kicked" || bye.Message != "kicked by root: enough" {
		t.Errorf("carol's bye: %+v", bye)
	}
	if root.Name() != opName || root.Room() != "ops" {
		t.Errorf("after the operator's commands: %s in %s, want root in ops", root.Name(), root.Room())
	}
}

// TestOperatorCommandsUnauthorized: a client that is no operator is told
// so, for each command.
func TestOperatorCommandsUnauthorized(t *testing.T) {
	s := opServer(t, filepath.Join(t.TempDir(), "parley.db"), nil, nil)
	operator(t, s)
	bob := dial(t, client.Config{Addr: s.TCPAddr(), Name: "bob"})
	calls := map[string]func() error{
		"Kick":   func() error { return bob.Kick(ctx(t), opName, "") },
		"Ban":    func() error { return bob.Ban(ctx(t), "10.1.2.3", time.Hour, "x") },
		"Unban":  func() error { return bob.Unban(ctx(t), "10.1.2.3") },
		"Mute":   func() error { return bob.Mute(ctx(t), "bob", 0) },
		"Unmute": func() error { return bob.Unmute(ctx(t), "bob") },
		"Bans":   func() error { _, err := bob.Bans(ctx(t)); return err },
	}
	for name, call := range calls {
		if err := call(); !isCode(err, "unauthorized") {
			t.Errorf("%s by a non-operator: %v, want unauthorized", name, err)
		}
	}
	if bob.Name() != "bob" {
		t.Errorf("after the refusals: name %q, want bob", bob.Name())
	}
}

// TestKickedDoesNotReconnect: a kicked client says goodbye, says it is
// disconnected for good, and ends, Reconnect or not.
func TestKickedDoesNotReconnect(t *testing.T) {
	s := opServer(t, filepath.Join(t.TempDir(), "parley.db"), nil, nil)
	root := operator(t, s)
	bob := dial(t, client.Config{Addr: s.TCPAddr(), Name: "bob", Reconnect: true, DialTimeout: time.Second})
	if err := root.Kick(ctx(t), "bob", ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev := range bob.Events() { // ends when the client does
		switch ev := ev.(type) {
		case client.Bye:
			got = append(got, "bye "+ev.Reason+": "+ev.Message)
		case client.Disconnected:
			got = append(got, fmt.Sprint("disconnected, reconnecting ", ev.Reconnecting))
		case client.Reconnected:
			got = append(got, "reconnected")
		}
	}
	if want := "[bye kicked: kicked by root disconnected, reconnecting false]"; fmt.Sprint(got) != want {
		t.Errorf("the kicked client's events: %q, want %s", got, want)
	}
	if bob.Connected() {
		t.Error("the kicked client is connected")
	}
	if users, err := root.Who(ctx(t)); err != nil || len(users) != 1 {
		t.Errorf("Who after the kick: %v, %v; want root alone", users, err)
	}
}

// isError reports whether err is the server's error code with message.
func isError(err error, code, message string) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code == code && e.Message == message
}

// TestDialBanned: a banned address is refused at Dial, with the server's
// reason, Reconnect or not.
func TestDialBanned(t *testing.T) {
	s := opServer(t, filepath.Join(t.TempDir(), "parley.db"), nil, nil)
	root := operator(t, s) // operators are spared by a ban on their address
	if err := root.Ban(ctx(t), "127.0.0.1", 0, "spam"); err != nil {
		t.Fatal(err)
	}
	_, err := client.Dial(ctx(t), client.Config{Addr: s.TCPAddr(), Name: "bob", Reconnect: true})
	var refused *client.RefusedError
	if !errors.As(err, &refused) || refused.Message != "banned until forever: spam" {
		t.Fatalf("Dial from a banned address: %v, want refused: banned until forever: spam", err)
	}
	if got := err.Error(); got != "client: refused by the server: banned until forever: spam" {
		t.Errorf("error %q", got)
	}
}

// TestReconnectBanned: a client whose address was banned while it was
// away says why once, and does not hammer the server with reconnects.
func TestReconnectBanned(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	s := opServer(t, db, nil, nil)
	addr := s.TCPAddr()
	a := dial(t, client.Config{Addr: addr, Name: "ann", Reconnect: true, DialTimeout: time.Second})
	// Another server on the same store bans the address; the one ann is on
	// does not know, until it is restarted.
	opsOnly := func(c *server.Config) { c.DB = db; c.Operators = []string{opName} }
	s2 := serve(t, opsOnly)
	if err := operator(t, s2).Ban(ctx(t), "127.0.0.1", 0, "spam"); err != nil {
		t.Fatal(err)
	}
	s2.Shutdown(t.Context())
	s.Shutdown(t.Context())
	if d := next[client.Disconnected](t, a, nil); !d.Reconnecting {
		t.Errorf("%+v: not reconnecting after a shutdown", d)
	}
	s3 := serve(t, func(c *server.Config) { opsOnly(c); c.Listen = addr })
	e := next[client.ServerError](t, a, nil)
	if e.Code != "refused" || e.Message != "banned until forever: spam" {
		t.Errorf("server error %+v, want refused: banned until forever: spam", e)
	}
	time.Sleep(time.Second)
	if n := s3.Hub().Metrics.Rejected[chat.RejectBanned].Load(); n != 1 {
		t.Errorf("the banned client tried %d times in a second, want once", n)
	}
	if a.Connected() {
		t.Error("the banned client is connected")
	}
}
