package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// run is one Run: its clients, senders and clocks.
type run struct {
	// Static after newRun (or Run, for addr, spread and metrics).
	o       Options
	addr    string    // the server's TCP address, resolved
	spread  bool      // source addresses over 127.0.0.x
	metrics *scraper  // nil without /metrics
	room    string    // the room, or with rooms > 0 the stem of the rooms' names
	rooms   int       // DM, Idle, Connect: the clients are in room-0…room-(rooms-1)
	base    time.Time // the run's clock: bench lines carry time since base
	bufSize int       // each client's read buffer
	clients []*client // the readers; the first Senders of them send
	stuck   []*client // Slow: the clients that never read
	senders []*sender
	lat     *latencies
	// reader reads a client's lines once its handshake is done, on a
	// goroutine of its own, until its connection ends; nil in the
	// workloads whose clients read nothing after it (Idle, Connect).
	reader func(*client)

	noSpread atomic.Bool  // binding 127.0.0.x failed: use the default
	inRoom   atomic.Int64 // clients whose handshake is over (progress)

	progressMu sync.Mutex // guards writes to o.Progress

	// Written before started is closed, read after.
	t0  time.Duration // when the senders started
	win window

	started  chan struct{} // closed when the senders start
	stop     chan struct{} // closed when the window ends: the senders stop
	quit     chan struct{} // closed at teardown
	stopOnce sync.Once
	downOnce sync.Once
	sending  sync.WaitGroup // the senders
	reading  sync.WaitGroup // the readers

	dropped int   // readers that ended before teardown
	dropErr error // why the first of them did
}

// stuckBuffer is the receive buffer of a client that never reads.
// quietBuffer is the read buffer of a client in Idle and Connect, which
// reads only presence and its room's line (a longer line, say in the
// lobby's history, is cut short): small, so that with Self it weighs
// little in the memory per connection.
const (
	stuckBuffer = 1024
	quietBuffer = 512
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
	switch o.Workload {
	case DM, Soak:
		r.rooms = o.Clients / 2
	case Idle:
		r.rooms = (o.Clients + o.RoomSize - 1) / o.RoomSize
	case Connect:
		r.rooms = o.Clients
	}
	switch {
	case sendsLines(o.Workload):
		r.reader = func(c *client) { c.readLoop(r) }
	case o.Workload != Soak:
		r.bufSize = quietBuffer
	}
	for i := range o.Clients {
		c := &client{id: i}
		switch o.Workload {
		case DM:
			c.next = make([]int64, 1) // its partner's
		case Fanout, Slow:
			c.next = make([]int64, o.Senders)
		}
		if i < o.Senders {
			if o.Rate == 0 {
				c.credit = make(chan struct{}, o.Inflight)
			}
			r.senders = append(r.senders, &sender{c: c, idx: i})
		}
		r.clients = append(r.clients, c)
	}
	if o.Workload == Slow { // Soak's slow readers come and go: it makes its own
		for i := range o.Stuck {
			r.stuck = append(r.stuck, &client{id: o.Clients + i, stuck: true})
		}
	}
	return r
}

// roomOf is the room client id joins.
func (r *run) roomOf(id int) string {
	switch r.o.Workload {
	case DM, Soak:
		return fmt.Sprintf("%s-%d", r.room, id/2)
	case Idle:
		return fmt.Sprintf("%s-%d", r.room, id/r.o.RoomSize)
	case Connect:
		return fmt.Sprintf("%s-%d", r.room, id)
	}
	return r.room
}

// connect connects clients and has each join its room, Parallel
// handshakes at a time; r.reader then goes on reading on a goroutine of
// its own (not for a stuck client, nor in Idle or Connect). It returns
// once every handshake is over. The first one that fails cancels the rest
// and connect returns its error, unless keepGoing: then each failure stays
// in its client's err, and only ctx's end is an error.
func (r *run) connect(ctx context.Context, clients []*client, keepGoing bool) error {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64 // the next client to connect
		workers  sync.WaitGroup
		failOnce sync.Once
		firstErr error
	)
	for range min(r.o.Parallel, len(clients)) {
		workers.Go(func() {
			for hctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(clients) {
					return
				}
				c := clients[i]
				err := r.join(hctx, c, r.roomOf(c.id))
				switch {
				case err == nil:
					r.inRoom.Add(1)
					if r.reader != nil && !c.stuck {
						r.reading.Add(1) // before connect returns, so before teardown waits
						go func() {
							defer r.reading.Done()
							r.reader(c)
						}()
					}
				case keepGoing:
					c.err = err
				default:
					failOnce.Do(func() { firstErr = fmt.Errorf("client %d: %w", c.id, withHint(err)); cancel() })
				}
			}
		})
	}
	workers.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// withHint explains running out of file descriptors.
func withHint(err error) error {
	if errors.Is(err, syscall.EMFILE) {
		return fmt.Errorf("%w (raise the limit, ulimit -n; with --self every connection takes two)", err)
	}
	return err
}

// join connects c and has it join room. A connection whose handshake
// failed is closed.
func (r *run) join(ctx context.Context, c *client, room string) error {
	c.dialAt = time.Now()
	if err := r.dial(ctx, c); err != nil {
		return err
	}
	if c.stuck {
		c.conn.(*net.TCPConn).SetReadBuffer(stuckBuffer)
	}
	c.rd = bufio.NewReaderSize(c.conn, r.bufSize)
	if err := c.within(ctx, handshakeTimeout, func() error { return c.handshake(room) }); err != nil {
		c.conn.Close()
		return err
	}
	return nil
}

// within runs f, which reads and writes c's connection, under a deadline d
// from now, or until ctx ends; the connection has no deadline afterwards.
func (c *client) within(ctx context.Context, d time.Duration, f func() error) error {
	c.conn.SetDeadline(time.Now().Add(d))
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Now()) })
	err := f()
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
		if r.o.Workload == DM { // every name is known: the handshakes are over
			s.prefix = []byte("to|" + r.clients[s.idx^1].name + "|")
		}
	}
	r.startSenders()
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

// startSenders starts every sender on a goroutine of its own; r.t0 and
// r.win are set.
func (r *run) startSenders() {
	for _, s := range r.senders {
		r.sending.Add(1)
		go func() {
			defer r.sending.Done()
			s.run(r)
		}()
	}
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

// copies is how many clients read each bench line: every client in fanout
// and slow, the partner alone in DM.
func (r *run) copies() int64 {
	if r.o.Workload == DM {
		return 1
	}
	return int64(len(r.clients))
}

// drain waits until every line of the window has reached every reader, or
// until nothing more arrives for a second.
func (r *run) drain(ctx context.Context) {
	want := r.sentInWindow() * r.copies()
	awaitCount(ctx, want, time.Second, func() int64 { return r.sum(func(c *client) int64 { return c.measured.Load() }) })
}

// awaitCount waits until count reaches want, or stays the same for quiet,
// or ctx ends.
func awaitCount(ctx context.Context, want int64, quiet time.Duration, count func() int64) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last, since := int64(-1), time.Now()
	for {
		got := count()
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
