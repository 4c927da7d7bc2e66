package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// churner is one of a soak's churners: it lives one short life after
// another until the soak ends.
type churner struct {
	id int

	// Owned by the churner's goroutine; read once it has ended.
	lives     int64
	confirmed []confirm // what stable clients must have read
	floods    []flood   // what the watcher must have read
}

// confirm is a MARK the server handled (it came back to its churner) and
// the stable clients that must have read it once: to, …, to+n-1.
type confirm struct{ mark, to, n int }

// flood is one flood: lines lines from MARK id, all come back to their
// churner in order.
type flood struct {
	id    int
	lines int64
}

// The rooms a life joins, taken in turn.
const (
	inPairRoom  = iota // a stable pair's room: chat lines they must hear
	inFloodRoom        // the flood room: a flood the watcher must hear
	inOwnRoom          // a room of its own, then another
	kinds
)

// The ways a life leaves, taken in turn.
const (
	byQuit  = iota // /quit, then read the bye and the end
	byClose        // a last line, close our side, read to the end
	byReset        // a last line, then SO_LINGER 0 and close: a reset
	ways
)

// churn lives one life after another until the soak stops.
func (s *soak) churn(ctx context.Context, ch *churner) {
	for {
		select {
		case <-s.r.stop:
			return
		default:
		}
		// Churner i's lives are numbered i, i+C, i+2C, … so that the
		// churners together go through every kind of life in turn.
		n := int(ch.lives)*len(s.churners) + ch.id
		ch.lives++
		if err := s.life(ctx, ch, n); err != nil {
			s.fail(fmt.Errorf("churner %d, life %d: %w", ch.id, n, err))
			if !s.pause(ctx) {
				return
			}
		}
	}
}

// life is one churner's life number n: its room and its way out follow
// from n.
func (s *soak) life(ctx context.Context, ch *churner, n int) error {
	r := s.r
	kind, leave := n%kinds, n/kinds%ways
	mark := s.mark()
	c := &client{id: mark}
	room := s.floodRoom
	switch kind {
	case inPairRoom:
		room = fmt.Sprintf("%s-%d", r.room, n/kinds%s.pairs)
	case inOwnRoom:
		room = fmt.Sprintf("%s-c%d", r.room, mark)
	}
	if err := r.join(ctx, c, room); err != nil {
		return fmt.Errorf("connecting: %w", withHint(err))
	}
	defer c.conn.Close()
	s.n.lives.Add(1)
	s.n.joins.Add(1)
	return c.within(ctx, lifeTimeout, func() error {
		if n/(kinds*ways)%2 == 0 {
			if err := c.renameTaken(strings.ToUpper(s.watchName)); err != nil {
				return err
			}
			s.n.refused.Add(1)
		}
		if err := c.rename(r.room + "-" + strconv.Itoa(mark)); err != nil {
			return err
		}
		s.n.renames.Add(1)
		if err := s.act(ch, c, kind, n); err != nil {
			return err
		}
		return s.leave(c, leave)
	})
}

// act does what a life does in its room, then sends a stable client a
// private message.
func (s *soak) act(ch *churner, c *client, kind, n int) error {
	switch kind {
	case inPairRoom:
		pair := n / kinds % s.pairs
		marks, err := s.say(c)
		if err != nil {
			return err
		}
		for _, m := range marks {
			ch.confirmed = append(ch.confirmed, confirm{mark: m, to: 2 * pair, n: 2})
		}
	case inFloodRoom:
		if err := s.flood(ch, c); err != nil {
			return err
		}
	case inOwnRoom:
		if _, err := s.say(c); err != nil {
			return err
		}
		room := fmt.Sprintf("%s-c%d", s.r.room, s.mark())
		if err := c.send("/join "+room+"\n", func(line []byte) bool { return isJoined(line, room) }); err != nil {
			return fmt.Errorf("joining %s: %w", room, err)
		}
		s.n.joins.Add(1)
	}
	to := n % s.r.o.Clients
	mark, err := s.dm(c, s.r.clients[to].name)
	if err != nil {
		return err
	}
	ch.confirmed = append(ch.confirmed, confirm{mark: mark, to: to, n: 1})
	return nil
}

// say says chatLines numbered lines in c's room and waits for them to
// come back; it returns their MARKs.
func (s *soak) say(c *client) ([]int, error) {
	var out []byte
	var marks []int
	for range chatLines {
		m := s.mark()
		marks = append(marks, m)
		out = appendLine(out, m, 0, int64(time.Since(s.r.base)), s.r.o.Size)
	}
	last := marks[len(marks)-1]
	err := c.send(string(out), func(line []byte) bool {
		id, _, _, ok := parseLine(line)
		return ok && id == last
	})
	if err != nil {
		return nil, fmt.Errorf("saying %d lines: %w", chatLines, err)
	}
	s.n.lines.Add(chatLines)
	return marks, nil
}

// dm sends the stable client named to a numbered private message and
// waits for the sender's copy; it returns its MARK.
func (s *soak) dm(c *client, to string) (int, error) {
	m := s.mark()
	out := append([]byte("to|"+to+"|"), appendLine(nil, m, 0, int64(time.Since(s.r.base)), s.r.o.Size)...)
	err := c.send(string(out), func(line []byte) bool {
		id, _, _, ok := parseDMCopy(line)
		return ok && id == m
	})
	if err != nil {
		return 0, fmt.Errorf("private message to %s: %w", to, err)
	}
	s.n.dms.Add(1)
	return m, nil
}

// flood sends Flood long lines at once, faster than a server's flood
// control lets through, while it reads them back: each must come back
// once, in order. (Written by a goroutine of its own: the server reads a
// flooder slowly, and one that stopped reading meanwhile would be a slow
// consumer.)
func (s *soak) flood(ch *churner, c *client) error {
	id, lines := s.mark(), s.r.o.Flood
	var out []byte
	sent := int64(time.Since(s.r.base))
	for seq := range lines {
		out = appendLine(out, id, int64(seq), sent, floodSize)
	}
	written := make(chan error, 1)
	go func() {
		_, err := c.conn.Write(out)
		written <- err
	}()
	var (
		next     int64
		disorder error
	)
	err := c.readUntil(func(line []byte) bool {
		got, seq, _, ok := parseLine(line)
		if !ok || got != id {
			return false
		}
		if seq != next && disorder == nil {
			disorder = fmt.Errorf("flood line %d came back where %d was due", seq, next)
		}
		next = seq + 1
		return seq == int64(lines-1)
	})
	if err == nil {
		err = disorder
	}
	if err != nil {
		c.conn.SetWriteDeadline(time.Now()) // the writer gives up
	}
	if werr := <-written; err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("flood of %d lines: %w", lines, err)
	}
	ch.floods = append(ch.floods, flood{id: id, lines: int64(lines)})
	s.n.floods.Add(1)
	s.n.floodLines.Add(int64(lines))
	return nil
}

// leave ends a life: by /quit, by closing its side, or by a reset.
func (s *soak) leave(c *client, how int) error {
	switch how {
	case byQuit:
		s.n.quits.Add(1)
		if err := c.send("/quit\n", isBye); err != nil {
			return fmt.Errorf("waiting for the bye: %w", err)
		}
		s.n.byes.Add(1)
		return c.readToEnd()
	case byClose:
		c.conn.Write([]byte("so long\n"))
		if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
			return err
		}
		s.n.closes.Add(1)
		return c.readToEnd()
	default:
		c.conn.Write([]byte("so long\n"))
		c.conn.(*net.TCPConn).SetLinger(0)
		s.n.resets.Add(1)
		return nil // the caller closes
	}
}

// send writes out and reads until done says yes.
func (c *client) send(out string, done func(line []byte) bool) error {
	if _, err := io.WriteString(c.conn, out); err != nil {
		return err
	}
	return c.readUntil(done)
}

// rename renames c to name.
func (c *client) rename(name string) error {
	if err := c.send("/nick "+name+"\n", func(line []byte) bool { return isRenamed(line, name) }); err != nil {
		return fmt.Errorf("renaming to %s: %w", name, err)
	}
	return nil
}

// renameTaken tries to rename c to name, which someone has: the server
// must refuse.
func (c *client) renameTaken(name string) error {
	if err := c.send("/nick "+name+"\n", func(line []byte) bool { return isNameTaken(line, name) }); err != nil {
		return fmt.Errorf("renaming to %s, which is taken: %w", name, err)
	}
	return nil
}

// readToEnd reads until the server closes the connection.
func (c *client) readToEnd() error {
	for {
		if _, err := c.readLine(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("waiting for the end: %w", err)
		}
	}
}

// slowSlot is where a soak's slow readers take turns: one at a time.
type slowSlot struct {
	cur atomic.Pointer[slowReader] // the one connected now, or nil
}

// slowReader is one slow reader. Its client's gone is set when the
// watcher hears it go offline before it leaves by itself (leaving).
type slowReader struct {
	c       *client
	leaving atomic.Bool
}

// sawOffline notes the slot's slow reader going offline, if line says so.
func (slot *slowSlot) sawOffline(line []byte) {
	sr := slot.cur.Load()
	if sr != nil && !sr.leaving.Load() && isPresence(line, sr.c.name, offlineWords) {
		sr.c.gone.Store(true)
	}
}

// slowReader connects one slow reader after another into the flood room,
// each of which never reads, until the soak stops: the server must cut
// each off.
func (s *soak) slowReader(ctx context.Context, slot *slowSlot) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c := &client{id: s.mark(), stuck: true}
		if err := s.r.join(ctx, c, s.floodRoom); err != nil {
			s.fail(fmt.Errorf("slow reader: %w", withHint(err)))
			if !s.pause(ctx) {
				return
			}
			continue
		}
		s.n.slowIn.Add(1)
		sr := &slowReader{c: c}
		slot.cur.Store(sr)
		deadline := time.Now().Add(slowPatience)
		stopped := false
		for !c.gone.Load() && !stopped && time.Now().Before(deadline) {
			select {
			case <-tick.C:
			case <-s.r.stop:
				stopped = true
			case <-ctx.Done():
				stopped = true
			}
		}
		sr.leaving.Store(true)
		switch {
		case c.gone.Load():
			s.n.slowCut.Add(1)
		case stopped:
			s.n.slowAt.Add(1)
		default:
			s.n.slowGaveUp.Add(1)
		}
		c.conn.Close()
		slot.cur.Store(nil)
		if stopped {
			return
		}
	}
}

// failPause is how long a churner or slow reader waits after a failure
// before it tries again, so that a server that refuses everyone is not
// hammered.
const failPause = 100 * time.Millisecond

// pause waits failPause; it reports false if the soak stopped meanwhile.
func (s *soak) pause(ctx context.Context) bool {
	t := time.NewTimer(failPause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.r.stop:
	case <-ctx.Done():
	}
	return false
}
