package server

import (
	"context"
	"log/slog"
)

// SelfHosted starts a server for a load test in the same process, on
// loopback ports: everything in memory, no flood control, no idle kick, no
// connection caps, no logs; queue > 0 sets --queue. It returns the TCP
// address, the /metrics URL and a function that shuts the server down.
func SelfHosted(queue int) (addr, metricsURL string, stop func(), err error) {
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DB = "127.0.0.1:0", "127.0.0.1:0", ":memory:"
	cfg.Rate, cfg.IdleTimeout = 0, 0
	cfg.MaxConns, cfg.MaxConnsPerIP, cfg.ConnRate = 0, 0, 0
	if queue > 0 {
		cfg.Queue = queue
	}
	cfg.Log = slog.New(slog.DiscardHandler)
	s, err := Start(cfg)
	if err != nil {
		return "", "", nil, err
	}
	return s.TCPAddr(), "http://" + s.HTTPAddr() + "/metrics", func() { s.Shutdown(context.Background()) }, nil
}
