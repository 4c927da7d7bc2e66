package chat

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/store"
)

// Operators (PROTOCOL.md "Operators and look-alike names") are registered
// accounts named in Config.Operators. A session is an operator while it is
// logged in to one of them; nobody else can take or register their names.
// Their commands kick, ban by name or address, and mute. Bans and mutes
// are sanctions: stored, so that they survive a restart, and held here in
// memory for the checks, which cost one atomic load while there are none.

// sanctions is the hub's bans and mutes in force or lately ended, indexed
// for the checks. Ended ones are ignored, and dropped when next listed.
type sanctions struct {
	// active counts the sanctions held, so that the checks on every
	// connection and chat line skip the lock while there are none.
	active atomic.Int32

	mu    sync.RWMutex
	bans  map[string]store.Sanction // by key; guarded by mu
	mutes map[string]store.Sanction // by name key; guarded by mu
	addrs map[string][]string       // refused address → the keys of the bans on it; guarded by mu
}

func newSanctions() *sanctions {
	return &sanctions{bans: map[string]store.Sanction{}, mutes: map[string]store.Sanction{}, addrs: map[string][]string{}}
}

// inForce reports whether sn has not ended at t.
func inForce(sn store.Sanction, t time.Time) bool {
	return sn.Until.IsZero() || t.Before(sn.Until)
}

// put holds sn, replacing the sanction of its kind and key.
func (x *sanctions) put(sn store.Sanction) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if sn.Kind == store.Mute {
		x.mutes[sn.Key] = sn
	} else {
		x.bans[sn.Key] = sn
		x.indexLocked()
	}
	x.active.Store(int32(len(x.bans) + len(x.mutes)))
}

// remove drops the sanction of kind with key, reporting whether there was one.
func (x *sanctions) remove(kind store.SanctionKind, key string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.bans
	if kind == store.Mute {
		m = x.mutes
	}
	_, ok := m[key]
	delete(m, key)
	if kind == store.Ban {
		x.indexLocked()
	}
	x.active.Store(int32(len(x.bans) + len(x.mutes)))
	return ok
}

// indexLocked rebuilds addrs; bans change seldom.
func (x *sanctions) indexLocked() {
	clear(x.addrs)
	for key, sn := range x.bans {
		if sn.Addr != "" {
			x.addrs[sn.Addr] = append(x.addrs[sn.Addr], key)
		}
	}
}

// ban returns the ban in force at t on the address with key ip (addrKey),
// the one that ends last if several are, and whether there is one.
func (x *sanctions) ban(ip string, t time.Time) (store.Sanction, bool) {
	if x.active.Load() == 0 {
		return store.Sanction{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var found store.Sanction
	ok := false
	for _, key := range x.addrs[ip] {
		if sn := x.bans[key]; inForce(sn, t) && (!ok || endsLater(sn, found)) {
			found, ok = sn, true
		}
	}
	return found, ok
}

func endsLater(a, b store.Sanction) bool {
	return !b.Until.IsZero() && (a.Until.IsZero() || a.Until.After(b.Until))
}

// get returns the sanction of kind in force at t with key.
func (x *sanctions) get(kind store.SanctionKind, key string, t time.Time) (store.Sanction, bool) {
	if x.active.Load() == 0 {
		return store.Sanction{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	m := x.bans
	if kind == store.Mute {
		m = x.mutes
	}
	sn, ok := m[key]
	return sn, ok && inForce(sn, t)
}

// listBans returns the bans in force at t, sorted by target, and the keys
// of those that have ended, which it drops.
func (x *sanctions) listBans(t time.Time) (bans []BanInfo, ended []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for key, sn := range x.bans {
		if !inForce(sn, t) {
			ended = append(ended, key)
			delete(x.bans, key)
			continue
		}
		bans = append(bans, BanInfo{Target: sn.Target, Until: sn.Until, Reason: sn.Reason})
	}
	if ended != nil {
		x.indexLocked()
		x.active.Store(int32(len(x.bans) + len(x.mutes)))
	}
	slices.SortFunc(bans, func(a, b BanInfo) int { return strings.Compare(foldCase(a.Target), foldCase(b.Target)) })
	return bans, ended
}

// banKey is the key of a ban on target: "addr:" and its addrKey for an
// address (with or without a port), or the name's key.
func banKey(target string) (key string, addr string, isAddr bool) {
	if _, err := netip.ParseAddr(hostOf(target)); err == nil {
		addr = addrKey(target)
		return "addr:" + addr, addr, true
	}
	return Fold(target), "", false
}

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
		h.lift(s, cmd, store.Ban)
	case OpMute:
		h.mute(s, cmd)
	case OpUnmute:
		h.lift(s, cmd, store.Mute)
	case OpBans:
		bans, ended := h.sanctions.listBans(time.Now())
		h.forget(store.Ban, ended)
		s.send(&Event{Kind: EvBans, Ref: cmd.Ref, Bans: bans})
	}
}

// forget deletes ended sanctions from the store, best effort.
func (h *Hub) forget(kind store.SanctionKind, keys []string) {
	if h.store == nil || len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	for _, key := range keys {
		if err := h.store.DeleteSanction(ctx, kind, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.storeFailed("delete an ended sanction", err)
		}
	}
}

// target finds the user an operator command names: the session holding the
// name (or nil) and the name as registered (or ""). It replies with the
// error and returns ok false for a name that is not valid, is an
// operator's, or is neither online nor registered.
func (h *Hub) target(s *Session, name string, ref []byte) (key string, on *Session, shown string, ok bool) {
	name = Clean(strings.TrimSpace(name))
	if err := ValidName(name); err != nil {
		replyErr(s, ref, &Error{Problem: ProbInvalidName, Name: err})
		return "", nil, "", false
	}
	key = Fold(name)
	h.mu.RLock()
	on, registered := h.names[key], h.accounts[key]
	h.mu.RUnlock()
	switch {
	case h.ops[key]: // operators answer to each other, not to these commands
		replyErr(s, ref, &Error{Problem: ProbUnauthorized})
		return "", nil, "", false
	case on != nil:
		return key, on, on.Name(), true
	case registered != "":
		return key, nil, registered, true
	}
	replyErr(s, ref, &Error{Problem: ProbNoSuchUser, Arg: name})
	return "", nil, "", false
}

// kick ends the session holding a name, telling it who did and why.
func (h *Hub) kick(s *Session, cmd Command) {
	_, on, name, ok := h.target(s, cmd.Name, cmd.Ref)
	if !ok {
		return
	}
	if on == nil {
		replyErr(s, cmd.Ref, &Error{Problem: ProbNoSuchUser, Arg: name})
		return
	}
	reason := cleanReason(cmd.Text)
	on.finish(&Event{Kind: EvBye, Reason: ByeKicked, Name: s.Name(), Text: reason})
	h.log.Info("operator kicked", "operator", s.Name(), "name", name, "reason", reason)
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: OpKick, Name: name, Text: reason})
}

// ban refuses an address, or a name's address and its logins, and ends the
// sessions it refuses (operators' excepted).
func (h *Hub) ban(s *Session, cmd Command) {
	target := Clean(strings.TrimSpace(cmd.Name))
	sn := store.Sanction{Kind: store.Ban, Target: target, Reason: cleanReason(cmd.Text), By: s.Name(), Created: now()}
	var on *Session
	key, addr, isAddr := banKey(target)
	if isAddr {
		sn.Key, sn.Addr = key, addr
	} else {
		var ok bool
		if sn.Key, on, sn.Target, ok = h.target(s, target, cmd.Ref); !ok {
			return
		}
		if on != nil {
			sn.Addr = addrKey(on.addr)
		}
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
// holds it now (even under another name later) and whoever takes it.
func (h *Hub) mute(s *Session, cmd Command) {
	key, on, name, ok := h.target(s, cmd.Name, cmd.Ref)
	if !ok {
		return
	}
	sn := store.Sanction{Kind: store.Mute, Key: key, Target: name, By: s.Name(), Created: now()}
	sn.Until = endAfter(sn.Created, cmd.Duration)
	if !h.keep(s, cmd.Ref, sn) {
		return
	}
	if on != nil {
		on.muted.Store(&sn)
	}
	h.log.Info("operator muted", "operator", s.Name(), "name", name, "until", untilAttr(sn.Until))
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: OpMute, Name: name, Until: sn.Until})
}

// endAfter is when a sanction of d from t ends: the zero time for d = 0
// (until lifted), else t + d rounded up to the second, as it is shown.
func endAfter(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	end := t.Add(d)
	if r := end.Truncate(time.Second); !r.Equal(end) {
		end = r.Add(time.Second)
	}
	return end
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

// lift ends the ban or the mute on the target cmd.Name. A mute is lifted
// from the name and from the session holding it, muted maybe under an
// earlier name.
func (h *Hub) lift(s *Session, cmd Command, kind store.SanctionKind) {
	target := Clean(strings.TrimSpace(cmd.Name))
	did, none := OpUnban, ProbNotBanned
	key, _, _ := banKey(target)
	keys := []string{key}
	if kind == store.Mute {
		did, none = OpUnmute, ProbNotMuted
		keys = h.muteKeys(Fold(target))
	}
	found := false
	for _, key := range keys {
		had, err := h.unkeep(kind, key)
		if err != nil {
			h.storeFailed("delete a sanction", err)
			replyErr(s, cmd.Ref, &Error{Problem: ProbStoreUnavailable})
			return
		}
		found = found || had
	}
	if kind == store.Mute {
		found = h.unmuteSessions(keys) || found
	}
	if !found {
		replyErr(s, cmd.Ref, &Error{Problem: none, Arg: target})
		return
	}
	h.log.Info("operator lifted a sanction", "operator", s.Name(), "target", target, "kind", did.String())
	s.send(&Event{Kind: EvDone, Ref: cmd.Ref, Did: did, Name: target})
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

// muteKeys returns key and, if the session holding that name was muted
// under another, that name's key.
func (h *Hub) muteKeys(key string) []string {
	h.mu.RLock()
	on := h.names[key]
	h.mu.RUnlock()
	if on != nil {
		if m := on.muted.Load(); m != nil && m.Key != key {
			return []string{key, m.Key}
		}
	}
	return []string{key}
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

// refuseMuted reports whether s is muted, and if so tells it until when.
func (h *Hub) refuseMuted(s *Session, ref []byte) bool {
	m := s.muted.Load()
	if m == nil && h.sanctions.active.Load() == 0 {
		return false
	}
	t := time.Now()
	if m == nil || !inForce(*m, t) {
		sn, ok := h.sanctions.get(store.Mute, s.ident.Load().key, t)
		if !ok {
			return false
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

// MaxSanction is the longest ban or mute with an end; longer is until
// lifted, which is what an operator asking for ten years means.
const MaxSanction = 10 * 365 * 24 * time.Hour

// ParseDuration reads how long a ban or mute lasts: a Go duration ("90m",
// "1h30m") or a whole number of days ("7d"), more than zero. Longer than
// MaxSanction counts as MaxSanction.
func ParseDuration(s string) (time.Duration, bool) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		if len(days) > 5 {
			return MaxSanction, true
		}
		n := 0
		for _, c := range days {
			n = n*10 + int(c-'0')
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, false
		}
	}
	if d <= 0 {
		return 0, false
	}
	return min(d, MaxSanction), true
}
