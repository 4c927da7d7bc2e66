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
	release, why := s.Hub.Admit(addr)
	if why != chat.RejectNone {
		s.refuse(nc, why)
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
	s.Hub.Serve(newConn(nc, s.MaxLine), s.Text, s.JSON, chat.ModeText)
}

// refuse tells a connection over a cap why, in one line, and closes it.
func (s *Server) refuse(nc net.Conn, why chat.Reject) {
	defer nc.Close()
	cfg := s.Hub.Config()
	e := &chat.Error{Problem: chat.ProbShuttingDown}
	switch why {
	case chat.RejectMaxConns:
		e = &chat.Error{Problem: chat.ProbTooManyConns, N: cfg.MaxConns}
	case chat.RejectPerIP:
		e = &chat.Error{Problem: chat.ProbTooManyFromAddr, N: cfg.MaxConnsPerIP}
	}
	nc.SetWriteDeadline(time.Now().Add(refuseTimeout))
	nc.Write(s.Text.Append(nil, &chat.Event{Kind: chat.EvError, Err: e}))
	c := newConn(nc, s.MaxLine)
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
}

func newConn(nc net.Conn, maxLine int) *conn {
	return &conn{nc: nc, r: lineio.NewReader(nc, maxLine), w: lineio.NewWriter(nc), addr: nc.RemoteAddr().String()}
}

func (c *conn) ReadLine() ([]byte, error) {
	line, err := c.r.ReadLine()
	if err == lineio.ErrTooLong {
		err = chat.ErrLineTooLong
	}
	return line, err
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
	c.nc.SetReadDeadline(time.Now().Add(d))
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
func (c *conn) Close() error       { return c.nc.Close() }
func (c *conn) RemoteAddr() string { return c.addr }
