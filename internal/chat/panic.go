package chat

import "runtime/debug"

// A panic in one session's handling (a parser, a command, an encoder) ends
// that session only: it is recovered, logged with its stack and counted
// (Metrics.Panics), and the session goes as if its connection had broken.
// The server and every other session go on. The hub's locked regions only
// queue events and keep books; a panic inside one would still be
// recovered, but could leave its lock held.

// readSafely is readLoop, recovering a panic.
func (h *Hub) readSafely(s *Session, codec Codec) {
	defer func() {
		if r := recover(); r != nil {
			h.panicked(s, "reader", r)
		}
	}()
	h.readLoop(s, codec)
}

// writeSafely is writeLoop, recovering a panic: the session ends, and
// ended is closed for Serve.
func (s *Session) writeSafely() {
	defer func() {
		if r := recover(); r != nil {
			s.hub.panicked(s, "writer", r)
			s.finish(nil)
			s.end()
		}
	}()
	s.writeLoop()
}

func (h *Hub) panicked(s *Session, where string, r any) {
	h.Metrics.Panics.Add(1)
	h.log.Error("session panicked; ending it", "addr", s.addr, "in", where, "panic", r, "stack", string(debug.Stack()))
}
