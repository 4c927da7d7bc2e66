package chat

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// panicCodec is lineCodec, except that parsing the line "boom" panics.
type panicCodec struct{ lineCodec }

func (c panicCodec) Parse(line []byte) Command {
	if string(line) == "boom" {
		panic("parser bug")
	}
	return c.lineCodec.Parse(line)
}

// feedConn is a recConn that also reads lines from in, and whose writes
// panic when panicky is set.
type feedConn struct {
	*recConn
	in      chan []byte
	panicky bool
}

func newFeedConn(panicky bool) *feedConn {
	return &feedConn{recConn: newRecConn(), in: make(chan []byte, 8), panicky: panicky}
}

func (c *feedConn) ReadLine() ([]byte, error) {
	select {
	case l := <-c.in:
		return l, nil
	case <-c.closed:
		return nil, io.EOF
	}
}

func (c *feedConn) WriteEvents(evs []*Event, codec Codec) error {
	if c.panicky {
		panic("encoder bug")
	}
	return c.recConn.WriteEvents(evs, codec)
}

// saw reports whether a chat line with text has been written to c.
func (c *feedConn) saw(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if ev.Kind == EvMsg && ev.Text == text {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPanicEndsOneSession: a panic in one session's reader (a parser bug)
// and one in another's writer (an encoder bug) each end that session only;
// both are logged with a stack and counted, and a third session goes on
// chatting.
func TestPanicEndsOneSession(t *testing.T) {
	var logs lockedBuffer
	h, err := NewHub(Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(c *feedConn) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.Serve(c, panicCodec{}, nil, ModeText)
		}()
		return done
	}
	ok, bad := newFeedConn(false), newFeedConn(false)
	okDone, badDone := serve(ok), serve(bad)
	waitFor(t, "both sessions", func() bool { return h.lobby.size() == 2 })

	bad.in <- []byte("boom")
	select {
	case <-badDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the session whose reader panicked did not end")
	}
	ok.in <- []byte("still here")
	waitFor(t, "the other session's chat line", func() bool { return ok.saw("still here") })

	// A session whose writer panics goes too; the first one still chats.
	broken := newFeedConn(true)
	brokenDone := serve(broken)
	select {
	case <-brokenDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the session whose writer panicked did not end")
	}
	ok.in <- []byte("and still")
	waitFor(t, "the chat line after the writer's panic", func() bool { return ok.saw("and still") })

	if got := h.Metrics.Panics.Load(); got != 2 {
		t.Errorf("%d panics counted, want 2", got)
	}
	log := logs.String()
	for _, want := range []string{"parser bug", "encoder bug", "session panicked", "panic_test.go"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	ok.Close()
	<-okDone
	h.Shutdown(t.Context())
}
