package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"parley/internal/client"
	"parley/internal/plainchat"
	"parley/internal/tui"
)

const chatUsage = `usage: parley chat [--addr HOST:PORT] [--name NAME] [--room ROOM] [--tls] [--plain]

Connects to a Parley server and chats. With --plain, or when stdin or stdout
is not a terminal, it is a line-by-line client: each line read from stdin is
sent, each line from the server is printed, and EXIT or the end of input
quits. For example:

	printf 'hello\nEXIT\n' | parley chat --plain

Exit status: 0 after quitting, 1 when the connection fails or the server
ends the session (idle kick, shutdown), 2 for a usage error, 128+N on
signal N (130 on Ctrl-C).

Flags:
`

// defaultChatAddr is where parley chat connects without --addr or
// PARLEY_ADDR.
const defaultChatAddr = "localhost:9999"

// dialTimeout bounds connecting, TLS handshake included.
const dialTimeout = 10 * time.Second

// isTerminal reports whether f is an *os.File open on a terminal; a
// variable so that tests can pretend.
var isTerminal = func(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// chat runs `parley chat` until the user quits, the server ends the session,
// or SIGINT or SIGTERM; it returns the exit status (see chatUsage).
func chat(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), chatUsage)
		fs.PrintDefaults()
	}
	addrDefault := getenv("PARLEY_ADDR")
	if addrDefault == "" {
		addrDefault = defaultChatAddr
	}
	addr := fs.String("addr", addrDefault, "server `address` HOST:PORT (also PARLEY_ADDR)")
	name := fs.String("name", "", "take this `name` once connected")
	room := fs.String("room", "", "enter this `room` once connected")
	useTLS := fs.Bool("tls", false, "connect over TLS, checking the server's certificate against the system's roots")
	plain := fs.Bool("plain", false, "line-by-line client (the default when stdin or stdout is not a terminal)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package has written the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley chat: unexpected argument %q (chat takes only flags)\n", fs.Arg(0))
		return 2
	}
	ctx, signalled := notifyContext()
	defer signalled.stop()

	if !*plain && isTerminal(stdin) && isTerminal(stdout) {
		return fullScreen(ctx, signalled, *addr, *name, *room, *useTLS, stdin, stdout, stderr)
	}

	conn, err := dialServer(ctx, *addr, *useTLS)
	if err != nil {
		if s := signalled.status(); s != 0 {
			return s
		}
		fmt.Fprintf(stderr, "parley chat: %v\n", err)
		return 1
	}
	in, release := interruptible(stdin)
	defer release()
	err = plainchat.Run(ctx, conn, in, stdout, plainchat.Options{Name: *name, Room: *room})
	return exitStatus(err, signalled, stderr)
}

// fullScreen runs the full-screen client (internal/tui) until the user
// quits.
func fullScreen(ctx context.Context, signalled *signals, addr, name, room string, useTLS bool, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := client.Config{Addr: addr, Name: name, Room: room}
	if useTLS {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			fmt.Fprintf(stderr, "parley chat: %v\n", err)
			return 2
		}
		cfg.TLS = &tls.Config{ServerName: host}
	}
	return exitStatus(tui.Run(ctx, cfg, stdin, stdout), signalled, stderr)
}

// exitStatus is a chat's exit status: 0 when the user quit, 128+signal when
// a signal ended it, and 1, with the error, when the connection failed.
func exitStatus(err error, signalled *signals, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		if s := signalled.status(); s != 0 {
			return s
		}
	}
	fmt.Fprintf(stderr, "parley chat: %v\n", err)
	return 1
}

// dialServer connects to addr, over TLS if asked (ServerName is addr's host).
func dialServer(ctx context.Context, addr string, useTLS bool) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	if !useTLS {
		return d.DialContext(ctx, "tcp", addr)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: host}}
	return td.DialContext(ctx, "tcp", addr)
}

// signals records which of SIGINT and SIGTERM cancelled the chat's context.
type signals struct {
	ch     chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	got    os.Signal
}

// notifyContext returns a context that the first SIGINT or SIGTERM cancels;
// after it, the signals have their default effect again, so that a second
// one ends a stuck process.
func notifyContext() (context.Context, *signals) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &signals{ch: make(chan os.Signal, 1), cancel: cancel, done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer close(s.done)
		select {
		case sig := <-s.ch:
			signal.Stop(s.ch)
			s.mu.Lock()
			s.got = sig
			s.mu.Unlock()
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, s
}

// status is the exit status for the signal received, 128+N, or 0 if none
// was.
func (s *signals) status() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.got.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 0
}

func (s *signals) stop() {
	signal.Stop(s.ch)
	s.cancel()
	<-s.done
}

// interruptible returns r, or a reader of r whose pending Read a read
// deadline can end, as plainchat.Run needs so that it can return when the
// server ends the session while the user is not typing. Stdin is rarely
// pollable (Go leaves it in blocking mode, and so must we: the shell shares
// it), so such a reader reads r on a goroutine of its own; release lets that
// goroutine end once its pending Read of r returns. It may then have taken
// input that nobody reads: meant for stdin just before the process exits.
func interruptible(r io.Reader) (io.Reader, func()) {
	if d, ok := r.(interface{ SetReadDeadline(time.Time) error }); ok && d.SetReadDeadline(time.Time{}) == nil {
		return r, func() {}
	}
	a := newAsyncReader(r)
	return a, a.release
}

// asyncReader reads its source on a goroutine, so that a Read can be ended
// by a deadline while the source's Read goes on.
type asyncReader struct {
	chunks chan []byte   // what the goroutine read; closed after err is set
	err    error         // the source's error
	quit   chan struct{} // closed by release
	once   sync.Once
	rest   []byte // of the last chunk, not yet read

	mu       sync.Mutex
	deadline chan struct{} // closed when the read deadline passes
	timer    *time.Timer
	gen      int // counts SetReadDeadline calls
}

func newAsyncReader(r io.Reader) *asyncReader {
	a := &asyncReader{chunks: make(chan []byte), quit: make(chan struct{}), deadline: make(chan struct{})}
	go a.loop(r)
	return a
}

func (a *asyncReader) loop(r io.Reader) {
	defer close(a.chunks)
	for {
		buf := make([]byte, 32<<10)
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case a.chunks <- buf[:n]:
			case <-a.quit:
				return
			}
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

// Read returns what the source gave, its error once it is exhausted, or
// os.ErrDeadlineExceeded once the read deadline has passed.
func (a *asyncReader) Read(p []byte) (int, error) {
	if len(a.rest) == 0 {
		a.mu.Lock()
		deadline := a.deadline
		a.mu.Unlock()
		select {
		case <-deadline:
			return 0, os.ErrDeadlineExceeded
		default:
		}
		select {
		case chunk, ok := <-a.chunks:
			if !ok {
				if a.err == nil {
					return 0, io.ErrClosedPipe // released
				}
				return 0, a.err
			}
			a.rest = chunk
		case <-deadline:
			return 0, os.ErrDeadlineExceeded
		}
	}
	n := copy(p, a.rest)
	a.rest = a.rest[n:]
	return n, nil
}

// SetReadDeadline sets when pending and future Reads fail with
// os.ErrDeadlineExceeded; the zero time means never.
func (a *asyncReader) SetReadDeadline(t time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++ // a timer of an earlier deadline that fires now does nothing
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	select {
	case <-a.deadline:
		a.deadline = make(chan struct{}) // it had passed
	default:
	}
	switch {
	case t.IsZero():
	case !t.After(time.Now()):
		close(a.deadline)
	default:
		gen := a.gen
		a.timer = time.AfterFunc(time.Until(t), func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.gen == gen {
				close(a.deadline)
			}
		})
	}
	return nil
}

func (a *asyncReader) release() {
	a.once.Do(func() { close(a.quit) })
}
