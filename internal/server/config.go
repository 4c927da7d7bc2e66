package server

import (
	"log/slog"
	"time"

	"parley/internal/store"
)

// Config is everything `parley serve` can be told; cmd/parley fills it from
// flags, PARLEY_* variables and a TOML file (PROTOCOL.md "Server command
// line"). The zero value of a field means its default unless it says so.
type Config struct {
	// Listen is the TCP address of the line protocol (--listen, ":9999").
	Listen string
	// TLSListen, TLSCert and TLSKey serve the same protocol over TLS; off
	// while TLSListen is empty (--tls-listen, --tls-cert, --tls-key).
	TLSListen string
	TLSCert   string
	TLSKey    string
	// HTTP is the address of /healthz, /metrics and /ws; empty turns it
	// off (--http, ":8080").
	HTTP string
	// DB is the SQLite file (--db, "parley.db"); ":memory:" keeps nothing
	// on disk.
	DB string
	// Durability is "strict" (a chat line is delivered only once committed)
	// or "relaxed" (delivered at once, committed moments later)
	// (--durability).
	Durability string
	// IdleTimeout ends sessions that send no line for this long; 0 turns it
	// off (--idle-timeout, 5m).
	IdleTimeout time.Duration
	// LineTimeout ends sessions that begin a line and do not finish it
	// within this long (slowloris); 0 turns it off (--line-timeout, 1m).
	LineTimeout time.Duration
	// Lang is the text mode's language, "en" or "zh" (--lang).
	Lang string
	// HideAddrs keeps client addresses private (--hide-addrs).
	HideAddrs bool
	// MaxLine is the longest line in bytes, newline excluded (--max-line, 4096).
	MaxLine int
	// Queue is the events queued per session before it is a slow consumer
	// (--queue, 1024).
	Queue int
	// Rate is lines per second per connection, burst twice that; 0 is
	// unlimited (--rate, 20). Note: here 0 means unlimited, not the default.
	Rate float64
	// MaxConns and MaxConnsPerIP cap connections (--max-conns 10000,
	// --max-conns-per-ip 64); 0 is unlimited. Loopback is exempt from the
	// per-address cap.
	MaxConns      int
	MaxConnsPerIP int
	// ConnRate is the new connections per second an address may open,
	// burst twice that; loopback is exempt (--conn-rate, 10; 0 is
	// unlimited).
	ConnRate float64
	// Pprof is the address of a separate HTTP listener serving the Go
	// profiler at /debug/pprof/; off while empty (--pprof). It exposes
	// internals: bind it to loopback or a private network.
	Pprof string
	// Operators are operator account names (--operators): only a session
	// logged in to one may kick, ban and mute, and nobody can take or
	// register these names over the wire. Make their accounts with
	// parley account add.
	Operators []string
	// WriteTimeout bounds one write to a client (10s). Not a flag.
	WriteTimeout time.Duration
	// ShutdownTimeout bounds the flush of queued output at shutdown (5s).
	// Not a flag.
	ShutdownTimeout time.Duration
	// Log receives the server's records; defaults to slog.Default().
	Log *slog.Logger
	// Store, if set, is used instead of opening DB; the server closes it
	// at shutdown. Not a flag.
	Store store.Store
}

// DefaultConfig returns the configuration of a plain `parley serve`.
func DefaultConfig() Config {
	return Config{
		Listen:        ":9999",
		HTTP:          ":8080",
		DB:            "parley.db",
		Durability:    "strict",
		IdleTimeout:   5 * time.Minute,
		LineTimeout:   time.Minute,
		Lang:          "en",
		MaxLine:       4096,
		Queue:         1024,
		Rate:          20,
		MaxConns:      10000,
		MaxConnsPerIP: 64,
		ConnRate:      10,
	}
}
