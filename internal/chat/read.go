package chat

import (
	"errors"
	"time"

	"golang.org/x/time/rate"
)

// readLoop reads lines and runs their commands, one at a time and in order,
// until the client leaves or the session is closed.
func (h *Hub) readLoop(s *Session, codec Codec) {
	pace := newPacer(h.cfg.Rate)
	defer pace.stop()
	idle := h.idleTimer(s)
	defer idle.stop()
	var behind waiter
	first := true
	for {
		line, err := s.conn.ReadLine()
		if s.isClosed() {
			return
		}
		tooLong := errors.Is(err, ErrLineTooLong)
		if errors.Is(err, ErrLineTimeout) {
			s.finish(&Event{Kind: EvBye, Reason: ByeLineTimeout, Idle: h.cfg.LineTimeout})
			return
		}
		if err != nil && !tooLong {
			return
		}
		h.Metrics.LinesIn.Add(1)
		idle.reset()
		if first {
			// An over-long first line is a first line too: it keeps the
			// session in text mode.
			first = false
			if !tooLong && s.upgrade != nil && len(line) > 0 && line[0] == '{' {
				codec = s.upgrade
				h.switchToJSON(s)
			}
		}
		if !pace.wait(s, &h.Metrics) {
			return
		}
		if tooLong {
			s.send(&Event{Kind: EvError, Err: &Error{Problem: ProbLineTooLong, N: h.cfg.MaxLine}})
			continue
		}
		cmd := codec.Parse(line)
		if !h.do(s, cmd) || !s.catchUp(&behind) {
			return
		}
	}
}

// switchToJSON moves a text session to the JSON mode: from the marker on,
// its writer speaks JSON, starting with welcome and the lobby's history.
func (h *Hub) switchToJSON(s *Session) {
	h.Metrics.Sessions[s.mode.Load()].Add(-1)
	s.mode.Store(int32(ModeJSON))
	h.Metrics.Sessions[ModeJSON].Add(1)
	s.send(&Event{Kind: evSwitchJSON})
	s.send(h.welcome(s, nil))
	r := s.room.Load()
	r.mu.Lock()
	s.send(r.historyLocked(nil))
	r.mu.Unlock()
}

// pacer is flood control: it delays the handling of a line that comes
// faster than the rate, which in turn delays reading the connection, so TCP
// flow control pushes back on the client. Nothing is dropped.
type pacer struct {
	lim   *rate.Limiter
	delay waiter // made at the first wait, reused: no timer per line
}

func newPacer(perSecond float64) *pacer {
	if perSecond <= 0 {
		return &pacer{}
	}
	burst := int(2 * perSecond)
	if burst < 1 {
		burst = 1
	}
	return &pacer{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// wait holds the reader until the next line may be handled; it reports false
// if the session closed meanwhile.
func (p *pacer) wait(s *Session, m *Metrics) bool {
	if p.lim == nil {
		return true
	}
	d := p.lim.Reserve().Delay()
	if d <= 0 {
		return true
	}
	m.RateLimited.Add(1)
	t := p.delay.start(d)
	select {
	case <-t.C:
		return true
	case <-s.done:
		t.Stop()
		return false
	}
}

func (p *pacer) stop() { p.delay.stop() }

// idler is the idle kick: one timer per session, pushed back by every whole
// line (so a client trickling half a line still goes idle). When it fires,
// the session ends with the idle bye, which its writer still delivers; the
// writer then closes the connection, which ends the reader.
type idler struct {
	d time.Duration
	t *time.Timer
}

func (h *Hub) idleTimer(s *Session) idler {
	d := h.cfg.IdleTimeout
	if d <= 0 {
		return idler{}
	}
	return idler{d: d, t: time.AfterFunc(d, func() {
		s.finish(&Event{Kind: EvBye, Reason: ByeIdle, Idle: d})
	})}
}

func (i idler) reset() {
	if i.t != nil {
		i.t.Reset(i.d)
	}
}

func (i idler) stop() {
	if i.t != nil {
		i.t.Stop()
	}
}
