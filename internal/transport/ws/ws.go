// Package ws serves the JSON mode over WebSocket at /ws: one JSON object per
// text frame, the same hub, sessions and rooms as TCP.
package ws

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"parley/internal/chat"
)

// Handler upgrades requests to WebSocket and serves them as JSON sessions.
type Handler struct {
	Hub     *chat.Hub
	JSON    chat.Codec
	MaxLine int // bytes per message
	Log     *slog.Logger

	wg sync.WaitGroup // one per session being served
}

// ServeHTTP admits the connection against the caps (503 over a cap), upgrades
// it and serves it until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.wg.Add(1)
	defer h.wg.Done()
	release, why, refused := h.Hub.Admit(r.RemoteAddr)
	if why != chat.RejectNone {
		status := http.StatusServiceUnavailable
		if why == chat.RejectBanned {
			status = http.StatusForbidden
		}
		if refused.Wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(refused.Wait/time.Second)))
		}
		http.Error(w, "connection refused: "+why.String(), status)
		return
	}
	defer release()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		h.Log.Debug("websocket upgrade failed", "addr", r.RemoteAddr, "err", err)
		return
	}
	// Over-long messages are discarded by ReadLine as they stream in, so the
	// library's own limit (which closes the connection) is off.
	c.SetReadLimit(-1)
	h.Hub.Serve(&conn{ws: c, max: h.MaxLine, addr: r.RemoteAddr}, h.JSON, nil, chat.ModeWS)
}

// Wait waits until every session ServeHTTP started has ended.
func (h *Handler) Wait() { h.wg.Wait() }

// bufPool holds message buffers (*[]byte) between messages.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// conn is a chat.Conn on a WebSocket.
type conn struct {
	ws   *websocket.Conn
	max  int
	addr string
	buf  *[]byte // the current message's, from bufPool; nil while waiting

	mu       sync.Mutex
	deadline time.Time // for writes; guarded by mu
	closed   bool      // guarded by mu
}

func (c *conn) ReadLine() ([]byte, error) {
	// No read deadline: a cancelled read context closes a WebSocket, and the
	// idle kick must still be able to write its bye. The hub's idle timer
	// does the kicking; Close ends this read.
	//
	// The previous message's buffer goes back to the pool before waiting
	// for the next: an idle connection holds none.
	if c.buf != nil {
		bufPool.Put(c.buf)
		c.buf = nil
	}
	_, r, err := c.ws.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	c.buf = bufPool.Get().(*[]byte)
	if cap(*c.buf) < c.max+1 {
		*c.buf = make([]byte, c.max+1)
	}
	buf := (*c.buf)[:c.max+1]
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	// The message is longer than the limit: drop the rest as it comes.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, err
	}
	return nil, chat.ErrLineTooLong
}

func (c *conn) WriteEvents(evs []*chat.Event, codec chat.Codec) error {
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	defer cancel()
	for _, ev := range evs {
		b := ev.Bytes(codec)
		if len(b) == 0 {
			continue
		}
		// One JSON object per text frame, without the line's newline.
		if err := c.ws.Write(ctx, websocket.MessageText, b[:len(b)-1]); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// CloseWrite ends the WebSocket: a WebSocket has no half-close, and the
// close below unblocks the reader.
func (c *conn) CloseWrite(time.Duration) error { return c.Close() }

// Close ends the WebSocket at once: by the time the hub closes a session its
// last words (bye) are written, and a close handshake would only hold the
// writer up.
func (c *conn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if !first {
		return nil
	}
	return c.ws.CloseNow()
}

func (c *conn) RemoteAddr() string { return c.addr }
