package chat

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/store"
)

// sanctions is the hub's bans and mutes, in force or lately ended, indexed
// for the checks. Ended ones are ignored, and dropped when next listed.
type sanctions struct {
	// The number of each kind held, so that the checks on every
	// connection (bans) and every chat line (mutes) skip the lock while
	// there are none of their kind.
	nBans, nMutes atomic.Int32

	mu       sync.RWMutex
	bans     map[string]store.Sanction // by key; guarded by mu
	mutes    map[string]store.Sanction // by name key; guarded by mu
	banAddrs map[string][]string       // address → keys of the bans on it; guarded by mu
	muteAddr map[string][]string       // address → keys of the mutes on it; guarded by mu
}

func newSanctions() *sanctions {
	return &sanctions{
		bans: map[string]store.Sanction{}, mutes: map[string]store.Sanction{},
		banAddrs: map[string][]string{}, muteAddr: map[string][]string{},
	}
}

// inForce reports whether sn has not ended at t.
func inForce(sn store.Sanction, t time.Time) bool {
	return sn.Until.IsZero() || t.Before(sn.Until)
}

// of returns the map and address index of kind; x.mu must be held.
func (x *sanctions) of(kind store.SanctionKind) (map[string]store.Sanction, map[string][]string) {
	if kind == store.Mute {
		return x.mutes, x.muteAddr
	}
	return x.bans, x.banAddrs
}

// put holds sn, replacing the sanction of its kind and key.
func (x *sanctions) put(sn store.Sanction) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, _ := x.of(sn.Kind)
	m[sn.Key] = sn
	x.changedLocked(sn.Kind)
}

// remove drops the sanction of kind with key, reporting whether there was
// one.
func (x *sanctions) remove(kind store.SanctionKind, key string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, _ := x.of(kind)
	_, ok := m[key]
	delete(m, key)
	x.changedLocked(kind)
	return ok
}

// changedLocked rebuilds kind's address index and count; sanctions change
// seldom.
func (x *sanctions) changedLocked(kind store.SanctionKind) {
	m, idx := x.of(kind)
	clear(idx)
	for key, sn := range m {
		if sn.Addr != "" {
			idx[sn.Addr] = append(idx[sn.Addr], key)
		}
	}
	if kind == store.Mute {
		x.nMutes.Store(int32(len(m)))
	} else {
		x.nBans.Store(int32(len(m)))
	}
}

// onAddr returns the sanction of kind in force at t on the address ip (an
// addrKey), the one that ends last if several are, and whether there is
// one.
func (x *sanctions) onAddr(kind store.SanctionKind, ip string, t time.Time) (store.Sanction, bool) {
	if x.count(kind) == 0 {
		return store.Sanction{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, idx := x.of(kind)
	var found store.Sanction
	ok := false
	for _, key := range idx[ip] {
		if sn := m[key]; inForce(sn, t) && (!ok || endsLater(sn, found)) {
			found, ok = sn, true
		}
	}
	return found, ok
}

func (x *sanctions) count(kind store.SanctionKind) int32 {
	if kind == store.Mute {
		return x.nMutes.Load()
	}
	return x.nBans.Load()
}

func endsLater(a, b store.Sanction) bool {
	return !b.Until.IsZero() && (a.Until.IsZero() || a.Until.After(b.Until))
}

// get returns the sanction of kind with key, and whether there is one in
// force at t (an ended one is returned too, for its address).
func (x *sanctions) get(kind store.SanctionKind, key string, t time.Time) (store.Sanction, bool) {
	if x.count(kind) == 0 {
		return store.Sanction{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, _ := x.of(kind)
	sn, ok := m[key]
	return sn, ok && inForce(sn, t)
}

// withAddr returns the bans that refuse the address ip.
func (x *sanctions) withAddr(ip string) []store.Sanction {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]store.Sanction, 0, len(x.banAddrs[ip]))
	for _, k := range x.banAddrs[ip] {
		out = append(out, x.bans[k])
	}
	return out
}

// listBans returns the bans in force at t, sorted by target, and the
// sanctions of either kind that have ended, which it drops.
func (x *sanctions) listBans(t time.Time) (bans []BanInfo, ended []store.Sanction) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, kind := range []store.SanctionKind{store.Ban, store.Mute} {
		m, _ := x.of(kind)
		n := len(ended)
		for key, sn := range m {
			if !inForce(sn, t) {
				ended = append(ended, sn)
				delete(m, key)
			} else if kind == store.Ban {
				bans = append(bans, BanInfo{Target: sn.Target, Until: sn.Until, Reason: sn.Reason})
			}
		}
		if len(ended) > n {
			x.changedLocked(kind)
		}
	}
	slices.SortFunc(bans, func(a, b BanInfo) int { return strings.Compare(foldCase(a.Target), foldCase(b.Target)) })
	return bans, ended
}

// asAddr reports whether target is an IP address, with or without a port,
// and returns its addrKey (an IPv4 address, or an IPv6 /64).
func asAddr(target string) (string, bool) {
	if _, err := netip.ParseAddr(hostOf(target)); err != nil {
		return "", false
	}
	return addrKey(target), true
}

// addrBanKey is the key of a ban on the address ip (an addrKey). Names
// cannot hold ':' but IPv6 keys do, so the two never meet.
func addrBanKey(ip string) string { return "addr:" + ip }

// sanctionAddr is the address a ban or mute by name also holds: the
// holder's, unless it is loopback, which stands for every client behind a
// proxy on this machine, and for the operators' own connections.
func sanctionAddr(addr string) string {
	if isLoopback(hostOf(addr)) {
		return ""
	}
	return addrKey(addr)
}

// MaxSanction is the longest ban or mute with an end; a longer one lasts
// MaxSanction.
const MaxSanction = 10 * 365 * 24 * time.Hour

// units are the suffixes of a whole number of them that ParseDuration
// reads itself, so that a huge number is capped rather than refused.
var units = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}

// ParseDuration reads how long a ban or mute lasts: a Go duration ("90m",
// "1h30m") or a whole number of days ("7d"), more than zero. Longer than
// MaxSanction counts as MaxSanction.
func ParseDuration(s string) (time.Duration, bool) {
	if n := len(s); n >= 2 && strings.Trim(s[:n-1], "0123456789") == "" {
		if unit, ok := units[s[n-1]]; ok {
			v, err := strconv.ParseUint(s[:n-1], 10, 64)
			switch {
			case err != nil || v > uint64(MaxSanction/unit): // err: only digits, so too many
				return MaxSanction, true
			case v == 0:
				return 0, false
			}
			return time.Duration(v) * unit, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return min(d, MaxSanction), true
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
