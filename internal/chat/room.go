package chat

import (
	"slices"
	"strings"
	"sync"
)

// A room is a set of sessions that hear each other's chat lines.
type room struct {
	// Static after construction.
	name string // as first spelled
	key  string // Fold(name)

	// mu guards members. It is held while an event is fanned out, so every
	// member sees the room's events in one order and a member who joins or
	// leaves sees a clean cut. Fan-out only queues (Session.send never
	// blocks), so holding it is short.
	mu      sync.Mutex
	members []*Session // changed under Hub.roomsMu and mu
}

// broadcast queues ev for every member but except.
func (r *room) broadcast(ev *Event, except *Session) {
	r.mu.Lock()
	r.broadcastLocked(ev, except)
	r.mu.Unlock()
}

func (r *room) broadcastLocked(ev *Event, except *Session) {
	for _, m := range r.members {
		if m != except {
			m.send(ev)
		}
	}
}

// enterLobby puts a new session in the lobby: it gets the lobby's history,
// then everyone there, itself included, gets its online line.
func (h *Hub) enterLobby(s *Session) {
	h.roomsMu.Lock()
	defer h.roomsMu.Unlock()
	r := h.lobby
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members = append(r.members, s)
	s.room.Store(r)
	s.send(&Event{Kind: EvHistory, Room: r.name})
	r.broadcastLocked(h.presence(s, Online, r, ""), nil)
}

func (h *Hub) presence(s *Session, p PresenceKind, r *room, old string) *Event {
	return &Event{Kind: EvPresence, Presence: p, Name: s.Name(), Old: old, Room: r.name, Addr: s.pubAddr}
}

// join moves s to the room called name, creating it if needed.
func (h *Hub) join(s *Session, name string, ref []byte) {
	name = Clean(name)
	if err := ValidName(name); err != nil {
		s.send(&Event{Kind: EvError, Ref: ref, Err: &Error{Problem: ProbInvalidRoom, Name: err}})
		return
	}
	key := Fold(name)
	h.roomsMu.Lock()
	defer h.roomsMu.Unlock()
	old := s.room.Load()
	if old.key == key {
		s.send(&Event{Kind: EvJoinOK, Ref: ref, Room: old.name})
		s.send(&Event{Kind: EvHistory, Room: old.name})
		return
	}
	h.removeLocked(s, old, Left)
	r := h.rooms[key]
	if r == nil {
		r = &room{name: name, key: key}
		h.rooms[key] = r
	}
	r.mu.Lock()
	r.members = append(r.members, s)
	s.room.Store(r)
	s.send(&Event{Kind: EvJoinOK, Ref: ref, Room: r.name})
	s.send(&Event{Kind: EvHistory, Room: r.name})
	r.broadcastLocked(h.presence(s, Joined, r, ""), s)
	r.mu.Unlock()
}

// leave takes s out of its room for good, telling the others it went
// offline.
func (h *Hub) leave(s *Session) {
	h.roomsMu.Lock()
	defer h.roomsMu.Unlock()
	if r := s.room.Load(); r != nil {
		h.removeLocked(s, r, Offline)
	}
}

// removeLocked takes s out of r, tells r's remaining members why (p), and
// forgets r if it is empty. The caller holds roomsMu.
func (h *Hub) removeLocked(s *Session, r *room, p PresenceKind) {
	r.mu.Lock()
	if i := slices.Index(r.members, s); i >= 0 {
		r.members = slices.Delete(r.members, i, i+1)
		r.broadcastLocked(h.presence(s, p, r, ""), nil)
	}
	empty := len(r.members) == 0
	r.mu.Unlock()
	if empty && r != h.lobby {
		delete(h.rooms, r.key)
	}
}

// roomList returns the rooms with people in them, sorted by folded name.
func (h *Hub) roomList() []RoomInfo {
	h.roomsMu.Lock()
	list := make([]RoomInfo, 0, len(h.rooms))
	keys := make(map[string]string, len(h.rooms))
	for _, r := range h.rooms {
		if n := len(r.members); n > 0 {
			list = append(list, RoomInfo{Name: r.name, Users: n})
			keys[r.name] = r.key
		}
	}
	h.roomsMu.Unlock()
	slices.SortFunc(list, func(a, b RoomInfo) int { return strings.Compare(keys[a.Name], keys[b.Name]) })
	return list
}
