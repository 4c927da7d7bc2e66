// Package chat is Parley's core: sessions, names, rooms, presence, fan-out,
// idle kicks, flood control and text cleaning. It knows nothing of sockets,
// SQL or wire formats: transports hand it a Conn, codecs turn lines into
// Commands and Events into lines.
//
// Lock order: Hub.mu, then Hub.roomsMu, then room.mu, then Session.qmu.
// No lock is held while writing to a connection.
package chat

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/password"
	"parley/internal/store"
)

// Lobby is the room everyone starts in.
const Lobby = "lobby"

// Config tunes a Hub. The zero value of each field means its default.
type Config struct {
	// HideAddrs gives new sessions the name guest-N and keeps addresses out
	// of every event (--hide-addrs).
	HideAddrs bool
	// IdleTimeout ends a session that sent no line for this long; 0 turns
	// the idle kick off (--idle-timeout).
	IdleTimeout time.Duration
	// Queue is how many events may wait for a session whose connection has
	// stopped taking data before the session is a slow consumer; while the
	// connection takes data the queue may grow to 4 times this as the
	// server catches up. Defaults to 1024 (--queue).
	Queue int
	// Rate is lines per second per connection, with a burst of twice that;
	// 0 is unlimited (--rate).
	Rate float64
	// WriteTimeout bounds each write to a client (a write may fail after
	// between half of it and all of it: see writeLoop). Defaults to 10s.
	WriteTimeout time.Duration
	// ConnRate is how many new connections an address may open per second,
	// with a burst of twice that; loopback is exempt, and 0 is unlimited
	// (--conn-rate).
	ConnRate float64
	// MaxConns caps connections in all; 0 is unlimited (--max-conns).
	MaxConns int
	// MaxConnsPerIP caps connections per address, loopback exempt; 0 is
	// unlimited (--max-conns-per-ip).
	MaxConnsPerIP int
	// LineTimeout is how long a line may take to arrive once its first byte
	// has (--line-timeout; 0 is no limit). The transports enforce it; the
	// hub says goodbye.
	LineTimeout time.Duration
	// MaxLine is the longest line in bytes, for the line-too-long error.
	// (The Conn enforces it.)
	MaxLine int
	// Server names the software in the welcome event.
	Server string
	// Log receives the hub's records. Defaults to slog.Default().
	Log *slog.Logger
	// Store keeps history, accounts and offline messages; nil keeps
	// nothing (and the commands that need it answer store_unavailable).
	Store store.Store
	// Relaxed delivers a chat line at once and commits it within moments
	// (--durability relaxed); by default a line is delivered only once it is
	// committed (strict).
	Relaxed bool
	// Hasher hashes passwords. Defaults to one running two at a time.
	Hasher *password.Hasher
	// Operators are the names of the operator accounts (--operators): only
	// a session logged in to one may kick, ban and mute, and nobody can
	// take or register these names over the wire.
	Operators []string
}

// A Hub is one chat server's state: who is online, under which names, in
// which rooms. Its methods are safe for concurrent use.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	Metrics Metrics

	nextID atomic.Int64 // the last message ID given out

	store  store.Store      // nil without persistence
	commit *store.Committer // the store's one writer of chat lines
	hasher *password.Hasher
	logins *loginLimiter

	ops       map[string]bool // operator name keys; read-only
	sanctions *sanctions

	mu       sync.RWMutex
	names    map[string]*Session // folded name → session; guarded by mu
	addrs    map[string]*Session // remote address → session; guarded by mu
	sessions map[*Session]struct{}
	accounts map[string]string // registered name key → name; guarded by mu
	guests   int               // the last guest-N number given; guarded by mu
	closing  bool              // Shutdown has begun; guarded by mu
	wg       sync.WaitGroup

	roomsMu sync.Mutex
	rooms   map[string]*room // folded room name → room; guarded by roomsMu
	lobby   *room

	connMu sync.Mutex
	conns  int            // admitted connections; guarded by connMu
	perIP  map[string]int // admitted connections per address; guarded by connMu
	// connRate is --conn-rate's bucket per address; guarded by connMu.
	connRate buckets
}

// NewHub returns a Hub with no one in it. With a store, it reads where the
// message IDs are and which names are registered, and starts the store's
// writer; Close stops it.
func NewHub(cfg Config) (*Hub, error) {
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Hasher == nil {
		cfg.Hasher = password.NewHasher(2)
	}
	h := &Hub{
		cfg:       cfg,
		log:       cfg.Log,
		names:     make(map[string]*Session),
		addrs:     make(map[string]*Session),
		sessions:  make(map[*Session]struct{}),
		rooms:     make(map[string]*room),
		perIP:     make(map[string]int),
		connRate:  newBuckets(cfg.ConnRate),
		accounts:  make(map[string]string),
		store:     cfg.Store,
		hasher:    cfg.Hasher,
		logins:    newLoginLimiter(),
		ops:       make(map[string]bool),
		sanctions: newSanctions(),
	}
	for _, name := range cfg.Operators {
		h.ops[Fold(Clean(strings.TrimSpace(name)))] = true
	}
	if h.store != nil {
		if err := h.loadStore(); err != nil {
			return nil, err
		}
		keep := 0
		if cfg.Relaxed {
			keep = keepUnsaved // delivered already: keep trying to save them
		}
		h.commit = store.NewCommitter(h.store, h.log, keep)
	}
	h.lobby = h.newRoom(Lobby, Lobby)
	h.rooms[Lobby] = h.lobby
	return h, nil
}

// Close stops the store's writer once everything submitted is committed.
// Call it after Shutdown, before closing the store.
func (h *Hub) Close() {
	if h.commit != nil {
		h.commit.Close()
	}
}

// Config returns the hub's configuration, defaults filled in.
func (h *Hub) Config() Config { return h.cfg }

// Admit counts a new connection from addr against the bans, the caps and
// the connection rate. If it returns RejectNone the caller must call
// release when the connection is gone; otherwise the caller tells the client
// refused (for RejectConnRate, its Wait says when to try again) and closes
// the connection.
func (h *Hub) Admit(addr string) (release func(), why Reject, refused *Error) {
	ip := addrKey(addr)
	exempt := isLoopback(hostOf(addr))
	h.mu.RLock()
	closing := h.closing
	h.mu.RUnlock()
	if ban, ok := h.sanctions.onAddr(store.Ban, ip, time.Now()); ok && !closing { // bans bind loopback too
		h.Metrics.Rejected[RejectBanned].Add(1)
		return nil, RejectBanned, &Error{Problem: ProbBanned, Until: ban.Until, Arg: ban.Reason}
	}
	h.connMu.Lock()
	switch {
	case closing:
		why, refused = RejectClosing, &Error{Problem: ProbShuttingDown}
	case h.cfg.MaxConns > 0 && h.conns >= h.cfg.MaxConns:
		why, refused = RejectMaxConns, &Error{Problem: ProbTooManyConns, N: h.cfg.MaxConns}
	case !exempt && h.cfg.MaxConnsPerIP > 0 && h.perIP[ip] >= h.cfg.MaxConnsPerIP:
		why, refused = RejectPerIP, &Error{Problem: ProbTooManyFromAddr, N: h.cfg.MaxConnsPerIP}
	case !exempt && h.cfg.ConnRate > 0:
		if wait := h.connRate.take(ip, time.Now()); wait > 0 {
			why, refused = RejectConnRate, &Error{Problem: ProbConnRate, Wait: wholeSeconds(wait)}
		}
	}
	if why != RejectNone {
		h.connMu.Unlock()
		h.Metrics.Rejected[why].Add(1)
		return nil, why, refused
	}
	h.conns++
	if !exempt {
		h.perIP[ip]++
	}
	h.connMu.Unlock()
	h.Metrics.ConnsOpen.Add(1)
	h.Metrics.ConnsTotal.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			h.connMu.Lock()
			h.conns--
			if !exempt {
				if h.perIP[ip]--; h.perIP[ip] <= 0 {
					delete(h.perIP, ip)
				}
			}
			h.connMu.Unlock()
			h.Metrics.ConnsOpen.Add(-1)
		})
	}, RejectNone, nil
}

func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// addrKey is what the per-address limits count a client address under:
// its IP for IPv4 (an IPv4-mapped IPv6 address is IPv4), its /64 for
// IPv6, since one subscriber usually gets a whole /64 and could otherwise
// take a fresh address for every connection. Anything else is taken as it
// is.
func addrKey(addr string) string {
	host := hostOf(addr)
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

func isLoopback(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Serve runs one client connection until the client leaves, is kicked or the
// hub shuts down, and closes it. start is the codec the connection begins
// with; if upgrade is not nil and the first line starts with '{', the session
// speaks upgrade (the JSON mode) for the rest of its life.
func (h *Hub) Serve(c Conn, start, upgrade Codec, mode Mode) {
	s := &Session{
		hub:     h,
		conn:    c,
		addr:    c.RemoteAddr(),
		upgrade: upgrade,
		codec:   start,
		done:    make(chan struct{}),
		nudge:   make(chan struct{}, 1),
		ended:   make(chan struct{}),
	}
	s.writer = s.writeSafely
	if !h.HideAddrs() {
		s.pubAddr = s.addr
	}
	s.mode.Store(int32(mode))
	if !h.addSession(s) {
		s.finish(&Event{Kind: EvBye, Reason: ByeShutdown})
		<-s.ended
		drain(c)
		c.Close()
		return
	}
	defer h.wg.Done()
	h.Metrics.Sessions[mode].Add(1)
	defer func() { h.Metrics.Sessions[s.mode.Load()].Add(-1) }()

	s.send(h.welcome(s, nil))
	h.enterLobby(s)

	h.readSafely(s, start)
	// Gone from the names first, so that once the room hears `offline`
	// the name is free and who no longer lists it.
	h.removeSession(s)
	h.leave(s)
	s.finish(nil)
	<-s.ended
	drain(c)
	c.Close()
}

// HideAddrs reports whether addresses are kept from clients.
func (h *Hub) HideAddrs() bool { return h.cfg.HideAddrs }

func (h *Hub) welcome(s *Session, ref []byte) *Event {
	return &Event{Kind: EvWelcome, Ref: ref, Name: s.Name(), Addr: s.pubAddr, Room: s.roomName(), Server: h.cfg.Server}
}

func (s *Session) roomName() string {
	if r := s.room.Load(); r != nil {
		return r.name
	}
	return Lobby
}

// addSession gives s its default name and counts it as online; it reports
// false if the hub is shutting down.
func (h *Hub) addSession(s *Session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	s.defName = h.defaultNameLocked(s)
	id := &ident{name: s.defName, key: Fold(s.defName)}
	s.ident.Store(id)
	h.names[id.key] = s
	h.addrs[s.addr] = s
	h.sessions[s] = struct{}{}
	h.wg.Add(1)
	return true
}

// defaultNameLocked returns the name s gets when it has no other: its
// address, or under --hide-addrs a guest-N nobody has.
func (h *Hub) defaultNameLocked(s *Session) string {
	if !h.cfg.HideAddrs {
		return s.addr
	}
	for {
		h.guests++
		name := "guest-" + strconv.Itoa(h.guests)
		if key := Fold(name); h.names[key] == nil && h.accounts[key] == "" && !h.ops[key] {
			return name
		}
	}
}

func (h *Hub) removeSession(s *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := s.ident.Load()
	if id == nil {
		return // never added: refused during shutdown
	}
	if h.names[id.key] == s {
		delete(h.names, id.key)
	}
	if h.addrs[s.addr] == s {
		delete(h.addrs, s.addr)
	}
	delete(h.sessions, s)
}

// Shutdown tells every session `bye shutdown`, lets the writers flush what
// is queued, and waits for every session to end. New connections are
// refused from its start. If ctx ends first, the remaining connections are
// closed at once and ctx's error is returned.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	all := make([]*Session, 0, len(h.sessions))
	for s := range h.sessions {
		all = append(all, s)
	}
	h.mu.Unlock()
	for _, s := range all {
		s.finish(&Event{Kind: EvBye, Reason: ByeShutdown})
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range all {
			s.conn.Close()
		}
		<-done
		return ctx.Err()
	}
}

// drain reads and drops what the client still sends after the session's
// last words, until the client closes or the linger time (set by
// CloseWrite) runs out, so that closing does not reset the connection.
func drain(c Conn) {
	for range 10000 {
		if _, err := c.ReadLine(); err != nil && !errors.Is(err, ErrLineTooLong) {
			return
		}
	}
}
