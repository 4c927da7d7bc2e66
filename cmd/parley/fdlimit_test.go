package main

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination written by one goroutine and read by the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// TestOpenFileLimit runs `parley serve` with an open-file limit of 48 and
// connects more clients than it can hold. The server neither crashes nor
// spins: it logs that accepting failed and retries with back-off, goes on
// serving the clients it has, and takes in the waiting ones once others
// leave.
func TestOpenFileLimit(t *testing.T) {
	const (
		limit   = 48
		clients = 80 // more than the limit: some wait in the listen backlog
	)
	var logs syncBuffer
	srv, addr := startServeLogging(t, &logs, []string{"RUN_PARLEY_NOFILE=48"},
		"--db", ":memory:", "--rate", "0", "--conn-rate", "0", "--max-conns", "0")

	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	var all []*client
	for range clients {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v (the backlog should take it)", err)
		}
		cl := &client{c: c, r: bufio.NewReader(c)}
		t.Cleanup(func() { c.Close() })
		all = append(all, cl)
	}
	welcomed := func(cl *client, d time.Duration) bool {
		cl.c.SetReadDeadline(time.Now().Add(d))
		line, err := cl.r.ReadString('\n')
		return err == nil && strings.HasPrefix(line, "*** welcome ")
	}
	// The first ones are served; at some point the server runs out of
	// descriptors and the rest wait.
	var in, out []*client
	for _, cl := range all {
		if len(out) == 0 && welcomed(cl, 3*time.Second) {
			in = append(in, cl)
		} else {
			out = append(out, cl)
		}
	}
	if len(in) == 0 || len(in) >= limit || len(out) == 0 {
		t.Fatalf("%d clients served, %d waiting; want some of each under a limit of %d", len(in), len(out), limit)
	}
	if n := logs.count("accept failed"); n == 0 {
		t.Errorf("no 'accept failed' record at the limit")
	}

	// A client that got in still chats.
	first := in[0]
	first.c.SetDeadline(time.Now().Add(10 * time.Second))
	first.c.Write([]byte("/join full\nstill here\n"))
	for {
		line, err := first.r.ReadString('\n')
		if err != nil {
			t.Fatalf("a served client at the limit: %v", err)
		}
		if strings.HasSuffix(line, ":still here\n") {
			break
		}
	}

	// No spin: at the limit for a second, it retries a handful of times.
	before := logs.count("accept failed")
	time.Sleep(time.Second)
	if n := logs.count("accept failed") - before; n > 10 {
		t.Errorf("%d accept failures logged in one second at the limit: spinning", n)
	}

	// Ten leave: ten of those waiting get their welcome.
	for _, cl := range in[1:11] {
		cl.c.Close()
	}
	got := 0
	for _, cl := range out {
		if welcomed(cl, 3*time.Second) {
			got++
		}
		if got == 10 {
			break
		}
	}
	if got < 10 {
		t.Errorf("%d waiting clients got in after 10 left, want 10", got)
	}
	if srv.ProcessState != nil {
		t.Fatalf("the server exited: %v", srv.ProcessState)
	}
}
