package chat

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"parley/internal/store"
)

// Operators (PROTOCOL.md "Operators and look-alike names") are registered
// accounts named in Config.Operators. A session is an operator while it is
// logged in to one of them; nobody else can take or register their names.
// Their commands kick, ban by name or address, and mute. Bans and mutes
// are sanctions: stored, so that they survive a restart, and held here in
// memory for the checks (sanctions.go), which cost one atomic load while
// there are none of their kind.

// loadSanctions holds the stored sanctions still in force and deletes the
// ended ones (a failure to delete is only logged: they are ignored anyway).
func (h *Hub) loadSanctions(ctx context.Context) error {
	all, err := h.store.Sanctions(ctx)
	if err != nil {
		return err
	}
	t := time.Now()
	for _, sn := range all {
		if inForce(sn, t) {
			h.sanctions.put(sn)
		} else if err := h.store.DeleteSanction(ctx, sn.Kind, sn.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.storeFailed("delete an ended sanction", err)
		}
	}
	return nil
}

// isOperator reports whether s is logged in to an operator account.
func (h *Hub) isOperator(s *Session) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return s.account != "" && h.ops[s.account]
}

// operator runs an operator command, if s is an operator.
func (h *Hub) operator(s *Session, cmd Command) {
	if !h.isOperator(s) {
		replyErr(s, cmd.Ref, &Error{Problem: ProbUnauthorized})
		return
	}
	switch cmd.Op {
	case OpKick:
		h.kick(s, cmd)
	case OpBan:
		h.ban(s, cmd)
	case OpUnban:
		h.unban(s, cmd)
	case OpMute:
		h.mute(s, cmd)
	case OpUnmute:
		h.unmute(s, cmd)
	case OpBans:
		bans, ended := h.sanctions.listBans(time.Now())
		h.forget(ended)
		s.send(&Event{Kind: EvBans, Ref: cmd.Ref, Bans: bans})
	}
}

// forget deletes ended sanctions from the store, best effort.
func (h *Hub) forget(ended []store.Sanction) {
	if h.store == nil || len(ended) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	for _, sn := range ended {
		if err := h.store.DeleteSanction(ctx, sn.Kind, sn.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.storeFailed("delete an ended sanction", err)
		}
	}
}

// user is the user an operator command names.
type user struct {
	key   string
	on    *Session // the session holding the name, or nil
	shown string   // the name as its holder or its account spells it
}

// lookup finds the user holding or owning name (cleaned): found is false
// if the name is neither online nor registered; op is true if it is an
// operator's. Any name a session holds is found, a default one such as
// "127.0.0.1:5000" included.
func (h *Hub) lookup(name string) (u user, found, op bool) {
	u.key = Fold(name)
	h.mu.RLock()
	on, registered := h.names[u.key], h.accounts[u.key]
	h.mu.RUnlock()
	switch {
	case on != nil:
		u.on, u.shown = on, on.Name()
	case registered != "":
		u.shown = registered
	default:
		return u, false, h.ops[u.key]
	}
	return u, true, h.ops[u.key]
}

// target finds the user an operator command names, or replies why not:
// unauthorized for an operator (operators answer to each other, not to
// these commands), no such user, or an invalid name.
func (h *Hub) target(s *Session, name string, ref []byte) (user, bool) {
	name = Clean(strings.TrimSpace(name))
	u, found, op := h.lookup(name)
	switch {
	case op:
		replyErr(s, ref, &Error{Problem: ProbUnauthorized})
	case found:
		return u, true
	default:
		if err := ValidName(name); err != nil {
			replyErr(s, ref, &Error{Problem: ProbInvalidName, Name: err})
		} else {
			replyErr(s, ref, &Error{Problem: ProbNoSuchUser, Arg: name})
		}
	}
	return u, false
}

// kick ends the session holding a name, telling it who did and why.
func (h *Hub) kick(s *Session, cmd Command) {
	u, ok := h.target(s, cmd.Name, cmd.Ref)
	if !ok {
		return
	}
	if u.on == nil {
		replyErr(s, cmd.Ref, &Error{Problem: ProbNoSuchUser, Arg: u.shown})
		return
	}
	reason := cleanReason(cmd.Text)
	u.on.finish(&Event{Kind: EvBye, Reason: ByeKicked, Name: s.Name(), Text: reason})
	h.log.Info("operator kicked", "operator", s.Name(), "name", u.shown, "reason", reason)
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: OpKick, Name: u.shown, Text: reason})
}

// ban refuses a name's logins and its holder's address, or an address,
// and ends the sessions it refuses (operators' excepted). A name someone
// holds or owns comes first: "127.0.0.9" may be a name.
func (h *Hub) ban(s *Session, cmd Command) {
	target := Clean(strings.TrimSpace(cmd.Name))
	sn := store.Sanction{Kind: store.Ban, Target: target, Reason: cleanReason(cmd.Text), By: s.Name(), Created: now()}
	var on *Session
	if ip, isAddr := asAddr(target); isAddr && !h.holdsName(target) {
		sn.Key, sn.Addr = addrBanKey(ip), ip
	} else {
		u, ok := h.target(s, target, cmd.Ref)
		if !ok {
			return
		}
		on, sn.Key, sn.Target, sn.Addr = u.on, u.key, u.shown, h.addrOf(store.Ban, u)
	}
	sn.Until = endAfter(sn.Created, cmd.Duration)
	if !h.keep(s, cmd.Ref, sn) {
		return
	}
	bye := &Event{Kind: EvBye, Reason: ByeKicked, Name: s.Name(), Text: sn.Reason}
	for _, v := range h.banned(sn, on) {
		v.finish(bye)
	}
	h.log.Info("operator banned", "operator", s.Name(), "target", sn.Target, "addr", sn.Addr, "until", untilAttr(sn.Until), "reason", sn.Reason)
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: OpBan, Name: sn.Target, Text: sn.Reason, Until: sn.Until})
}

// addrOf is the address a ban or mute of kind on u also holds: the one u
// is connected from (sanctionAddr), or while u is away, the one an earlier
// sanction of that kind on the name held.
func (h *Hub) addrOf(kind store.SanctionKind, u user) string {
	if u.on != nil {
		return sanctionAddr(u.on.addr)
	}
	prev, _ := h.sanctions.get(kind, u.key, time.Time{})
	return prev.Addr
}

// holdsName reports whether a session holds name or an account owns it.
func (h *Hub) holdsName(name string) bool {
	_, found, _ := h.lookup(name)
	return found
}

// banned returns the sessions a new ban ends: on, which holds the banned
// name, and every session from the banned address, operators excepted.
func (h *Hub) banned(sn store.Sanction, on *Session) []*Session {
	var out []*Session
	h.mu.RLock()
	defer h.mu.RUnlock()
	for v := range h.sessions {
		if v != on && (sn.Addr == "" || addrKey(v.addr) != sn.Addr) {
			continue
		}
		if v.account == "" || !h.ops[v.account] {
			out = append(out, v)
		}
	}
	return out
}

// mute refuses a name's chat lines and private messages: the session that
// holds it now (even under another name later), its address (unless
// loopback), and whoever takes the name.
func (h *Hub) mute(s *Session, cmd Command) {
	u, ok := h.target(s, cmd.Name, cmd.Ref)
	if !ok {
		return
	}
	sn := store.Sanction{Kind: store.Mute, Key: u.key, Target: u.shown, Addr: h.addrOf(store.Mute, u), By: s.Name(), Created: now()}
	sn.Until = endAfter(sn.Created, cmd.Duration)
	if !h.keep(s, cmd.Ref, sn) {
		return
	}
	if u.on != nil {
		u.on.muted.Store(&sn)
	}
	h.log.Info("operator muted", "operator", s.Name(), "name", u.shown, "addr", sn.Addr, "until", untilAttr(sn.Until))
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: OpMute, Name: u.shown, Until: sn.Until})
}

// keep stores sn and holds it; it replies store_unavailable and returns
// false if the store fails, and then nothing has changed.
func (h *Hub) keep(s *Session, ref []byte, sn store.Sanction) bool {
	if h.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		if err := h.store.PutSanction(ctx, sn); err != nil {
			h.storeFailed("save a sanction", err)
			replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
			return false
		}
	}
	h.sanctions.put(sn)
	return true
}

// unban lifts the ban on the target cmd.Name: a name's (its logins and the
// address it holds), an address's, and for an address also the refusal
// of it that bans on names hold (their logins stay refused).
func (h *Hub) unban(s *Session, cmd Command) {
	target := Clean(strings.TrimSpace(cmd.Name))
	keys := []string{Fold(target)}
	ip, isAddr := asAddr(target)
	if isAddr {
		keys = append(keys, addrBanKey(ip))
	}
	found, ok := h.unkeepAll(s, cmd.Ref, store.Ban, keys)
	if !ok {
		return
	}
	if isAddr {
		for _, sn := range h.sanctions.withAddr(ip) {
			sn.Addr = ""
			if !h.keep(s, cmd.Ref, sn) {
				return
			}
			found = true
		}
	}
	h.lifted(s, cmd.Ref, OpUnban, target, found)
}

// unmute lifts the mute on the name cmd.Name: from the name, from the
// session holding it (muted maybe under an earlier name), and from the
// address the mute held.
func (h *Hub) unmute(s *Session, cmd Command) {
	target := Clean(strings.TrimSpace(cmd.Name))
	keys := h.muteKeys(Fold(target))
	found, ok := h.unkeepAll(s, cmd.Ref, store.Mute, keys)
	if !ok {
		return
	}
	found = h.unmuteSessions(keys) || found
	h.lifted(s, cmd.Ref, OpUnmute, target, found)
}

// unkeepAll deletes the sanctions of kind with keys, reporting whether
// there was any; if the store fails it replies store_unavailable and
// returns ok false.
func (h *Hub) unkeepAll(s *Session, ref []byte, kind store.SanctionKind, keys []string) (found, ok bool) {
	for _, key := range keys {
		had, err := h.unkeep(kind, key)
		if err != nil {
			h.storeFailed("delete a sanction", err)
			replyErr(s, ref, &Error{Problem: ProbStoreUnavailable})
			return false, false
		}
		found = found || had
	}
	return found, true
}

// lifted tells the operator that the sanction on target is lifted, or
// that there was none.
func (h *Hub) lifted(s *Session, ref []byte, did Op, target string, found bool) {
	if !found {
		none := ProbNotBanned
		if did == OpUnmute {
			none = ProbNotMuted
		}
		replyErr(s, ref, &Error{Problem: none, Arg: target})
		return
	}
	h.log.Info("operator lifted a sanction", "operator", s.Name(), "target", target, "kind", did.String())
	s.send(&Event{Kind: EvDone, Ref: ref, Did: did, Name: target})
}

// unkeep deletes the sanction of kind with key from the store and from
// memory, reporting whether either had it.
func (h *Hub) unkeep(kind store.SanctionKind, key string) (bool, error) {
	stored := false
	if h.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		err := h.store.DeleteSanction(ctx, kind, key)
		cancel()
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		stored = err == nil
	}
	return h.sanctions.remove(kind, key) || stored, nil
}

// muteKeys returns key and the keys of the mutes the session holding that
// name is under: one put on it under an earlier name, one on its address.
func (h *Hub) muteKeys(key string) []string {
	keys := []string{key}
	h.mu.RLock()
	on := h.names[key]
	h.mu.RUnlock()
	if on == nil {
		return keys
	}
	if m := on.muted.Load(); m != nil && m.Key != key {
		keys = append(keys, m.Key)
	}
	if sn, ok := h.sanctions.onAddr(store.Mute, addrKey(on.addr), time.Now()); ok && !slices.Contains(keys, sn.Key) {
		keys = append(keys, sn.Key)
	}
	return keys
}

// unmuteSessions clears the mutes on keys from every session that carries
// one, reporting whether any did.
func (h *Hub) unmuteSessions(keys []string) bool {
	found := false
	h.mu.RLock()
	defer h.mu.RUnlock()
	for v := range h.sessions {
		if m := v.muted.Load(); m != nil && slices.Contains(keys, m.Key) {
			v.muted.Store(nil)
			found = true
		}
	}
	return found
}

// refuseMuted reports whether s is muted, and if so tells it until when:
// by the mute on the session, on its name, or on its address (operators
// excepted). While there are no mutes this is one atomic load.
func (h *Hub) refuseMuted(s *Session, ref []byte) bool {
	m := s.muted.Load()
	if m == nil && h.sanctions.nMutes.Load() == 0 {
		return false
	}
	t := time.Now()
	if m == nil || !inForce(*m, t) {
		sn, ok := h.sanctions.get(store.Mute, s.ident.Load().key, t)
		if !ok {
			if sn, ok = h.sanctions.onAddr(store.Mute, addrKey(s.addr), t); !ok || h.isOperator(s) {
				return false
			}
		}
		m = &sn
	}
	replyErr(s, ref, &Error{Problem: ProbMuted, Until: m.Until})
	return true
}

// cleanReason is a reason as shown: cleaned, without surrounding space.
func cleanReason(r string) string { return strings.TrimSpace(Clean(r)) }

// untilAttr is a sanction's end for the log.
func untilAttr(t time.Time) string {
	if t.IsZero() {
		return "forever"
	}
	return t.Format(time.RFC3339)
}

// String names an operator command, for logs.
func (o Op) String() string {
	switch o {
	case OpKick:
		return "kick"
	case OpBan:
		return "ban"
	case OpUnban:
		return "unban"
	case OpMute:
		return "mute"
	case OpUnmute:
		return "unmute"
	case OpBans:
		return "bans"
	}
	return "op"
}
