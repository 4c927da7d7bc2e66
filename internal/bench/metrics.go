package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MetricsCheck puts the server's count of events written beside the lines
// the clients read over the same window. The two differ by what was in
// flight at the window's edges (written, not yet read, or the other way
// round), which Tolerance bounds.
type MetricsCheck struct {
	URL string `json:"url"`
	// EventsOut is parley_events_out_total's growth over the window.
	EventsOut int64 `json:"events_out"`
	// ClientsRead is the lines the clients read over the same window, of
	// every kind (an event is one line here).
	ClientsRead int64 `json:"clients_read"`
	// Diff is EventsOut - ClientsRead.
	Diff int64 `json:"diff"`
	// Tolerance is the most the two can differ by: the lines that can be
	// in flight at an edge times the clients they go to, plus whatever the
	// clients that never read were written.
	Tolerance int64 `json:"tolerance"`
	// OK is |Diff| <= Tolerance.
	OK bool `json:"ok"`
	// SlowConsumers is parley_slow_consumer_disconnects_total's growth over
	// the whole run.
	SlowConsumers int64 `json:"slow_consumer_disconnects"`
}

// counters are the /metrics values a run reads.
type counters struct {
	eventsOut     int64
	slowConsumers int64
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
	found := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "parley_events_out_total":
			c.eventsOut, found = counterValue(value), true
		case "parley_slow_consumer_disconnects_total":
			c.slowConsumers = counterValue(value)
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

// counterValue reads a counter's value, as the text format writes it
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

func (s *scraper) close() { s.hc.CloseIdleConnections() }
