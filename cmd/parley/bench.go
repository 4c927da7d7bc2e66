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
	"syscall"
	"time"

	"parley/internal/bench"
)

const benchUsage = `usage: parley bench WORKLOAD [--addr HOST:PORT [--metrics URL] | --self] [flags]

Loads a Parley server and measures it: progress on stderr once a second,
then a summary on stdout (with --json, one JSON object). It ends by itself
after the warm-up and the measured window.

Workloads:
  fanout   --clients clients join one room; --senders of them send lines of
           --size bytes at --rate lines/s in all, or with --rate 0 as fast
           as the server takes them, --inflight lines in flight per sender
           (flat out: raise --inflight, e.g. 64).
           Reports delivered lines/s, latency p50/p90/p99/p99.9/max, lines
           lost and duplicated.
  slow     fanout plus --stuck clients in the room that never read; reports
           how many of them the server disconnected.

With --self the server runs inside this process (in memory, no flood
control); otherwise start one with --rate 0, or flood control paces the
senders. With /metrics known (--metrics, or --self) the count of events the
server wrote is put beside the lines the clients read.

Exit status: 0 after a run, 1 when it fails, 2 for a usage error.

Flags:
`

// benchCmd runs `parley bench`; it returns the exit status.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != bench.Fanout && args[0] != bench.Slow) {
		fs := benchFlags(bench.Slow, &bench.Options{}, new(bool), stderr)
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
	return 0
}

// benchFlags declares the flags of one workload into o.
func benchFlags(workload string, o *bench.Options, asJSON *bool, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench "+workload, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Addr, "addr", bench.DefaultAddr, "the server's TCP address")
	fs.BoolVar(&o.Self, "self", false, "run against a server started in this process")
	fs.StringVar(&o.MetricsURL, "metrics", "", "the server's /metrics `URL` (or HOST:PORT), to cross-check the counts")
	fs.IntVar(&o.SelfQueue, "queue", 0, "with --self: the server's --queue (default 1024)")
	fs.IntVar(&o.Clients, "clients", 100, "clients in the room")
	fs.IntVar(&o.Senders, "senders", 0, "how many of the clients send (default 10, or every client if fewer)")
	fs.Float64Var(&o.Rate, "rate", 0, "lines per second sent, all senders together; 0 is as fast as the server takes them")
	fs.IntVar(&o.Inflight, "inflight", 1, "with --rate 0: lines in flight per sender (the next goes when one of its own comes back)")
	fs.IntVar(&o.Size, "size", 64, "bytes of text per line")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "time sent before measuring")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "the measured window")
	fs.BoolVar(asJSON, "json", false, "print the summary as one JSON object")
	if workload == bench.Slow {
		fs.IntVar(&o.Stuck, "stuck", 1, "clients in the room that never read")
	}
	return fs
}
