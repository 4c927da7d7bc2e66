package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"parley/internal/server"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSoakSelf: a short soak against a self-hosted server (no flood
// control) does everything it says, and every check passes. The slow
// reader is cut off once the server's kernel holds some 4 MB for it and
// its queue is full: floods are long here, and the queue short (256
// events of 4 KB), so that this happens within the run even under -race
// on a loaded machine.
func TestSoakSelf(t *testing.T) {
	var progress bytes.Buffer
	o := soakOptions(server.SelfHosted, 6, 6, 400)
	o.Stuck, o.SelfQueue, o.Progress = 1, 256, &progress
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	sr := checkSoakPassed(t, res)
	for what, n := range map[string]int64{
		"lives": sr.Lives, "quits": sr.Quits, "closes": sr.Closes, "resets": sr.Resets,
		"renames": sr.Renames, "renames refused": sr.RenamesRefused, "joins": sr.Joins,
		"chat lines": sr.Lines, "DMs": sr.DMs, "floods": sr.Floods,
		"stable DMs": sr.StableDMs, "stable lines": sr.StableLines, "slow consumers": sr.SlowConsumers,
	} {
		if n == 0 {
			t.Errorf("no %s in the soak: %+v", what, sr)
		}
	}
	if sr.Joins <= sr.Lives || sr.FloodLines != 400*sr.Floods {
		t.Errorf("%d joins in %d lives, %d flood lines in %d floods", sr.Joins, sr.Lives, sr.FloodLines, sr.Floods)
	}
	if sr.Before.Goroutines == 0 || sr.Before.Heap == 0 || sr.PeakHeap < sr.Before.Heap || sr.PeakRSS == 0 {
		t.Errorf("server figures missing: %+v", sr)
	}
	if !strings.Contains(progress.String(), "churn: ") {
		t.Errorf("no progress line with counts:\n%s", progress.String())
	}

	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parley bench soak: 3s of churn, 6 stable clients in 3 pairs", "lives:", "slow readers", "goroutines", "check         ok   no lost DM", "PASS: all 10 checks"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Soak struct {
			Lives  int64 `json:"lives"`
			Checks []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"checks"`
		} `json:"soak"`
	}
	if err := json.Unmarshal(js, &back); err != nil || back.Soak.Lives != sr.Lives || len(back.Soak.Checks) != len(sr.Checks) {
		t.Errorf("JSON %s: %v", js, err)
	}
}

// TestSoakFloodControl: with the server's flood control on, floods are
// held back and not one flooded line is lost; in the Chinese wording and
// with addresses hidden, every churn step still finds its answer.
func TestSoakFloodControl(t *testing.T) {
	zh := selfWith(t, func(c *server.Config) { c.Rate, c.Lang, c.HideAddrs = 20, "zh", true }, "")
	res, err := Run(t.Context(), soakOptions(zh, 4, 4, 60)) // the burst is 40
	if err != nil {
		t.Fatal(err)
	}
	sr := checkSoakPassed(t, res)
	if sr.RateLimited == 0 || sr.Floods == 0 {
		t.Errorf("%d floods, %d lines held back by flood control; want some of both", sr.Floods, sr.RateLimited)
	}
	if sr.Quits == 0 || sr.RenamesRefused == 0 || sr.DMs == 0 {
		t.Errorf("quits %d, renames refused %d, DMs %d: a zh answer not recognised?", sr.Quits, sr.RenamesRefused, sr.DMs)
	}
}

// TestSoakPlantedFaults: each check can fail. A relay between the bench
// and the server (in this process, so that /metrics counts its
// goroutines) plants one fault; the check that watches for it must fail,
// and where the fault touches nothing else, only that check.
func TestSoakPlantedFaults(t *testing.T) {
	for _, c := range []struct {
		fault string
		fails []string
		only  bool
	}{
		{faultDupDM, []string{"no lost DM"}, true},
		{faultDropLine, []string{"no lost chat line"}, true},
		{faultLeak, []string{"no goroutine growth"}, false},
		{faultStuck, []string{"no stuck session", "no goroutine growth"}, false},
		{faultHoard, []string{"no memory growth"}, true},
	} {
		t.Run(c.fault, func(t *testing.T) {
			o := soakOptions(selfWith(t, nil, c.fault), 4, 3, 20)
			o.Duration = 2 * time.Second
			res, err := Run(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Failed() {
				t.Errorf("fault %s: the soak passed", c.fault)
			}
			for _, ch := range res.Soak.Checks {
				if !ch.OK {
					t.Logf("%s: %s", ch.Name, ch.Detail)
				}
				want := !strings.Contains(strings.Join(c.fails, "|"), ch.Name)
				if !ch.OK && want && c.only || ch.OK && !want {
					t.Errorf("fault %s: check %q ok %v: %s", c.fault, ch.Name, ch.OK, ch.Detail)
				}
			}
		})
	}
}

// soakOptions are a 3-second soak's against a server in this process, no
// slow readers.
func soakOptions(start func(int) (string, string, func(), error), clients, churners, flood int) Options {
	return Options{Workload: Soak, Self: true, StartSelf: start, Clients: clients, Churners: churners, Flood: flood, Duration: 3 * time.Second}
}

// checkSoakPassed fails the test, with the summary, unless every check of
// res passed; it returns res.Soak.
func checkSoakPassed(t *testing.T, res Result) *SoakResult {
	t.Helper()
	if res.Soak == nil {
		t.Fatalf("no soak result: %+v", res)
	}
	if res.Failed() || len(res.Soak.Checks) != 10 {
		var sum bytes.Buffer
		res.WriteSummary(&sum)
		t.Errorf("a check failed:\n%s", sum.String())
	}
	return res.Soak
}

func TestSoakRefusesBadOptions(t *testing.T) {
	self := func(o Options) Options { o.Workload, o.Self, o.StartSelf = Soak, true, server.SelfHosted; return o }
	for _, o := range []Options{
		self(Options{Clients: 3}),
		self(Options{Clients: -2}),
		self(Options{Duration: -time.Second}),
		self(Options{Flood: -1}),
		self(Options{Churners: -1}),
		self(Options{Stuck: -1}),
		self(Options{Rate: -1}),
		self(Options{Size: MaxSize}),
		{Workload: Soak, Addr: "127.0.0.1:1"},                                    // no /metrics
		{Workload: Soak, Addr: "127.0.0.1:1", MetricsURL: "127.0.0.1:2"},         // no profiler
		{Workload: Soak, Addr: "127.0.0.1:1", PprofURL: "127.0.0.1:3"},           // no /metrics
		{Workload: Soak, Addr: "127.0.0.1:1", MetricsURL: "x", Clients: 1 << 21}, // too many
	} {
		if err := o.Check(); err == nil {
			t.Errorf("Check(%+v) = nil", o)
		}
	}
	if err := (Options{Workload: Soak, Addr: "127.0.0.1:1", MetricsURL: "127.0.0.1:2", PprofURL: "127.0.0.1:3"}).Check(); err != nil {
		t.Errorf("a soak against another server with its /metrics and profiler: %v", err)
	}
}

// selfWith returns a StartSelf that starts a server in this process like
// server.SelfHosted, with change applied to its configuration, and, if
// fault is not "", behind a relay that plants it.
func selfWith(t *testing.T, change func(*server.Config), fault string) func(int) (string, string, func(), error) {
	return func(queue int) (string, string, func(), error) {
		cfg := server.DefaultConfig()
		cfg.Listen, cfg.HTTP, cfg.DB = "127.0.0.1:0", "127.0.0.1:0", ":memory:"
		cfg.Rate, cfg.IdleTimeout = 0, 0
		cfg.MaxConns, cfg.MaxConnsPerIP, cfg.ConnRate = 0, 0, 0
		cfg.Log = slog.New(slog.DiscardHandler)
		if change != nil {
			change(&cfg)
		}
		s, err := server.Start(cfg)
		if err != nil {
			return "", "", nil, err
		}
		addr, stop := s.TCPAddr(), func() { s.Shutdown(t.Context()) }
		if fault != "" {
			p, err := startRelay(addr, fault)
			if err != nil {
				stop()
				return "", "", nil, err
			}
			addr, stop = p.ln.Addr().String(), func() {
				p.close() // first: the server's sessions that it holds end
				s.Shutdown(t.Context())
			}
		}
		return addr, "http://" + s.HTTPAddr() + "/metrics", stop, nil
	}
}

// The faults a relay plants.
const (
	faultDupDM    = "dup-dm"    // the first private message to the first client goes out twice
	faultDropLine = "drop-line" // the first stable client's line to the first client is lost
	faultLeak     = "leak"      // each connection leaves a goroutine behind, until the relay closes
	faultStuck    = "stuck"     // when a client's side ends, the server's stays open, read and dropped
	faultHoard    = "hoard"     // a copy of every line it carries is kept, until the relay closes
)

// The first connection is a stable client's: they connect before anyone
// else.

// relay passes each connection through to the server at target, with a
// fault planted.
type relay struct {
	ln     net.Listener
	target string
	fault  string
	done   atomic.Bool  // the fault (dup-dm, drop-line) is done
	n      atomic.Int64 // connections accepted
	quit   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
	hoard [][]byte
}

func startRelay(target, fault string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &relay{ln: ln, target: target, fault: fault, quit: make(chan struct{})}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.serve(c) })
		}
	})
	return p, nil
}

// serve relays one connection until both sides have ended.
func (p *relay) serve(client net.Conn) {
	srv, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, srv)
	p.mu.Unlock()
	if p.fault == faultLeak {
		p.wg.Go(func() { <-p.quit })
	}
	first := p.n.Add(1) == 1
	var up sync.WaitGroup
	up.Go(func() {
		_, err := io.Copy(srv, client)
		switch {
		case p.fault == faultStuck: // the server never hears of it
			client.Close()
		case err == nil:
			srv.(*net.TCPConn).CloseWrite()
		default:
			srv.Close()
		}
	})
	p.down(srv, client, first)
	client.(*net.TCPConn).CloseWrite()
	up.Wait()
	client.Close()
	srv.Close()
}

// down relays the server's lines to the client until the server's side
// ends; once the client's side fails it reads on and drops them. On the
// first connection it plants dup-dm and drop-line.
func (p *relay) down(srv, client net.Conn, first bool) {
	rd := bufio.NewReader(srv)
	alive := true
	for {
		line, err := rd.ReadSlice('\n')
		if p.fault == faultHoard {
			p.mu.Lock()
			p.hoard = append(p.hoard, bytes.Clone(line))
			p.mu.Unlock()
		}
		if len(line) > 0 && alive {
			n := 1
			switch {
			case !first:
			case p.fault == faultDupDM && bytes.HasPrefix(line, []byte("from [")) && p.done.CompareAndSwap(false, true):
				n = 2
			case p.fault == faultDropLine && isStableLine(line) && p.done.CompareAndSwap(false, true):
				n = 0
			}
			for range n {
				if _, werr := client.Write(line); werr != nil {
					alive = false
				}
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// isStableLine reports whether line is a stable client's chat line.
func isStableLine(line []byte) bool {
	s, _, _, ok := parseLine(line)
	return ok && s < churnBase && !bytes.HasPrefix(line, []byte("from ["))
}

// close ends every connection it relays and waits for its goroutines.
func (p *relay) close() {
	p.ln.Close()
	close(p.quit)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
