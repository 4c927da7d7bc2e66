package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"parley/internal/client"
	"parley/internal/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTime = 10 * time.Second

// serve runs a server on loopback for the test.
func serve(t testing.TB, mod func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DB, cfg.Rate, cfg.IdleTimeout = "127.0.0.1:0", "", ":memory:", 0, 0
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	if mod != nil {
		mod(&cfg)
	}
	s, err := server.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func dial(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next returns the next event that match accepts, skipping the others.
func next[E client.Event](t *testing.T, c *client.Client, match func(E) bool) E {
	t.Helper()
	deadline := time.After(waitTime)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed while waiting for a %T", *new(E))
			}
			if e, ok := ev.(E); ok && (match == nil || match(e)) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %T in time", *new(E))
		}
	}
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	t.Cleanup(cancel)
	return ctx
}

func TestEveryOp(t *testing.T) {
	s := serve(t, nil)
	a := dial(t, client.Config{Addr: s.TCPAddr(), Name: "alice", Room: "den"})
	if a.Name() != "alice" || a.Room() != "den" {
		t.Fatalf("after Dial: %s in %s", a.Name(), a.Room())
	}
	b := dial(t, client.Config{Addr: s.TCPAddr(), Name: "bob", Room: "den"})

	if err := a.Say("hello den"); err != nil {
		t.Fatal(err)
	}
	m := next(t, b, func(m client.Message) bool { return m.Text == "hello den" })
	if m.From != "alice" || m.Room != "den" || m.ID == 0 || m.TS.IsZero() {
		t.Errorf("message: %+v", m)
	}
	dm, err := a.DM(ctx(t), "BOB", "psst")
	if err != nil || dm.To != "bob" || dm.From != "alice" {
		t.Errorf("DM: %+v, %v", dm, err)
	}
	if got := next[client.DirectMessage](t, b, nil); got.Text != "psst" || got.From != "alice" {
		t.Errorf("DM received: %+v", got)
	}
	if _, err := a.DM(ctx(t), "nobody", "x"); !isCode(err, "no_such_user") {
		t.Errorf("DM to nobody: %v", err)
	}
	users, err := a.Who(ctx(t))
	if err != nil || fmt.Sprint(users) != "[{alice den} {bob den}]" {
		t.Errorf("Who: %v, %v", users, err)
	}
	rooms, err := a.Rooms(ctx(t))
	if err != nil || fmt.Sprint(rooms) != "[{den 2}]" {
		t.Errorf("Rooms: %v, %v", rooms, err)
	}
	if rtt, err := a.Ping(ctx(t)); err != nil || rtt <= 0 || a.RTT() != rtt {
		t.Errorf("Ping: %v, %v", rtt, err)
	}
	hist, err := a.History(ctx(t), "", 10, 0)
	if err != nil || len(hist) != 1 || hist[0].ID != m.ID {
		t.Errorf("History: %v, %v", hist, err)
	}
	if err := a.Nick(ctx(t), "Bob"); !isCode(err, "name_taken") {
		t.Errorf("Nick to a taken name: %v", err)
	}
	if err := a.Register(ctx(t), "secret"); err != nil {
		t.Fatal(err)
	}
	// Logging in to alice's account elsewhere takes her name.
	c := dial(t, client.Config{Addr: s.TCPAddr()})
	if err := c.Login(ctx(t), "alice", "wrong"); !isCode(err, "bad_password") {
		t.Errorf("Login with a wrong password: %v", err)
	}
	if err := c.Login(ctx(t), "alice", "secret"); err != nil || c.Name() != "alice" {
		t.Fatalf("Login: %v (name %s)", err, c.Name())
	}
	r := next[client.Renamed](t, a, nil)
	if r.New == "alice" || a.Name() != r.New {
		t.Errorf("alice's old connection: renamed to %q, Name() %q", r.New, a.Name())
	}
}

func isCode(err error, code string) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code == code
}

// TestRefsUnderConcurrency: many requests at once each get their own reply.
func TestRefsUnderConcurrency(t *testing.T) {
	s := serve(t, nil)
	a := dial(t, client.Config{Addr: s.TCPAddr(), Name: "ann"})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				if u, err := a.Who(ctx(t)); err != nil || len(u) != 1 || u[0].Name != "ann" {
					t.Errorf("Who: %v, %v", u, err)
				}
			case 1:
				if r, err := a.Rooms(ctx(t)); err != nil || len(r) != 1 || r[0].Name != "lobby" {
					t.Errorf("Rooms: %v, %v", r, err)
				}
			default:
				if _, err := a.DM(ctx(t), "ann", fmt.Sprint("note ", i)); err != nil {
					t.Errorf("DM: %v", err)
				}
			}
		}()
	}
	wg.Wait()
}

// TestKeepAlive: a client pinging stays past the idle timeout that kicks a
// client that does not.
func TestKeepAlive(t *testing.T) {
	s := serve(t, func(c *server.Config) { c.IdleTimeout = 500 * time.Millisecond })
	alive := dial(t, client.Config{Addr: s.TCPAddr(), KeepAlive: 100 * time.Millisecond})
	quiet := dial(t, client.Config{Addr: s.TCPAddr(), KeepAlive: -1})
	if bye := next[client.Bye](t, quiet, nil); bye.Reason != "idle" {
		t.Fatalf("quiet client: bye %+v", bye)
	}
	if _, err := alive.Who(ctx(t)); err != nil || !alive.Connected() {
		t.Errorf("the pinging client was dropped: %v", err)
	}
}

// TestReconnect: after the server restarts, a client with Reconnect comes
// back under its name, in its room, and delivers what it missed, once.
func TestReconnect(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	s := serve(t, func(c *server.Config) { c.DB = db })
	addr := s.TCPAddr()
	a := dial(t, client.Config{Addr: addr, Name: "ann", Room: "den", Reconnect: true, DialTimeout: time.Second})
	b := dial(t, client.Config{Addr: addr, Name: "bea", Room: "den"})
	b.Say("before")
	next(t, a, func(m client.Message) bool { return m.Text == "before" })

	s.Shutdown(context.Background())
	next[client.Disconnected](t, a, nil)
	s2 := serve(t, func(c *server.Config) { c.DB = db; c.Listen = addr })
	b2 := dial(t, client.Config{Addr: s2.TCPAddr(), Name: "bea", Room: "den"})
	b2.Say("while away 1")
	b2.Say("while away 2")
	// The lines missed come first, then Reconnected, then live ones.
	var got []string
	for back := false; !back; {
		switch ev := next[client.Event](t, a, nil).(type) {
		case client.Message:
			got = append(got, ev.Text)
		case client.Reconnected:
			back = true
		}
	}
	b2.Say("after")
	for len(got) < 3 {
		got = append(got, next[client.Message](t, a, nil).Text)
	}
	if fmt.Sprint(got) != "[while away 1 while away 2 after]" {
		t.Errorf("after reconnecting: %q", got)
	}
	if a.Name() != "ann" || a.Room() != "den" {
		t.Errorf("after reconnecting: %s in %s", a.Name(), a.Room())
	}
}

// TestReconnectAfterLogin: a client that logged in at run time logs in
// again when it reconnects (a registered name cannot be taken back with
// nick).
func TestReconnectAfterLogin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	s := serve(t, func(c *server.Config) { c.DB = db })
	addr := s.TCPAddr()
	r := dial(t, client.Config{Addr: addr, Name: "ann"})
	if err := r.Register(ctx(t), "pw"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	a := dial(t, client.Config{Addr: addr, Reconnect: true, DialTimeout: time.Second})
	if err := a.Login(ctx(t), "ann", "pw"); err != nil {
		t.Fatal(err)
	}
	s.Shutdown(context.Background())
	serve(t, func(c *server.Config) { c.DB = db; c.Listen = addr })
	next[client.Reconnected](t, a, nil)
	if a.Name() != "ann" {
		t.Errorf("after reconnecting: name %q, want ann", a.Name())
	}
}

// TestDialRefusedBeforeWelcome: a server that closes the connection before
// its welcome makes Dial fail, Reconnect or not, and leaves nothing running.
func TestDialRefusedBeforeWelcome(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // the refusing server: ends when ln is closed
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, err = client.Dial(ctx(t), client.Config{Addr: ln.Addr().String(), Reconnect: true})
	if err == nil {
		t.Fatal("Dial succeeded")
	}
}

// TestReconnectNameTaken: if the client's name was taken while it was away,
// it comes back under its default name and says so, instead of trying
// forever.
func TestReconnectNameTaken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	s := serve(t, func(c *server.Config) { c.DB = db })
	addr := s.TCPAddr()
	a := dial(t, client.Config{Addr: addr, Name: "ann", Reconnect: true, DialTimeout: time.Second})
	s.Shutdown(context.Background())
	next[client.Disconnected](t, a, nil)
	serve(t, func(c *server.Config) { c.DB = db; c.Listen = addr })
	dial(t, client.Config{Addr: addr, Name: "ANN"}) // takes the name first
	e := next[client.ServerError](t, a, nil)
	if e.Code != "name_taken" {
		t.Errorf("server error %+v, want name_taken", e)
	}
	next[client.Reconnected](t, a, nil)
	if a.Name() == "ann" || a.Name() == "" {
		t.Errorf("after reconnecting: name %q, want the default name", a.Name())
	}
}
