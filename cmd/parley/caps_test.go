package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMaxConnsAtScale runs `parley serve` with its default --max-conns,
// 10,000 (the real binary: the test process could not hold both ends of
// that many connections under the open-file limit), fills it, and checks
// that the next connection gets the cap's one line and is closed, that
// the clients in are served, and that one leaving lets one more in.
func TestMaxConnsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: opens 10,000 connections")
	}
	const n = 10000 // PROTOCOL.md's default for --max-conns
	_, addr := startServeLogging(t, io.Discard, nil,
		"--db", ":memory:", "--rate", "0", "--conn-rate", "0", "--idle-timeout", "0")

	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	// in connects client i and moves it to a room of its own, so that no
	// client hears thousands of others come online.
	in := func(i int) (*client, error) {
		c, err := net.DialTimeout("tcp", addr, 30*time.Second)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		room := fmt.Sprintf("r%d", i)
		fmt.Fprintf(c, "/join %s\n", room)
		cl := &client{c: c, r: bufio.NewReaderSize(c, 512)}
		for {
			line, err := cl.r.ReadString('\n')
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("client %d: %w", i, err)
			}
			if line == "joined ["+room+"]\n" {
				return cl, nil
			}
		}
	}
	clients := make([]*client, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				cl, err := in(i)
				if err != nil {
					errs <- err
					return
				}
				clients[i] = cl
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, cl := range clients {
			if cl != nil {
				cl.c.Close()
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatalf("filling the cap: %v", err)
	}

	refused := func() string {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("over the cap: %v, want the line and EOF", err)
		}
		return string(b)
	}
	if got := refused(); got != "error: too many connections (max 10000)\n" {
		t.Fatalf("over the cap: %q", got)
	}

	// The last one in is served.
	last := clients[n-1]
	fmt.Fprintf(last.c, "still here\n")
	if line, err := last.r.ReadString('\n'); err != nil || !strings.HasSuffix(line, ":still here\n") {
		t.Fatalf("a client at the cap: %q, %v", line, err)
	}

	// One leaves: one more gets in, once the server has seen it go.
	first := clients[0]
	fmt.Fprintf(first.c, "/quit\n")
	if rest, err := io.ReadAll(first.r); err != nil || !strings.HasSuffix(string(rest), "bye\n") {
		t.Fatalf("quitting: %q, %v", rest, err)
	}
	first.c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cl, err := in(n)
		if err == nil {
			cl.c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place after one left: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // poll until the server has released the place
	}
}
