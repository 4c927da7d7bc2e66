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
func (r *run) progressf(format string, args ...any) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "bench: "+format+"\n", args...)
	}
}

// startProgress writes a line a second, until the function it returns is
// called: the phase, and the lines delivered per second over the last
// second and over the window so far.
func (r *run) startProgress() (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		select { // and the window is known
		case <-r.started:
		case <-done:
			return
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last, lastAt := r.sum(func(c *client) int64 { return c.lines.Load() }), time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			n, now := r.sum(func(c *client) int64 { return c.lines.Load() }), time.Now()
			r.progressLine(float64(n-last) / now.Sub(lastAt).Seconds())
			last, lastAt = n, now
		}
	}()
	return func() {
		close(done)
		<-ended
	}
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
	fmt.Fprintf(&b, "parley bench %s: %d clients in %s, %s, %d-byte lines\n",
		res.Workload, res.Clients, res.Room, res.sending(), res.Size)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-13s %s\n", name, fmt.Sprintf(format, args...))
	}
	row("window", "%.2fs after a %.2fs warm-up", res.Duration, res.Warmup)
	row("sent", "%s lines (%s/s)", group(float64(res.Sent)), group(res.SentPerSec))
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
	if m := res.Metrics; m != nil {
		verdict := "ok"
		if !m.OK {
			verdict = "MISMATCH"
		}
		row("/metrics", "%s bytes out, %s bytes read by the clients over the run: diff %s, tolerance %s (%s)",
			group(float64(m.BytesOut)), group(float64(m.ClientsRead)), group(float64(m.Diff)), group(float64(m.Tolerance)), verdict)
		row("", "%s events/s out in the window", group(m.WindowEventsPerSec))
		row("", "%d slow-consumer disconnects", m.SlowConsumers)
	}
	_, err := io.WriteString(w, b.String())
	return err
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
