package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"parley/internal/chat"
)

// metricsHandler serves /metrics: the hub's counters, read at scrape time,
// and the Go runtime and process collectors.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &s.hub.Metrics
	counter := func(name, help string, v func() int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) }))
	}
	gauge := func(name, help string, labels prometheus.Labels, v func() int64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 { return float64(v()) }))
	}
	gauge("parley_connections_open", "Client connections open now.", nil, m.ConnsOpen.Load)
	counter("parley_connections_total", "Client connections admitted since start.", m.ConnsTotal.Load)
	for mode := chat.ModeText; mode <= chat.ModeWS; mode++ {
		gauge("parley_sessions", "Sessions open now, by mode.", prometheus.Labels{"mode": mode.String()}, m.Sessions[mode].Load)
	}
	counter("parley_lines_in_total", "Lines (or WebSocket messages) read from clients.", m.LinesIn.Load)
	counter("parley_events_out_total", "Events written to clients.", m.EventsOut.Load)
	counter("parley_bytes_out_total", "Bytes written to clients.", m.BytesOut.Load)
	counter("parley_slow_consumer_disconnects_total", "Sessions ended because their output queue overflowed.", m.SlowConsumers.Load)
	counter("parley_rate_limited_lines_total", "Lines whose handling flood control delayed.", m.RateLimited.Load)
	counter("parley_store_errors_total", "Store operations that failed.", m.StoreErrors.Load)
	counter("parley_session_panics_total", "Sessions ended by a panic in their handling (logged with its stack).", m.Panics.Load)
	if c := s.hub.Committer(); c != nil {
		counter("parley_messages_committed_total", "Chat lines committed to the store.", c.Committed.Load)
		counter("parley_commits_total", "Store transactions that committed chat lines (group commits).", c.Batches.Load)
		counter("parley_messages_retried_total", "Chat lines delivered under relaxed durability whose commit failed and that a later try saved.", c.Retried.Load)
		counter("parley_messages_lost_total", "Chat lines delivered under relaxed durability that the store never saved (too many waiting, or still failing at shutdown).", c.Lost.Load)
	}
	for why := chat.RejectMaxConns; why < chat.NumRejects; why++ {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_rejected_connections_total", Help: "Connections refused, by reason.",
			ConstLabels: prometheus.Labels{"reason": why.String()},
		}, func() float64 { return float64(m.Rejected[why].Load()) }))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
