package chat

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/store"
)

// A Session is one connected client. Its reader goroutine (Hub.Serve) reads
// lines and runs their commands synchronously; its writer goroutine
// (writeLoop) is the only one that writes to the connection. Everyone else
// reaches the client through send, which never blocks.
type Session struct {
	// Static after construction.
	hub     *Hub
	conn    Conn
	addr    string // the peer's address
	pubAddr string // addr, or "" under --hide-addrs: what events carry
	upgrade Codec  // the codec a text session switches to on a first '{'
	defName string // the name given on connect (or after losing a login)

	// account is the key of the account s is logged in to, or "".
	// Guarded by hub.mu.
	account string
	// muted is the mute an operator put on s, whatever its name since; nil
	// if none.
	muted atomic.Pointer[store.Sanction]
	// uncommitted counts the chat lines waiting for their commit under
	// strict durability.
	uncommitted atomic.Int64

	// Written under hub.mu, read anywhere.
	ident atomic.Pointer[ident]
	// Written by the reader under hub.roomsMu, read anywhere.
	room atomic.Pointer[room]
	// mode is the session's metrics label; written by the reader.
	mode atomic.Int32
	// writingSince is when the writer began its current write (Unix
	// nanoseconds), or 0 between writes.
	writingSince atomic.Int64

	// Guarded by qmu.
	qmu    sync.Mutex
	q      []*Event
	closed bool // no more events are accepted; the writer ends after q
	slow   bool // q overflowed: the writer says bye best effort and ends
	// relief, made by a producer waiting for this session to catch up, is
	// closed when the writer next takes the queue.
	relief chan struct{}

	// writing is set while a writer goroutine runs: from when an event
	// (or the end) finds none running until it finds q empty. After the
	// end it stays set.
	writing bool

	// Owned by the running writer (handed from one to the next under qmu).
	codec     Codec     // what the writer speaks: the start codec, then upgrade
	wdeadline time.Time // the connection's write deadline
	spare     []*Event  // the writer's batch buffer, kept between runs

	// writer is s.writeLoop, bound once: `go s.writeLoop()` would allocate
	// the bound method for every start.
	writer func()

	done chan struct{} // closed when closed is set
	// nudge (cap 1) wakes a reader that waits (awaitCommits, waitDrained):
	// one of its lines was committed, or the writer found q empty. The
	// reader checks again what it waits for.
	nudge   chan struct{}
	ended   chan struct{} // closed by the last writer, once the end is written
	endOnce sync.Once
}

type ident struct {
	name string
	key  string // Fold(name)
}

// Name returns the session's current name.
func (s *Session) Name() string { return s.ident.Load().name }

// wakeLocked reports whether the caller, which just queued something or
// closed the session, must start a writer (go s.writer()) once it has
// unlocked qmu: none is running. The caller holds qmu.
func (s *Session) wakeLocked() bool {
	if s.writing {
		return false
	}
	s.writing = true
	return true
}

// stallTime is how long the writer must have been stuck in one write for a
// full queue to mean that the client has stopped reading; headroom is how
// far past --queue a queue may grow while the writer is not stuck (the
// server, not the client, is behind) before the session goes regardless.
const (
	stallTime = 250 * time.Millisecond
	headroom  = 4
)

// send queues ev for the client without blocking. When the queue is full
// and the client has stopped taking data (its writer is stuck in a write),
// or the queue has grown past its headroom, the client is a slow consumer:
// nothing more is queued and the writer ends the session. A queue past its
// pressure mark puts the session under pressure (see room.pressed): the
// room's producers wait for it to catch up.
func (s *Session) send(ev *Event) {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return
	}
	if n := len(s.q); n >= s.hub.cfg.Queue && (n >= headroom*s.hub.cfg.Queue || s.stalled()) {
		clear(s.q)
		s.q = s.q[:0]
		s.slow = true
		s.closeLocked()
		// The writer is likely stuck in a write the client does not read:
		// give it a second, not the rest of the write timeout.
		s.conn.SetWriteDeadline(time.Now().Add(time.Second))
		start := s.wakeLocked()
		s.qmu.Unlock()
		s.hub.Metrics.SlowConsumers.Add(1)
		if start {
			go s.writer()
		}
		return
	}
	s.q = append(s.q, ev)
	n := len(s.q)
	start := s.wakeLocked()
	s.qmu.Unlock()
	if start {
		go s.writer()
	}
	if n >= s.pressureMark() {
		if r := s.room.Load(); r != nil && r.pressed.Load() == nil {
			r.pressed.CompareAndSwap(nil, s)
		}
	}
}

// catchUp holds a producer (a reader that just handled a line) while a
// member of its room is behind: until that member's writer takes its queue,
// or it has been stuck in one write for stallTime (a client that does not
// read, which becomes a slow consumer once its queue is full: a room waits
// for it once, not for every line), or either session ends. This paces the producers of a busy room to its slowest healthy
// reader, so that bursts do not overflow the queues of clients that read
// perfectly well, and it lets each writer carry many events per write. It
// reports false if s closed meanwhile.
func (s *Session) catchUp(w *waiter) bool {
	r := s.room.Load()
	if r == nil {
		return true
	}
	p := r.pressed.Load()
	if p == nil {
		return true
	}
	ch := p.reliefChan()
	if ch == nil || p.stalled() {
		r.pressed.CompareAndSwap(p, nil)
		return true
	}
	wait := stallTime
	if since := p.writingSince.Load(); since != 0 {
		wait -= time.Since(time.Unix(0, since))
	}
	t := w.start(max(wait, 0))
	defer t.Stop()
	select {
	case <-ch:
	case <-p.done:
	case <-t.C:
	case <-s.done:
		return false
	}
	r.pressed.CompareAndSwap(p, nil)
	return true
}

// waiter is a reader's timer for catchUp, made on first use and reused.
type waiter struct{ t *time.Timer }

func (w *waiter) start(d time.Duration) *time.Timer {
	if w.t == nil {
		w.t = time.NewTimer(d)
	} else {
		w.t.Reset(d)
	}
	return w.t
}

func (w *waiter) stop() {
	if w.t != nil {
		w.t.Stop()
	}
}

// pressureMark is the queue length that puts a session under pressure:
// three quarters of --queue.
func (s *Session) pressureMark() int { return s.hub.cfg.Queue - s.hub.cfg.Queue/4 }

// reliefChan returns a channel closed when the writer next takes the
// queue, or nil if the queue is under the pressure mark or the session
// closed.
func (s *Session) reliefChan() chan struct{} {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.closed || len(s.q) < s.pressureMark() {
		return nil
	}
	if s.relief == nil {
		s.relief = make(chan struct{})
	}
	return s.relief
}

// stalled reports whether the writer has been stuck in one write for
// stallTime: the client is not reading.
func (s *Session) stalled() bool {
	since := s.writingSince.Load()
	return since != 0 && time.Since(time.Unix(0, since)) >= stallTime
}

// finish queues last (if not nil) as the session's final event, past the
// queue limit, and accepts nothing after it. The writer writes everything
// queued, then ends. A session given its last words first leaves the names
// (who, private messages) and its room (offline), so that once the client
// has read them it is gone for everyone. The caller holds no lock.
func (s *Session) finish(last *Event) {
	if last != nil {
		s.hub.removeSession(s)
		s.hub.leave(s)
	}
	s.qmu.Lock()
	if !s.closed {
		if last != nil {
			s.q = append(s.q, last)
		}
		s.closeLocked()
	}
	start := s.wakeLocked()
	s.qmu.Unlock()
	if start {
		go s.writer()
	}
}

func (s *Session) closeLocked() {
	s.closed = true
	close(s.done)
}

func (s *Session) isClosed() bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return s.closed
}

// lingerTime is how long, after its last words, a session reads and drops
// what the client still sends before the connection is closed.
const lingerTime = time.Second

// writeLoop is the session's writer. It runs only while there is
// something to write: started by the event that finds none running, it
// drains everything queued, writes it in one go, and ends when it finds the
// queue empty, so that an idle session holds no writer goroutine, stack or
// batch buffer. The writer that finds the session closed writes its last
// words, closes the connection for writing and closes ended; Serve closes
// the connection for good once the reader has drained the input.
//
// Started, it first yields: the readers that have input waiting run first,
// and the writer then carries all they fanned out in one write. Under load
// that turns one write per event into one write per round of input, which
// is most of the cost of fan-out (a write to a socket costs microseconds,
// a yield a fraction of one).
//
// The write deadline is pushed back only once half of WriteTimeout has
// passed, not before every write: a write may fail after between half of
// WriteTimeout and all of it.
func (s *Session) writeLoop() {
	runtime.Gosched()
	batch := s.spare // q and spare take turns: no allocation per wake-up
	timeout := s.hub.cfg.WriteTimeout
	for {
		s.qmu.Lock()
		batch, s.q = s.q, batch[:0]
		closed, slow := s.closed, s.slow
		if len(batch) > 0 && !slow {
			if now := time.Now(); s.wdeadline.Sub(now) < timeout/2 {
				s.wdeadline = now.Add(timeout)
				s.conn.SetWriteDeadline(s.wdeadline)
			}
		}
		if s.relief != nil {
			close(s.relief)
			s.relief = nil
		}
		if len(batch) == 0 && !closed && !slow {
			s.writing = false
			s.q, s.spare = keepSmall(s.q), keepSmall(batch)
			s.qmu.Unlock()
			select { // tell a reader waiting for its replies to go out
			case s.nudge <- struct{}{}:
			default:
			}
			return
		}
		s.qmu.Unlock()
		if slow {
			s.sayGoodbyeSlow(s.codec)
			s.end()
			return
		}
		if len(batch) == 0 { // closed, and everything written
			s.end()
			return
		}
		var err error
		s.codec, err = s.write(batch, s.codec)
		clear(batch)
		if err != nil {
			s.finish(nil)
			s.end()
			return
		}
	}
}

// idleQueueCap is the largest queue buffer a session keeps while idle (two
// of them, 512 B each at most): enough that a busy session does not grow
// its buffers anew at every burst, little enough for idle connections.
const idleQueueCap = 64

// keepSmall returns q, or nil to let a burst's queue buffer go.
func keepSmall(q []*Event) []*Event {
	if cap(q) > idleQueueCap {
		return nil
	}
	return q
}

// end is the last writer's last act (a writer that panicked may get there
// twice).
func (s *Session) end() {
	s.endOnce.Do(func() {
		s.conn.CloseWrite(lingerTime)
		close(s.ended)
	})
}

// write writes batch, switching to the JSON codec at a switch marker, and
// returns the codec in force after it.
func (s *Session) write(batch []*Event, codec Codec) (Codec, error) {
	start := 0
	for i, ev := range batch {
		if ev.Kind != evSwitchJSON {
			continue
		}
		if err := s.writeSegment(batch[start:i], codec); err != nil {
			return codec, err
		}
		codec = s.upgrade
		start = i + 1
	}
	return codec, s.writeSegment(batch[start:], codec)
}

func (s *Session) writeSegment(evs []*Event, codec Codec) error {
	if len(evs) == 0 {
		return nil
	}
	s.writingSince.Store(time.Now().UnixNano())
	err := s.conn.WriteEvents(evs, codec)
	s.writingSince.Store(0)
	if err != nil {
		return err
	}
	var n, written int
	for _, ev := range evs {
		if b := len(ev.Bytes(codec)); b > 0 {
			n += b
			written++ // an event with no form in this codec was not written
		}
	}
	s.hub.Metrics.EventsOut.Add(int64(written))
	s.hub.Metrics.BytesOut.Add(int64(n))
	return nil
}

// sayGoodbyeSlow tells a slow consumer why it goes, if its connection still
// takes a line within a second.
func (s *Session) sayGoodbyeSlow(codec Codec) {
	s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	s.conn.WriteEvents([]*Event{{Kind: EvBye, Reason: ByeSlowConsumer}}, codec)
}

// waitDrained holds the reader until everything queued for s has been
// written, before a command whose reply may be large (who, rooms, help,
// history): a client that asks and does not read then stops being read,
// instead of piling replies up in the server's memory.
func (s *Session) waitDrained() bool {
	for {
		s.qmu.Lock()
		empty, closed := len(s.q) == 0, s.closed
		s.qmu.Unlock()
		if closed {
			return false
		}
		if empty {
			return true
		}
		select {
		case <-s.nudge:
		case <-s.done:
			return false
		}
	}
}
