package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"parley/internal/server"
	"strings"
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
// still get everything.
func TestSlowSelf(t *testing.T) {
	res, err := Run(t.Context(), Options{
		Workload: Slow,
		Self:     true, StartSelf: server.SelfHosted,
		SelfQueue: 32,
		Clients:   10,
		Senders:   2,
		Inflight:  4,
		Size:      4000,
		Duration:  time.Second,
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

// TestRunEndsWithContext: cancelling the run ends it at once, with every
// connection and goroutine gone (TestMain checks).
func TestRunEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Options{Self: true, StartSelf: server.SelfHosted, Clients: 5, Senders: 1, Duration: time.Minute})
	if err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the cancelled run took %v", d)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Workload: "storm"},
		{Clients: 2, Senders: 3},
		{Size: MaxSize + 1},
		{Rate: -1},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v) succeeded", o)
		}
	}
}
