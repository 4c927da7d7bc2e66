package lineio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// chunkReader hands out its data at most n bytes per Read, so that one line
// spans many reads (n small) or many lines come in one read (n large). With
// eofWithData the last chunk comes together with io.EOF, as io.Reader allows.
type chunkReader struct {
	data        []byte
	n           int
	eofWithData bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	if c.eofWithData && len(c.data) == 0 {
		return k, io.EOF
	}
	return k, nil
}

// result is one ReadLine outcome: a line, or ErrTooLong.
type result struct {
	line    string
	tooLong bool
}

func (r result) String() string {
	if r.tooLong {
		return "<ErrTooLong>"
	}
	return fmt.Sprintf("%q", r.line)
}

func l(s string) result { return result{line: s} }

var tooLong = result{tooLong: true}

// readAll reads r to its end, checking on every call that the reader never
// holds more than max+2 bytes and that lines respect the framing rules.
func readAll(t testing.TB, r *Reader, max int) ([]result, error) {
	t.Helper()
	var got []result
	for i := 0; ; i++ {
		line, err := r.ReadLine()
		if c := cap(r.buf); c > max+2 {
			t.Fatalf("reader buffer grew to %d bytes, limit %d+2", c, max)
		}
		if i > 1<<22 {
			t.Fatalf("ReadLine does not terminate")
		}
		switch {
		case err == nil:
			if len(line) > max {
				t.Fatalf("line of %d bytes returned, limit %d", len(line), max)
			}
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line %q holds an LF", line)
			}
			got = append(got, l(string(line)))
		case err == ErrTooLong:
			if line != nil {
				t.Fatalf("ErrTooLong with a non-nil line %q", line)
			}
			got = append(got, tooLong)
		default:
			if line != nil {
				t.Fatalf("error %v with a non-nil line %q", err, line)
			}
			return got, err
		}
	}
}

// model is the reference framing: split on LF, a last piece counts only if
// it is not empty, one CR before the LF is dropped, a piece over max is
// ErrTooLong.
func model(data []byte, max int) []result {
	var want []result
	pieces := bytes.Split(data, []byte{'\n'})
	if last := pieces[len(pieces)-1]; len(last) == 0 {
		pieces = pieces[:len(pieces)-1]
	}
	for _, p := range pieces {
		p = bytes.TrimSuffix(p, []byte{'\r'})
		if len(p) > max {
			want = append(want, tooLong)
		} else {
			want = append(want, l(string(p)))
		}
	}
	return want
}

func sameResults(a, b []result) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func short(rs []result) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		s := r.String()
		if len(s) > 40 {
			s = fmt.Sprintf("%s…(%d bytes)", s[:30], len(r.line))
		}
		b.WriteString(s)
	}
	b.WriteByte(']')
	return b.String()
}

var chunkSizes = []int{1, 2, 3, 5, 7, 8, 9, 10, 16, 64, 511, 512, 513, 4096, 1 << 20}

func TestReadLine(t *testing.T) {
	const max = 8
	mib := strings.Repeat("x", 1<<20)
	tests := []struct {
		name string
		in   string
		max  int
		want []result
	}{
		{"empty input", "", max, nil},
		{"LF framing", "a\nbb\nccc\n", max, []result{l("a"), l("bb"), l("ccc")}},
		{"CRLF", "a\r\nbb\r\n", max, []result{l("a"), l("bb")}},
		{"mixed endings", "a\r\nb\nc\r\n", max, []result{l("a"), l("b"), l("c")}},
		{"CR inside kept", "a\rb\n", max, []result{l("a\rb")}},
		{"CR at start kept", "\rab\n", max, []result{l("\rab")}},
		{"only one CR dropped", "ab\r\r\n", max, []result{l("ab\r")}},
		{"lone CR line", "\r\n", max, []result{l("")}},
		{"empty lines", "\n\n\r\n\n", max, []result{l(""), l(""), l(""), l("")}},
		{"empty lines around text", "\na\n\nb\n\n", max, []result{l(""), l("a"), l(""), l("b"), l("")}},
		{"exactly max", "12345678\nnext\n", max, []result{l("12345678"), l("next")}},
		{"exactly max CRLF", "12345678\r\nnext\n", max, []result{l("12345678"), l("next")}},
		{"max+1", "123456789\nnext\n", max, []result{tooLong, l("next")}},
		{"max+1 CRLF", "123456789\r\nnext\n", max, []result{tooLong, l("next")}},
		{"max then CR inside", "12345678\rX\nnext\n", max, []result{tooLong, l("next")}},
		{"exactly max with CR inside", "123456\rX\nnext\n", max, []result{l("123456\rX"), l("next")}},
		{"max then two CR", "12345678\r\r\nnext\n", max, []result{tooLong, l("next")}},
		{"two too long in a row", "123456789\n123456789012\nok\n", max, []result{tooLong, tooLong, l("ok")}},
		{"too long between lines", "a\n" + strings.Repeat("y", 100) + "\nb\n", max, []result{l("a"), tooLong, l("b")}},
		{"1 MiB line", mib + "\nafter\n", max, []result{tooLong, l("after")}},
		{"1 MiB line CRLF", "before\r\n" + mib + "\r\nafter\r\n", max, []result{l("before"), tooLong, l("after")}},
		{"1 MiB line at default limit", mib + "\nafter\n", 4096, []result{tooLong, l("after")}},
		{"last line without LF", "a\nlast", max, []result{l("a"), l("last")}},
		{"only a line without LF", "last", max, []result{l("last")}},
		{"last line CR without LF", "a\nlast\r", max, []result{l("a"), l("last")}},
		{"last line lone CR", "a\n\r", max, []result{l("a"), l("")}},
		{"last line exactly max", "a\n12345678", max, []result{l("a"), l("12345678")}},
		{"last line exactly max with CR", "a\n12345678\r", max, []result{l("a"), l("12345678")}},
		{"last line too long", "a\n123456789", max, []result{l("a"), tooLong}},
		{"last line too long with CR", "a\n123456789\r", max, []result{l("a"), tooLong}},
		{"last line 1 MiB", "a\n" + mib, max, []result{l("a"), tooLong}},
		{"max 0", "\n\r\na\n", 0, []result{l(""), l(""), tooLong}},
		{"max 1", "a\r\nab\nb", 1, []result{l("a"), tooLong, l("b")}},
		{"utf-8 counted in bytes", "张三\n张三李\n", 8, []result{l("张三"), tooLong}},
		{"long lines under a big limit", strings.Repeat("z", 3000) + "\n" + strings.Repeat("w", 5000) + "\n", 4096,
			[]result{l(strings.Repeat("z", 3000)), tooLong}},
		{"many lines", strings.Repeat("0123456789abcdef\n", 100), 16, func() []result {
			r := make([]result, 100)
			for i := range r {
				r[i] = l("0123456789abcdef")
			}
			return r
		}()},
	}
	for _, tt := range tests {
		if want := model([]byte(tt.in), tt.max); !sameResults(want, tt.want) {
			t.Fatalf("%s: table disagrees with the model: table %s, model %s", tt.name, short(tt.want), short(want))
		}
		for _, n := range chunkSizes {
			if len(tt.in) > 64<<10 && n > 1 && n < 16 && n != 7 {
				continue // 1-byte reads cover the long lines; keep -race quick
			}
			for _, eofWithData := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/chunk=%d/eofWithData=%v", tt.name, n, eofWithData), func(t *testing.T) {
					r := NewReader(&chunkReader{data: []byte(tt.in), n: n, eofWithData: eofWithData}, tt.max)
					got, err := readAll(t, r, tt.max)
					if err != io.EOF {
						t.Fatalf("ended with %v, want io.EOF", err)
					}
					if !sameResults(got, tt.want) {
						t.Fatalf("got %s, want %s", short(got), short(tt.want))
					}
					// EOF is sticky.
					for range 2 {
						if line, err := r.ReadLine(); line != nil || err != io.EOF {
							t.Fatalf("after EOF: %q, %v; want nil, io.EOF", line, err)
						}
					}
				})
			}
		}
	}
}

// TestReadLineIotest runs the reader on the standard library's odd readers.
func TestReadLineIotest(t *testing.T) {
	in := "hello\r\nworld\n" + strings.Repeat("q", 100) + "\nend"
	want := []result{l("hello"), l("world"), tooLong, l("end")}
	for name, rd := range map[string]io.Reader{
		"OneByteReader": iotest.OneByteReader(strings.NewReader(in)),
		"HalfReader":    iotest.HalfReader(strings.NewReader(in)),
		"DataErrReader": iotest.DataErrReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readAll(t, NewReader(rd, 10), 10)
			if err != io.EOF || !sameResults(got, want) {
				t.Fatalf("got %s, %v; want %s, io.EOF", short(got), err, short(want))
			}
		})
	}
}

// TestReadLineTooLongEarly: a too-long line is reported as soon as it passes
// the limit, before its LF has arrived (the peer may still be sending it).
func TestReadLineTooLongEarly(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		pw.Write([]byte(strings.Repeat("x", 100)))
		pw.Write([]byte(strings.Repeat("y", 1<<20))) // blocks until read
		pw.Write([]byte("\nok\n"))
		pw.Close()
	}()
	r := NewReader(pr, 10)
	if line, err := r.ReadLine(); err != ErrTooLong {
		t.Fatalf("got %q, %v; want ErrTooLong before the rest is sent", line, err)
	}
	got, err := readAll(t, r, 10)
	if err != io.EOF || !sameResults(got, []result{l("ok")}) {
		t.Fatalf("after the long line: %s, %v", short(got), err)
	}
}

// TestReadLineError: a read error other than EOF comes after the lines read
// before it, the unterminated one included, and stays.
func TestReadLineError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), 8)
	got, err := readAll(t, r, 8)
	if err != boom || !sameResults(got, []result{l("a"), l("b")}) {
		t.Fatalf("got %s, %v; want [a b], boom", short(got), err)
	}
	if _, err := r.ReadLine(); err != boom {
		t.Fatalf("second call after the error: %v, want boom", err)
	}
}

// TestReadLineSpansReads: one line spans many reads, and many lines come in
// one read; the reader asks for more only when it has no full line.
func TestReadLineSpansReads(t *testing.T) {
	cr := &chunkReader{data: []byte("abc\ndef\nghi\n"), n: 1 << 10}
	r := NewReader(cr, 64)
	for _, want := range []string{"abc", "def", "ghi"} {
		line, err := r.ReadLine()
		if err != nil || string(line) != want {
			t.Fatalf("got %q, %v; want %q", line, err, want)
		}
		if want == "abc" && len(cr.data) != 0 {
			t.Fatalf("all three lines should have come in one read")
		}
	}
	long := strings.Repeat("L", 1000)
	cr = &chunkReader{data: []byte(long + "\n"), n: 1}
	r = NewReader(cr, 1000)
	line, err := r.ReadLine()
	if err != nil || string(line) != long {
		t.Fatalf("1000-byte line over 1001 reads: got %d bytes, %v", len(line), err)
	}
}

// TestReadLineBufferBound: the reader's memory stays within the limit (plus
// a CRLF) however long the input line, and it does not grow for short lines.
func TestReadLineBufferBound(t *testing.T) {
	for _, max := range []int{0, 1, 10, 100, 510, 511, 512, 1000, 4096, 65536} {
		for _, n := range []int{1, 7, 4096, 1 << 20} {
			size := 3 << 20
			if n < 4096 {
				size = 100 << 10 // keep the one-byte reads quick under -race
			}
			in := strings.Repeat("x", size) + "\r\nshort\n" + strings.Repeat("y", max) + "\r\n"
			r := NewReader(&chunkReader{data: []byte(in), n: n}, max)
			got, err := readAll(t, r, max) // checks cap(r.buf) <= max+2 on every call
			want := model([]byte(in), max)
			if err != io.EOF || !sameResults(got, want) {
				t.Fatalf("max %d chunk %d: got %s, %v; want %s", max, n, short(got), err, short(want))
			}
		}
	}
	// Short lines under a big limit keep the initial small buffer.
	r := NewReader(&chunkReader{data: bytes.Repeat([]byte("0123456789\n"), 10000), n: 1 << 20}, 1<<20)
	if _, err := readAll(t, r, 1<<20); err != io.EOF {
		t.Fatal(err)
	}
	if cap(r.buf) > minBuf {
		t.Fatalf("buffer grew to %d for 10-byte lines", cap(r.buf))
	}
}

// TestReadLineNoAllocs: in steady state the reader does not allocate per
// line (the returned slice is only valid until the next call).
func TestReadLineNoAllocs(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"), 64)
	rd := &loopReader{data: data}
	r := NewReader(rd, 4096)
	r.ReadLine() // warm up: the buffer is allocated once
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.ReadLine(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadLine allocates %.1f times per line, want 0", allocs)
	}
}

// loopReader returns data over and over, never ending.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func BenchmarkReadLine(b *testing.B) {
	line := append(bytes.Repeat([]byte("x"), 63), '\n') // 64 bytes with its LF
	data := bytes.Repeat(line, 1024)
	r := NewReader(&loopReader{data: data}, 4096)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := r.ReadLine()
		if err != nil || len(l) != 63 {
			b.Fatalf("got %d bytes, %v", len(l), err)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint16(1), uint16(8))
	f.Add([]byte("123456789\nnext\n"), uint16(3), uint16(8))
	f.Add([]byte("12345678\r\n12345678\r"), uint16(2), uint16(8))
	f.Add([]byte("12345678\rX\nnext"), uint16(1), uint16(8))
	f.Add([]byte("\n\n\r\n\r"), uint16(1), uint16(0))
	f.Add(bytes.Repeat([]byte("x"), 2000), uint16(600), uint16(512))
	f.Add([]byte(strings.Repeat("y", 700)+"\r\n"+strings.Repeat("z", 511)+"\r"), uint16(511), uint16(700))
	f.Fuzz(func(t *testing.T, data []byte, chunk, maxLine uint16) {
		n := int(chunk%1024) + 1
		max := int(maxLine % 1200)
		for _, eofWithData := range []bool{false, true} {
			r := NewReader(&chunkReader{data: data, n: n, eofWithData: eofWithData}, max)
			got, err := readAll(t, r, max) // no LF in lines, len <= max, cap(buf) <= max+2
			if err != io.EOF {
				t.Fatalf("ended with %v, want io.EOF", err)
			}
			want := model(data, max)
			// The count: one result (line or ErrTooLong) per LF-terminated
			// line, plus one for a non-empty unterminated tail.
			count := bytes.Count(data, []byte{'\n'})
			if len(data) > 0 && data[len(data)-1] != '\n' {
				count++
			}
			if len(got) != count {
				t.Fatalf("%d results for %d lines", len(got), count)
			}
			if !sameResults(got, want) {
				t.Fatalf("chunk %d max %d: got %s, want %s", n, max, short(got), short(want))
			}
			// The lines that were returned, rejoined, are the input with the
			// too-long lines and the CRs before LF taken out.
			var joined, expect bytes.Buffer
			for _, g := range got {
				if !g.tooLong {
					joined.WriteString(g.line + "\n")
				}
			}
			for _, w := range want {
				if !w.tooLong {
					expect.WriteString(w.line + "\n")
				}
			}
			if !bytes.Equal(joined.Bytes(), expect.Bytes()) {
				t.Fatalf("rejoined lines differ")
			}
			for _, ln := range bytes.Split(joined.Bytes(), []byte{'\n'}) {
				if len(ln) > max {
					t.Fatalf("rejoined output holds a line of %d bytes, limit %d", len(ln), max)
				}
			}
		}
	})
}

// --- Writer ---

// recWriter records every Write call.
type recWriter struct{ writes [][]byte }

func (w *recWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestWriterBuffer(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Flush(); err != nil || buf.Len() != 0 {
		t.Fatalf("empty flush: %v, wrote %q", err, buf.String())
	}
	w.Add([]byte("one\n"))
	w.Add(nil)
	w.Add([]byte("two\n"))
	w.Add([]byte(""))
	w.Add([]byte("three\n"))
	if buf.Len() != 0 {
		t.Fatalf("Add wrote before Flush: %q", buf.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "one\ntwo\nthree\n" {
		t.Fatalf("got %q", got)
	}
	// Reuse after Flush: only the new lines go out.
	w.Add([]byte("four\n"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "one\ntwo\nthree\nfour\n" {
		t.Fatalf("after reuse got %q", got)
	}
}

// TestWriterOneWrite: a flush is one Write of everything added, and an
// empty flush is no Write at all; a batch over writeChunk goes out in
// chunks of at most writeChunk, except a line longer than that, which goes
// whole.
func TestWriterOneWrite(t *testing.T) {
	rw := &recWriter{}
	w := NewWriter(rw)
	w.Flush()
	if len(rw.writes) != 0 {
		t.Fatalf("empty flush made %d writes", len(rw.writes))
	}
	for i := range 10 {
		w.Add(fmt.Appendf(nil, "line %d\n", i))
	}
	w.Flush()
	if len(rw.writes) != 1 {
		t.Fatalf("flush made %d writes, want 1", len(rw.writes))
	}
	var want bytes.Buffer
	for i := range 10 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if !bytes.Equal(rw.writes[0], want.Bytes()) {
		t.Fatalf("got %q", rw.writes[0])
	}
	// A line bigger than a chunk, then a small one.
	big := bytes.Repeat([]byte("b"), 100<<10)
	w.Add(big)
	w.Flush()
	w.Add([]byte("small\n"))
	w.Flush()
	if len(rw.writes) != 3 || !bytes.Equal(rw.writes[1], big) || string(rw.writes[2]) != "small\n" {
		t.Fatalf("writes after a big batch: %d", len(rw.writes))
	}
	// Many lines over a chunk: chunks, in order, each at most writeChunk.
	rw.writes = nil
	line := append(bytes.Repeat([]byte("c"), 999), '\n')
	for range 200 {
		w.Add(line)
	}
	w.Flush()
	var got []byte
	for _, b := range rw.writes {
		if len(b) > writeChunk {
			t.Fatalf("a write of %d bytes, over the chunk", len(b))
		}
		got = append(got, b...)
	}
	if len(rw.writes) != (200*1000+writeChunk-1)/writeChunk || !bytes.Equal(got, bytes.Repeat(line, 200)) {
		t.Fatalf("%d writes of %d bytes in all", len(rw.writes), len(got))
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(b)
}

func TestWriterTCP(t *testing.T) {
	client, server := tcpPair(t)
	w := NewWriter(client)
	if err := w.Flush(); err != nil {
		t.Fatalf("empty flush: %v", err)
	}
	lines := [][]byte{[]byte("one\n"), []byte("two\n"), nil, []byte("three\n")}
	for _, b := range lines {
		w.Add(b)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// The caller may reuse its buffers once Flush has returned.
	for _, b := range lines {
		for i := range b {
			b[i] = '!'
		}
	}
	if got := readN(t, server, len("one\ntwo\nthree\n")); got != "one\ntwo\nthree\n" {
		t.Fatalf("got %q", got)
	}
	// Reuse: a second batch, after an empty flush.
	w.Flush()
	w.Add([]byte("four\n"))
	w.Add([]byte("five\n"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, server, len("four\nfive\n")); got != "four\nfive\n" {
		t.Fatalf("second batch: got %q", got)
	}
	// Nothing else was sent.
	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := server.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("extra bytes: n=%d err=%v", n, err)
	}
}

// TestWriterTCPLarge: a batch of more lines than one writev takes (1024) and
// more bytes than the socket buffers hold arrives whole and in order, twice,
// and the writer keeps no buffer afterwards.
func TestWriterTCPLarge(t *testing.T) {
	client, server := tcpPair(t)
	w := NewWriter(client)
	for round := range 2 {
		var want bytes.Buffer
		for i := range 3000 {
			line := fmt.Appendf(nil, "round %d line %04d %s\n", round, i, strings.Repeat("p", i%700))
			want.Write(line)
			w.Add(line)
		}
		done := make(chan string, 1)
		go func() {
			server.SetReadDeadline(time.Now().Add(20 * time.Second))
			b := make([]byte, want.Len())
			if _, err := io.ReadFull(server, b); err != nil {
				done <- "read error: " + err.Error()
				return
			}
			done <- string(b)
		}()
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := <-done; got != want.String() {
			t.Fatalf("round %d: got %d bytes, want %d (or they differ)", round, len(got), want.Len())
		}
		if w.buf != nil {
			t.Fatalf("writer keeps a %d-byte buffer after its flush", cap(*w.buf))
		}
	}
}

// TestWriterEmptyFlushIsNoOp: a Flush with nothing added writes nothing and
// cannot fail, whatever the writer: not even on a closed connection or one
// past its write deadline.
func TestWriterEmptyFlushIsNoOp(t *testing.T) {
	t.Run("past deadline", func(t *testing.T) {
		client, _ := tcpPair(t)
		w := NewWriter(client)
		client.SetWriteDeadline(time.Now().Add(-time.Second))
		if err := w.Flush(); err != nil {
			t.Errorf("empty Flush on a TCP conn past its write deadline: %v, want nil", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		client, _ := tcpPair(t)
		w := NewWriter(client)
		client.Close()
		if err := w.Flush(); err != nil {
			t.Errorf("empty Flush on a closed TCP conn: %v, want nil", err)
		}
		w.Add([]byte("x\n"))
		if err := w.Flush(); err == nil {
			t.Errorf("Flush of a line on a closed TCP conn: nil error")
		}
	})
	t.Run("buffer", func(t *testing.T) {
		w := NewWriter(errWriter{})
		if err := w.Flush(); err != nil {
			t.Errorf("empty Flush on a failing writer: %v, want nil", err)
		}
	})
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("write failed") }

// TestWriterError: a write error comes back from Flush, and the batch is
// dropped (the connection is dead anyway).
func TestWriterError(t *testing.T) {
	w := NewWriter(errWriter{})
	w.Add([]byte("a\n"))
	if err := w.Flush(); err == nil {
		t.Fatal("Flush hid the write error")
	}
	if w.buf != nil {
		t.Fatalf("failed batch kept: %q", *w.buf)
	}
}
