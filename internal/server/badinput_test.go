package server

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// TestBadInput sends what a broken or hostile client might, and checks that
// each gets PROTOCOL.md's behaviour while a bystander goes on chatting.
func TestBadInput(t *testing.T) {
	s := start(t, nil)
	bystander := dialText(t, s)

	t.Run("1 MiB line", func(t *testing.T) {
		c := dialText(t, s)
		bystander.expect("[" + c.addr + "]" + c.addr + ":online")
		c.send(strings.Repeat("a", 1<<20))
		c.expect("error: line too long (max 4096 bytes)")
		c.send("still here")
		c.expect("[" + c.addr + "]" + c.addr + ":still here")
		bystander.expect("[" + c.addr + "]" + c.addr + ":still here")
		c.quiet()
		c.c.Close()
		bystander.expect("[" + c.addr + "]" + c.addr + ":offline")
	})

	t.Run("invalid UTF-8, escapes, bidi and NUL", func(t *testing.T) {
		c := dialText(t, s)
		bystander.expect("[" + c.addr + "]" + c.addr + ":online")
		prefix := "[" + c.addr + "]" + c.addr + ":"
		for _, tc := range []struct{ in, want string }{
			{"caf\xc3\xa9 \xff\xfe\xfd ok", "café \uFFFD ok"},
			{"\x1b[31mred\x1b[0m \x1b]0;title\x07text", "red text"},
			{"\u202eevil\u202c \u2066iso\u2069", "evil iso"},
			{"nul\x00byte\x07bell\ttab", "nulbytebell tab"},
		} {
			c.send(tc.in)
			c.expect(prefix + tc.want)
			bystander.expect(prefix + tc.want)
		}
		c.send("\x1b[1m\x00\u202e") // nothing left once cleaned: dropped
		c.quiet()
		bystander.quiet()
		c.c.Close()
		bystander.expect(prefix + "offline")
	})

	t.Run("vanishes with a reset", func(t *testing.T) {
		c := dialText(t, s)
		bystander.expect("[" + c.addr + "]" + c.addr + ":online")
		c.c.(*net.TCPConn).SetLinger(0) // close with RST, no FIN
		c.c.Close()
		bystander.expect("[" + c.addr + "]" + c.addr + ":offline")
	})

	t.Run("JSON garbage", func(t *testing.T) {
		c := dialJSON(t, s)
		bystander.expect("[" + c.addr + "]" + c.addr + ":online")
		for _, line := range []string{`{`, `{"op":`, `{"op":5}`, `{"op":"say","text":["x"]}`, `[]`, `{"op":"say","text":"\u0000"}x`} {
			c.sendJSON(line)
			c.expectJSON(map[string]any{"type": "error", "code": "bad_request"})
		}
		c.send(`{"op":"say","text":"caf` + "\xff\xfe" + `"}`)
		c.expectJSON(map[string]any{"type": "msg", "text": "caf\uFFFD"})
		bystander.expect("[" + c.addr + "]" + c.addr + ":caf\uFFFD")
		c.quietJSON()
		c.c.Close()
		bystander.expect("[" + c.addr + "]" + c.addr + ":offline")
	})

	bystander.send("/who")
	if got := bystander.next(); got != "["+bystander.addr+"] is online" {
		t.Errorf("who: %q", got)
	}
	bystander.quiet()
}

// TestLineSplitAcrossReads: a line that comes a byte at a time, and many
// lines in one write, are both read whole and in order.
func TestLineSplitAcrossReads(t *testing.T) {
	s := start(t, nil)
	c := dialText(t, s)
	for _, b := range []byte("slow\r\n") {
		c.c.Write([]byte{b})
	}
	c.expect("[" + c.addr + "]" + c.addr + ":slow")
	var many bytes.Buffer
	for i := range 100 {
		many.WriteString(strings.Repeat("x", i%7+1) + "\n")
	}
	c.c.Write(many.Bytes())
	for i := range 100 {
		c.expect("[" + c.addr + "]" + c.addr + ":" + strings.Repeat("x", i%7+1))
	}
	c.quiet()
}

// TestIdleClients: a client that sends half a line and falls silent, and one
// that sends nothing at all (as when its machine vanishes without a FIN),
// are both kicked when idle, while a client that keeps pinging stays.
func TestIdleClients(t *testing.T) {
	s := start(t, func(c *Config) { c.IdleTimeout = 500 * time.Millisecond })
	keeper, err := dialActor(t, s.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer keeper.close()
	done := make(chan struct{})
	pinged := make(chan struct{})
	go func() { // the keeper's keep-alive, owned by this test
		defer close(pinged)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				keeper.send(`{"op":"ping"}`)
			}
		}
	}()
	defer func() { close(done); <-pinged }()

	half := dialText(t, s)
	half.c.Write([]byte("half a li"))
	silent := dial(t, s.TCPAddr())
	half.closedWith("idle for 500ms: disconnected")          // silent's lines may come first
	gone := map[any]bool{half.addr: true, silent.addr: true} // in either order
	for len(gone) > 0 {
		m, err := keeper.waitFor(func(m map[string]any) bool {
			return m["type"] == "presence" && m["event"] == "offline" && gone[m["name"]]
		})
		if err != nil {
			t.Fatalf("no offline line for %v: %v", gone, err)
		}
		delete(gone, m["name"])
	}
	keeper.send(`{"op":"say","text":"still here","id":"s"}`)
	if _, err := keeper.waitFor(func(m map[string]any) bool { return m["type"] == "msg" && m["text"] == "still here" }); err != nil {
		t.Fatal(err)
	}
}
