// Package bench is `parley bench`, a load generator for Parley servers. It
// speaks the raw text protocol over TCP (cheaper to parse than JSON, so the
// load generator is not the bottleneck) and measures what a user feels:
// delivered lines per second, latency from send to receipt, and lines lost
// or duplicated on the way; and what a server pays for each connection.
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
// Workload dm pairs the clients (0 with 1, 2 with 3, …); each pair joins a
// room of its own, bench-<random>-<pair>, and every client sends its
// partner private messages, "to|NAME|b S SEQ T xxx…", paced or flat out as
// in fanout. A message counts when the partner reads it ("from [NAME]: b
// …"); the sender's own copy ("to [NAME]: b …") does not. With R 0 the
// next message goes when the partner has read one of the sender's: the
// sender's copy would only say that the server took the line, not that it
// was delivered, and latency would then measure socket buffers.
//
// Workload idle measures what an idle connection costs the server. C
// clients connect and join rooms of at most RoomSize (bench-<random>-0,
// -1, …), so that the presence lines, which the protocol sends to the
// whole lobby (online) and the whole room (joined), stay O(C·RoomSize)
// rather than O(C²). Then nobody reads: the few presence lines that still
// arrive wait in the socket buffers. The growth of the server's
// go_memstats_heap_inuse_bytes + go_memstats_stack_inuse_bytes and of its
// process_resident_memory_bytes, from before the first connection to when
// all C are in, divided by C, is the memory per connection; each figure is
// the smallest of a few reads. Then the first client of each room says one
// line, and every client must read it: lost is C minus those that did.
// Without /metrics the memory figures are left out and the rest still
// runs. With Self the server shares the process, so the figures include
// the load generator's side of every connection, and a garbage collection
// (debug.FreeOSMemory) before each read makes them live memory; against
// another server they include whatever garbage it has not yet collected.
// A server's idle kick (--idle-timeout, 5m by default; off with Self) must
// be off or longer than the run.
//
// Workload connect is a connection storm: C clients connect, Parallel
// handshakes at a time, and each counts once it has its online line. It
// reports connections per second (C over the time from the first dial to
// the last online line) and each connection's time from its dial to its
// online line. Once online, a client joins a room of its own
// (bench-<random>-<i>) and stays there, silent, until the end, when all
// close: the storm ends with C connections open, as after a server's
// restart, and the lobby holds only the clients still in their handshake,
// so each newcomer's online line goes to at most Parallel others rather
// than to everyone. A handshake that fails is counted and the storm goes
// on.
//
// Workload soak is not a measurement but a check: for Duration, stable
// pairs exchange numbered private messages and lines while churners
// connect, rename, join, chat, flood and leave, and slow readers wait to
// be cut off; then it checks that nothing was lost and that the server is
// back where it started (sessions, goroutines, memory). soak.go says how.
//
// When the server's /metrics is known (always with Self), Run reads
// parley_events_out_total at both edges of the window and puts the
// difference beside the number of lines the clients read over the same
// window: they match within the lines in flight at the edges. It also puts
// parley_bytes_out_total's growth over the whole run beside the bytes the
// clients read. In idle and connect the clients stop reading at a point
// after which the server sends them nothing more (idle: their room's line;
// connect: the answer to their /join, in a room nobody else enters), so
// the two are equal there too.
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
	Fanout  = "fanout"  // C clients in one room, S of them sending
	Slow    = "slow"    // fanout plus clients that never read
	DM      = "dm"      // C clients in pairs, each sending its partner private messages
	Idle    = "idle"    // C idle connections: the server's memory per connection
	Connect = "connect" // C clients connecting at once: connections per second
	Soak    = "soak"    // pairs exchanging DMs while others churn, flood and stall; checks at the end
)

// Known reports whether workload is one of the workloads.
func Known(workload string) bool {
	switch workload {
	case Fanout, Slow, DM, Idle, Connect, Soak:
		return true
	}
	return false
}

// sendsLines reports whether workload sends bench lines for a measured
// window (fanout, slow, dm), rather than only connecting (idle, connect).
func sendsLines(workload string) bool {
	return workload == Fanout || workload == Slow || workload == DM
}

// DefaultAddr is where Run connects without Addr or Self.
const DefaultAddr = "localhost:9999"

// MaxSize is the largest Size: the protocol's default --max-line.
const MaxSize = 4096

// dmPrefix bounds the "to|NAME|" before a private message's text, which
// counts against the server's --max-line: a client's name is its address
// (at most 47 bytes, "[" IPv6 "]:" port) or guest-N.
const dmPrefix = len("to|") + 64 + len("|")

// Options say what to run, and against which server. The zero value of a
// field means its default unless it says otherwise.
type Options struct {
	// Workload is Fanout, Slow, DM, Idle, Connect or Soak (Fanout).
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
	// skips the check (and, in Idle, the memory figures). With Self it is
	// the self-hosted server's. Soak needs it (or Self).
	MetricsURL string
	// PprofURL is the server's profiler (its --pprof HOST:PORT, or a URL):
	// Idle and Soak ask it for a heap profile after a collection
	// (/debug/pprof/heap?gc=1) before each memory read, so that another
	// server's figures are live memory, without its garbage. "" skips it;
	// Soak needs it unless Self.
	PprofURL string

	// Clients is how many clients connect (100; Idle and Connect 5000, which
	// with Self takes 10,000 file descriptors, two per connection). DM
	// pairs them: it must be even. In Soak they are the stable clients,
	// connected from start to end, in pairs (20; even too).
	Clients int
	// Parallel bounds the handshakes (connect, wait for the online line,
	// join the room) under way at once (64; Connect 256). The lobby holds
	// at most that many of the run's clients, each hearing every
	// newcomer's online line.
	Parallel int

	// The rest of this group is for Fanout, Slow and DM; Idle and Connect
	// ignore it. Soak uses Rate, Size and Duration.

	// Senders is how many of the clients send (10, at most Clients). In DM
	// every client sends: 0 means Clients, and anything else is an error.
	// In Soak it is set to twice Clients (each sends DMs and chat lines).
	Senders int
	// Rate is the lines per second that all senders send together, spread
	// evenly over them; 0 is as fast as the server takes them. In Soak it
	// is the stable clients' DMs and chat lines together (100), and must
	// not be 0.
	Rate float64
	// Inflight is, with Rate 0, how many lines each sender has in flight:
	// it sends the next when one of its own comes back (in DM: when its
	// partner has read one) (1). There is no "no limit": lines piling up
	// in socket buffers would measure the buffers (seconds of latency,
	// stale send times), not the server.
	Inflight int
	// Size is the length of a line's text in bytes (64); a text never gets
	// shorter than the numbers it carries. In DM it is at most MaxSize
	// less the "to|NAME|" before it.
	Size int
	// Warmup is how long lines are sent before the measured window; 0 is
	// no warm-up.
	Warmup time.Duration
	// Duration is the measured window (10s); in Soak, how long the
	// churn goes on, after which the run winds down and checks.
	Duration time.Duration
	// Stuck is how many clients never read, in the Slow workload (1); in
	// Soak, how many slow readers are connected at any time, each
	// replaced once the server has cut it off (there 0 is none; the
	// command's --stuck is 2).
	Stuck int

	// Churners is, in Soak, how many clients at once connect, act and
	// leave, over and over (8).
	Churners int
	// Flood is, in Soak, how many lines a flood sends at once (60): more
	// than a server's default --rate lets through in its burst (40), so
	// that flood control slows the flooder, yet short enough that floods
	// do not take up most of the churners' time.
	Flood int

	// RoomSize is, in Idle, the most clients in one room (100).
	RoomSize int

	// Progress, if set, gets a line a second while the run goes on.
	Progress io.Writer
}

// Check reports what is wrong with o, as Run would: a command can tell a
// usage error from a failed run.
func (o Options) Check() error {
	_, err := o.withDefaults()
	return err
}

// withDefaults fills in the defaults and checks o.
func (o Options) withDefaults() (Options, error) {
	if o.Workload == "" {
		o.Workload = Fanout
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	many := o.Workload == Idle || o.Workload == Connect
	if o.Workload == Soak {
		o.soakDefaults()
	}
	if o.Clients == 0 {
		o.Clients = 100
		if many {
			o.Clients = 5000
		}
	}
	if o.Parallel == 0 {
		o.Parallel = 64
		if o.Workload == Connect {
			o.Parallel = 256
		}
	}
	if o.Workload == DM && o.Senders == 0 {
		o.Senders = o.Clients
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
	if o.Workload != Slow && o.Workload != Soak {
		o.Stuck = 0
	}
	if o.RoomSize == 0 {
		o.RoomSize = 100
	}
	if o.MetricsURL != "" {
		o.MetricsURL = metricsURL(o.MetricsURL)
	}
	if o.PprofURL != "" {
		o.PprofURL = gcURL(o.PprofURL)
	}
	if many { // what they do not use stays out of their result
		o.Senders, o.Rate, o.Inflight, o.Size, o.Warmup, o.Duration = 0, 0, 0, 0, 0, 0
	}
	return o, o.check()
}

func (o Options) check() error {
	switch {
	case !Known(o.Workload):
		return fmt.Errorf("unknown workload %q (want %s, %s, %s, %s, %s or %s)", o.Workload, Fanout, Slow, DM, Idle, Connect, Soak)
	case o.Clients < 1:
		return fmt.Errorf("clients must be at least 1, not %d", o.Clients)
	case o.Parallel < 1:
		return fmt.Errorf("parallel must be at least 1, not %d", o.Parallel)
	case o.RoomSize < 1:
		return fmt.Errorf("room size must be at least 1, not %d", o.RoomSize)
	case o.SelfQueue < 0:
		return errors.New("the self-hosted server's queue must not be negative")
	case o.Workload == Soak:
		return o.checkSoak()
	case !sendsLines(o.Workload):
		return nil
	case o.Workload == DM && o.Clients%2 != 0:
		return fmt.Errorf("dm pairs the clients: clients must be even, not %d", o.Clients)
	case o.Workload == DM && o.Senders != o.Clients:
		return fmt.Errorf("in dm every client sends: senders must be clients (%d), not %d", o.Clients, o.Senders)
	case o.Senders < 1 || o.Senders > o.Clients:
		return fmt.Errorf("senders must be between 1 and clients (%d), not %d", o.Clients, o.Senders)
	case o.Rate < 0:
		return errors.New("rate must not be negative")
	case o.Inflight < 1:
		return fmt.Errorf("inflight must be at least 1, not %d", o.Inflight)
	case o.Size < 1 || o.Size > MaxSize:
		return fmt.Errorf("size must be between 1 and %d, not %d", MaxSize, o.Size)
	case o.Workload == DM && o.Size > MaxSize-dmPrefix:
		return fmt.Errorf("in dm size must be at most %d (the \"to|NAME|\" before the text counts against the server's --max-line), not %d", MaxSize-dmPrefix, o.Size)
	case o.Warmup < 0 || o.Duration < 0:
		return errors.New("warm-up and duration must not be negative")
	case o.Stuck < 0:
		return errors.New("stuck must not be negative")
	}
	return nil
}

// gcURL completes a profiler's HOST:PORT to the heap profile's URL that
// collects the garbage first.
func gcURL(s string) string {
	return completeURL(s, func(u *url.URL) { u.Path, u.RawQuery = "/debug/pprof/heap", "gc=1" })
}

// metricsURL completes a bare HOST:PORT to http://HOST:PORT/metrics.
func metricsURL(s string) string {
	return completeURL(s, func(u *url.URL) {
		if u.Path == "" || u.Path == "/" {
			u.Path = "/metrics"
		}
	})
}

// completeURL gives s the scheme http:// if it has none and lets set fill
// in the rest; s stays as it is if it does not parse.
func completeURL(s string, set func(*url.URL)) string {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	set(u)
	return u.String()
}
