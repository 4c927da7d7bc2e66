package bench

import (
	"fmt"
	"strings"
	"time"
)

// SoakResult is what a soak did and what its checks found. Result's Sent
// is the stable clients' lines and private messages, its Latency that of
// their private messages, its Dropped the stable clients (and the watcher)
// whose connection ended before the wind-down.
type SoakResult struct {
	Churners    int     `json:"churners"`
	SlowReaders int     `json:"slow_readers"`
	Flood       int     `json:"flood"`   // lines per flood
	Seconds     float64 `json:"seconds"` // the whole run: connecting, soaking, winding down, reading memory

	// What the stable clients sent to each other.
	StableDMs   int64 `json:"stable_dms"`
	StableLines int64 `json:"stable_lines"`

	// What the churners did. A life is a connection that came online and
	// joined a room; Errors counts the lives (and slow readers' handshakes)
	// that failed, FirstError says why for the first.
	Lives          int64  `json:"lives"`
	Joins          int64  `json:"joins"`
	Renames        int64  `json:"renames"`
	RenamesRefused int64  `json:"renames_refused"` // the watcher's name, tried first
	Lines          int64  `json:"lines"`
	DMs            int64  `json:"dms"`
	Floods         int64  `json:"floods"`
	FloodLines     int64  `json:"flood_lines"`
	Quits          int64  `json:"quits"` // /quit, and the bye read
	Closes         int64  `json:"closes"`
	Resets         int64  `json:"resets"`
	Errors         int64  `json:"errors"`
	FirstError     string `json:"first_error,omitempty"`

	// The slow readers: how many connected, and how each ended — cut off
	// by the server, given up after slowPatience, or closed at the end.
	SlowConnected int64 `json:"slow_connected"`
	SlowCutOff    int64 `json:"slow_cut_off"`
	SlowGaveUp    int64 `json:"slow_gave_up"`
	SlowAtEnd     int64 `json:"slow_at_end"`

	// The server: before the first connection and after the last (each
	// the smallest of memReads reads, its garbage collected before each),
	// and at most while soaking. SettleSeconds is how long its open
	// connections and sessions took to come back once every client had
	// gone, Settled whether they did within settleWait.
	Before        SoakServer `json:"before"`
	After         SoakServer `json:"after"`
	Settled       bool       `json:"settled"`
	SettleSeconds float64    `json:"settle_s"`
	PeakHeap      int64      `json:"peak_heap_stack_bytes"`
	PeakRSS       int64      `json:"peak_resident_bytes"`
	// The growth of the server's counters over the run.
	LinesIn       int64 `json:"lines_in"`
	EventsOut     int64 `json:"events_out"`
	BytesOut      int64 `json:"bytes_out"`
	RateLimited   int64 `json:"rate_limited_lines"`
	SlowConsumers int64 `json:"slow_consumer_disconnects"`
	Panics        int64 `json:"session_panics"`

	Checks []Check `json:"checks"`
}

// SoakServer is the server's state at one point, from /metrics.
type SoakServer struct {
	Goroutines int64 `json:"goroutines"`
	Heap       int64 `json:"heap_stack_bytes"` // go_memstats_heap_inuse_bytes + go_memstats_stack_inuse_bytes
	RSS        int64 `json:"resident_bytes"`
	ConnsOpen  int64 `json:"connections_open"`
	Sessions   int64 `json:"sessions"`
}

// Check is one thing a soak checks at the end.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Failed reports whether a check of the run failed (only a soak checks).
func (res Result) Failed() bool {
	if res.Soak == nil {
		return false
	}
	for _, c := range res.Soak.Checks {
		if !c.OK {
			return true
		}
	}
	return false
}

// The bounds of the checks.
//
// goroutineSlack is how many more goroutines the server may run after the
// soak than before it. Once every client has gone a server runs what it
// ran idle: its listeners, its store's writer, its HTTP servers. What may
// come and go around a read of /metrics is the connection of the read
// itself and of the profiler's collection just before, whose goroutines
// end moments after their responses; the smallest of memReads reads
// leaves those out nearly always. A leak of one goroutine per session,
// per slow consumer or per flood passes it within seconds of a soak.
//
// heapSlack is how much more heap and stacks the server may hold after
// the soak than before, once its garbage is collected: what a run leaves
// that a server keeps for good without leaking — maps grown for the most
// clients and rooms at once (Go's maps do not shrink), pools and caches
// filled, fragmentation of the heap's spans — is some hundreds of KiB.
// Ten minutes of churn are tens of thousands of connections: a leak of
// 100 bytes per connection passes the bound.
//
// stallLimit is the longest a private message between stable clients may
// take: none of them is ever held up by anyone else (their rooms hold no
// slow reader and no flood), so a longer wait means the server stalled.
const (
	goroutineSlack = 5
	heapSlack      = 2 << 20
	stallLimit     = 10 * time.Second
)

// result puts together what the soak counted; every goroutine of the
// soak but the run's teardown has ended.
func (s *soak) result(d time.Duration, before counters, st settled, after counters, peak memPeak) *SoakResult {
	n, o := &s.n, s.r.o
	sr := &SoakResult{
		Churners: o.Churners, SlowReaders: o.Stuck, Flood: o.Flood, Seconds: d.Seconds(),
		StableDMs:   s.stableDMsSent(),
		StableLines: s.r.sentInWindow() - s.stableDMsSent(),
		Lives:       n.lives.Load(), Joins: n.joins.Load(),
		Renames: n.renames.Load(), RenamesRefused: n.refused.Load(),
		Lines: n.lines.Load(), DMs: n.dms.Load(),
		Floods: n.floods.Load(), FloodLines: n.floodLines.Load(),
		Quits: n.byes.Load(), Closes: n.closes.Load(), Resets: n.resets.Load(),
		Errors:        n.errors.Load(),
		FirstError:    errString(s.firstErr),
		SlowConnected: n.slowIn.Load(), SlowCutOff: n.slowCut.Load(),
		SlowGaveUp: n.slowGaveUp.Load(), SlowAtEnd: n.slowAt.Load(),
		Before:        serverAt(before),
		After:         serverAt(after),
		Settled:       st.ok,
		SettleSeconds: st.seconds,
		PeakHeap:      peak.heap, PeakRSS: peak.rss,
		LinesIn:       after.linesIn - before.linesIn,
		EventsOut:     after.eventsOut - before.eventsOut,
		BytesOut:      after.bytesOut - before.bytesOut,
		RateLimited:   after.rateLimited - before.rateLimited,
		SlowConsumers: after.slowConsumers - before.slowConsumers,
		Panics:        after.panics - before.panics,
	}
	return sr
}

func serverAt(c counters) SoakServer {
	return SoakServer{Goroutines: c.goroutines, Heap: c.heap, RSS: c.rss, ConnsOpen: c.connsOpen, Sessions: c.sessions}
}

// checks checks what the soak found; every reader has ended.
func (s *soak) checks(res Result, dropped []error) []Check {
	sr := res.Soak
	return []Check{
		s.checkDMs(),
		s.checkLines(),
		s.checkFloods(sr),
		s.checkSlow(sr),
		{"churn", sr.Errors == 0, fmt.Sprintf("%s lives, %s failed%s", group(float64(sr.Lives)), group(float64(sr.Errors)), firstError(sr.FirstError))},
		s.checkStall(res, dropped),
		s.checkStuck(sr),
		{"no session panic", sr.Panics == 0, fmt.Sprintf("the server counted %d session panics", sr.Panics)},
		{"no goroutine growth", sr.After.Goroutines-sr.Before.Goroutines <= goroutineSlack,
			fmt.Sprintf("%d before, %d after (%+d; at most %+d)", sr.Before.Goroutines, sr.After.Goroutines, sr.After.Goroutines-sr.Before.Goroutines, goroutineSlack)},
		{"no memory growth", sr.After.Heap-sr.Before.Heap <= heapSlack,
			fmt.Sprintf("heap and stacks %s before, %s after (%+.2f MiB; at most +%s), garbage collected before each",
				mib(sr.Before.Heap), mib(sr.After.Heap), float64(sr.After.Heap-sr.Before.Heap)/(1<<20), mib(heapSlack))},
	}
}

func firstError(s string) string {
	if s == "" {
		return ""
	}
	return " (first: " + s + ")"
}

// sentBy is what each stable client's senders sent, by index: its chat
// lines and its private messages.
func (s *soak) sentBy() (lines, dms []int64) {
	lines, dms = make([]int64, s.r.o.Clients), make([]int64, s.r.o.Clients)
	for _, snd := range s.r.senders {
		if snd.prefix != nil {
			dms[snd.idx] = snd.inWin
		} else {
			lines[snd.idx] = snd.inWin
		}
	}
	return lines, dms
}

// missing counts the confirmed MARKs of n recipients each (1: private
// messages, 2: chat lines) that a stable client addressed did not read,
// and how many deliveries there were.
func (s *soak) missing(n int) (confirmed, missing int64) {
	for _, ch := range s.churners {
		for _, cf := range ch.confirmed {
			if cf.n != n {
				continue
			}
			confirmed++
			for to := cf.to; to < cf.to+cf.n; to++ {
				if !s.stable[to].marks.has(cf.mark) {
					missing++
				}
			}
		}
	}
	return confirmed, missing
}

// deliveries is what the stable clients were owed of one kind (private
// messages, chat lines) and did not read once: from each other (sent,
// lost, dup) and from the churners (confirmed, missing, churnDup).
type deliveries struct {
	sent, lost, dup              int64
	confirmed, missing, churnDup int64
}

func (d deliveries) ok() bool { return d.lost == 0 && d.dup == 0 && d.missing == 0 && d.churnDup == 0 }

// tally adds up each over the stable clients, and the churners' MARKs
// of n recipients each.
func (s *soak) tally(n int, each func(i int, t *stableTally, d *deliveries)) deliveries {
	var d deliveries
	for i := range s.stable {
		each(i, &s.stable[i], &d)
	}
	d.confirmed, d.missing = s.missing(n)
	return d
}

func (s *soak) checkDMs() Check {
	_, dms := s.sentBy()
	d := s.tally(1, func(i int, t *stableTally, d *deliveries) {
		d.sent += dms[i^1]
		d.lost += t.dm.lost(dms[i^1])
		d.dup += t.dm.dup
		d.churnDup += t.dmMarkDup
	})
	g := func(n int64) string { return group(float64(n)) }
	return Check{
		Name: "no lost DM", OK: d.ok(),
		Detail: fmt.Sprintf("between stable clients %s sent, %s lost, %s duplicated; churners to stable clients %s sent and echoed, %s lost, %s duplicated",
			g(d.sent), g(d.lost), g(d.dup), g(d.confirmed), g(d.missing), g(d.churnDup)),
	}
}

func (s *soak) checkLines() Check {
	lines, _ := s.sentBy()
	d := s.tally(2, func(i int, t *stableTally, d *deliveries) {
		d.sent += lines[i]
		d.lost += t.own.lost(lines[i]) + t.partner.lost(lines[i^1])
		d.dup += t.own.dup + t.partner.dup
		d.churnDup += t.lineMarkDup
	})
	g := func(n int64) string { return group(float64(n)) }
	return Check{
		Name: "no lost chat line", OK: d.ok(),
		Detail: fmt.Sprintf("stable clients said %s in their rooms: of %s deliveries %s lost, %s duplicated; churners said %s there and heard them back: of %s deliveries %s lost, %s duplicated",
			g(d.sent), g(2*d.sent), g(d.lost), g(d.dup), g(d.confirmed), g(2*d.confirmed), g(d.missing), g(d.churnDup)),
	}
}

func (s *soak) checkFloods(sr *SoakResult) Check {
	var lost, dup int64
	for _, ch := range s.churners {
		for _, f := range ch.floods {
			q := s.watch.floods[f.id]
			if q == nil {
				q = &seqCount{}
			}
			lost += q.lost(f.lines)
			dup += q.dup
		}
	}
	slowed := fmt.Sprintf("flood control held back %s lines", group(float64(sr.RateLimited)))
	if sr.RateLimited == 0 {
		slowed = "flood control held back none (is the server's --rate 0?)"
	}
	return Check{
		Name: "no flooded line lost",
		OK:   lost == 0 && dup == 0,
		Detail: fmt.Sprintf("%s floods of %d lines, each back whole and in order to its flooder; the watcher: %s lost, %s duplicated; %s",
			group(float64(sr.Floods)), sr.Flood, group(float64(lost)), group(float64(dup)), slowed),
	}
}

// checkSlow: the server cut off slow readers, and only them. The watcher
// heard each slow reader it counts as cut off go, and the server counted
// each; the server may also have cut off one that was leaving by itself
// (given up, or at the end) at that moment, or one whose offline line was
// still on its way at the end (it comes up to two seconds later: a second
// for the bye, a second to drain). A healthy client the server cut off
// would show elsewhere: a churn step failed, or a stable client dropped.
func (s *soak) checkSlow(sr *SoakResult) Check {
	heard, counted := sr.SlowCutOff, sr.SlowConsumers
	hi := heard + sr.SlowGaveUp + sr.SlowAtEnd
	ok := heard <= counted && counted <= hi && (sr.SlowReaders == 0 || counted > 0)
	detail := fmt.Sprintf("%s slow readers: %s heard cut off, %s gave up after %s, %s still in at the end; the server counted %s slow consumers (%s…%s expected)",
		group(float64(sr.SlowConnected)), group(float64(heard)), group(float64(sr.SlowGaveUp)), slowPatience,
		group(float64(sr.SlowAtEnd)), group(float64(counted)), group(float64(heard)), group(float64(hi)))
	if sr.SlowReaders > 0 && counted == 0 {
		detail += "; none was cut off: too little said in the flood room for the soak's length?"
	}
	return Check{Name: "slow readers cut off, and only they", OK: ok, Detail: detail}
}

func (s *soak) checkStall(res Result, dropped []error) Check {
	longest := time.Duration(res.Latency.Max * float64(time.Millisecond))
	detail := fmt.Sprintf("the stable clients and the watcher stayed connected to the end; the slowest DM between stable clients took %s (at most %s)",
		longest.Round(time.Microsecond), stallLimit)
	if len(dropped) > 0 {
		detail = fmt.Sprintf("%d of the stable clients and the watcher were cut off before the end (first: %v); the slowest DM took %s",
			len(dropped), dropped[0], longest.Round(time.Microsecond))
	}
	return Check{Name: "no stall", OK: len(dropped) == 0 && longest < stallLimit, Detail: detail}
}

func (s *soak) checkStuck(sr *SoakResult) Check {
	quits, byes := s.n.quits.Load(), s.n.byes.Load()
	for i := range s.stable {
		if s.stable[i].bye {
			byes++
		}
	}
	if s.watch.bye {
		byes++
	}
	when := fmt.Sprintf("%.2fs after the last client left", sr.SettleSeconds)
	if !sr.Settled {
		when = fmt.Sprintf("still not after %s", settleWait)
	}
	return Check{
		Name: "no stuck session",
		OK:   sr.Settled && quits == byes,
		Detail: fmt.Sprintf("connections open %d before, %d after, sessions %d and %d, %s; %s /quit, %s byes",
			sr.Before.ConnsOpen, sr.After.ConnsOpen, sr.Before.Sessions, sr.After.Sessions, when,
			group(float64(quits)), group(float64(byes))),
	}
}

// soakSummary writes what a soak did and found.
func (res Result) soakSummary(b *strings.Builder, row func(name, format string, args ...any)) {
	sr := res.Soak
	if sr == nil {
		sr = &SoakResult{}
	}
	fmt.Fprintf(b, "parley bench soak: %s of churn, %d stable clients in %d pairs (%s-0…%d), %d churners, %d slow readers, floods of %d lines\n",
		time.Duration(res.Duration*float64(time.Second)), res.Clients, res.Rooms, res.Room, res.Rooms-1, sr.Churners, sr.SlowReaders, sr.Flood)
	g := func(n int64) string { return group(float64(n)) }
	l := res.Latency
	row("stable", "%s DMs and %s chat lines sent, %s lines/s in all; DM latency (ms) p50 %.3f  p99 %.3f  max %.3f",
		g(sr.StableDMs), g(sr.StableLines), group(res.Rate), l.P50, l.P99, l.Max)
	row("churn", "%s lives: %s quit, %s closed, %s reset; %s renames (%s refused first), %s joins, %s chat lines, %s DMs, %s floods (%s lines)",
		g(sr.Lives), g(sr.Quits), g(sr.Closes), g(sr.Resets), g(sr.Renames), g(sr.RenamesRefused), g(sr.Joins),
		g(sr.Lines), g(sr.DMs), g(sr.Floods), g(sr.FloodLines))
	row("slow readers", "%s connected: %s cut off, %s gave up, %s in at the end", g(sr.SlowConnected), g(sr.SlowCutOff), g(sr.SlowGaveUp), g(sr.SlowAtEnd))
	row("server", "goroutines %d → %d; heap+stacks %s → %s; resident %s → %s (before → after, garbage collected)",
		sr.Before.Goroutines, sr.After.Goroutines, mib(sr.Before.Heap), mib(sr.After.Heap), mib(sr.Before.RSS), mib(sr.After.RSS))
	row("", "at most %s heap+stacks, %s resident while soaking", mib(sr.PeakHeap), mib(sr.PeakRSS))
	row("", "%s lines in, %s events out (%s bytes), %s lines held back by flood control, %s slow-consumer disconnects",
		g(sr.LinesIn), g(sr.EventsOut), g(sr.BytesOut), g(sr.RateLimited), g(sr.SlowConsumers))
	failed := 0
	for _, c := range sr.Checks {
		verdict := "ok  "
		if !c.OK {
			verdict, failed = "FAIL", failed+1
		}
		row("check", "%s %s: %s", verdict, c.Name, c.Detail)
	}
	if failed > 0 {
		row("result", "FAIL: %d of %d checks failed", failed, len(sr.Checks))
	} else {
		row("result", "PASS: all %d checks", len(sr.Checks))
	}
}
