package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Result is what a run measured. Each workload fills in what it measures;
// the rest stays zero.
type Result struct {
	Workload string `json:"workload"`
	// Room is the clients' room; with Rooms > 0 (DM, Idle, Connect) the
	// clients are spread over Room-0 … Room-(Rooms-1).
	Room     string  `json:"room"`
	Rooms    int     `json:"rooms,omitempty"`
	Clients  int     `json:"clients"`  // the clients that read
	Parallel int     `json:"parallel"` // handshakes under way at once
	Senders  int     `json:"senders"`  // how many of them sent
	Rate     float64 `json:"rate"`     // lines/s asked for, all senders together; 0 flat out
	Inflight int     `json:"inflight"` // lines in flight per sender with Rate 0
	Size     int     `json:"size"`     // bytes of text per line
	Warmup   float64 `json:"warmup_s"`
	Duration float64 `json:"duration_s"` // the measured window

	// Sent is the lines sent within the window, Expected the deliveries
	// they make (Sent × Clients: every client gets every line, its own
	// included; in DM Sent: only the partner gets a private message). In
	// Idle they are the lines that prove the connections alive: one per
	// room, Expected one per client.
	Sent     int64 `json:"sent"`
	Expected int64 `json:"expected"`
	// Deliveries is the lines of the window the clients read, duplicates
	// included; Lost is Expected minus those seen once.
	Deliveries      int64   `json:"deliveries"`
	SentPerSec      float64 `json:"sent_per_s"`
	DeliveredPerSec float64 `json:"delivered_per_s"`
	// Latency is from a line's send to its receipt; in Connect, from a
	// client's dial to its online line.
	Latency    Latency `json:"latency_ms"`
	Lost       int64   `json:"lost"`
	Duplicated int64   `json:"duplicated"`
	// Dropped is the reading clients whose connection ended before the
	// run did (the server cut them off, or it failed); DropError says why
	// for the first of them.
	Dropped   int    `json:"dropped"`
	DropError string `json:"drop_error,omitempty"`

	Slow    *SlowResult    `json:"slow,omitempty"`    // workload slow only
	Idle    *IdleResult    `json:"idle,omitempty"`    // workload idle only
	Connect *ConnectResult `json:"connect,omitempty"` // workload connect only
	Soak    *SoakResult    `json:"soak,omitempty"`    // workload soak only
	Metrics *MetricsCheck  `json:"metrics,omitempty"` // with /metrics only
}

// SlowResult is what became of the clients that never read.
type SlowResult struct {
	Clients int `json:"clients"`
	// Disconnected is how many of them the server cut off: the room heard
	// them go offline.
	Disconnected int `json:"disconnected"`
}

// Run runs a workload and reports what it measured. It ends by itself
// after the warm-up and the window, or early with ctx's error; either way
// every connection and goroutine it started is gone when it returns.
func Run(ctx context.Context, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if o.Self {
		if o.StartSelf == nil {
			return Result{}, errors.New("bench: Self needs StartSelf")
		}
		addr, murl, stop, err := o.StartSelf(o.SelfQueue)
		if err != nil {
			return Result{}, fmt.Errorf("self-hosted server: %w", err)
		}
		defer stop()
		o.Addr, o.MetricsURL = addr, murl
	}
	ta, err := net.ResolveTCPAddr("tcp", o.Addr)
	if err != nil {
		return Result{}, err
	}
	r := newRun(o, ta.String())
	r.spread = ta.IP.To4() != nil && ta.IP.IsLoopback()
	if o.MetricsURL != "" {
		r.metrics = newScraper(o.MetricsURL)
	}
	defer r.teardown()
	switch o.Workload {
	case Idle:
		return r.idle(ctx)
	case Connect:
		return r.storm(ctx)
	case Soak:
		return r.soak(ctx)
	}
	return r.execute(ctx)
}

// stuckBytes bounds the bytes a server's kernel accepts for a connection
// that does not read: Linux's default limit of a socket's send buffer
// (net.ipv4.tcp_wmem), plus a little for the reader's tiny receive buffer.
// presenceBytes bounds a presence line ("[ADDR]NAME:left", twice the
// longest address), sent to a client that never reads once for each client
// that comes or goes.
const (
	stuckBytes    = 4<<20 + 64<<10
	presenceBytes = 2*len("[127.0.0.255:65535]") + len(":offline\n")
)

// execute runs the workloads that send lines: fanout, slow and dm.
func (r *run) execute(ctx context.Context) (Result, error) {
	var before counters
	if r.metrics != nil {
		var err error
		if before, err = r.metrics.read(ctx); err != nil {
			return Result{}, err
		}
	}
	if err := r.connectAll(ctx); err != nil {
		return Result{}, err
	}
	stopProgress := r.startProgress()
	var peak memPeak
	stopSampling := peak.sample(r.metrics)
	edges, err := r.measure(ctx)
	if err == nil {
		r.sending.Wait()
		r.drain(ctx)
		err = ctx.Err()
	}
	stopProgress()
	if err != nil {
		stopSampling()
		return Result{}, err
	}
	gone := r.stuckGone(ctx)
	stopSampling()
	var check *MetricsCheck
	if r.metrics != nil {
		if check, err = r.metricsCheck(ctx, before, edges); err != nil {
			return Result{}, err
		}
		check.PeakHeap, check.PeakRSS = peak.heap, peak.rss
	}
	r.teardown()
	res := r.result(gone)
	res.Metrics = check
	return res, nil
}

// connectAll connects the readers, then the clients that never read (so
// that the room's joins do not fill their buffers).
func (r *run) connectAll(ctx context.Context) error {
	start, n := time.Now(), len(r.clients)+len(r.stuck)
	r.progressf("connecting %d clients to %s, %s", n, r.addr, r.where())
	stop := r.startJoinProgress(n)
	defer stop()
	if err := r.connect(ctx, r.clients, false); err != nil {
		return err
	}
	if err := r.connect(ctx, r.stuck, false); err != nil {
		return err
	}
	r.progressf("%d clients in their rooms after %.2fs", n, time.Since(start).Seconds())
	return nil
}

// where says which rooms the clients are in.
func (r *run) where() string {
	if r.rooms == 0 {
		return "room " + r.room
	}
	return fmt.Sprintf("rooms %s-0…%d", r.room, r.rooms-1)
}

// result puts the clients' counts together; every goroutine of the run has
// ended.
func (r *run) result(stuckGone int) Result {
	o := r.o
	res := Result{
		Workload: o.Workload, Room: r.room, Rooms: r.rooms,
		Clients: o.Clients, Parallel: o.Parallel,
		Senders: o.Senders, Rate: o.Rate, Inflight: o.Inflight, Size: o.Size,
		Warmup: o.Warmup.Seconds(), Duration: o.Duration.Seconds(),
		Sent:       r.sentInWindow(),
		Deliveries: r.sum(func(c *client) int64 { return c.measured.Load() }),
		Duplicated: r.sum(func(c *client) int64 { return c.dup }),
		Latency:    r.lat.summary(),
		Dropped:    r.dropped,
	}
	res.Expected = res.Sent * r.copies()
	res.Lost = res.Expected - (res.Deliveries - res.Duplicated)
	if o.Duration > 0 {
		res.SentPerSec = float64(res.Sent) / o.Duration.Seconds()
		res.DeliveredPerSec = float64(res.Deliveries) / o.Duration.Seconds()
	}
	if r.dropErr != nil {
		res.DropError = r.dropErr.Error()
	}
	if o.Workload == Slow {
		res.Slow = &SlowResult{Clients: len(r.stuck), Disconnected: stuckGone}
	}
	return res
}

// settle is how long the clients get, at the end, to read what the server
// counted as written.
const settle = 3 * time.Second

// metricsCheck compares the server's count of bytes written over the run
// with the bytes the clients read, once they have caught up (or settle has
// passed). What went to the clients that never read, they cannot count:
// at most what the server's kernel takes for a connection that does not
// read (stuckBytes), and everyone's presence lines. In Idle and Connect the
// clients have read all the server sent them (see the package doc), and
// there is no window: edges are unused.
func (r *run) metricsCheck(ctx context.Context, before counters, edges [2]int64) (*MetricsCheck, error) {
	perStuck := int64(stuckBytes + (r.o.Clients+len(r.stuck))*presenceBytes)
	m := &MetricsCheck{URL: r.metrics.url, Tolerance: int64(len(r.stuck)) * perStuck}
	if d := r.o.Duration.Seconds(); d > 0 {
		m.WindowEventsPerSec = float64(edges[1]-edges[0]) / d
	}
	deadline := time.Now().Add(settle)
	for {
		after, err := r.metrics.read(ctx)
		if err != nil {
			return nil, err
		}
		m.BytesOut = after.bytesOut - before.bytesOut
		m.SlowConsumers = after.slowConsumers - before.slowConsumers
		m.ClientsRead = r.sum(func(c *client) int64 { return c.bytes.Load() })
		for _, c := range r.stuck {
			m.ClientsRead += c.bytes.Load()
		}
		m.Diff = m.BytesOut - m.ClientsRead
		m.OK = 0 <= m.Diff && m.Diff <= m.Tolerance
		if m.OK || time.Now().After(deadline) {
			return m, nil
		}
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return nil, err
		}
	}
}
