package chat

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recConn is a Conn without a network that records the events written to
// it and reads nothing (ReadLine waits until Close).
type recConn struct {
	mu     sync.Mutex
	events []*Event
	closed chan struct{}
	once   sync.Once
}

func newRecConn() *recConn { return &recConn{closed: make(chan struct{})} }

func (c *recConn) ReadLine() ([]byte, error) {
	<-c.closed
	return nil, context.Canceled
}

func (c *recConn) WriteEvents(evs []*Event, _ Codec) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, evs...)
	return nil
}

func (c *recConn) SetWriteDeadline(time.Time) error { return nil }
func (c *recConn) CloseWrite(time.Duration) error   { return c.Close() }
func (c *recConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *recConn) RemoteAddr() string               { return "10.0.0.1:5000" }

// TestServeDuringShutdown: a connection the hub takes once Shutdown has
// begun (one still being accepted when the server stops) is told `bye
// shutdown` and closed; nothing panics.
func TestServeDuringShutdown(t *testing.T) {
	h, err := NewHub(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := newRecConn()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Serve(c, lineCodec{}, nil, ModeText)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) != 1 || c.events[0].Kind != EvBye || c.events[0].Reason != ByeShutdown {
		t.Fatalf("written %v, want one bye shutdown", c.events)
	}
	select {
	case <-c.closed:
	default:
		t.Error("the connection was not closed")
	}
}
