// Package lineio reads and writes LF-terminated lines on a stream.
//
// Reader never holds more than the line limit for a connection: a longer
// line is reported once (ErrTooLong) and its bytes are dropped up to its
// newline, and the stream goes on. Writer gathers many lines into one write.
package lineio

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// ErrTooLong is returned by ReadLine for a line longer than the limit.
var ErrTooLong = errors.New("line too long")

const minBuf = 256

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

// Pending reports whether a line has begun and not ended: bytes of it were
// read (or are being skipped, for a line over the limit) and its LF has not
// come. ReadLine reads more from the stream only when a line is pending or
// nothing is buffered at all.
func (r *Reader) Pending() bool { return r.discarding || r.end > r.start }

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

// Writer gathers lines and writes them together: a Flush is one write of
// everything added since the last (or one per writeChunk bytes). The
// buffer comes from a pool at the first Add and goes back after the
// Flush, so that an idle connection holds no write buffer. (Copying the
// lines costs far less than the write; writev would avoid the copy, but
// the runtime keeps each connection's largest iovec array for good.)
type Writer struct {
	w   io.Writer
	buf *[]byte // nil between flushes
	err error   // a write made by Add that failed, for Flush to return
}

// writeChunk is the most a Writer gathers before it writes; maxPooled the
// largest buffer it gives back to the pool.
const (
	writeChunk = 64 << 10
	maxPooled  = 2 * writeChunk
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4<<10)
	return &b
}}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Add queues a copy of b.
func (w *Writer) Add(b []byte) {
	if len(b) == 0 || w.err != nil {
		return
	}
	if w.buf == nil {
		w.buf = bufPool.Get().(*[]byte)
	}
	if n := len(*w.buf); n > 0 && n+len(b) > writeChunk {
		_, w.err = w.w.Write(*w.buf)
		*w.buf = (*w.buf)[:0]
	}
	*w.buf = append(*w.buf, b...)
}

// Flush writes everything added since the last Flush and lets the buffer
// go. With nothing added it writes nothing.
func (w *Writer) Flush() error {
	err := w.err
	w.err = nil
	if w.buf == nil {
		return err
	}
	if err == nil && len(*w.buf) > 0 {
		_, err = w.w.Write(*w.buf)
	}
	if cap(*w.buf) <= maxPooled {
		*w.buf = (*w.buf)[:0]
		bufPool.Put(w.buf)
	}
	w.buf = nil
	return err
}
