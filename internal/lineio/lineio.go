// Package lineio reads and writes LF-terminated lines on a stream.
//
// Reader never holds more than the line limit for a connection: a longer
// line is reported once (ErrTooLong) and its bytes are dropped up to its
// newline, and the stream goes on. Writer gathers many lines into one write
// (writev on a TCP connection).
package lineio

import (
	"bytes"
	"errors"
	"io"
	"net"
)

// ErrTooLong is returned by ReadLine for a line longer than the limit.
var ErrTooLong = errors.New("line too long")

const minBuf = 512

// Reader reads lines of at most max bytes, LF excluded; a CR before the LF
// is dropped and does not count.
type Reader struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int  // buf[start:end] is read but not yet returned
	discarding bool // dropping the rest of a too-long line
	err        error
}

// NewReader returns a Reader of lines of at most max bytes.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: r, max: max}
}

// ReadLine returns the next line without its line ending. The slice is
// valid until the next call. A too-long line yields ErrTooLong as soon as it
// passes the limit; its remaining bytes are skipped. At end of stream a last
// line without LF is returned as a line, then io.EOF.
func (r *Reader) ReadLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
			line := r.buf[r.start : r.start+i]
			r.start += i + 1
			if r.discarding {
				r.discarding = false
				continue
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) > r.max {
				return nil, ErrTooLong
			}
			return line, nil
		}
		if r.discarding {
			r.start, r.end = 0, 0
		} else if r.tooLong() {
			r.start, r.end = 0, 0
			r.discarding = true
			return nil, ErrTooLong
		}
		if r.err != nil {
			return r.last()
		}
		r.fill()
	}
}

// tooLong reports whether the pending bytes, which hold no LF, already
// make a line over the limit (a trailing CR may still be a line ending).
func (r *Reader) tooLong() bool {
	n := r.end - r.start
	return n > r.max+1 || n == r.max+1 && r.buf[r.end-1] != '\r'
}

// last returns what is left at the end of the stream.
func (r *Reader) last() ([]byte, error) {
	if r.discarding || r.start == r.end {
		r.start, r.end, r.discarding = 0, 0, false
		return nil, r.err
	}
	line := bytes.TrimSuffix(r.buf[r.start:r.end], []byte{'\r'})
	r.start = r.end
	return line, nil
}

// fill reads more bytes, making room first: pending bytes move to the front,
// and the buffer grows (up to the limit plus a line ending) only when a line
// needs it.
func (r *Reader) fill() {
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end == len(r.buf) {
		n := max(2*len(r.buf), minBuf)
		n = min(n, r.max+2)
		if n <= len(r.buf) {
			n = len(r.buf) + 1
		}
		nb := make([]byte, n)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	n, err := r.r.Read(r.buf[r.end:])
	r.end += n
	if err != nil {
		r.err = err
	}
}

// idleBufs and idleJoin bound what a Writer keeps between flushes: the
// buffers of a larger flush go, so that a connection that had a burst does
// not hold its memory while idle.
const (
	idleBufs = 16
	idleJoin = 4 << 10
)

// Writer gathers lines and writes them together.
type Writer struct {
	w    io.Writer
	vec  bool // w takes net.Buffers in one writev
	bufs net.Buffers
	join []byte
}

// NewWriter returns a Writer on w; on a *net.TCPConn (or *net.UnixConn)
// a flush is one writev, elsewhere the lines are copied into one buffer.
func NewWriter(w io.Writer) *Writer {
	switch w.(type) {
	case *net.TCPConn, *net.UnixConn:
		return &Writer{w: w, vec: true}
	}
	return &Writer{w: w}
}

// Add queues b, which the caller must not change until Flush returns.
func (w *Writer) Add(b []byte) {
	if len(b) == 0 {
		return
	}
	if w.vec {
		w.bufs = append(w.bufs, b)
	} else {
		w.join = append(w.join, b...)
	}
}

// Flush writes everything added since the last Flush.
func (w *Writer) Flush() error {
	var err error
	if w.vec {
		if len(w.bufs) == 0 {
			return nil // writev with no buffers still fails on a closed conn
		}
		bufs := w.bufs // WriteTo consumes its receiver; keep ours for reuse
		_, err = bufs.WriteTo(w.w)
		clear(w.bufs)
		w.bufs = w.bufs[:0]
		if cap(w.bufs) > idleBufs {
			w.bufs = nil // a burst's; an idle connection keeps little
		}
	} else if len(w.join) > 0 {
		_, err = w.w.Write(w.join)
		w.join = w.join[:0]
		if cap(w.join) > idleJoin {
			w.join = nil
		}
	}
	return err
}
