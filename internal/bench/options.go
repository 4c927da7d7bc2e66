// Package bench is `parley bench`, a load generator for Parley servers. It
// speaks the raw text protocol over TCP (cheaper to parse than JSON, so the
// load generator is not the bottleneck) and measures what a user feels:
// delivered lines per second, latency from send to receipt, and lines lost
// or duplicated on the way.
//
// A run goes like this (workload fanout):
//
//  1. C clients connect, each waits for its own online line and joins one
//     room, bench-<random>, so that runs never mix.
//  2. S of them send lines "b S SEQ T xxx…", Size bytes of text: S
//     the sender's index, SEQ its sequence number from 0, T the send time
//     in nanoseconds since the run began (monotonic clock). They send at a
//     total rate R, spread over the senders, or with R 0 as fast as the
//     server takes them, each with Inflight lines in flight (the next goes
//     when one of its own comes back).
//  3. Every client reads and parses every line. A line sent within the
//     measured window (after the warm-up, T in [warm-up end, end)) counts:
//     its latency goes into an HDR histogram and its SEQ is checked
//     against the next one expected from that sender. The server promises
//     each sender's lines in order, so a gap is a loss and a SEQ seen
//     before is a duplicate.
//  4. After the window the senders stop, the lines in flight are drained,
//     and the clients close.
//
// Workload slow adds K clients to the room that never read (their receive
// buffer set small); the room hears which of them the server cut off, when
// each goes offline.
//
// When the server's /metrics is known (always with Self), Run reads
// parley_events_out_total at both edges of the window and puts the
// difference beside the number of lines the clients read over the same
// window: they match within the lines in flight at the edges.
package bench

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// The workloads.
const (
	Fanout = "fanout" // C clients in one room, S of them sending
	Slow   = "slow"   // fanout plus clients that never read
)

// DefaultAddr is where Run connects without Addr or Self.
const DefaultAddr = "localhost:9999"

// MaxSize is the largest Size: the protocol's default --max-line.
const MaxSize = 4096

// Options say what to run, and against which server. The zero value of a
// field means its default unless it says otherwise.
type Options struct {
	// Workload is Fanout or Slow (Fanout).
	Workload string
	// Addr is the server's TCP address (DefaultAddr); ignored with Self.
	Addr string
	// Self runs against a server started in this process on 127.0.0.1:0
	// (":memory:" store, no flood control, no idle kick, no connection
	// caps), shut down at the end.
	Self bool
	// SelfQueue is the self-hosted server's --queue (the server's default).
	SelfQueue int
	// StartSelf starts the server for Self and returns its TCP address,
	// its /metrics URL and a function that stops it. The command supplies
	// it (only cmd imports the server); Self without it is an error.
	StartSelf func(queue int) (addr, metricsURL string, stop func(), err error)
	// MetricsURL is the server's /metrics ("http://HOST:PORT/metrics"; a
	// bare HOST:PORT is completed), read to cross-check the counts; ""
	// skips the check. With Self it is the self-hosted server's.
	MetricsURL string

	// Clients is how many clients join the room (100).
	Clients int
	// Senders is how many of the clients send (10, at most Clients).
	Senders int
	// Rate is the lines per second that all senders send together, spread
	// evenly over them; 0 is as fast as the server takes them.
	Rate float64
	// Inflight is, with Rate 0, how many lines each sender has in flight:
	// it sends the next when one of its own comes back (1). There is no
	// "no limit": lines piling up in socket buffers would measure the
	// buffers (seconds of latency, stale send times), not the server.
	Inflight int
	// Size is the length of a line's text in bytes (64); a text never gets
	// shorter than the numbers it carries.
	Size int
	// Warmup is how long lines are sent before the measured window; 0 is
	// no warm-up.
	Warmup time.Duration
	// Duration is the measured window (10s).
	Duration time.Duration
	// Stuck is how many clients never read, in the Slow workload (1).
	Stuck int

	// Progress, if set, gets a line a second while the run goes on.
	Progress io.Writer
}

// withDefaults fills in the defaults and checks o.
func (o Options) withDefaults() (Options, error) {
	if o.Workload == "" {
		o.Workload = Fanout
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Clients == 0 {
		o.Clients = 100
	}
	if o.Senders == 0 {
		o.Senders = min(10, o.Clients)
	}
	if o.Inflight == 0 {
		o.Inflight = 1
	}
	if o.Size == 0 {
		o.Size = 64
	}
	if o.Duration == 0 {
		o.Duration = 10 * time.Second
	}
	if o.Stuck == 0 && o.Workload == Slow {
		o.Stuck = 1
	}
	if o.Workload == Fanout {
		o.Stuck = 0
	}
	if o.MetricsURL != "" {
		o.MetricsURL = metricsURL(o.MetricsURL)
	}
	return o, o.check()
}

func (o Options) check() error {
	switch {
	case o.Workload != Fanout && o.Workload != Slow:
		return fmt.Errorf("unknown workload %q (want %s or %s)", o.Workload, Fanout, Slow)
	case o.Clients < 1:
		return fmt.Errorf("clients must be at least 1, not %d", o.Clients)
	case o.Senders < 1 || o.Senders > o.Clients:
		return fmt.Errorf("senders must be between 1 and clients (%d), not %d", o.Clients, o.Senders)
	case o.Rate < 0:
		return errors.New("rate must not be negative")
	case o.Inflight < 1:
		return fmt.Errorf("inflight must be at least 1, not %d", o.Inflight)
	case o.Size < 1 || o.Size > MaxSize:
		return fmt.Errorf("size must be between 1 and %d, not %d", MaxSize, o.Size)
	case o.Warmup < 0 || o.Duration < 0:
		return errors.New("warm-up and duration must not be negative")
	case o.Stuck < 0:
		return errors.New("stuck must not be negative")
	case o.SelfQueue < 0:
		return errors.New("the self-hosted server's queue must not be negative")
	}
	return nil
}

// metricsURL completes a bare HOST:PORT to http://HOST:PORT/metrics.
func metricsURL(s string) string {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	if u, err := url.Parse(s); err == nil && (u.Path == "" || u.Path == "/") {
		u.Path = "/metrics"
		s = u.String()
	}
	return s
}
