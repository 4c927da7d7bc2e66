package chat

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// recent are the room's last messages as delivered, oldest first, at
	// most replayCount: what a newcomer is replayed. Kept here rather than
	// read from the store on entry, so that a message committed but not yet
	// delivered is never both replayed and delivered. Guarded by mu.
	recent []*Event
	// pressed is a member whose queue is past its pressure mark, or nil: the
	// room's producers wait for it to catch up (Session.catchUp).
	pressed atomic.Pointer[Session]
}

// replayCount is how many messages entering a room replays.
const replayCount = 20

// newRoom makes a room, with its recent messages from the store.
func (h *Hub) newRoom(name, key string) *room {
	return &room{name: name, key: key, recent: h.loadRecent(key)}
}

// deliverLocked sends a chat line to every member and keeps it among the
// room's recent messages. The caller holds mu.
func (r *room) deliverLocked(ev *Event) {
	if len(r.recent) == replayCount {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:replayCount-1]
	}
	r.recent = append(r.recent, ev)
	r.broadcastLocked(ev, nil)
}

// historyLocked is the replay for a newcomer. The caller holds mu.
func (r *room) historyLocked(ref []byte) *Event {
	return &Event{Kind: EvHistory, Ref: ref, Room: r.name, Messages: slices.Clone(r.recent)}
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
	s.send(r.historyLocked(nil))
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
		old.mu.Lock()
		s.send(&Event{Kind: EvJoinOK, Ref: ref, Room: old.name})
		s.send(old.historyLocked(nil))
		old.mu.Unlock()
		return
	}
	h.removeLocked(s, old, Left)
	r := h.rooms[key]
	if r == nil {
		r = h.newRoom(name, key)
		h.rooms[key] = r
	}
	r.mu.Lock()
	r.members = append(r.members, s)
	s.room.Store(r)
	s.send(&Event{Kind: EvJoinOK, Ref: ref, Room: r.name})
	s.send(r.historyLocked(nil))
	r.broadcastLocked(h.presence(s, Joined, r, ""), s)
	r.mu.Unlock()
}

// leave takes s out of its room for good, telling the others it went
// offline (but not while the server shuts down: everyone goes then, and
// each is told so). Leaving twice is leaving once.
func (h *Hub) leave(s *Session) {
	h.mu.RLock()
	closing := h.closing
	h.mu.RUnlock()
	h.roomsMu.Lock()
	defer h.roomsMu.Unlock()
	if r := s.room.Load(); r != nil {
		p := Offline
		if closing {
			p = 0
		}
		h.removeLocked(s, r, p)
	}
}

// removeLocked takes s out of r, tells r's remaining members why (p), and
// forgets r if it is empty. The caller holds roomsMu.
func (h *Hub) removeLocked(s *Session, r *room, p PresenceKind) {
	r.mu.Lock()
	if i := slices.Index(r.members, s); i >= 0 {
		r.members = slices.Delete(r.members, i, i+1)
		if p != 0 { // 0: leave without a word
			r.broadcastLocked(h.presence(s, p, r, ""), nil)
		}
	}
	empty := len(r.members) == 0
	r.mu.Unlock()
	if empty && r != h.lobby {
		delete(h.rooms, r.key)
	}
}

// roomList returns the rooms with people in them, sorted by case-folded
// name.
func (h *Hub) roomList() []RoomInfo {
	type row struct {
		key string
		RoomInfo
	}
	h.roomsMu.Lock()
	rows := make([]row, 0, len(h.rooms))
	for _, r := range h.rooms {
		if n := len(r.members); n > 0 {
			rows = append(rows, row{RoomInfo: RoomInfo{Name: r.name, Users: n}})
		}
	}
	h.roomsMu.Unlock()
	for i := range rows {
		rows[i].key = foldCase(rows[i].Name)
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
	list := make([]RoomInfo, len(rows))
	for i, r := range rows {
		list[i] = r.RoomInfo
	}
	return list
}
