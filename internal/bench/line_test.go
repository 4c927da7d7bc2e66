package bench

import (
	"os"
	"testing"
)

func TestLineRoundTrip(t *testing.T) {
	for _, size := range []int{1, 20, 64, 1000} {
		text := appendLine(nil, 7, 123456, 987654321012, size)
		if n := len(text) - 1; n < size || (size > 30 && n != size) {
			t.Errorf("size %d: text of %d bytes: %q", size, n, text)
		}
		for _, wire := range []string{
			"[127.0.0.2:40000]127.0.0.2:40000:" + string(text),
			"[::1]:40000:" + string(text), // --hide-addrs off, IPv6 (name only)
			"guest-3:" + string(text),     // --hide-addrs
		} {
			s, seq, sent, ok := parseLine([]byte(wire))
			if !ok || s != 7 || seq != 123456 || sent != 987654321012 {
				t.Errorf("parseLine(%q) = %d %d %d %v", wire, s, seq, sent, ok)
			}
		}
	}
}

func TestParseLineRejects(t *testing.T) {
	for _, line := range []string{
		"[127.0.0.2:40000]127.0.0.2:40000:online\n",
		"[127.0.0.2:40000]127.0.0.2:40000:joined\n",
		"[1.2.3.4:5]1.2.3.4:5:hello b 1 2 3 x\n",
		"x:b 1 2\n",
		"x:b 1 2 3\n", // no space after T
		"x:b 1 -2 3 x\n",
		"x:b 1 2 1234567890123456789 x\n", // too long to be ours
		"x:b  1 2 3 x\n",
	} {
		if s, seq, sent, ok := parseLine([]byte(line)); ok {
			t.Errorf("parseLine(%q) = %d %d %d, want no bench line", line, s, seq, sent)
		}
	}
}

func TestParseDM(t *testing.T) {
	text := string(trimEOL(appendLine(nil, 7, 123456, 987654321012, 64)))
	for _, line := range []string{
		"from [127.0.0.2:40000]: " + text,
		"from [[::1]:40000]: " + text, // an IPv6 address name
		"from [guest-3]: " + text,     // --hide-addrs
		"来自:[127.0.0.2:40000]的消息，内容是:" + text,
		"来自:[[::1]:40000]的消息，内容是:" + text,
	} {
		s, seq, sent, ok := parseDM([]byte(line))
		if !ok || s != 7 || seq != 123456 || sent != 987654321012 {
			t.Errorf("parseDM(%q) = %d %d %d %v", line, s, seq, sent, ok)
		}
	}
	for _, line := range []string{
		"to [127.0.0.2:40000]: " + text, // the sender's copy
		"发送给:[127.0.0.2:40000]的消息，内容是:" + text,
		"[127.0.0.2:40000]127.0.0.2:40000:" + text, // a chat line
		"from [127.0.0.2:40000]: hello " + text,
		"from [127.0.0.2:40000]:" + text,
		"error: no such user: 127.0.0.2:40000",
		"[127.0.0.2:40000]127.0.0.2:40000:joined",
	} {
		if s, seq, sent, ok := parseDM([]byte(line)); ok {
			t.Errorf("parseDM(%q) = %d %d %d, want no private bench line", line, s, seq, sent)
		}
	}
	line := []byte("来自:[127.0.0.2:40000]的消息，内容是:" + text)
	if n := testing.AllocsPerRun(100, func() { parseDM(line) }); n != 0 {
		t.Errorf("parseDM allocates %v times", n)
	}
}

func TestParseLineDoesNotAllocate(t *testing.T) {
	line := []byte("[127.0.0.2:40000]127.0.0.2:40000:" + string(appendLine(nil, 3, 99, 123456789, 64)))
	if n := testing.AllocsPerRun(100, func() { parseLine(line) }); n != 0 {
		t.Errorf("parseLine allocates %v times", n)
	}
}

func TestHandshakeLines(t *testing.T) {
	const me = "127.0.0.5:41234"
	if got := welcomeName([]byte("*** welcome " + me + ", you are in [lobby]; /help lists commands")); got != me {
		t.Errorf("welcomeName (en) = %q", got)
	}
	if got := welcomeName([]byte("*** 欢迎 guest-4，你在 [lobby]；输入 /help 查看命令")); got != "guest-4" {
		t.Errorf("welcomeName (zh) = %q", got)
	}
	if got := welcomeName([]byte("[1.2.3.4:5]x:*** welcome y, you are in [z]")); got != "" {
		t.Errorf("welcomeName of a chat line = %q", got)
	}
	online := []struct {
		line, name string
		want       bool
	}{
		{"[" + me + "]" + me + ":online", me, true},
		{"guest-4:online", "guest-4", true},
		{"[" + me + "]" + me + ":已上线", me, true},
		{"[127.0.0.5:1]127.0.0.5:1:online", me, false},
		{"[1.2.3.4:5]x" + me + ":online", me, false},
		{"[" + me + "]" + me + ":joined", me, false},
		{"[" + me + "]" + me + ":offline", me, false},
	}
	for _, c := range online {
		if got := isPresence([]byte(c.line), c.name, onlineWords); got != c.want {
			t.Errorf("isPresence(%q, %q, online) = %v", c.line, c.name, got)
		}
	}
	for _, line := range []string{"[" + me + "]" + me + ":offline", "[" + me + "]" + me + ":下线", "guest-4:offline"} {
		if !isPresence([]byte(line), me, offlineWords) && !isPresence([]byte(line), "guest-4", offlineWords) {
			t.Errorf("isPresence(%q, offline) = false", line)
		}
	}
	for line, want := range map[string]bool{
		"joined [bench-1a2b]":          true,
		"已加入 [bench-1a2b]":             true,
		"[bench-1a2b] 3 online":        false,
		"joined [bench-1a2bc]":         false,
		"[1.2.3.4:5]x:hi [bench-1a2b]": false,
	} {
		if got := isJoined([]byte(line), "bench-1a2b"); got != want {
			t.Errorf("isJoined(%q) = %v", line, got)
		}
	}
}

func TestGroup(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.6: "1,234,568", -4321: "-4,321"} {
		if got := group(x); got != want {
			t.Errorf("group(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestMetricsURL(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:8080":                  "http://localhost:8080/metrics",
		"http://10.0.0.1:8080":            "http://10.0.0.1:8080/metrics",
		"https://example.org/custom/path": "https://example.org/custom/path",
	} {
		if got := metricsURL(in); got != want {
			t.Errorf("metricsURL(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int64{"12345": 12345, "1.234567e+06": 1234567, "7 1700000000000": 7, "junk": 0} {
		if got := counterValue(in); got != want {
			t.Errorf("counterValue(%q) = %d, want %d", in, got, want)
		}
	}
}

func ExampleResult_WriteSummary() {
	res := Result{
		Workload: Fanout, Room: "bench-00c0ffee", Clients: 3, Senders: 1, Inflight: 1, Size: 64,
		Warmup: 1, Duration: 2, Sent: 1000, Expected: 3000, Deliveries: 3000,
		SentPerSec: 500, DeliveredPerSec: 1500,
		Latency: Latency{Count: 3000, P50: 0.1, P90: 0.2, P99: 0.3, P999: 0.4, Max: 0.5},
	}
	res.WriteSummary(os.Stdout)
	// Output:
	// parley bench fanout: 3 clients in bench-00c0ffee, 1 senders flat out, 1 in flight each, 64-byte lines
	//   window        2.00s after a 1.00s warm-up
	//   sent          1,000 lines (500/s)
	//   deliveries    3,000 of 3,000 expected (1,500/s)
	//   latency (ms)  p50 0.100  p90 0.200  p99 0.300  p99.9 0.400  max 0.500
	//   lost          0
	//   duplicated    0
}

func ExampleResult_WriteSummary_idle() {
	res := Result{
		Workload: Idle, Room: "bench-00c0ffee", Rooms: 100, Clients: 10000, Parallel: 64,
		Sent: 100, Expected: 10000, Deliveries: 10000,
		Idle: &IdleResult{RoomSize: 100, ConnectSeconds: 2.5, Memory: &IdleMemory{
			HeapBefore: 3 << 20, HeapAfter: 3<<20 + 10000*12288, HeapPerConn: 12288,
			RSSBefore: 20 << 20, RSSAfter: 20<<20 + 10000*16384, RSSPerConn: 16384,
			GoroutinesPerConn: 2, ConnsOpen: 10000,
		}},
	}
	res.WriteSummary(os.Stdout)
	// Output:
	// parley bench idle: 10,000 idle clients in 100 rooms of at most 100 (bench-00c0ffee-0…99), 64 handshakes at a time
	//   connected     10,000 clients in 2.50s
	//   heap+stacks   3.0 MiB → 120.2 MiB: 12,288 bytes (12.0 KiB) per connection
	//   resident      20.0 MiB → 176.2 MiB: 16,384 bytes (16.0 KiB) per connection
	//   goroutines    2.00 per connection; the server counts 10,000 more connections open
	//   note          the smallest of 3 reads; the heap includes garbage the server had not collected yet (give --pprof to collect it)
	//   alive         10,000 of 10,000 clients read the line said in their room (100 lines, one per room)
	//   lost          0
}

// TestParseDMCopy: the sender's copy of a private message, and only it.
func TestParseDMCopy(t *testing.T) {
	text := string(trimEOL(appendLine(nil, 7, 123456, 987654321012, 64)))
	for _, line := range []string{
		"to [127.0.0.2:40000]: " + text,
		"to [guest-3]: " + text,
		"发送给:[127.0.0.2:40000]的消息，内容是:" + text,
	} {
		if s, seq, _, ok := parseDMCopy([]byte(line)); !ok || s != 7 || seq != 123456 {
			t.Errorf("parseDMCopy(%q) = %d %d %v", line, s, seq, ok)
		}
	}
	for _, line := range []string{
		"from [127.0.0.2:40000]: " + text,
		"来自:[127.0.0.2:40000]的消息，内容是:" + text,
		"[127.0.0.2:40000]127.0.0.2:40000:" + text,
	} {
		if _, _, _, ok := parseDMCopy([]byte(line)); ok {
			t.Errorf("parseDMCopy(%q) took it for the sender's copy", line)
		}
	}
}

// TestSoakReplies: the answers a soak's churners wait for, in both
// languages, and what they must not take for them.
func TestSoakReplies(t *testing.T) {
	for _, c := range []struct {
		line string
		is   func([]byte) bool
		want bool
	}{
		{"bye", isBye, true},
		{"再见", isBye, true},
		{"[1.2.3.4:5]x:bye", isBye, false},
		{"renamed: [127.0.0.2:40000]->[bench-1-7]", func(l []byte) bool { return isRenamed(l, "bench-1-7") }, true},
		{"用户名修改成功,[guest-3]->[bench-1-7]", func(l []byte) bool { return isRenamed(l, "bench-1-7") }, true},
		{"[1.2.3.4:5]bench-1-6:renamed to bench-1-7", func(l []byte) bool { return isRenamed(l, "bench-1-7") }, false},
		{"renamed: [a]->[bench-1-70]", func(l []byte) bool { return isRenamed(l, "bench-1-7") }, false},
		{"error: name taken: BENCH-W", func(l []byte) bool { return isNameTaken(l, "BENCH-W") }, true},
		{"用户名已存在，修改失败", func(l []byte) bool { return isNameTaken(l, "BENCH-W") }, true},
		{"error: name taken: BENCH-X", func(l []byte) bool { return isNameTaken(l, "BENCH-W") }, false},
	} {
		if got := c.is([]byte(c.line)); got != c.want {
			t.Errorf("%q: %v, want %v", c.line, got, c.want)
		}
	}
}
