// Command parley runs a Parley chat server (PROTOCOL.md "Server command
// line").
//
//	parley serve [flags]   run the server; parley serve -h lists the flags
//	parley version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"parley/internal/server"
)

const usage = `usage: parley <command> [arguments]

Commands:
  serve     run a Parley server (parley serve -h lists its flags)
  chat      chat with a server, line by line (parley chat -h)
  backup    copy the database while the server runs (parley backup -h)
  account   add, change, delete or list accounts (parley account -h)
  bench     load a server and measure it (parley bench fanout|slow -h)
  version   print the version of parley
  help      show this text
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is main without the process: it returns the exit status, 2 for a
// usage error.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr, getenv)
	case "chat":
		return chat(args[1:], os.Stdin, stdout, stderr, getenv)
	case "backup":
		return backup(args[1:], stdout, stderr, getenv)
	case "account":
		return account(args[1:], os.Stdin, stdout, stderr, getenv)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "parley", version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return 2
	}
	fmt.Fprintf(stderr, "parley: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, stderr io.Writer, getenv func(string) string) int {
	cfg, logFormat, err := loadConfig(args, getenv, stderr)
	var ferr flagError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ferr):
		return 2 // the flag package has written the error and the usage
	case err != nil:
		fmt.Fprintf(stderr, "parley serve: %v\n", err)
		return 2
	}
	cfg.Log = newLogger(logFormat, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process as usual,
	// should a shutdown hang.
	context.AfterFunc(ctx, stop)
	if err := server.Run(ctx, cfg); err != nil {
		cfg.Log.Error("server failed", "err", err)
		return 1
	}
	return 0
}

// newLogger logs at level Info to w, as text or JSON.
func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version is the main module's version, or "dev" for a build from a
// working tree.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(info.Main.Version)
}

func versionOf(v string) string {
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}
