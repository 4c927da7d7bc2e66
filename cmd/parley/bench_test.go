package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchSelfJSON runs a short fanout against a self-hosted server and
// reads its summary as JSON.
func TestBenchSelfJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "fanout", "--self", "--clients", "5", "--senders", "1",
		"--duration", "300ms", "--warmup", "100ms", "--json"}, &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
	}
	var res struct {
		Workload   string `json:"workload"`
		Clients    int    `json:"clients"`
		Deliveries int64  `json:"deliveries"`
		Lost       int64  `json:"lost"`
		Metrics    *struct {
			OK bool `json:"ok"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	if res.Workload != "fanout" || res.Clients != 5 || res.Deliveries <= 0 || res.Metrics == nil {
		t.Errorf("summary %s: want fanout, 5 clients, deliveries, a /metrics check", stdout.String())
	}
	if !strings.Contains(stderr.String(), "bench: ") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "storm"},
		{"bench", "fanout", "extra"},
		{"bench", "fanout", "--self", "--addr", "localhost:1"},
		{"bench", "fanout", "--queue", "8"},
		{"bench", "fanout", "--no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr, noEnv); code != 2 {
			t.Errorf("%q: exit status %d, want 2; stderr:\n%s", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "slow", "-h"}, &stdout, &stderr, noEnv); code != 0 || !strings.Contains(stderr.String(), "-stuck") {
		t.Errorf("bench slow -h: exit status %d; stderr:\n%s", code, stderr.String())
	}
}
