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

// TestBenchWorkloadsSelfJSON runs each of dm, idle and connect small
// against a self-hosted server and reads what a script would.
func TestBenchWorkloadsSelfJSON(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   func(res benchJSON) bool
	}{
		{[]string{"dm", "--clients", "4", "--duration", "300ms", "--warmup", "100ms"},
			func(res benchJSON) bool { return res.Rooms == 2 && res.Deliveries > 0 && res.Deliveries == res.Sent }},
		{[]string{"idle", "--clients", "20", "--room-size", "5"},
			func(res benchJSON) bool {
				// (Memory per connection is internal/bench's to check: 20
				// clients cost too little to stand out of this process.)
				return res.Rooms == 4 && res.Deliveries == 20 && res.Idle != nil && res.Idle.Memory != nil && res.Idle.Memory.HeapAfter > 0
			}},
		{[]string{"connect", "--clients", "20", "--parallel", "4"},
			func(res benchJSON) bool {
				return res.Connect != nil && res.Connect.Online == 20 && res.Connect.PerSec > 0 && res.Latency.Count == 20
			}},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"bench"}, c.args...)
		args = append(args, "--self", "--json")
		if code := run(args, &stdout, &stderr, noEnv); code != 0 {
			t.Errorf("%q: exit status %d; stderr:\n%s", args, code, stderr.String())
			continue
		}
		var res benchJSON
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Errorf("%q: stdout is not one JSON object: %v\n%s", args, err, stdout.String())
			continue
		}
		if res.Workload != c.args[0] || res.Lost != 0 || res.Metrics == nil || !res.Metrics.OK || !c.ok(res) {
			t.Errorf("%q: summary %s", args, stdout.String())
		}
	}
}

// TestBenchSoakSelf runs a short soak against a self-hosted server: it
// passes its checks, says so, and exits 0.
func TestBenchSoakSelf(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "soak", "--self", "--duration", "1s", "--clients", "2", "--churners", "2", "--stuck", "0"}, &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit status %d; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"parley bench soak: 1s of churn, 2 stable clients in 1 pairs", "no stuck session", "PASS: all 10 checks"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "winding down") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

// benchJSON is what the tests read of bench's JSON.
type benchJSON struct {
	Workload   string `json:"workload"`
	Rooms      int    `json:"rooms"`
	Sent       int64  `json:"sent"`
	Deliveries int64  `json:"deliveries"`
	Lost       int64  `json:"lost"`
	Latency    struct {
		Count int64 `json:"count"`
	} `json:"latency_ms"`
	Idle *struct {
		Memory *struct {
			HeapAfter int64 `json:"heap_after"`
		} `json:"memory"`
	} `json:"idle"`
	Connect *struct {
		Online int     `json:"online"`
		PerSec float64 `json:"per_s"`
	} `json:"connect"`
	Metrics *struct {
		OK bool `json:"ok"`
	} `json:"metrics"`
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "storm"},
		{"bench", "fanout", "extra"},
		{"bench", "fanout", "--self", "--addr", "localhost:1"},
		{"bench", "fanout", "--queue", "8"},
		{"bench", "fanout", "--no-such-flag"},
		{"bench", "dm", "--clients", "3"},
		{"bench", "dm", "--senders", "2"},
		{"bench", "dm", "--size", "4090"},
		{"bench", "idle", "--rate", "10"},
		{"bench", "idle", "--room-size", "-1"},
		{"bench", "connect", "--parallel", "-1"},
		{"bench", "connect", "--room-size", "5"},
		{"bench", "soak", "--clients", "3"},
		{"bench", "soak", "--duration", "0"},
		{"bench", "soak", "--addr", "127.0.0.1:1", "--metrics", "127.0.0.1:2"}, // no --pprof
		{"bench", "soak", "--warmup", "1s"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr, noEnv); code != 2 {
			t.Errorf("%q: exit status %d, want 2; stderr:\n%s", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	run([]string{"bench", "dm", "--clients", "3"}, new(bytes.Buffer), &stderr, noEnv)
	if !strings.Contains(stderr.String(), "clients must be even") {
		t.Errorf("bench dm --clients 3 says:\n%s", stderr.String())
	}
	for workload, flag := range map[string]string{"slow": "-stuck", "idle": "-room-size", "connect": "-parallel"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"bench", workload, "-h"}, &stdout, &stderr, noEnv); code != 0 || !strings.Contains(stderr.String(), flag) {
			t.Errorf("bench %s -h: exit status %d; stderr:\n%s", workload, code, stderr.String())
		}
	}
}
