package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"parley/internal/server"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestFanoutSelf runs a small fanout against a self-hosted server: every
// line reaches every client once, the latencies make sense, and the
// clients' count matches the server's /metrics.
func TestFanoutSelf(t *testing.T) {
	var progress bytes.Buffer
	res, err := Run(t.Context(), Options{
		Self: true, StartSelf: server.SelfHosted,
		Clients:  20,
		Senders:  2,
		Duration: time.Second,
		Warmup:   200 * time.Millisecond,
		Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Sent == 0 {
		t.Fatal("no line sent in the window")
	}
	if res.Lost != 0 || res.Duplicated != 0 || res.Dropped != 0 {
		t.Errorf("lost %d, duplicated %d, dropped %d; want none", res.Lost, res.Duplicated, res.Dropped)
	}
	if want := res.Sent * 20; res.Deliveries != want || res.Expected != want {
		t.Errorf("deliveries %d, expected %d; want sent × clients = %d", res.Deliveries, res.Expected, want)
	}
	checkLatency(t, res.Latency, res.Deliveries)
	m := res.Metrics
	if m == nil {
		t.Fatal("no /metrics check with a self-hosted server")
	}
	if !m.OK || m.BytesOut == 0 || m.Diff != 0 {
		t.Errorf("/metrics: %d bytes out, clients read %d: diff %d, want 0", m.BytesOut, m.ClientsRead, m.Diff)
	}
	if lo, hi := 0.5*res.DeliveredPerSec, 2*res.DeliveredPerSec; m.WindowEventsPerSec < lo || m.WindowEventsPerSec > hi {
		t.Errorf("/metrics: %.0f events/s in the window, clients read %.0f lines/s", m.WindowEventsPerSec, res.DeliveredPerSec)
	}
	if m.PeakHeap <= 0 || m.PeakRSS < m.PeakHeap/2 {
		t.Errorf("/metrics: server memory %d heap and stacks, %d resident; want both read", m.PeakHeap, m.PeakRSS)
	}
	if !strings.Contains(progress.String(), "measuring") {
		t.Errorf("progress has no line about the window:\n%s", progress.String())
	}

	// The summary, for people and as JSON.
	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parley bench fanout: 20 clients", "2 senders flat out, 1 in flight each", "latency (ms)", "lost", "/metrics"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("JSON %s: %v", js, err)
	}
	for _, key := range []string{"clients", "senders", "duration_s", "sent", "deliveries", "delivered_per_s", "latency_ms", "lost", "duplicated", "metrics"} {
		if _, ok := back[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, js)
		}
	}
	if got := back["deliveries"].(float64); int64(got) != res.Deliveries {
		t.Errorf("JSON deliveries %v, want %d", got, res.Deliveries)
	}
}

func checkLatency(t *testing.T, l Latency, deliveries int64) {
	t.Helper()
	if l.Count != deliveries {
		t.Errorf("%d latencies recorded, want one per delivery (%d)", l.Count, deliveries)
	}
	ordered := 0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max
	if !ordered {
		t.Errorf("latency percentiles not positive and ordered: %+v", l)
	}
}

// TestSlowSelf: one client in the room never reads, the server's queue is
// small and the lines are long: the server cuts it off, and the others
// still get everything. The run must send enough to fill the kernel's
// buffers for the non-reader (some 4 MB) and then its queue, with a pause
// of up to 250 ms in between while the room waits for it: on a loaded
// machine under -race that takes more than a second.
func TestSlowSelf(t *testing.T) {
	res, err := Run(t.Context(), Options{
		Workload: Slow,
		Self:     true, StartSelf: server.SelfHosted,
		SelfQueue: 32,
		Clients:   10,
		Senders:   2,
		Inflight:  8,
		Size:      4000,
		Duration:  3 * time.Second,
		Warmup:    500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %+v", res, res.Slow, res.Metrics)
	if res.Slow == nil || res.Slow.Clients != 1 || res.Slow.Disconnected != 1 {
		t.Fatalf("slow: %+v, want 1 of 1 disconnected", res.Slow)
	}
	if res.Lost != 0 || res.Duplicated != 0 || res.Dropped != 0 {
		t.Errorf("lost %d, duplicated %d, dropped %d; want none", res.Lost, res.Duplicated, res.Dropped)
	}
	if res.Sent == 0 || res.Deliveries != res.Sent*10 {
		t.Errorf("sent %d, deliveries %d; want sent × 10", res.Sent, res.Deliveries)
	}
	if m := res.Metrics; m == nil || m.SlowConsumers != 1 || !m.OK {
		t.Errorf("/metrics: %+v; want 1 slow-consumer disconnect and counts within tolerance", m)
	}
}

// TestDMSelf: pairs of clients send each other private messages flat out,
// several in flight: every message reaches the partner once, the sender's
// copy does not count, and the clients read what /metrics says was
// written.
func TestDMSelf(t *testing.T) {
	res, err := Run(t.Context(), Options{
		Workload: DM,
		Self:     true, StartSelf: server.SelfHosted,
		Clients:  20,
		Inflight: 4,
		Duration: time.Second,
		Warmup:   200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v", res, res.Metrics)
	if res.Senders != 20 || res.Rooms != 10 {
		t.Errorf("%d senders in %d rooms, want 20 in 10 (one per pair)", res.Senders, res.Rooms)
	}
	if res.Sent == 0 {
		t.Fatal("no message sent in the window")
	}
	if res.Lost != 0 || res.Duplicated != 0 || res.Dropped != 0 {
		t.Errorf("lost %d, duplicated %d, dropped %d; want none", res.Lost, res.Duplicated, res.Dropped)
	}
	if res.Deliveries != res.Sent || res.Expected != res.Sent {
		t.Errorf("sent %d, expected %d, deliveries %d; want one delivery per message", res.Sent, res.Expected, res.Deliveries)
	}
	checkLatency(t, res.Latency, res.Deliveries)
	m := res.Metrics
	if m == nil {
		t.Fatal("no /metrics check with a self-hosted server")
	}
	if !m.OK || m.BytesOut == 0 || m.Diff != 0 {
		t.Errorf("/metrics: %d bytes out, clients read %d: diff %d, want 0", m.BytesOut, m.ClientsRead, m.Diff)
	}
	// Two events per message: the partner's and the sender's copy.
	if lo, hi := res.DeliveredPerSec, 4*res.DeliveredPerSec; m.WindowEventsPerSec < lo || m.WindowEventsPerSec > hi {
		t.Errorf("/metrics: %.0f events/s in the window, partners read %.0f messages/s", m.WindowEventsPerSec, res.DeliveredPerSec)
	}
	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parley bench dm: 20 clients in 10 pairs", "20 senders flat out, 4 in flight each", "private messages", "lost          0"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestDMPaced: at a rate, the pairs never send more than asked (a starved
// machine may send less), and every message arrives once.
func TestDMPaced(t *testing.T) {
	const clients, rate = 10, 500
	res, err := Run(t.Context(), Options{
		Workload: DM,
		Self:     true, StartSelf: server.SelfHosted,
		Clients:  clients,
		Rate:     rate,
		Duration: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The window holds rate lines on the schedule, and each sender's
	// schedule may put one more at its edge.
	if res.Sent == 0 || res.Sent > rate+clients {
		t.Errorf("sent %d messages in 1s at %d/s", res.Sent, rate)
	}
	if res.Lost != 0 || res.Duplicated != 0 || res.Deliveries != res.Sent {
		t.Errorf("sent %d, deliveries %d, lost %d, duplicated %d", res.Sent, res.Deliveries, res.Lost, res.Duplicated)
	}
}

// TestIdleSelf: idle clients in rooms of 30 (the last one short); each
// costs the server some memory, not much, and every one is alive at the
// end. (Enough of them that what they cost stands out of what else this
// process allocates.)
func TestIdleSelf(t *testing.T) {
	const n = 200
	res, err := Run(t.Context(), Options{
		Workload: Idle,
		Self:     true, StartSelf: server.SelfHosted,
		Clients:  n,
		RoomSize: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %+v %+v", res, res.Idle, res.Idle.Memory, res.Metrics)
	if res.Rooms != 7 || res.Sent != 7 {
		t.Errorf("%d rooms, %d lines said; want 7 and 7", res.Rooms, res.Sent)
	}
	if res.Idle.RoomSize != 30 {
		t.Errorf("room size %d, want 30", res.Idle.RoomSize)
	}
	if res.Expected != n || res.Deliveries != n || res.Lost != 0 || res.Dropped != 0 {
		t.Errorf("%d of %d clients read their room's line, lost %d, dropped %d; want all", res.Deliveries, res.Expected, res.Lost, res.Dropped)
	}
	m := res.Idle.Memory
	if m == nil {
		t.Fatal("no memory figures with a self-hosted server")
	}
	const plausible = 1 << 20
	if m.HeapPerConn <= 0 || m.HeapPerConn > plausible {
		t.Errorf("heap per connection %.0f bytes; want some, under 1 MiB", m.HeapPerConn)
	}
	if m.RSSPerConn > plausible {
		t.Errorf("resident memory per connection %.0f bytes; want under 1 MiB", m.RSSPerConn)
	}
	if m.ConnsOpen != n || !m.SameProcess {
		t.Errorf("the server counts %d more connections open (want %d), same process %v", m.ConnsOpen, n, m.SameProcess)
	}
	if c := res.Metrics; c == nil || !c.OK || c.Diff != 0 || c.SlowConsumers != 0 {
		t.Errorf("/metrics: %+v; want the clients to have read every byte, and no slow consumer", c)
	}
	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parley bench idle: 200 idle clients in 7 rooms of at most 30", "per connection", "KiB", "load generator's side", "200 of 200 clients read"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestIdleWithoutMetrics: without /metrics the memory figures are left
// out, and the connections are still checked.
func TestIdleWithoutMetrics(t *testing.T) {
	noMetrics := func(queue int) (string, string, func(), error) {
		addr, _, stop, err := server.SelfHosted(queue)
		return addr, "", stop, err
	}
	res, err := Run(t.Context(), Options{Workload: Idle, Self: true, StartSelf: noMetrics, Clients: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Idle.Memory != nil || res.Metrics != nil {
		t.Errorf("memory %+v, /metrics %+v without /metrics", res.Idle.Memory, res.Metrics)
	}
	if res.Deliveries != 20 || res.Lost != 0 {
		t.Errorf("%d of 20 clients read their room's line", res.Deliveries)
	}
	var sum bytes.Buffer
	res.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "not measured: no /metrics") {
		t.Errorf("summary does not say why there is no memory figure:\n%s", sum.String())
	}
}

// TestConnectSelf: a small storm; every client comes online, each with its
// time to welcome.
func TestConnectSelf(t *testing.T) {
	const n = 200
	res, err := Run(t.Context(), Options{
		Workload: Connect,
		Self:     true, StartSelf: server.SelfHosted,
		Clients:  n,
		Parallel: 32,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %+v", res, res.Connect, res.Metrics)
	c := res.Connect
	if c == nil || c.Online != n || c.Failed != 0 {
		t.Fatalf("connect: %+v; want %d online, none failed", c, n)
	}
	if c.Seconds <= 0 || c.PerSec <= 0 || c.PerSec != float64(n)/c.Seconds {
		t.Errorf("%d online in %vs: %v connections/s", c.Online, c.Seconds, c.PerSec)
	}
	checkLatency(t, res.Latency, n)
	if res.Latency.Max/1000 > c.Seconds {
		t.Errorf("a welcome took %vms, longer than the storm (%vs)", res.Latency.Max, c.Seconds)
	}
	if m := res.Metrics; m == nil || !m.OK || m.Diff != 0 {
		t.Errorf("/metrics: %+v; want the clients to have read every byte", m)
	}
	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parley bench connect: 200 clients, 32 handshakes at a time", "200 of 200 in", "connections/s", "welcome (ms)"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestConnectNobody: a storm against a port nobody listens on fails, and
// says why.
func TestConnectNobody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Run(t.Context(), Options{Workload: Connect, Addr: addr, Clients: 10})
	if err == nil || !strings.Contains(err.Error(), "no client came online") {
		t.Errorf("Run against %s: %v", addr, err)
	}
}

// TestRunEndsWithContext: cancelling the run ends it at once, with every
// connection and goroutine gone (TestMain checks).
func TestRunEndsWithContext(t *testing.T) {
	for _, o := range []Options{
		{Clients: 5, Senders: 1, Duration: time.Minute},
		{Workload: DM, Clients: 6, Duration: time.Minute},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		o.Self, o.StartSelf = true, server.SelfHosted
		start := time.Now()
		_, err := Run(ctx, o)
		cancel()
		if err == nil {
			t.Errorf("%s: a cancelled run succeeded", o.Workload)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: the cancelled run took %v", o.Workload, d)
		}
	}
}

// TestRunEndsInHandshakes: a run cancelled while its clients wait for a
// server that never greets them ends at once, in every workload.
func TestRunEndsInHandshakes(t *testing.T) {
	addr := silentServer(t)
	for _, w := range []string{Fanout, DM, Idle, Connect} {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		_, err := Run(ctx, Options{Workload: w, Addr: addr, Clients: 100, Parallel: 50})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want the context's error", w, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: the cancelled run took %v", w, d)
		}
	}
}

// silentServer accepts connections and never writes; the connections close
// when the test ends.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Workload: "storm"},
		{Clients: 2, Senders: 3},
		{Size: MaxSize + 1},
		{Rate: -1},
		{Parallel: -1},
		{Workload: DM, Clients: 3},
		{Workload: DM, Clients: 4, Senders: 2},
		{Workload: DM, Size: MaxSize - 10},
		{Workload: Idle, RoomSize: -1},
	} {
		if err := o.Check(); err == nil {
			t.Errorf("Check(%+v) = nil", o)
		}
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v) succeeded", o)
		}
	}
	// What idle and connect do not use, they do not check.
	if err := (Options{Workload: Idle, Senders: 1000, Size: -1}).Check(); err != nil {
		t.Errorf("idle with senders and size: %v", err)
	}
}

// TestMemoryCollectsThroughPprof: with the server's profiler known, each
// memory read is preceded by heap profiles that collect the garbage
// (/debug/pprof/heap?gc=1), and the smallest of the reads is kept.
func TestMemoryCollectsThroughPprof(t *testing.T) {
	var mu sync.Mutex
	var gcs, reads int
	heaps := []int{300, 100, 200} // heap bytes at each read; stack 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/debug/pprof/heap" && r.URL.Query().Get("gc") == "1":
			gcs++
		case r.URL.Path == "/metrics":
			fmt.Fprintf(w, "parley_events_out_total 0\ngo_memstats_heap_inuse_bytes %d\ngo_memstats_stack_inuse_bytes 0\n", heaps[reads%len(heaps)])
			reads++
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	o, err := Options{Workload: Idle, MetricsURL: ts.URL, PprofURL: strings.TrimPrefix(ts.URL, "http://")}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := &run{o: o, metrics: newScraper(o.MetricsURL)}
	defer r.metrics.close()
	c, err := r.memory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.heap != 100 {
		t.Errorf("heap %d, want the smallest read, 100", c.heap)
	}
	mu.Lock()
	defer mu.Unlock()
	if reads != memReads || gcs != 2*memReads {
		t.Errorf("%d reads and %d collections, want %d and %d", reads, gcs, memReads, 2*memReads)
	}
}
