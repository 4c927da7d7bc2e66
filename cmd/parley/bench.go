package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"parley/internal/server"
	"slices"
	"syscall"
	"time"

	"parley/internal/bench"
)

const benchUsage = `usage: parley bench WORKLOAD [--addr HOST:PORT [--metrics URL] | --self] [flags]

Loads a Parley server and measures it: progress on stderr once a second,
then a summary on stdout (with --json, one JSON object). It ends by itself:
fanout, slow and dm after the warm-up and the measured window, idle and
connect once every client is in and checked, soak after --duration and
its checks.

Workloads:
  fanout   --clients clients join one room; --senders of them send lines of
           --size bytes at --rate lines/s in all, or with --rate 0 as fast
           as the server takes them, --inflight lines in flight per sender
           (flat out: raise --inflight, e.g. 64).
           Reports delivered lines/s, latency p50/p90/p99/p99.9/max, lines
           lost and duplicated.
  slow     fanout plus --stuck clients in the room that never read; reports
           how many of them the server disconnected.
  dm       --clients clients (even) in pairs, each pair in a room of its
           own; every client sends its partner private messages (to|NAME|…)
           at --rate in all, or flat out with --inflight messages in flight
           (the next goes when the partner has read one). Reports as fanout;
           only the partner's copy is a delivery, not the sender's echo.
  idle     --clients idle connections (default 5000), in rooms of at most
           --room-size. Reports the server's memory per connection (heap +
           stacks, and resident) from /metrics (--metrics or --self; without
           it, no memory figures), then has one client per room say a line
           that every client must read. The server's --idle-timeout must be
           off or longer than the run (the --self server has it off), and
           its --max-conns high enough.
  connect  a connection storm: --clients clients (default 5000) connect,
           --parallel handshakes at a time; each joins a room of its own
           once online and stays until all are in, then all close. Reports
           connections/s (from the first dial to the last online line) and
           the time from dial to online line, p50…max.
  soak     churn for --duration (default 1m), then check. --clients stable
           clients (default 20, even) stay connected in pairs, each pair in
           a room of its own, and send each other numbered DMs and chat
           lines at --rate in all (default 100); --churners clients (default
           8) connect, rename, join rooms, chat, DM the stable clients, flood
           (--flood lines of 4000 bytes at once, default 60) and leave by
           /quit, close or reset, over and over; --stuck slow readers
           (default 2) sit in the flood room without reading until the
           server cuts them off, and are replaced. Progress every 5s. At the
           end it checks: no DM or chat line lost or duplicated, no flooded
           line lost, the slow readers (and only they) cut off, every churn
           step answered, no stall, no stuck session (the server's open
           connections and sessions back to where they were), no session
           panic, no goroutine or memory growth (before and after, garbage
           collected). Needs /metrics, and against another server its
           --pprof (--pprof HOST:PORT) to collect its garbage.

With --self the server runs inside this process (in memory, no flood
control, no idle kick, no connection caps; with idle and soak, the memory
figures include this process's side of each connection, and each
connection takes two file descriptors); otherwise start one with --rate 0,
or flood control paces the senders (soak wants the server's flood control
on: it floods on purpose). With /metrics known (--metrics, or --self) the
bytes the server wrote are put beside the bytes the clients read (not in
soak: a client that resets cannot count what it never read).

Exit status: 0 after a run, 1 when it fails or a soak check fails, 2 for a
usage error.

Flags:
`

// benchCmd runs `parley bench`; it returns the exit status.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || !bench.Known(args[0]) {
		fs := benchFlags("", &bench.Options{}, new(bool), stderr)
		fs.Usage()
		if len(args) > 0 && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
			fmt.Fprintf(stderr, "\nparley bench: unknown workload %q\n", args[0])
		}
		return 2
	}
	o := bench.Options{Workload: args[0]}
	var asJSON bool
	fs := benchFlags(o.Workload, &o, &asJSON, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "parley bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	case o.Self && (set["addr"] || set["metrics"]):
		fmt.Fprintln(stderr, "parley bench: --self runs its own server: no --addr or --metrics with it")
		return 2
	case set["queue"] && !o.Self:
		fmt.Fprintln(stderr, "parley bench: --queue is the --self server's")
		return 2
	}
	if err := o.Check(); err != nil {
		fmt.Fprintf(stderr, "parley bench %s: %v\n", o.Workload, err)
		return 2
	}
	o.Progress = stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.StartSelf = server.SelfHosted
	res, err := bench.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "parley bench: %v\n", err)
		return 1
	}
	if asJSON {
		err = json.NewEncoder(stdout).Encode(res)
	} else {
		err = res.WriteSummary(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "parley bench: %v\n", err)
		return 1
	}
	if res.Failed() {
		fmt.Fprintf(stderr, "parley bench %s: a check failed\n", o.Workload)
		return 1
	}
	return 0
}

// benchFlags declares the flags of one workload into o; "" declares every
// workload's, for the usage.
func benchFlags(workload string, o *bench.Options, asJSON *bool, stderr io.Writer) *flag.FlagSet {
	name := "bench"
	if workload != "" {
		name += " " + workload
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	all := workload == ""
	is := func(ws ...string) bool { return all || slices.Contains(ws, workload) }
	fs.StringVar(&o.Addr, "addr", bench.DefaultAddr, "the server's TCP address")
	fs.BoolVar(&o.Self, "self", false, "run against a server started in this process")
	fs.StringVar(&o.MetricsURL, "metrics", "", "the server's /metrics `URL` (or HOST:PORT), to cross-check the counts (and for idle's memory figures)")
	fs.IntVar(&o.SelfQueue, "queue", 0, "with --self: the server's --queue (default 1024)")
	switch {
	case all:
		fs.IntVar(&o.Clients, "clients", 0, "clients (default 100; idle and connect 5000; soak: stable clients, 20)")
		fs.IntVar(&o.Parallel, "parallel", 0, "handshakes under way at once (default 64; connect 256)")
	case workload == bench.Idle || workload == bench.Connect:
		fs.IntVar(&o.Clients, "clients", 5000, "clients that connect")
	case workload == bench.Soak:
		fs.IntVar(&o.Clients, "clients", 20, "stable clients, in pairs: connected from start to end")
	default:
		fs.IntVar(&o.Clients, "clients", 100, "clients that connect")
	}
	switch {
	case all:
	case workload == bench.Connect:
		fs.IntVar(&o.Parallel, "parallel", 256, "handshakes under way at once")
	default:
		fs.IntVar(&o.Parallel, "parallel", 64, "handshakes under way at once")
	}
	if is(bench.Fanout, bench.Slow) {
		fs.IntVar(&o.Senders, "senders", 0, "fanout, slow: how many of the clients send (default 10, or every client if fewer)")
	}
	if is(bench.Fanout, bench.Slow, bench.DM) {
		fs.Float64Var(&o.Rate, "rate", 0, "lines per second sent, all senders together; 0 is as fast as the server takes them")
		fs.IntVar(&o.Inflight, "inflight", 1, "with --rate 0: lines in flight per sender (the next goes when one of its own comes back; dm: when the partner read one)")
		fs.IntVar(&o.Size, "size", 64, "bytes of text per line")
		fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "time sent before measuring")
		fs.DurationVar(&o.Duration, "duration", 10*time.Second, "the measured window")
	}
	if is(bench.Slow) {
		fs.IntVar(&o.Stuck, "stuck", 1, "slow: clients in the room that never read")
	}
	if workload == bench.Soak {
		fs.Float64Var(&o.Rate, "rate", 100, "the stable clients' DMs and chat lines per second, all together")
		fs.IntVar(&o.Size, "size", 64, "bytes of text per stable line and DM")
		fs.DurationVar(&o.Duration, "duration", time.Minute, "how long the churn goes on, before the wind-down and the checks")
		fs.IntVar(&o.Stuck, "stuck", 2, "slow readers connected at any time, each replaced once cut off")
	}
	if is(bench.Soak) {
		fs.IntVar(&o.Churners, "churners", 8, "soak: clients connecting, acting and leaving over and over, at once")
		fs.IntVar(&o.Flood, "flood", 60, "soak: lines in one flood, sent at once")
	}
	if is(bench.Idle, bench.Soak) {
		fs.StringVar(&o.PprofURL, "pprof", "", "idle, soak: the server's --pprof `address`, to collect its garbage before each memory read (idle: otherwise the figures include it; soak: needed)")
	}
	if is(bench.Idle) {
		fs.IntVar(&o.RoomSize, "room-size", 100, "idle: the most clients in one room")
	}
	fs.BoolVar(asJSON, "json", false, "print the summary as one JSON object")
	return fs
}
