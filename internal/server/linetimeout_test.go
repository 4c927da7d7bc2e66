package server

import (
	"testing"
	"time"
)

// TestLineTimeout: a client that begins a line and does not finish it
// within --line-timeout is told so and disconnected, even while it keeps
// trickling bytes (slowloris); one that sends whole lines slowly, or a line
// in pieces that arrive in time, stays. The rest of the server goes on.
func TestLineTimeout(t *testing.T) {
	const limit = 400 * time.Millisecond
	s := start(t, func(c *Config) { c.LineTimeout = limit })

	// Half a line, then silence.
	half := dialText(t, s)
	half.c.Write([]byte("hel"))
	start := time.Now()
	half.closed("line not finished within 400ms: disconnected")
	if d := time.Since(start); d < limit {
		t.Errorf("cut off after %v, before the %v limit", d, limit)
	}

	// A byte every 50 ms: activity, but the line never ends.
	trickle := dialText(t, s)
	stop := make(chan struct{})
	trickled := make(chan struct{})
	go func() { // owned by this test: ends at stop or on a failed write
		defer close(trickled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := trickle.c.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	trickle.closed("line not finished within 400ms: disconnected")
	close(stop)
	<-trickled

	// Whole lines, slowly, and a line in two pieces that arrive in time.
	slow := dialText(t, s)
	for i := range 3 {
		time.Sleep(limit / 2)
		slow.send("/who")
		slow.expect("[" + slow.addr + "] is online")
		if i == 2 {
			slow.c.Write([]byte("/w"))
			time.Sleep(limit / 4)
			slow.c.Write([]byte("ho\n"))
			slow.expect("[" + slow.addr + "] is online")
		}
	}
	slow.quiet()

	// JSON mode says why too.
	j := dialJSON(t, s)
	j.c.Write([]byte(`{"op":"pi`))
	j.expectJSON(map[string]any{"type": "bye", "reason": "line_timeout", "message": "line not finished within 400ms: disconnected"})
}
