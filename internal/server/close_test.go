package server

import (
	"net"
	"strings"
	"testing"
)

// TestByeReachesAFloodingClient: a client that sent far more than flood
// control lets the server read still gets everything queued for it and its
// goodbye at shutdown. (Closing a socket with unread input resets it, and
// the reset throws away output the client had not read yet.)
func TestByeReachesAFloodingClient(t *testing.T) {
	s := start(t, func(c *Config) { c.Rate = 5 })
	c := dialText(t, s)
	c.send(strings.Repeat("flood\n", 2000))
	c.expect("[" + c.addr + "]" + c.addr + ":flood") // at least one was read
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.closedWith("server shutting down")
}

// TestShutdownNotHeldByAStuckHTTPRequest: a half-sent HTTP request does not
// use up the time the chat sessions need to say goodbye.
func TestShutdownNotHeldByAStuckHTTPRequest(t *testing.T) {
	s := start(t, nil)
	h, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.Write([]byte("GET /healthz HTTP/1.1\r\n")) // and never the rest
	c := dialText(t, s)
	go s.Shutdown(t.Context()) // the test's cleanup waits for it
	c.closed("server shutting down")
}
