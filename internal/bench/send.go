package bench

import "time"

// sender writes one client's bench lines, paced (a rate) or as fast as its
// own lines come back (a limit in flight). In DM each line is a private
// message to the client's partner.
type sender struct {
	c   *client
	idx int // the client's index, S in its lines
	// prefix goes before each line: "to|NAME|" in DM (set once the
	// partner's name is known, before the sender starts), nil otherwise.
	prefix []byte

	// Owned by run; read by Run once it has ended. (A write that fails
	// ends the sender; its reader sees the same connection end.)
	buf   []byte
	seq   int64 // the next sequence number
	inWin int64 // lines sent within the measured window
}

// maxBatch bounds the lines of one write when a paced sender catches up.
const maxBatch = 256

// writeGrace is how long after the window a write may still block while
// the server works through a backlog.
const writeGrace = 10 * time.Second

func (s *sender) run(r *run) {
	s.c.conn.SetWriteDeadline(r.base.Add(time.Duration(r.win.end) + writeGrace))
	if r.o.Rate > 0 {
		s.paced(r)
	} else {
		s.inflight(r)
	}
}

// write sends n lines in one write, all stamped with the time now. It
// returns false once the window is over or the write failed.
func (s *sender) write(r *run, n int) bool {
	now := int64(time.Since(r.base))
	if now >= r.win.end {
		return false
	}
	s.buf = s.buf[:0]
	for range n {
		s.buf = append(s.buf, s.prefix...)
		s.buf = appendLine(s.buf, s.idx, s.seq, now, r.o.Size)
		s.seq++
	}
	if _, err := s.c.conn.Write(s.buf); err != nil {
		return false
	}
	if now >= r.win.start {
		s.inWin += int64(n)
	}
	return true
}

// paced sends at Rate/Senders lines a second, the senders staggered over
// one interval. Lines fall due on a fixed schedule; those that fell due
// while the sender slept or the socket was full go out together.
func (s *sender) paced(r *run) {
	interval := time.Duration(float64(time.Second) * float64(r.o.Senders) / r.o.Rate)
	interval = max(interval, 1)
	next := r.t0 + interval*time.Duration(s.idx)/time.Duration(r.o.Senders)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Since(r.base)
		n := 0
		for ; next <= now && n < maxBatch; n++ {
			next += interval
		}
		if n > 0 && !s.write(r, n) {
			return
		}
		timer.Reset(max(next-time.Since(r.base), 0))
		select {
		case <-timer.C:
		case <-r.stop:
			return
		}
	}
}

// inflight keeps Inflight lines in flight: it sends the next line when one
// of its own comes back (in DM: when its partner has read one).
func (s *sender) inflight(r *run) {
	n := r.o.Inflight
	for s.write(r, n) {
		select {
		case <-s.c.credit:
		case <-r.stop:
			return
		}
		n = 1
	more: // and every other that came back meanwhile
		for n < r.o.Inflight {
			select {
			case <-s.c.credit:
				n++
			default:
				break more
			}
		}
	}
}
