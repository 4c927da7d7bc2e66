package chat

import (
	"slices"
	"strings"
	"time"
)

// do runs one command for s and reports whether the session goes on.
func (h *Hub) do(s *Session, cmd Command) bool {
	if cmd.Op != OpSay && cmd.Op != OpNone && !s.awaitCommits(0) {
		return false // no reply overtakes a chat line still being committed
	}
	switch cmd.Op {
	case OpWho, OpRooms, OpHelp, OpHistory, OpBans:
		if !s.waitDrained() {
			return false
		}
	}
	switch cmd.Op {
	case OpNone:
	case OpSay:
		h.say(s, cmd)
	case OpDM:
		h.dm(s, cmd.Name, cmd.Text, cmd.Ref)
	case OpNick:
		h.rename(s, cmd.Name, cmd.Ref)
	case OpWho:
		s.send(&Event{Kind: EvWho, Ref: cmd.Ref, Users: h.userList()})
	case OpJoin:
		h.join(s, cmd.Room, cmd.Ref)
	case OpRooms:
		s.send(&Event{Kind: EvRooms, Ref: cmd.Ref, Rooms: h.roomList()})
	case OpHelp:
		s.send(&Event{Kind: EvHelp, Ref: cmd.Ref})
	case OpPing:
		s.send(&Event{Kind: EvPong, Ref: cmd.Ref})
	case OpQuit:
		s.finish(&Event{Kind: EvBye, Ref: cmd.Ref, Reason: ByeQuit})
		return false
	case OpInvalid:
		s.send(&Event{Kind: EvError, Ref: cmd.Ref, Err: cmd.Err})
	case OpRegister:
		h.register(s, cmd.Text, cmd.Ref)
	case OpLogin:
		h.login(s, cmd.Name, cmd.Text, cmd.Ref)
	case OpHistory:
		h.history(s, cmd)
	case OpKick, OpBan, OpUnban, OpMute, OpUnmute, OpBans:
		h.operator(s, cmd)
	}
	return true
}

func replyErr(s *Session, ref []byte, e *Error) {
	s.send(&Event{Kind: EvError, Ref: ref, Err: e})
}

// say sends a chat line to s's room, s included; a line that is empty once
// cleaned is dropped. An ADDR#TEXT line whose ADDR is a connected user's
// address is a private message instead.
func (h *Hub) say(s *Session, cmd Command) {
	text := Clean(cmd.Text)
	if text != "" && h.refuseMuted(s, cmd.Ref) {
		return
	}
	if cmd.AddrDM && !h.cfg.HideAddrs {
		if i := strings.IndexByte(text, '#'); i > 0 {
			if to := h.byAddr(strings.TrimSpace(text[:i])); to != nil {
				if s.awaitCommits(0) { // a private message overtakes no chat line
					h.dmTo(s, to, text[i+1:], cmd.Ref)
				}
				return
			}
		}
	}
	if text == "" {
		return
	}
	r := s.room.Load()
	ev := &Event{Kind: EvMsg, TS: now(), Room: r.name, Name: s.Name(), Addr: s.pubAddr, Text: text}
	if h.store != nil {
		h.sayStored(s, r, ev, cmd.Ref)
		return
	}
	r.mu.Lock()
	// The ID is taken under the room lock so that IDs rise in the order
	// the room's members receive the messages.
	ev.ID = h.nextID.Add(1)
	r.deliverLocked(ev)
	r.mu.Unlock()
}

// now is the time events carry: UTC, to the millisecond as the wire shows it.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func (h *Hub) byAddr(addr string) *Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.addrs[addr]
}

// dm sends a private message, checking in the seed's order: unknown name,
// then empty text. (Usage errors are the codec's.)
func (h *Hub) dm(s *Session, name, text string, ref []byte) {
	if h.refuseMuted(s, ref) {
		return
	}
	name = Clean(name)
	key := Fold(name)
	h.mu.RLock()
	to, registered := h.names[key], h.accounts[key]
	h.mu.RUnlock()
	text = Clean(text)
	switch {
	case to != nil:
		h.dmTo(s, to, text, ref)
	case registered == "":
		replyErr(s, ref, &Error{Problem: ProbNoSuchUser, Arg: name})
	case text == "":
		replyErr(s, ref, &Error{Problem: ProbEmptyMessage})
	default: // a registered user who is away: kept for their next login
		h.keepDM(s, key, registered, text, ref)
	}
}

func (h *Hub) dmTo(s, to *Session, text string, ref []byte) {
	if text == "" {
		replyErr(s, ref, &Error{Problem: ProbEmptyMessage})
		return
	}
	id, ts := h.nextID.Add(1), now()
	from, toName := s.Name(), to.Name()
	to.send(&Event{Kind: EvDMIn, ID: id, TS: ts, Name: from, To: toName, Addr: s.pubAddr, Text: text})
	s.send(&Event{Kind: EvDMOut, Ref: ref, ID: id, TS: ts, Name: from, To: toName, Addr: s.pubAddr, Text: text})
}

// rename gives s a new name if it is valid and nobody else has it (ignoring
// case); the check and the take happen under one lock.
func (h *Hub) rename(s *Session, name string, ref []byte) {
	name = Clean(name)
	if err := ValidName(name); err != nil {
		replyErr(s, ref, &Error{Problem: ProbInvalidName, Name: err})
		return
	}
	key := Fold(name)
	h.mu.Lock()
	if other := h.names[key]; other != nil && other != s {
		h.mu.Unlock()
		replyErr(s, ref, &Error{Problem: ProbNameTaken, Arg: name})
		return
	}
	if (h.accounts[key] != "" || h.ops[key]) && s.account != key {
		h.mu.Unlock()
		replyErr(s, ref, &Error{Problem: ProbNameRegistered, Arg: name})
		return
	}
	old := s.ident.Load()
	delete(h.names, old.key)
	h.names[key] = s
	s.ident.Store(&ident{name: name, key: key})
	if s.account != key {
		s.account = "" // a logged-in user who takes another name is no longer logged in
	}
	h.mu.Unlock()

	s.send(&Event{Kind: EvNickOK, Ref: ref, Old: old.name, Name: name})
	h.tellRoomRenamed(s, old.name)
}

// userList lists everyone online, sorted by case-folded name.
func (h *Hub) userList() []UserInfo {
	type row struct {
		key string
		UserInfo
	}
	h.mu.RLock()
	rows := make([]row, 0, len(h.sessions))
	for s := range h.sessions {
		id := s.ident.Load()
		rows = append(rows, row{UserInfo: UserInfo{Name: id.name, Room: s.roomName()}})
	}
	h.mu.RUnlock()
	for i := range rows {
		rows[i].key = foldCase(rows[i].Name)
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
	users := make([]UserInfo, len(rows))
	for i, r := range rows {
		users[i] = r.UserInfo
	}
	return users
}
