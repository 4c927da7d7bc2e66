package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MetricsCheck puts the server's count of bytes written beside the bytes
// the clients read, over the whole run: from before the first connection
// to the end, once the clients have read what the server wrote. With
// clients that all read the two are equal; the clients that never read
// (workload slow) make the server's count larger by what it wrote to them,
// which Tolerance bounds.
type MetricsCheck struct {
	URL string `json:"url"`
	// BytesOut is parley_bytes_out_total's growth over the run.
	BytesOut int64 `json:"bytes_out"`
	// ClientsRead is the bytes the clients read over the run: greetings,
	// presence, replies and bench lines.
	ClientsRead int64 `json:"clients_read"`
	// Diff is BytesOut - ClientsRead.
	Diff int64 `json:"diff"`
	// Tolerance is the most the server can have written, unread, to the
	// clients that never read; 0 when there are none.
	Tolerance int64 `json:"tolerance"`
	// OK is 0 <= Diff <= Tolerance.
	OK bool `json:"ok"`
	// WindowEventsPerSec is parley_events_out_total's growth over the
	// measured window, per second: DeliveredPerSec as the server saw it.
	// The two differ by what was in flight at the window's edges, and by
	// the few events that are not bench lines.
	WindowEventsPerSec float64 `json:"window_events_per_s"`
	// SlowConsumers is parley_slow_consumer_disconnects_total's growth over
	// the run.
	SlowConsumers int64 `json:"slow_consumer_disconnects"`
	// PeakHeap and PeakRSS are the most the server's heap and stacks
	// (go_memstats_heap_inuse_bytes + go_memstats_stack_inuse_bytes) and
	// its resident memory were, read every sampleEvery from the start of
	// sending to the end (fanout, slow and dm; 0 where not exported).
	PeakHeap int64 `json:"peak_heap_stack_bytes,omitempty"`
	PeakRSS  int64 `json:"peak_resident_bytes,omitempty"`
}

// sampleEvery is how often a run reads the server's memory.
const sampleEvery = 500 * time.Millisecond

// memPeak is the most memory the server was seen to use.
type memPeak struct{ heap, rss int64 }

// sample reads s every sampleEvery until stop is called, keeping the
// largest values in p (which stop makes safe to read). With no scraper it
// does nothing.
func (p *memPeak) sample(s *scraper) (stop func()) {
	if s == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			if c, err := s.read(ctx); err == nil {
				p.heap, p.rss = max(p.heap, c.heap), max(p.rss, c.rss)
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// counters are the /metrics values a run reads: the server's counters,
// and the gauges of the memory it holds (Idle, Soak) and of its sessions
// (Soak).
type counters struct {
	eventsOut     int64
	bytesOut      int64
	slowConsumers int64
	linesIn       int64
	rateLimited   int64
	panics        int64

	heap       int64 // go_memstats_heap_inuse_bytes + go_memstats_stack_inuse_bytes
	rss        int64 // process_resident_memory_bytes; 0 where the server cannot tell (not Linux)
	goroutines int64 // go_goroutines
	connsOpen  int64 // parley_connections_open
	sessions   int64 // parley_sessions, every mode
}

// scraper reads a server's /metrics.
type scraper struct {
	url string
	hc  *http.Client
}

func newScraper(url string) *scraper {
	return &scraper{
		url: url,
		// No keep-alive: a handful of requests, and no idle connection
		// left behind at the end.
		hc: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
}

func (s *scraper) read(ctx context.Context) (counters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return counters{}, fmt.Errorf("metrics: %w", err)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return counters{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return counters{}, fmt.Errorf("metrics: %s: %s", s.url, resp.Status)
	}
	var c counters
	// Where each metric goes. A metric with labels (parley_sessions, one
	// line per mode) adds up its lines; so do the two of heap.
	into := map[string]*int64{
		"parley_events_out_total":                &c.eventsOut,
		"parley_bytes_out_total":                 &c.bytesOut,
		"parley_slow_consumer_disconnects_total": &c.slowConsumers,
		"parley_lines_in_total":                  &c.linesIn,
		"parley_rate_limited_lines_total":        &c.rateLimited,
		"parley_session_panics_total":            &c.panics,
		"go_memstats_heap_inuse_bytes":           &c.heap,
		"go_memstats_stack_inuse_bytes":          &c.heap,
		"process_resident_memory_bytes":          &c.rss,
		"go_goroutines":                          &c.goroutines,
		"parley_connections_open":                &c.connsOpen,
		"parley_sessions":                        &c.sessions,
	}
	found := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "{")
		if p := into[name]; p != nil {
			*p += counterValue(value)
			found = found || name == "parley_events_out_total"
		}
	}
	if err := sc.Err(); err != nil {
		return counters{}, fmt.Errorf("metrics: %w", err)
	}
	if !found {
		return counters{}, fmt.Errorf("metrics: no parley_events_out_total at %s", s.url)
	}
	return c, nil
}

// counterValue reads a counter's (or a gauge's) value, as the text format writes it
// (1.234567e+06 is exact: Prometheus writes the shortest form that reads
// back as the same float).
func counterValue(s string) int64 {
	s, _, _ = strings.Cut(s, " ") // a timestamp may follow
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return int64(f)
}

// get fetches url with the scraper's client and drops the body.
func (s *scraper) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func (s *scraper) close() { s.hc.CloseIdleConnections() }
