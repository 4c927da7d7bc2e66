package server

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSlowConsumer: one client never reads. 50 others in its room chat as
// fast as the server takes their lines (each sends its next line when its
// last one comes back): they get every line, in each sender's order, and
// nobody but the non-reader is cut off. Then private messages pile up for
// the non-reader until its queue overflows, and it is disconnected.
func TestSlowConsumer(t *testing.T) {
	const (
		chatters = 50
		lines    = 40
	)
	s := start(t, func(c *Config) { c.Queue = 256; c.WriteTimeout = time.Second })

	stuck, err := net.Dial("tcp", s.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.(*net.TCPConn).SetReadBuffer(1024) // and never read
	stuckName := stuck.LocalAddr().String()

	actors := dialActors(t, s, chatters)
	if t.Failed() {
		return
	}
	parallel(t, chatters, func(i int) error {
		a := actors[i]
		next := make([]int, chatters) // the next line expected from each sender
		check := func(m map[string]any) error {
			var from, seq int
			fmt.Sscanf(m["text"].(string), "%d %d", &from, &seq)
			if seq != next[from] {
				return fmt.Errorf("from %d: got line %d, want %d", from, seq, next[from])
			}
			next[from]++
			return nil
		}
		for j := range lines {
			if err := a.send(fmt.Sprintf(`{"op":"say","text":"%d %d"}`, i, j)); err != nil {
				return err
			}
			for next[i] <= j { // until our own line is back
				m, err := a.waitFor(func(m map[string]any) bool { return m["type"] == "msg" })
				if err != nil {
					return err
				}
				if err := check(m); err != nil {
					return err
				}
			}
		}
		for got := sum(next); got < chatters*lines; got++ {
			m, err := a.waitFor(func(m map[string]any) bool { return m["type"] == "msg" })
			if err != nil {
				return fmt.Errorf("after %d lines: %v", got, err)
			}
			if err := check(m); err != nil {
				return err
			}
		}
		return nil
	})
	if got := s.Hub().Metrics.SlowConsumers.Load(); got != 0 {
		t.Fatalf("%d slow consumers while the room chatted, want none yet", got)
	}

	// Fill the non-reader's socket buffers and then its queue.
	big := strings.Repeat("x", 4000)
	blaster := actors[0]
	deadline := time.Now().Add(4 * waitTime)
	for i := 0; s.Hub().Metrics.SlowConsumers.Load() == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("non-reader still connected after %d private messages", i)
		}
		ref := fmt.Sprintf("dm%d", i)
		blaster.send(fmt.Sprintf(`{"op":"dm","to":%q,"text":%q,"id":%q}`, stuckName, big, ref))
		if _, err := blaster.waitFor(isRef(ref)); err != nil {
			t.Fatal(err)
		}
	}

	// The non-reader was cut off: the room hears it go offline.
	if _, err := blaster.waitFor(func(m map[string]any) bool {
		return m["type"] == "presence" && m["event"] == "offline" && m["name"] == stuckName
	}); err != nil {
		t.Errorf("no offline line for the non-reader: %v", err)
	}
	if got := s.Hub().Metrics.SlowConsumers.Load(); got != 1 {
		t.Errorf("%d slow consumers, want 1", got)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestBurstCutsNoReader: one client writes thousands of lines in one go
// (no flood control) into a room of clients that read as fast as they can.
// The server fans the burst out no faster than the room reads it: every
// reader gets every line, in order, and nobody is cut off as a slow
// consumer, although the burst is many times the queue. On one processor,
// where a reader that never yields would fan out the whole burst before
// any writer ran.
func TestBurstCutsNoReader(t *testing.T) {
	const (
		readers = 20
		lines   = 5000
	)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := start(t, func(c *Config) { c.Queue = 64 })
	clients := make([]*lineClient, readers)
	for i := range clients { // one by one: the lobby stays quiet
		c := dialText(t, s)
		c.send("/join burst")
		c.expect("joined [burst]")
		clients[i] = c
	}
	for i, c := range clients { // the joins of those after each
		for _, later := range clients[i+1:] {
			c.expect("[" + later.addr + "]" + later.addr + ":joined")
		}
	}
	var burst strings.Builder
	for i := range lines {
		fmt.Fprintf(&burst, "line %d\n", i)
	}
	sender := clients[0]
	go sender.c.Write([]byte(burst.String())) // the test reads while it writes

	parallel(t, readers, func(i int) error {
		c := clients[i]
		prefix := "[" + sender.addr + "]" + sender.addr + ":"
		for j := range lines {
			line, err := c.readLine(waitTime)
			if err != nil {
				return fmt.Errorf("line %d of %d: %v", j, lines, err)
			}
			if want := fmt.Sprintf("%sline %d", prefix, j); line != want {
				return fmt.Errorf("got %q, want %q", line, want)
			}
		}
		return nil
	})
	if got := s.Hub().Metrics.SlowConsumers.Load(); got != 0 {
		t.Errorf("%d clients cut off as slow consumers, want none", got)
	}
}
