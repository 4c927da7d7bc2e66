// Package tcp serves Parley's line protocol on TCP and TLS listeners: it
// admits each connection against the caps, refuses one over a cap with a
// single error line, and hands the rest to the hub in text mode, ready to
// switch to JSON on a first '{'.
package tcp

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"parley/internal/chat"
	"parley/internal/lineio"
)

// Server accepts connections for a hub.
type Server struct {
	Hub     *chat.Hub
	Text    chat.Codec // the codec a connection starts with
	JSON    chat.Codec // the codec a first '{' switches to
	MaxLine int        // bytes per line, LF excluded
	Log     *slog.Logger

	wg sync.WaitGroup // one per connection being handled
}

// handshakeTimeout bounds a TLS handshake; refuseTimeout bounds writing the
// refusal line to a connection over a cap.
const (
	handshakeTimeout = 10 * time.Second
	refuseTimeout    = time.Second
)

// Serve accepts connections on ln until ln is closed, and returns then
// (with nil). Connections it started go on; Wait waits for them.
func (s *Server) Serve(ln net.Listener) error {
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: wait and try again, as
			// net/http does, rather than spin or die.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.Log.Warn("accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(nc)
		}()
	}
}

// Wait waits until every connection Serve accepted has ended.
func (s *Server) Wait() { s.wg.Wait() }

func (s *Server) handle(nc net.Conn) {
	addr := nc.RemoteAddr().String()
	release, why, refused := s.Hub.Admit(addr)
	if why != chat.RejectNone {
		s.refuse(nc, refused)
		return
	}
	defer release()
	if tc, ok := nc.(*tls.Conn); ok {
		tc.SetDeadline(time.Now().Add(handshakeTimeout))
		if err := tc.Handshake(); err != nil {
			s.Log.Debug("tls handshake failed", "addr", addr, "err", err)
			nc.Close()
			return
		}
		tc.SetDeadline(time.Time{})
	}
	s.Hub.Serve(newConn(nc, s.MaxLine, s.Hub.Config().LineTimeout), s.Text, s.JSON, chat.ModeText)
}

// refuse tells a connection the hub refused why, in one line, and closes
// it.
func (s *Server) refuse(nc net.Conn, e *chat.Error) {
	defer nc.Close()
	nc.SetWriteDeadline(time.Now().Add(refuseTimeout))
	nc.Write(s.Text.Append(nil, &chat.Event{Kind: chat.EvError, Err: e}))
	c := newConn(nc, s.MaxLine, 0)
	c.CloseWrite(refuseTimeout) // and drain, so that the line is not reset away
	for {
		if _, err := c.ReadLine(); err != nil && err != chat.ErrLineTooLong {
			return
		}
	}
}

// conn is a chat.Conn on a stream.
type conn struct {
	nc   net.Conn
	r    *lineio.Reader
	w    *lineio.Writer
	addr string

	// lineTimeout bounds how long a line may take once begun (slowloris);
	// 0 is no bound. Owned by the reader: begun, when the pending line's
	// first bytes were seen (zero with none), and timedOut, set when the
	// line's deadline ended a read.
	lineTimeout time.Duration
	begun       time.Time
	timedOut    bool

	dmu    sync.Mutex // guards what follows, and every read deadline set
	linger time.Time  // set by CloseWrite: no read waits past it
	dl     time.Time  // the read deadline in force
}

func newConn(nc net.Conn, maxLine int, lineTimeout time.Duration) *conn {
	c := &conn{nc: nc, w: lineio.NewWriter(nc), addr: nc.RemoteAddr().String(), lineTimeout: lineTimeout}
	c.r = lineio.NewReader(lineSource{c}, maxLine)
	return c
}

func (c *conn) ReadLine() ([]byte, error) {
	line, err := c.r.ReadLine()
	if c.timedOut {
		return nil, chat.ErrLineTimeout // the partial line is not a line
	}
	if err == lineio.ErrTooLong {
		err = chat.ErrLineTooLong
	}
	return line, err
}

// lineSource is what the line reader reads through: before each read it
// puts the deadline of a line under way (or none) in force.
type lineSource struct{ c *conn }

func (s lineSource) Read(p []byte) (int, error) {
	c := s.c
	if c.lineTimeout <= 0 {
		return c.nc.Read(p)
	}
	var due time.Time
	if c.r.Pending() {
		if c.begun.IsZero() {
			c.begun = time.Now()
		}
		due = c.begun.Add(c.lineTimeout)
	} else {
		c.begun = time.Time{}
	}
	c.setReadDeadline(due)
	n, err := c.nc.Read(p)
	if err != nil && !due.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(due) {
		c.dmu.Lock()
		lingering := !c.linger.IsZero()
		c.dmu.Unlock()
		c.timedOut = !lingering
	}
	return n, err
}

// setReadDeadline puts t in force (zero: none), or the linger deadline if
// CloseWrite set one that comes first.
func (c *conn) setReadDeadline(t time.Time) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if !c.linger.IsZero() && (t.IsZero() || c.linger.Before(t)) {
		t = c.linger
	}
	if !t.Equal(c.dl) {
		c.dl = t
		c.nc.SetReadDeadline(t)
	}
}

func (c *conn) WriteEvents(evs []*chat.Event, codec chat.Codec) error {
	for _, ev := range evs {
		c.w.Add(ev.Bytes(codec))
	}
	return c.w.Flush()
}

func (c *conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// CloseWrite half-closes the connection (for TLS after a close_notify) and
// gives the reader d to drain the client's input.
func (c *conn) CloseWrite(d time.Duration) error {
	c.dmu.Lock()
	c.linger = time.Now().Add(d)
	c.dl = c.linger
	c.nc.SetReadDeadline(c.linger)
	c.dmu.Unlock()
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
func (c *conn) Close() error       { return c.nc.Close() }
func (c *conn) RemoteAddr() string { return c.addr }
