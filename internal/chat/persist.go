package chat

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"parley/internal/store"
)

// storeTimeout bounds a store call made for one client's command.
const storeTimeout = 5 * time.Second

// historyMax is the most messages one history request returns.
const historyMax = 1000

// loadStore reads where the message IDs are and which names are registered.
func (h *Hub) loadStore() error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	last, err := h.store.LastID(ctx)
	if err != nil {
		return err
	}
	h.nextID.Store(last)
	accounts, err := h.store.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		h.accounts[a.Key] = a.Name
	}
	return h.loadSanctions(ctx)
}

// loadRecent reads a room's last messages when the room comes into being.
// Without them the room just starts empty: the failure is logged and counted.
func (h *Hub) loadRecent(key string) []*Event {
	if h.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	msgs, err := h.store.History(ctx, key, 0, replayCount)
	if err != nil {
		h.storeFailed("load room history", err)
		return nil
	}
	evs := make([]*Event, len(msgs))
	for i, m := range msgs {
		evs[i] = msgEvent(m)
	}
	return evs
}

func msgEvent(m store.Message) *Event {
	return &Event{Kind: EvMsg, ID: m.ID, TS: m.TS, Room: m.RoomName, Name: m.From, Addr: m.Addr, Text: m.Text}
}

func (h *Hub) storeFailed(what string, err error) {
	h.Metrics.StoreErrors.Add(1)
	h.log.Error("store: "+what+" failed", "err", err)
}

// maxUncommitted bounds a session's chat lines waiting for their commit
// under strict durability.
const maxUncommitted = 32

// keepUnsaved bounds the chat lines that relaxed durability delivered and
// the store failed to save, kept to be saved when it works again (some
// 20 MB at most).
const keepUnsaved = 100_000

// sayStored sends a chat line to its room with a store. Under strict
// durability it is delivered once committed; the reader goes on reading
// (up to maxUncommitted lines may wait for their commits), and a command
// other than a chat line first waits for them (awaitCommits), so no reply
// overtakes them. Under relaxed durability it is delivered at once and
// committed soon after. The ID is taken under the room lock and the line
// submitted there too, so that IDs, commits and deliveries follow one order.
func (h *Hub) sayStored(s *Session, r *room, ev *Event, ref []byte) {
	m := store.Message{Room: r.key, RoomName: r.name, From: ev.Name, Addr: ev.Addr, Text: ev.Text, TS: ev.TS}
	if !h.cfg.Relaxed && !s.awaitCommits(maxUncommitted-1) {
		return
	}
	r.mu.Lock()
	ev.ID = h.nextID.Add(1)
	m.ID = ev.ID
	if h.cfg.Relaxed {
		r.deliverLocked(ev)
		err := h.commit.Submit(m, func(err error) {
			if err != nil { // delivered, but not kept: the sender is told
				h.Metrics.StoreErrors.Add(1)
				replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
			}
		})
		r.mu.Unlock()
		if err != nil {
			h.storeFailed("save message", err)
			replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		}
		return
	}
	s.uncommitted.Add(1)
	err := h.commit.Submit(m, func(err error) {
		if err == nil {
			r.mu.Lock()
			r.deliverLocked(ev)
			r.mu.Unlock()
		} else {
			h.Metrics.StoreErrors.Add(1)
			replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		}
		s.uncommitted.Add(-1)
		select {
		case s.nudge <- struct{}{}:
		default:
		}
	})
	r.mu.Unlock()
	if err != nil {
		s.uncommitted.Add(-1)
		h.Metrics.StoreErrors.Add(1)
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
	}
}

// awaitCommits holds the reader until at most n of its chat lines wait for
// their commit; it reports false if the session closed meanwhile.
func (s *Session) awaitCommits(n int64) bool {
	for s.uncommitted.Load() > n {
		select {
		case <-s.nudge:
		case <-s.done:
			return false
		}
	}
	return true
}

// register makes s's current name an account with the given password.
func (h *Hub) register(s *Session, pw string, ref []byte) {
	if h.store == nil {
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	id := s.ident.Load()
	if id.name == s.defName {
		replyErr(s, ref, &Error{Problem: ProbInvalidName, Name: &NameError{Problem: NameDefault}})
		return
	}
	h.mu.RLock()
	_, taken := h.accounts[id.key]
	h.mu.RUnlock()
	if taken || h.ops[id.key] {
		replyErr(s, ref, &Error{Problem: ProbNameRegistered, Arg: id.name})
		return
	}
	pw = CleanPassword(pw)
	if pw == "" {
		replyErr(s, ref, &Error{Problem: ProbUsage, Arg: "/register PASSWORD"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	hash, err := h.hasher.Hash(ctx, pw)
	if err == nil {
		err = h.store.CreateAccount(ctx, store.Account{Key: id.key, Name: id.name, Hash: hash, Created: now()})
	}
	switch {
	case errors.Is(err, store.ErrExists):
		replyErr(s, ref, &Error{Problem: ProbNameRegistered, Arg: id.name})
		return
	case err != nil:
		h.storeFailed("register", err)
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	h.mu.Lock()
	h.accounts[id.key] = id.name
	s.account = id.key
	h.mu.Unlock()
	s.send(&Event{Kind: EvRegistered, Ref: ref, Name: id.name})
}

// login checks a password and gives s the account's name, taking it from
// whoever holds it, then delivers the private messages kept for it.
func (h *Hub) login(s *Session, name, pw string, ref []byte) {
	if h.store == nil {
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	key := Fold(Clean(name))
	host := addrKey(s.addr)
	if wait := h.logins.wait(key, host, time.Now()); wait > 0 {
		replyErr(s, ref, &Error{Problem: ProbRateLimited, Wait: wholeSeconds(wait)})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	acct, err := h.store.Account(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.storeFailed("login", err)
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	ok, err := h.hasher.Check(ctx, acct.Hash, CleanPassword(pw)) // a dummy check when there is no account
	if ctx.Err() != nil {                                        // too many logins at once: not the client's failure
		h.log.Warn("login: no password check in time", "err", err)
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	if err != nil || !ok {
		h.logins.fail(key, host, time.Now())
		replyErr(s, ref, &Error{Problem: ProbBadPassword})
		return
	}
	if ban, banned := h.sanctions.get(store.Ban, acct.Key, time.Now()); banned {
		replyErr(s, ref, &Error{Problem: ProbBanned, Until: ban.Until, Arg: ban.Reason})
		return
	}
	h.takeName(s, acct)
	s.send(&Event{Kind: EvLoggedIn, Ref: ref, Name: acct.Name})
	h.deliverKept(s, acct.Key)
}

// takeName gives s the account's name. Whoever else holds it goes back to
// its default name, and each room hears of the renames.
func (h *Hub) takeName(s *Session, acct store.Account) {
	h.mu.Lock()
	var loser *Session
	var loserOld *ident
	if other := h.names[acct.Key]; other != nil && other != s {
		loser, loserOld = other, other.ident.Load()
		if key := Fold(other.defName); h.names[key] != nil || h.accounts[key] != "" {
			other.defName = h.defaultNameLocked(other)
		}
		back := &ident{name: other.defName, key: Fold(other.defName)}
		h.names[back.key] = other
		other.ident.Store(back)
		other.account = ""
	}
	old := s.ident.Load()
	delete(h.names, old.key)
	h.names[acct.Key] = s
	s.ident.Store(&ident{name: acct.Name, key: acct.Key})
	s.account = acct.Key
	h.accounts[acct.Key] = acct.Name // made with parley account while the server ran, it is protected from now
	h.mu.Unlock()

	if loser != nil {
		loser.send(&Event{Kind: EvNickOK, Old: loserOld.name, Name: loser.Name()})
		h.tellRoomRenamed(loser, loserOld.name)
	}
	h.tellRoomRenamed(s, old.name)
}

// tellRoomRenamed tells the others in s's room that s was called old.
func (h *Hub) tellRoomRenamed(s *Session, old string) {
	if name := s.Name(); old != name {
		r := s.room.Load()
		r.broadcast(&Event{Kind: EvPresence, Presence: Renamed, Name: name, Old: old, Room: r.name, Addr: s.pubAddr}, s)
	}
}

// deliverKept sends the private messages kept for key while it was away.
func (h *Hub) deliverKept(s *Session, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	dms, err := h.store.TakeDMs(ctx, key)
	if err != nil {
		h.storeFailed("take offline messages", err)
		replyErr(s, nil, &Error{Problem: ProbStoreUnavailable})
		return
	}
	for _, dm := range dms {
		s.send(&Event{Kind: EvDMIn, Stored: true, ID: dm.ID, TS: dm.TS, Name: dm.From, To: dm.To, Addr: dm.Addr, Text: dm.Text})
	}
}

// keepDM stores a private message for a registered user who is offline.
func (h *Hub) keepDM(s *Session, key, to, text string, ref []byte) {
	dm := store.DM{ID: h.nextID.Add(1), ToKey: key, To: to, From: s.Name(), Addr: s.pubAddr, Text: text, TS: now()}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := h.store.QueueDM(ctx, dm); err != nil {
		h.storeFailed("keep offline message", err)
		replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	s.send(&Event{Kind: EvDMOut, Ref: ref, Queued: true, ID: dm.ID, TS: dm.TS, Name: dm.From, To: to, Addr: dm.Addr, Text: text})
}

// history answers a history request: the last messages of a room (yours by
// default), before a message ID if one is given.
func (h *Hub) history(s *Session, cmd Command) {
	if h.store == nil {
		replyErr(s, cmd.Ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	r := s.room.Load()
	key, name := r.key, r.name
	if cmd.Room != "" {
		name = Clean(cmd.Room)
		if err := ValidName(name); err != nil {
			replyErr(s, cmd.Ref, &Error{Problem: ProbInvalidRoom, Name: err})
			return
		}
		key = Fold(name)
	}
	limit := cmd.Limit
	if limit <= 0 {
		limit = replayCount
	}
	limit = min(limit, historyMax)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	msgs, err := h.store.History(ctx, key, cmd.Before, limit)
	if err != nil {
		h.storeFailed("history", err)
		replyErr(s, cmd.Ref, &Error{Problem: ProbStoreUnavailable})
		return
	}
	ev := &Event{Kind: EvHistory, Ref: cmd.Ref, Room: name, Empty: true, Messages: make([]*Event, len(msgs))}
	for i, m := range msgs {
		ev.Messages[i] = msgEvent(m)
	}
	s.send(ev)
}

// Committer is the store's writer of chat lines, or nil without a store.
func (h *Hub) Committer() *store.Committer { return h.commit }

// CleanPassword makes a password the same whichever way it came in: the
// text mode cleans its lines and drops trailing white space, so a password
// set over JSON is cleaned the same way, or it could never be typed; so is
// one set with parley account.
func CleanPassword(pw string) string {
	return strings.TrimRightFunc(Clean(pw), unicode.IsSpace)
}

// wholeSeconds rounds a wait up to whole seconds, so that a client is never
// told to wait "0s" or "9m59.998s".
func wholeSeconds(d time.Duration) time.Duration {
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return max(d, time.Second)
}
