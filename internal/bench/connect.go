package bench

import (
	"context"
	"fmt"
	"time"
)

// ConnectResult is how a connection storm went. Result's Latency is each
// connection's time from its dial to its online line.
type ConnectResult struct {
	// Online is how many clients had their online line and joined their
	// room; Failed how many handshakes failed instead, FailError why for
	// the first of them.
	Online    int    `json:"online"`
	Failed    int    `json:"failed"`
	FailError string `json:"fail_error,omitempty"`
	// Seconds is from the first dial to the last online line; PerSec is
	// Online / Seconds.
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_s"`
}

// storm runs the workload connect.
func (r *run) storm(ctx context.Context) (Result, error) {
	var before counters
	if r.metrics != nil {
		var err error
		if before, err = r.metrics.read(ctx); err != nil {
			return Result{}, err
		}
	}
	n := len(r.clients)
	r.progressf("connecting %d clients to %s, %d at a time, %s", n, r.addr, r.o.Parallel, r.where())
	stop := r.startJoinProgress(n)
	err := r.connect(ctx, r.clients, true)
	stop()
	if err != nil {
		return Result{}, err
	}
	cr := &ConnectResult{}
	var (
		first, last time.Time
		firstErr    error
		batch       = make([]int64, 0, latBatch)
	)
	for _, c := range r.clients {
		if !c.dialAt.IsZero() && (first.IsZero() || c.dialAt.Before(first)) {
			first = c.dialAt
		}
		if c.err != nil {
			cr.Failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("client %d: %w", c.id, withHint(c.err))
			}
			continue
		}
		cr.Online++
		if c.onlineAt.After(last) {
			last = c.onlineAt
		}
		if batch = append(batch, c.onlineAt.Sub(c.dialAt).Microseconds()); len(batch) == latBatch {
			r.lat.add(0, batch)
			batch = batch[:0]
		}
	}
	r.lat.add(0, batch)
	if cr.Online == 0 {
		return Result{}, fmt.Errorf("no client came online: %w", firstErr)
	}
	if firstErr != nil {
		cr.FailError = firstErr.Error()
	}
	if cr.Seconds = last.Sub(first).Seconds(); cr.Seconds > 0 {
		cr.PerSec = float64(cr.Online) / cr.Seconds
	}
	r.progressf("%d clients online after %.2fs; closing them", cr.Online, cr.Seconds)
	var check *MetricsCheck
	if r.metrics != nil {
		if check, err = r.metricsCheck(ctx, before, [2]int64{}); err != nil {
			return Result{}, err
		}
	}
	r.teardown()
	return Result{
		Workload: r.o.Workload, Room: r.room, Rooms: r.rooms,
		Clients: r.o.Clients, Parallel: r.o.Parallel,
		Latency: r.lat.summary(),
		Connect: cr, Metrics: check,
	}, nil
}
