package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A soak (workload Soak) runs for Duration while a server's clients come,
// act and go, and then checks that nothing was lost and nothing was left
// behind. Its clients, all in one run's rooms (bench-<random>…):
//
//   - Clients stable clients, connected from start to end, in pairs, each
//     pair in a room of its own (bench-…-<pair>). Each sends its partner
//     numbered private messages and says numbered lines in its room, at
//     Rate in all (half and half), as the dm workload does.
//   - A watcher in the flood room (bench-…-flood), which reads every line
//     said there, and hears the slow readers go.
//   - Churners clients at once, each living one short life after another:
//     connect, try to take the watcher's name (refused) on every other
//     life, rename, join a room (in turn a stable pair's room, the flood
//     room, or one of its own), then act there — three chat lines in a
//     pair's room, a flood of Flood long lines in the flood room, or three
//     lines and a second room of its own — send a stable client a private
//     message, and leave: in turn by /quit (and wait for the bye), by
//     closing its side and reading to the end, or by a reset (SO_LINGER 0)
//     right after a last line. Every line and message a churner sends is
//     numbered ("b MARK …", MARK unique in the run), and it waits for each
//     to come back (its own chat line, its copy of the private message)
//     before it goes on: what came back the server has handled, so the
//     stable clients addressed must have it.
//   - Stuck slow readers in the flood room, each with a tiny receive
//     buffer, which never read: the server must cut each off as a slow
//     consumer (the watcher hears it go offline), after which another
//     takes its place.
//
// Then the run winds down: the churners finish their lives, the slow
// readers close, the stable clients stop sending and, once they have read
// everything, they and the watcher /quit. The checks (SoakResult.Checks)
// follow. A soak needs the server's /metrics (and, for another server,
// its profiler, to collect its garbage before reading its memory).

// churnBase is the first MARK: the stable clients' own lines carry their
// index, 0…Clients-1, below it.
const churnBase = 1 << 20

// The churners' steps: lifeTimeout bounds one life (a flood at a server's
// default --rate takes seconds), chatLines is what a life says in a
// room, floodSize is a flood line's length (long: the slow readers must
// fill their buffers), slowPatience is how long a slow reader waits to be
// cut off before it gives up (under the server's default idle kick, 5m).
const (
	lifeTimeout  = time.Minute
	chatLines    = 3
	floodSize    = 4000
	slowPatience = 2 * time.Minute
)

// The wind-down: drainQuiet is how long the stable clients and the watcher
// may read nothing before the bench stops waiting for what is missing;
// quitWait bounds the wait for the bye; settleWait bounds the wait for the
// server's open connections and sessions to come back to where they were
// before the run (a session reads what its client still sends for a
// second after its last words, and a slow consumer's bye gets a second).
// keepAlive is how often the watcher, which only reads, sends an empty
// line against the idle kick; progressEvery is how often progress goes
// out (a soak shorter than 15s: a third of it, at least a second).
const (
	drainQuiet    = 3 * time.Second
	quitWait      = 10 * time.Second
	settleWait    = 10 * time.Second
	keepAlive     = 30 * time.Second
	progressEvery = 5 * time.Second
)

// soak is one soak's state beside its run's (whose clients are the stable
// clients and whose senders send their lines and messages).
type soak struct {
	// Static once the watcher has joined.
	r         *run
	floodRoom string
	watchName string
	watcher   *client
	pairs     int

	// stable is each stable client's tally, by index, owned by its reader;
	// watch is the watcher's, owned by the watcher's reader. Read once the
	// readers have ended.
	stable []stableTally
	watch  watchTally

	slots    []*slowSlot
	churners []*churner
	workers  sync.WaitGroup // the churners and the slow readers

	marks atomic.Int64 // the last MARK given out
	n     soakCounts

	errMu    sync.Mutex
	firstErr error // the first churner's or slow reader's failure
}

// soakCounts are counted as the soak goes, for progress and the result.
type soakCounts struct {
	lives, quits, byes, closes, resets  atomic.Int64
	renames, refused, joins             atomic.Int64
	lines, dms, floods, floodLines      atomic.Int64
	errors                              atomic.Int64
	slowIn, slowCut, slowGaveUp, slowAt atomic.Int64
	heard                               atomic.Int64 // numbered lines the stable clients and the watcher read
	stableDMs                           atomic.Int64 // private messages between stable clients read
}

// seqCount follows one sender's numbered lines at one reader. The server
// keeps each sender's lines in order, so a number below the next expected
// is one seen before, and what never came is lost.
type seqCount struct{ next, got, dup int64 }

func (q *seqCount) add(seq int64) {
	q.got++
	if seq < q.next {
		q.dup++
		return
	}
	q.next = seq + 1
}

// lost is how many of sent lines never came.
func (q seqCount) lost(sent int64) int64 { return sent - (q.got - q.dup) }

// stableTally is what one stable client read: its partner's private
// messages, its own and its partner's lines, and the churners' MARKs.
type stableTally struct {
	dm, own, partner       seqCount
	marks                  bitset
	dmMarkDup, lineMarkDup int64 // MARKs read again, in private messages and chat lines
	bye                    bool
}

// watchTally is what the watcher read: each flood's lines, by its MARK.
type watchTally struct {
	floods map[int]*seqCount
	bye    bool
}

// bitset is a set of MARKs.
type bitset []uint64

// add puts mark in b and reports whether it was there already.
func (b *bitset) add(mark int) bool {
	i := mark - churnBase
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	w, bit := &(*b)[i/64], uint64(1)<<(i%64)
	had := *w&bit != 0
	*w |= bit
	return had
}

func (b bitset) has(mark int) bool {
	i := mark - churnBase
	return i/64 < len(b) && b[i/64]&(uint64(1)<<(i%64)) != 0
}

func newSoak(r *run) *soak {
	s := &soak{
		r:         r,
		floodRoom: r.room + "-flood",
		watchName: r.room + "-w",
		pairs:     r.o.Clients / 2,
		stable:    make([]stableTally, r.o.Clients),
		watch:     watchTally{floods: map[int]*seqCount{}},
	}
	s.marks.Store(churnBase - 1)
	r.reader = s.readStable
	for i := range r.o.Churners {
		s.churners = append(s.churners, &churner{id: i})
	}
	for range r.o.Stuck {
		s.slots = append(s.slots, &slowSlot{})
	}
	return s
}

// mark gives out the next MARK.
func (s *soak) mark() int { return int(s.marks.Add(1)) }

// fail notes a churner's or slow reader's failure.
func (s *soak) fail(err error) {
	s.n.errors.Add(1)
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// soak runs the workload soak.
func (r *run) soak(ctx context.Context) (Result, error) {
	s := newSoak(r)
	start := time.Now()
	r.progressf("reading the server's memory before the soak")
	before, err := r.memory(ctx)
	if err != nil {
		return Result{}, err
	}
	if err := r.connectAll(ctx); err != nil {
		return Result{}, err
	}
	defer s.stop() // on an early return; a no-op after the wind-down
	if err := s.startWatcher(ctx); err != nil {
		return Result{}, err
	}
	defer s.watcher.conn.Close() // on an early return, for teardown
	var peak memPeak
	stopSampling := sync.OnceFunc(peak.sample(r.metrics))
	defer stopSampling()
	every := min(progressEvery, max(r.o.Duration/3, time.Second)) // a short soak gets a few lines too
	stopProgress := sync.OnceFunc(r.ticking(every, r.started, nil, s.progress))
	defer stopProgress()
	s.begin(ctx)
	if err := s.wait(ctx); err != nil {
		return Result{}, err
	}
	r.progressf("winding down: the churners finish their lives, the stable clients read what is left and quit")
	s.stop()
	dropped := s.windDown(ctx)
	settled, err := s.settle(ctx, before)
	if err != nil {
		return Result{}, err
	}
	stopProgress()
	stopSampling()
	r.progressf("reading the server's memory after the soak")
	after, err := r.memory(ctx)
	if err != nil {
		return Result{}, err
	}
	sr := s.result(time.Since(start), before, settled, after, peak)
	res := Result{
		Workload: Soak, Room: r.room, Rooms: r.rooms,
		Clients: r.o.Clients, Parallel: r.o.Parallel,
		Senders: len(r.senders), Rate: r.o.Rate, Size: r.o.Size,
		Duration: r.o.Duration.Seconds(),
		Sent:     r.sentInWindow(),
		Latency:  r.lat.summary(),
		Dropped:  len(dropped),
		Soak:     sr,
	}
	if len(dropped) > 0 {
		res.DropError = dropped[0].Error()
	}
	sr.Checks = s.checks(res, dropped)
	return res, nil
}

// startWatcher connects the watcher to the flood room, where it takes its name
// (which the churners try to take too), and starts its reader.
func (s *soak) startWatcher(ctx context.Context) error {
	r := s.r
	w := &client{id: r.o.Clients}
	if err := r.join(ctx, w, s.floodRoom); err != nil {
		return fmt.Errorf("watcher: %w", err)
	}
	if err := w.within(ctx, handshakeTimeout, func() error { return w.rename(s.watchName) }); err != nil {
		w.conn.Close()
		return fmt.Errorf("watcher: %w", err)
	}
	s.watcher = w
	r.reading.Add(1)
	go func() {
		defer r.reading.Done()
		s.readWatch(w)
	}()
	return nil
}

// begin starts the stable clients' senders (each sends chat lines, as
// newRun made it, and private messages to its partner), the churners and
// the slow readers.
func (s *soak) begin(ctx context.Context) {
	r := s.r
	r.t0 = time.Since(r.base)
	r.win = window{start: int64(r.t0), end: int64(r.t0 + r.o.Duration)}
	close(r.started)
	for _, c := range r.clients {
		dm := &sender{c: c, idx: c.id, prefix: []byte("to|" + r.clients[c.id^1].name + "|")}
		r.senders = append(r.senders, dm)
	}
	r.startSenders()
	r.progressf("soaking for %s: %d stable clients in %d pairs, %d churners, %d slow readers; flood room %s",
		r.o.Duration, r.o.Clients, s.pairs, len(s.churners), len(s.slots), s.floodRoom)
	for _, ch := range s.churners {
		s.workers.Go(func() { s.churn(ctx, ch) })
	}
	for _, slot := range s.slots {
		s.workers.Go(func() { s.slowReader(ctx, slot) })
	}
}

// wait waits for the end of the soak, keeping the watcher alive.
func (s *soak) wait(ctx context.Context) error {
	end := s.r.base.Add(time.Duration(s.r.win.end))
	for {
		next := time.Now().Add(keepAlive)
		if next.After(end) {
			return sleepUntil(ctx, end)
		}
		if err := sleepUntil(ctx, next); err != nil {
			return err
		}
		s.watcher.conn.Write([]byte("\n")) // a failure shows when its reader ends
	}
}

// stop ends the churn: senders, churners and slow readers stop, and stop
// waits for them.
func (s *soak) stop() {
	s.r.stopSending()
	s.workers.Wait()
	s.r.sending.Wait()
}

// windDown waits for the stable clients and the watcher to read what is
// owed them, then has them /quit and waits for their readers to end. It
// returns why for each of them whose connection had ended before.
func (s *soak) windDown(ctx context.Context) (dropped []error) {
	r := s.r
	s.drain(ctx)
	all := append(r.clients[:len(r.clients):len(r.clients)], s.watcher)
	for _, c := range all {
		if c.ended.Load() {
			dropped = append(dropped, fmt.Errorf("client %d: %w", c.id, c.err))
			continue
		}
		c.conn.SetDeadline(time.Now().Add(quitWait))
		s.n.quits.Add(1)
		c.conn.Write([]byte("/quit\n"))
	}
	r.reading.Wait()
	for _, c := range all {
		c.conn.Close()
	}
	return dropped
}

// drain waits until the stable clients and the watcher have read every
// numbered line owed them, or have read none for drainQuiet.
func (s *soak) drain(ctx context.Context) {
	want := 2*s.r.sentInWindow() - s.stableDMsSent() // a DM is read once, a chat line twice
	for _, ch := range s.churners {
		for _, cf := range ch.confirmed {
			want += int64(cf.n)
		}
		for _, f := range ch.floods {
			want += f.lines
		}
	}
	awaitCount(ctx, want, drainQuiet, s.n.heard.Load)
}

// stableDMsSent is the private messages the stable clients sent; their
// senders have ended.
func (s *soak) stableDMsSent() int64 {
	var n int64
	for _, snd := range s.r.senders {
		if snd.prefix != nil {
			n += snd.inWin
		}
	}
	return n
}

// settle waits, at most settleWait, for the server's open connections
// and sessions to come back to where they were before the run, and
// returns the last read and how long it took.
func (s *soak) settle(ctx context.Context, before counters) (settled, error) {
	start := time.Now()
	for {
		c, err := s.r.metrics.read(ctx)
		if err != nil {
			return settled{}, err
		}
		st := settled{counters: c, seconds: time.Since(start).Seconds()}
		st.ok = c.connsOpen <= before.connsOpen && c.sessions <= before.sessions
		if st.ok || time.Since(start) > settleWait {
			return st, nil
		}
		if err := sleepUntil(ctx, time.Now().Add(50*time.Millisecond)); err != nil {
			return settled{}, err
		}
	}
}

// settled is the server's state once the clients have gone.
type settled struct {
	counters
	ok      bool    // connections and sessions came back
	seconds float64 // how long they took (or settleWait)
}

// readStable is a stable client's reader: it tallies its partner's
// private messages, its own and its partner's lines and the churners'
// MARKs, until the connection ends.
func (s *soak) readStable(c *client) {
	defer c.flushLatencies(s.r)
	t := &s.stable[c.id]
	c.readLines(func(line []byte) {
		if id, seq, sent, ok := parseDM(line); ok {
			switch {
			case id == c.id^1:
				t.dm.add(seq)
				c.addLatency(s.r, sent)
				s.n.stableDMs.Add(1)
				s.n.heard.Add(1)
			case id >= churnBase:
				t.addMark(s, id, &t.dmMarkDup)
			}
			return
		}
		if _, _, _, ok := parseDMCopy(line); ok {
			return // its own copy (zh's holds ":b ", like a chat line)
		}
		if id, seq, _, ok := parseLine(line); ok {
			switch {
			case id == c.id:
				t.own.add(seq)
				s.n.heard.Add(1)
			case id == c.id^1:
				t.partner.add(seq)
				s.n.heard.Add(1)
			case id >= churnBase:
				t.addMark(s, id, &t.lineMarkDup)
			}
			return
		}
		if isBye(line) {
			t.bye = true
		}
	})
}

// readLines reads lines, end of line trimmed, and hands each to each,
// until the connection ends.
func (c *client) readLines(each func(line []byte)) {
	defer c.ended.Store(true)
	for {
		line, err := c.readLine()
		if err != nil {
			c.err = err
			return
		}
		each(trimEOL(line))
	}
}

// addMark notes a churner's MARK, counting it in dup if read before.
func (t *stableTally) addMark(s *soak, mark int, dup *int64) {
	if t.marks.add(mark) {
		*dup++
	}
	s.n.heard.Add(1)
}

// readWatch is the watcher's reader: it tallies every flood's lines, and
// notes the slow readers going offline, until the connection ends.
func (s *soak) readWatch(c *client) {
	c.readLines(func(line []byte) {
		if id, seq, _, ok := parseLine(line); ok && id >= churnBase {
			q := s.watch.floods[id]
			if q == nil {
				q = &seqCount{}
				s.watch.floods[id] = q
			}
			q.add(seq)
			s.n.heard.Add(1)
			return
		}
		if isBye(line) {
			s.watch.bye = true
			return
		}
		for _, slot := range s.slots {
			slot.sawOffline(line)
		}
	})
}

// progress writes what the soak has done so far.
func (s *soak) progress() {
	n := &s.n
	at := time.Since(s.r.base) - s.r.t0
	r := s.r
	r.progressf("%5.0fs  churn: %s lives (%s errors), %s renames, %s floods  slow readers: %s cut off  stable: %s DMs read",
		at.Seconds(), group(float64(n.lives.Load())), group(float64(n.errors.Load())), group(float64(n.renames.Load())),
		group(float64(n.floods.Load())), group(float64(n.slowCut.Load())), group(float64(n.stableDMs.Load())))
}

// soakDefaults fills in Soak's defaults where they differ from the other
// workloads'.
func (o *Options) soakDefaults() {
	if o.Clients == 0 {
		o.Clients = 20
	}
	if o.Rate == 0 {
		o.Rate = 100
	}
	if o.Churners == 0 {
		o.Churners = 8
	}
	if o.Flood == 0 {
		o.Flood = 60
	}
	o.Senders = 2 * o.Clients // each sends DMs and chat lines
	o.Warmup, o.Inflight = 0, 1
}

// checkSoak checks Soak's options.
func (o Options) checkSoak() error {
	switch {
	case o.Clients < 2 || o.Clients%2 != 0 || o.Clients >= churnBase:
		return fmt.Errorf("soak pairs the stable clients: clients must be even and at least 2, not %d", o.Clients)
	case o.Rate < 0:
		return errors.New("rate must not be negative")
	case o.Churners < 0 || o.Stuck < 0:
		return errors.New("churners and slow readers must not be negative")
	case o.Flood < 1:
		return fmt.Errorf("flood must be at least 1 line, not %d", o.Flood)
	case o.Size < 1 || o.Size > MaxSize-dmPrefix:
		return fmt.Errorf("size must be between 1 and %d, not %d", MaxSize-dmPrefix, o.Size)
	case o.Duration <= 0:
		return errors.New("a soak must be bounded: duration must be positive")
	case !o.Self && o.MetricsURL == "":
		return errors.New("a soak checks the server's /metrics: give its URL (or run --self)")
	case !o.Self && o.PprofURL == "":
		return errors.New("a soak compares the server's memory after collecting its garbage: give its profiler's address (--pprof; or run --self)")
	}
	return nil
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}
