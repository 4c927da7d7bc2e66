package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// progressf writes one line of progress, if there is somewhere to write it.
// The run and its ticking goroutine both write: one line at a time.
func (r *run) progressf(format string, args ...any) {
	if r.o.Progress != nil {
		r.progressMu.Lock()
		defer r.progressMu.Unlock()
		fmt.Fprintf(r.o.Progress, "bench: "+format+"\n", args...)
	}
}

// ticking calls begin (if not nil) once ready is closed (nil: at once),
// then each every period, on a goroutine of its own, until the function
// it returns is called; that waits for the goroutine to end. Without
// Progress it does nothing.
func (r *run) ticking(period time.Duration, ready <-chan struct{}, begin, each func()) (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		if ready != nil {
			select {
			case <-ready:
			case <-done:
				return
			}
		}
		if begin != nil {
			begin()
		}
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				each()
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// startProgress writes a line a second, from when the senders start until
// the function it returns is called: the phase, and the lines delivered
// per second over the last second and over the window so far.
func (r *run) startProgress() (stop func()) {
	delivered := func() int64 { return r.sum(func(c *client) int64 { return c.delivered.Load() }) }
	var (
		last   int64
		lastAt time.Time
	)
	return r.ticking(time.Second, r.started, func() { last, lastAt = delivered(), time.Now() }, func() {
		n, now := delivered(), time.Now()
		r.progressLine(float64(n-last) / now.Sub(lastAt).Seconds())
		last, lastAt = n, now
	})
}

// startJoinProgress writes a line a second while n clients connect, until
// the function it returns is called: how many are in their rooms, and how
// many came in over the last second.
func (r *run) startJoinProgress(n int) (stop func()) {
	start := time.Now()
	last, lastAt := r.inRoom.Load(), start
	return r.ticking(time.Second, nil, nil, func() {
		in, now := r.inRoom.Load(), time.Now()
		r.progressf("%5.1fs  %s of %s clients in their rooms, %s/s",
			now.Sub(start).Seconds(), group(float64(in)), group(float64(n)), group(float64(in-last)/now.Sub(lastAt).Seconds()))
		last, lastAt = in, now
	})
}

func (r *run) progressLine(perSec float64) {
	at := int64(time.Since(r.base))
	phase := "warm-up"
	switch {
	case at >= r.win.end:
		phase = "draining"
	case at >= r.win.start:
		phase = "measuring"
	}
	line := fmt.Sprintf("%5.1fs  %-9s  %s delivered/s", time.Duration(at-int64(r.t0)).Seconds(), phase, group(perSec))
	if window := time.Duration(min(at, r.win.end) - r.win.start).Seconds(); window >= 0.5 {
		measured := r.sum(func(c *client) int64 { return c.measured.Load() })
		line += fmt.Sprintf(", %s/s over the window so far", group(float64(measured)/window))
	}
	r.progressf("%s", line)
}

// WriteSummary writes res for people.
func (res Result) WriteSummary(w io.Writer) error {
	var b strings.Builder
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-13s %s\n", name, fmt.Sprintf(format, args...))
	}
	switch res.Workload {
	case Idle:
		res.idleSummary(&b, row)
	case Connect:
		res.connectSummary(&b, row)
	case Soak:
		res.soakSummary(&b, row)
	default:
		res.linesSummary(&b, row)
	}
	if m := res.Metrics; m != nil {
		verdict := "ok"
		if !m.OK {
			verdict = "MISMATCH"
		}
		row("/metrics", "%s bytes out, %s bytes read by the clients over the run: diff %s, tolerance %s (%s)",
			group(float64(m.BytesOut)), group(float64(m.ClientsRead)), group(float64(m.Diff)), group(float64(m.Tolerance)), verdict)
		switch res.Workload {
		case DM:
			row("", "%s events/s out in the window (two per message: the partner's and the sender's copy)", group(m.WindowEventsPerSec))
		case Fanout, Slow:
			row("", "%s events/s out in the window", group(m.WindowEventsPerSec))
		}
		row("", "%d slow-consumer disconnects", m.SlowConsumers)
		if m.PeakHeap > 0 {
			row("server memory", "at most %s heap and stacks, %s resident, while sending", mib(m.PeakHeap), mib(m.PeakRSS))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// linesSummary writes what fanout, slow and dm measured.
func (res Result) linesSummary(b *strings.Builder, row func(name, format string, args ...any)) {
	where := res.Room
	if res.Workload == DM {
		where = fmt.Sprintf("%d pairs, rooms %s-0…%d", res.Rooms, res.Room, res.Rooms-1)
	}
	fmt.Fprintf(b, "parley bench %s: %d clients in %s, %s, %d-byte lines\n",
		res.Workload, res.Clients, where, res.sending(), res.Size)
	noun := "lines"
	if res.Workload == DM {
		noun = "private messages"
	}
	row("window", "%.2fs after a %.2fs warm-up", res.Duration, res.Warmup)
	row("sent", "%s %s (%s/s)", group(float64(res.Sent)), noun, group(res.SentPerSec))
	row("deliveries", "%s of %s expected (%s/s)", group(float64(res.Deliveries)), group(float64(res.Expected)), group(res.DeliveredPerSec))
	l := res.Latency
	row("latency (ms)", "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f", l.P50, l.P90, l.P99, l.P999, l.Max)
	row("lost", "%s", group(float64(res.Lost)))
	row("duplicated", "%s", group(float64(res.Duplicated)))
	if res.Dropped > 0 {
		row("dropped", "%d clients cut off before the end (first: %s)", res.Dropped, res.DropError)
	}
	if s := res.Slow; s != nil {
		row("never read", "%d of %d clients disconnected by the server", s.Disconnected, s.Clients)
	}
}

// idleSummary writes what idle measured.
func (res Result) idleSummary(b *strings.Builder, row func(name, format string, args ...any)) {
	ir := res.Idle
	if ir == nil {
		ir = &IdleResult{}
	}
	fmt.Fprintf(b, "parley bench idle: %s idle clients in %d rooms of at most %d (%s-0…%d), %d handshakes at a time\n",
		group(float64(res.Clients)), res.Rooms, ir.RoomSize, res.Room, res.Rooms-1, res.Parallel)
	row("connected", "%s clients in %.2fs", group(float64(res.Clients)), ir.ConnectSeconds)
	if m := ir.Memory; m != nil {
		row("heap+stacks", "%s → %s: %s per connection", mib(m.HeapBefore), mib(m.HeapAfter), perConn(m.HeapPerConn))
		if m.RSSAfter > 0 {
			row("resident", "%s → %s: %s per connection", mib(m.RSSBefore), mib(m.RSSAfter), perConn(m.RSSPerConn))
		} else {
			row("resident", "not exported by the server")
		}
		row("goroutines", "%.2f per connection; the server counts %s more connections open", m.GoroutinesPerConn, group(float64(m.ConnsOpen)))
		if m.ConnsOpen != int64(res.Clients) || res.Dropped > 0 {
			row("", "BUT not every client's connection stayed open (see dropped, and the server's count): the figures per connection are off")
		}
		switch {
		case m.SameProcess:
			row("note", "the server runs in this process: the figures include the load generator's side of each connection; garbage collected before each read")
		case m.Collected:
			row("note", "the server's garbage collected (through its profiler) before each of %d reads; the smallest kept", memReads)
		default:
			row("note", "the smallest of %d reads; the heap includes garbage the server had not collected yet (give --pprof to collect it)", memReads)
		}
	} else {
		row("memory", "not measured: no /metrics (--metrics URL, or --self)")
	}
	row("alive", "%s of %s clients read the line said in their room (%d lines, one per room)",
		group(float64(res.Deliveries)), group(float64(res.Expected)), res.Sent)
	row("lost", "%s", group(float64(res.Lost)))
	if res.Dropped > 0 {
		row("dropped", "%d clients cut off before the end (first: %s)", res.Dropped, res.DropError)
	}
}

// connectSummary writes what connect measured.
func (res Result) connectSummary(b *strings.Builder, row func(name, format string, args ...any)) {
	cr := res.Connect
	if cr == nil {
		cr = &ConnectResult{}
	}
	fmt.Fprintf(b, "parley bench connect: %s clients, %d handshakes at a time, each into a room of its own (%s-0…%d)\n",
		group(float64(res.Clients)), res.Parallel, res.Room, res.Rooms-1)
	row("online", "%s of %s in %.2fs: %s connections/s", group(float64(cr.Online)), group(float64(res.Clients)), cr.Seconds, group(cr.PerSec))
	l := res.Latency
	row("welcome (ms)", "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (from the dial to the online line)", l.P50, l.P90, l.P99, l.P999, l.Max)
	row("failed", "%s", group(float64(cr.Failed)))
	if cr.Failed > 0 {
		row("", "first: %s", cr.FailError)
	}
}

// mib writes a number of bytes in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// perConn writes bytes per connection, and in KiB.
func perConn(bytes float64) string {
	return fmt.Sprintf("%s bytes (%.1f KiB)", group(bytes), bytes/1024)
}

// sending says how the senders sent.
func (res Result) sending() string {
	if res.Rate > 0 {
		return fmt.Sprintf("%d senders at %s lines/s in all", res.Senders, group(res.Rate))
	}
	return fmt.Sprintf("%d senders flat out, %d in flight each", res.Senders, res.Inflight)
}

// group writes x rounded to an integer, with thousands separated by commas.
func group(x float64) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
