package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// client is one connection. Its reader goroutine (readLoop) reads and
// parses every line; a sender's writer goroutine (sender.run) writes to the
// same connection. In Idle and Connect nothing reads after the handshake
// (in Idle, until the line that proves the connection alive).
type client struct {
	// Static once the handshake is done.
	id    int // 0…Clients-1; the senders are 0…Senders-1
	conn  net.Conn
	rd    *bufio.Reader
	stuck bool   // never reads after the handshake
	name  string // the server's name for it
	// credit carries the sender's own lines coming back to it (in DM: read
	// by its partner), when it sends with a limit in flight; nil otherwise.
	credit chan struct{}
	// dialAt is when the handshake began, onlineAt when the client read
	// its online line.
	dialAt, onlineAt time.Time

	// Read by others while the run goes on.
	bytes     atomic.Int64 // the bytes of the lines read, of every kind
	delivered atomic.Int64 // bench lines read, in the window or not
	measured  atomic.Int64 // bench lines of the window read, duplicates included
	ended     atomic.Bool  // the reader has stopped
	gone      atomic.Bool  // stuck: the room heard it go offline

	// Owned by the reader (or by the handshake, for a failed one); read by
	// Run once the reader has ended.
	win    window // copied from the run at the first bench line
	hasWin bool
	// next is, per sender the client hears (fanout: every sender, by
	// index; DM: its partner alone), the next sequence number expected.
	next   []int64
	dup    int64   // bench lines of the window seen before
	err    error   // why the reader (or the handshake) stopped
	proved bool    // Idle: it read its room's line
	lat    []int64 // latencies (µs) not yet added to the run's, at most latBatch
}

// window is the measured window, in nanoseconds since the run began.
type window struct{ start, end int64 }

func (w window) holds(t int64) bool { return t >= w.start && t < w.end }

// handshakeTimeout bounds connecting and joining the room.
const handshakeTimeout = 30 * time.Second

// dial connects client c, spreading the source addresses over 127.0.0.x
// when the server is on loopback, so that tens of thousands of connections
// do not run out of ports.
func (r *run) dial(ctx context.Context, c *client) error {
	d := net.Dialer{Timeout: handshakeTimeout}
	if r.spread && !r.noSpread.Load() {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+c.id%250))}
		nc, err := d.DialContext(ctx, "tcp", r.addr)
		if err == nil {
			c.conn = nc
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		d.LocalAddr = nil
		if nc, err2 := d.DialContext(ctx, "tcp", r.addr); err2 == nil {
			// This system will not bind or route 127.0.0.x: use the
			// default source address from now on.
			r.noSpread.Store(true)
			c.conn = nc
			return nil
		}
		return err
	}
	nc, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	c.conn = nc
	return nil
}

// handshake waits for c's own online line, joins room and waits for the
// answer. Any line before that is skipped: the greeting, the lobby's
// history, others' presence.
func (c *client) handshake(room string) error {
	c.name = c.conn.LocalAddr().String() // the server's name for a new client
	if err := c.readUntil(func(line []byte) bool {
		if n := welcomeName(line); n != "" {
			c.name = n // e.g. guest-3 under --hide-addrs
		}
		return isPresence(line, c.name, onlineWords)
	}); err != nil {
		return fmt.Errorf("waiting for the online line: %w", err)
	}
	c.onlineAt = time.Now()
	if _, err := c.conn.Write([]byte("/join " + room + "\n")); err != nil {
		return err
	}
	if err := c.readUntil(func(line []byte) bool { return isJoined(line, room) }); err != nil {
		return fmt.Errorf("joining %s: %w", room, err)
	}
	return nil
}

// readUntil reads lines until done says yes. An error line from the server
// ("error: too many connections") ends it with that line.
func (c *client) readUntil(done func(line []byte) bool) error {
	var last string
	for {
		line, err := c.readLine()
		if err != nil {
			if last != "" {
				return fmt.Errorf("%w (the last line: %q)", err, last)
			}
			return err
		}
		line = trimEOL(line)
		if done(line) {
			return nil
		}
		if bytes.HasPrefix(line, []byte("error: ")) {
			return fmt.Errorf("the server said %q", line)
		}
		last = string(line)
	}
}

// readLine reads one line; a line longer than the buffer is cut short, and
// the rest of it skipped.
func (c *client) readLine() ([]byte, error) {
	line, err := c.rd.ReadSlice('\n')
	c.bytes.Add(int64(len(line)))
	for err == bufio.ErrBufferFull {
		var rest []byte
		rest, err = c.rd.ReadSlice('\n')
		c.bytes.Add(int64(len(rest)))
		line = nil
	}
	return line, err
}

// readLoop reads every line until the connection ends.
func (c *client) readLoop(r *run) {
	defer c.ended.Store(true)
	defer c.flushLatencies(r)
	parse := parseLine
	if r.o.Workload == DM {
		parse = parseDM // and the sender's copies are not bench lines
	}
	for {
		line, err := c.readLine()
		if err != nil {
			c.err = err
			return
		}
		s, seq, sent, ok := parse(line)
		switch {
		case ok:
			if slot := c.slot(r, s); slot >= 0 && !c.bench(r, slot, s, seq, sent) {
				return
			}
		case len(r.stuck) > 0:
			r.sawPresence(trimEOL(line))
		}
	}
}

// slot is the index in next of sender s, or -1 if c does not hear s.
func (c *client) slot(r *run, s int) int {
	switch {
	case r.o.Workload == DM && s == c.id^1:
		return 0
	case r.o.Workload != DM && s < len(c.next):
		return s
	}
	return -1
}

// bench takes one bench line from sender s; false means the run is ending.
func (c *client) bench(r *run, slot, s int, seq, sent int64) bool {
	if !c.hasWin {
		select { // the run has started: someone sent this line
		case <-r.started:
			c.win, c.hasWin = r.win, true
		case <-r.quit:
			return false
		}
	}
	c.delivered.Add(1)
	// The line is back: the sender may send another. In fanout the sender
	// hears its own lines; in DM its partner tells it.
	if r.o.Workload == DM || s == c.id {
		if credit := r.clients[s].credit; credit != nil {
			select {
			case credit <- struct{}{}:
			default:
			}
		}
	}
	in := c.win.holds(sent)
	switch {
	case seq >= c.next[slot]:
		c.next[slot] = seq + 1
	case in:
		c.dup++
	}
	if !in {
		return true
	}
	c.measured.Add(1)
	c.addLatency(r, sent)
	return true
}

// addLatency records the latency of a line sent at sent (nanoseconds since
// the run began) and read now.
func (c *client) addLatency(r *run, sent int64) {
	if c.lat == nil {
		c.lat = make([]int64, 0, latBatch)
	}
	c.lat = append(c.lat, (int64(time.Since(r.base))-sent)/int64(time.Microsecond))
	if len(c.lat) == latBatch {
		c.flushLatencies(r)
	}
}

func (c *client) flushLatencies(r *run) {
	if len(c.lat) == 0 {
		return
	}
	r.lat.add(c.id, c.lat)
	c.lat = c.lat[:0]
}
