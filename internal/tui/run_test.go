package tui

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/client"
	"parley/internal/server"
)

// startServer starts a server on a loopback port, with no HTTP and an
// in-memory store, for the length of the test.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DB = "127.0.0.1:0", "", ":memory:"
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv
}

// syncBuffer is a bytes.Buffer that the program writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitEvent returns the first of c's events that ok accepts.
func waitEvent(t *testing.T, c *client.Client, what string, ok func(client.Event) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if ok(ev) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

// runTUI runs Run as carol, on a pipe for input and a buffer for output.
func runTUI(t *testing.T, ctx context.Context, addr string) (in *os.File, out *syncBuffer, done <-chan error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	out = &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, client.Config{Addr: addr, Name: "carol"}, r, out) }()
	return w, out, errc
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
		return nil
	}
}

func TestRunChatsThenQuits(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	bob, err := client.Dial(ctx, client.Config{Addr: srv.TCPAddr(), Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	in, out, done := runTUI(t, ctx, srv.TCPAddr())
	waitEvent(t, bob, "carol online", func(ev client.Event) bool {
		p, ok := ev.(client.Presence)
		return ok && p.Name == "carol"
	})
	in.WriteString("hello from carol\r")
	waitEvent(t, bob, "carol's line", func(ev client.Event) bool {
		m, ok := ev.(client.Message)
		return ok && m.From == "carol" && m.Text == "hello from carol"
	})
	bob.Say("hi carol")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "bob: hi carol") {
		if time.Now().After(deadline) {
			t.Fatalf("bob's line never reached the screen:\n%q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	in.WriteString("/quit\r")
	if err := waitRun(t, done); err != nil {
		t.Errorf("Run after /quit = %v, want nil", err)
	}
}

func TestRunEndsWithItsContext(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, _, done := runTUI(t, ctx, srv.TCPAddr())
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}
}

func TestRunReportsADialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, _, done := runTUI(t, context.Background(), addr)
	if err := waitRun(t, done); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Run on a closed port = %v, want a dial error naming %s", err, addr)
	}
}
