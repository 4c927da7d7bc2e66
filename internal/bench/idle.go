package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// IdleResult is what idle connections cost the server, and whether they
// stayed alive (Result's Sent, Expected, Deliveries and Lost count the
// lines that prove it).
type IdleResult struct {
	RoomSize int `json:"room_size"` // the most clients in one room
	// ConnectSeconds is how long the clients took to connect and join
	// their rooms.
	ConnectSeconds float64     `json:"connect_s"`
	Memory         *IdleMemory `json:"memory,omitempty"` // with /metrics only
}

// IdleMemory is the server's memory before the first connection and once
// every client is in, each the smallest of memReads reads, and its growth
// per connection.
type IdleMemory struct {
	// HeapBefore and HeapAfter are go_memstats_heap_inuse_bytes +
	// go_memstats_stack_inuse_bytes, HeapPerConn their growth per
	// connection, in bytes.
	HeapBefore  int64   `json:"heap_before"`
	HeapAfter   int64   `json:"heap_after"`
	HeapPerConn float64 `json:"heap_per_conn"`
	// RSSBefore, RSSAfter and RSSPerConn are the same for
	// process_resident_memory_bytes; all 0 where the server does not
	// export it (it is Linux's).
	RSSBefore  int64   `json:"rss_before"`
	RSSAfter   int64   `json:"rss_after"`
	RSSPerConn float64 `json:"rss_per_conn"`
	// GoroutinesPerConn is go_goroutines' growth per connection.
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
	// ConnsOpen is parley_connections_open's growth: Clients when the
	// server holds every connection.
	ConnsOpen int64 `json:"conns_open"`
	// SameProcess is true with Self: the server shares the process with
	// the load generator, so the figures include the generator's side of
	// every connection, and a garbage collection that returns what it
	// frees to the system ran before each read. Otherwise the heap figures
	// include what garbage the server had not yet collected.
	SameProcess bool `json:"same_process"`
	// Collected is true when the server's garbage was collected before
	// each read (Self, or the server's profiler known): live memory.
	Collected bool `json:"collected"`
}

// memReads is how many times each memory figure is read, memGap apart;
// the smallest read counts. memSettle is the pause after the last
// handshake, for the server to finish with them.
const (
	memReads  = 3
	memGap    = 200 * time.Millisecond
	memSettle = 500 * time.Millisecond
)

// proofWait bounds the wait for each room's line.
const proofWait = 10 * time.Second

// idle runs the workload idle.
func (r *run) idle(ctx context.Context) (Result, error) {
	var before counters
	if r.metrics != nil {
		var err error
		if before, err = r.memory(ctx); err != nil {
			return Result{}, err
		}
	}
	start := time.Now()
	if err := r.connectAll(ctx); err != nil {
		return Result{}, err
	}
	ir := &IdleResult{RoomSize: r.o.RoomSize, ConnectSeconds: time.Since(start).Seconds()}
	if r.metrics != nil {
		if err := sleepUntil(ctx, time.Now().Add(memSettle)); err != nil {
			return Result{}, err
		}
		r.progressf("reading the server's memory")
		after, err := r.memory(ctx)
		if err != nil {
			return Result{}, err
		}
		ir.Memory = idleMemory(before, after, len(r.clients), r.o.Self)
		ir.Memory.Collected = r.o.Self || r.o.PprofURL != ""
	}
	r.progressf("one line in each room, to prove every connection alive")
	sent, err := r.prove(ctx)
	if err != nil {
		return Result{}, err
	}
	var check *MetricsCheck
	if r.metrics != nil {
		if check, err = r.metricsCheck(ctx, before, [2]int64{}); err != nil {
			return Result{}, err
		}
	}
	r.teardown()
	proved := 0
	for _, c := range r.clients {
		if c.proved {
			proved++
		}
	}
	res := Result{
		Workload: r.o.Workload, Room: r.room, Rooms: r.rooms,
		Clients: r.o.Clients, Parallel: r.o.Parallel,
		Sent: sent, Expected: int64(len(r.clients)), Deliveries: int64(proved),
		Lost:    int64(len(r.clients) - proved),
		Dropped: r.dropped,
		Idle:    ir, Metrics: check,
	}
	if r.dropErr != nil {
		res.DropError = r.dropErr.Error()
	}
	return res, nil
}

// memory reads the server's memory memReads times and keeps the smallest
// of each figure (the counters come from the last read). With Self it
// collects the garbage first, the process's own, and with PprofURL the
// server's, so that the figures are live memory; otherwise they include
// the server's garbage, which the smallest of a few reads only makes less.
func (r *run) memory(ctx context.Context) (counters, error) {
	var low counters
	for i := range memReads {
		if i > 0 {
			if err := sleepUntil(ctx, time.Now().Add(memGap)); err != nil {
				return counters{}, err
			}
		}
		switch {
		case r.o.Self:
			// Twice: what sync.Pools hold survives one collection.
			runtime.GC()
			debug.FreeOSMemory()
		case r.o.PprofURL != "":
			for range 2 {
				if err := r.metrics.get(ctx, r.o.PprofURL); err != nil {
					return counters{}, fmt.Errorf("collecting the server's garbage: %w", err)
				}
			}
		}
		c, err := r.metrics.read(ctx)
		if err != nil {
			return counters{}, err
		}
		if i > 0 {
			c.heap, c.rss = min(c.heap, low.heap), min(c.rss, low.rss)
			c.goroutines = min(c.goroutines, low.goroutines)
		}
		low = c
	}
	return low, nil
}

func idleMemory(before, after counters, n int, self bool) *IdleMemory {
	m := &IdleMemory{
		HeapBefore: before.heap, HeapAfter: after.heap,
		HeapPerConn:       float64(after.heap-before.heap) / float64(n),
		GoroutinesPerConn: float64(after.goroutines-before.goroutines) / float64(n),
		ConnsOpen:         after.connsOpen - before.connsOpen,
		SameProcess:       self,
	}
	if before.rss > 0 && after.rss > 0 {
		m.RSSBefore, m.RSSAfter = before.rss, after.rss
		m.RSSPerConn = float64(after.rss-before.rss) / float64(n)
	}
	return m
}

// prove has the first client of each room say one line, and every client
// read until its room's line, or for proofWait; it returns how many lines
// went out. A client that read its line is proved alive; one whose
// connection ended instead counts as dropped. Reading ends at that line,
// and the server sends a client nothing after it until the run ends.
func (r *run) prove(ctx context.Context) (sent int64, err error) {
	deadline := time.Now().Add(proofWait)
	for _, c := range r.clients {
		c.conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() {
		for _, c := range r.clients {
			c.conn.SetDeadline(time.Now())
		}
	})
	defer stop()
	var readers sync.WaitGroup
	for _, c := range r.clients {
		first := c.id / r.o.RoomSize * r.o.RoomSize
		readers.Go(func() {
			c.err = c.readUntil(func(line []byte) bool {
				s, _, _, ok := parseLine(line)
				return ok && s == first
			})
			c.proved = c.err == nil
		})
	}
	for i := 0; i < len(r.clients); i += r.o.RoomSize {
		line := appendLine(nil, i, 0, int64(time.Since(r.base)), 1)
		if _, err := r.clients[i].conn.Write(line); err == nil {
			sent++ // else its room will not hear it: its clients are lost
		}
	}
	readers.Wait()
	if err := ctx.Err(); err != nil {
		return sent, err
	}
	for _, c := range r.clients {
		if c.err != nil && !errors.Is(c.err, os.ErrDeadlineExceeded) {
			r.dropped++
			if r.dropErr == nil {
				r.dropErr = fmt.Errorf("client %d: %w", c.id, c.err)
			}
		}
	}
	return sent, nil
}
