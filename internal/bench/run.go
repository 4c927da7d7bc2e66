package bench

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// run is one Run: its clients, senders and clocks.
type run struct {
	// Static after newRun (or Run, for addr, spread and metrics).
	o       Options
	addr    string   // the server's TCP address, resolved
	spread  bool     // source addresses over 127.0.0.x
	metrics *scraper // nil without /metrics
	room    string
	base    time.Time // the run's clock: bench lines carry time since base
	bufSize int       // each reader's buffer
	clients []*client // the readers; the first Senders of them send
	stuck   []*client // Slow: the clients that never read
	senders []*sender
	lat     *latencies

	noSpread atomic.Bool // binding 127.0.0.x failed: use the default

	// Written before started is closed, read after.
	t0  time.Duration // when the senders started
	win window

	started  chan struct{} // closed when the senders start
	stop     chan struct{} // closed when the window ends: the senders stop
	quit     chan struct{} // closed at teardown
	stopOnce sync.Once
	downOnce sync.Once
	sending  sync.WaitGroup // the senders
	reading  sync.WaitGroup // the clients' goroutines

	dropped int   // readers that ended before teardown
	dropErr error // why the first of them did
}

// dialParallel bounds the handshakes under way at once; stuckBuffer is the
// receive buffer of a client that never reads.
const (
	dialParallel = 64
	stuckBuffer  = 1024
)

func newRun(o Options, addr string) *run {
	r := &run{
		o:       o,
		addr:    addr,
		room:    fmt.Sprintf("bench-%08x", rand.Uint32()),
		base:    time.Now(),
		bufSize: max(8<<10, 2*o.Size+1024),
		lat:     newLatencies(),
		started: make(chan struct{}),
		stop:    make(chan struct{}),
		quit:    make(chan struct{}),
	}
	for i := range o.Clients {
		c := &client{id: i, next: make([]int64, o.Senders)}
		if i < o.Senders {
			if o.Rate == 0 {
				c.credit = make(chan struct{}, o.Inflight)
			}
			r.senders = append(r.senders, &sender{c: c, idx: i})
		}
		r.clients = append(r.clients, c)
	}
	for i := range o.Stuck {
		r.stuck = append(r.stuck, &client{id: o.Clients + i, stuck: true})
	}
	return r
}

// connect connects clients and has them join the room, dialParallel at a
// time; each reader then goes on reading. It returns once every handshake
// is over, with the first error if one failed.
func (r *run) connect(ctx context.Context, clients []*client) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, dialParallel)
	var (
		ready    sync.WaitGroup
		failOnce sync.Once
		firstErr error
	)
	for _, c := range clients {
		ready.Add(1)
		r.reading.Add(1)
		go func() {
			defer r.reading.Done()
			err := r.join(ctx, c, sem)
			if err != nil {
				failOnce.Do(func() { firstErr = fmt.Errorf("client %d: %w", c.id, err); cancel() })
			}
			ready.Done()
			if err == nil && !c.stuck {
				c.readLoop(r)
			}
		}()
	}
	ready.Wait()
	return firstErr
}

// join connects c and has it join the room.
func (r *run) join(ctx context.Context, c *client, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-sem }()
	if err := r.dial(ctx, c); err != nil {
		return err
	}
	if c.stuck {
		c.conn.(*net.TCPConn).SetReadBuffer(stuckBuffer)
	}
	c.rd = bufio.NewReaderSize(c.conn, r.bufSize)
	c.conn.SetDeadline(time.Now().Add(handshakeTimeout))
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Now()) })
	err := c.handshake(r.room)
	if !stop() && err == nil {
		err = ctx.Err() // and the deadline is in the past
	}
	c.conn.SetDeadline(time.Time{})
	return err
}

// measure starts the senders and stops them when the window ends, taking
// a snapshot of the counts at the window's edges.
func (r *run) measure(ctx context.Context) (edges [2]int64, err error) {
	r.t0 = time.Since(r.base)
	r.win = window{start: int64(r.t0 + r.o.Warmup), end: int64(r.t0 + r.o.Warmup + r.o.Duration)}
	close(r.started)
	for _, s := range r.senders {
		r.sending.Add(1)
		go func() {
			defer r.sending.Done()
			s.run(r)
		}()
	}
	defer r.stopSending()
	for i, at := range [2]int64{r.win.start, r.win.end} {
		if err := sleepUntil(ctx, r.base.Add(time.Duration(at))); err != nil {
			return edges, err
		}
		if i == 1 {
			r.stopSending()
		}
		if edges[i], err = r.snapshot(ctx); err != nil {
			return edges, err
		}
	}
	return edges, nil
}

func (r *run) stopSending() { r.stopOnce.Do(func() { close(r.stop) }) }

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// snapshot is the server's count of events written, or 0 without
// /metrics.
func (r *run) snapshot(ctx context.Context) (int64, error) {
	if r.metrics == nil {
		return 0, nil
	}
	c, err := r.metrics.read(ctx)
	return c.eventsOut, err
}

// sum adds up f over the readers.
func (r *run) sum(f func(*client) int64) int64 {
	var n int64
	for _, c := range r.clients {
		n += f(c)
	}
	return n
}

// sentInWindow is the lines sent within the window; the senders have ended.
func (r *run) sentInWindow() int64 {
	var n int64
	for _, s := range r.senders {
		n += s.inWin
	}
	return n
}

// drain waits until every line of the window has reached every reader, or
// until nothing more arrives for a second.
func (r *run) drain(ctx context.Context) {
	const quiet = time.Second
	want := r.sentInWindow() * int64(len(r.clients))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last, since := int64(-1), time.Now()
	for {
		got := r.sum(func(c *client) int64 { return c.measured.Load() })
		if got >= want {
			return
		}
		if got != last {
			last, since = got, time.Now()
		} else if time.Since(since) > quiet {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// sawPresence notes a stuck client going offline, which the whole room
// hears once the server has ended its session. (Draining its socket to
// find the end would not do: with the small window it was given, what the
// server's kernel still holds for it can trickle out for minutes.)
func (r *run) sawPresence(line []byte) {
	select {
	case <-r.started: // every stuck client has its name
	default:
		return
	}
	for _, c := range r.stuck {
		if isPresence(line, c.name, offlineWords) {
			c.gone.Store(true)
		}
	}
}

// stuckWait is how long after the run the room may take to hear that a
// stuck client is gone: the server gives a session it cut off a second to
// drain its input before it leaves.
const stuckWait = 3 * time.Second

// stuckGone waits until the room has heard every stuck client go, or
// stuckWait, and returns how many went.
func (r *run) stuckGone(ctx context.Context) int {
	deadline := time.Now().Add(stuckWait)
	for {
		n := 0
		for _, c := range r.stuck {
			if c.gone.Load() {
				n++
			}
		}
		if n == len(r.stuck) || time.Now().After(deadline) {
			return n
		}
		if sleepUntil(ctx, time.Now().Add(20*time.Millisecond)) != nil {
			return n
		}
	}
}

// teardown stops the senders, closes every connection and waits for every
// goroutine of the run. A reader that ended before is one the server cut
// off (or that failed).
func (r *run) teardown() {
	r.downOnce.Do(func() {
		r.stopSending()
		close(r.quit)
		for _, c := range r.clients {
			if c.ended.Load() {
				r.dropped++
				if r.dropErr == nil {
					r.dropErr = fmt.Errorf("client %d: %w", c.id, c.err)
				}
			}
		}
		for _, c := range append(r.clients[:len(r.clients):len(r.clients)], r.stuck...) {
			if c.conn != nil {
				c.conn.Close()
			}
		}
		r.sending.Wait()
		r.reading.Wait()
		if r.metrics != nil {
			r.metrics.close()
		}
	})
}
