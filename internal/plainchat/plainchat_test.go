package plainchat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"parley/internal/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTime bounds every wait for something that should happen.
const waitTime = 10 * time.Second

// startServer runs a real server in the process, on loopback, with no flood
// control; idle is its idle timeout (0: none).
func startServer(t *testing.T, idle time.Duration) *server.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTP = ""
	cfg.DB = ":memory:"
	cfg.Rate = 0
	cfg.IdleTimeout = idle
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := server.Start(cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s
}

// watcher is a raw text-mode client that checks what others do.
type watcher struct {
	t    *testing.T
	c    net.Conn
	r    *bufio.Reader
	addr string
}

func dialWatcher(t *testing.T, addr string) *watcher {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTime)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	w := &watcher{t: t, c: c, r: bufio.NewReader(c), addr: c.LocalAddr().String()}
	w.expect("*** welcome " + w.addr + ", you are in [lobby]; /help lists commands")
	w.expect("[" + w.addr + "]" + w.addr + ":online")
	return w
}

func (w *watcher) next() string {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(waitTime))
	line, err := w.r.ReadString('\n')
	if err != nil {
		w.t.Fatalf("watcher: waiting for a line: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

func (w *watcher) expect(want ...string) {
	w.t.Helper()
	for _, l := range want {
		if got := w.next(); got != l {
			w.t.Fatalf("watcher: got %q, want %q", got, l)
		}
	}
}

func (w *watcher) send(line string) {
	w.t.Helper()
	w.c.SetWriteDeadline(time.Now().Add(waitTime))
	if _, err := io.WriteString(w.c, line+"\n"); err != nil {
		w.t.Fatalf("watcher: send: %v", err)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTime)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// lines splits what Run wrote.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func hasLine(out, want string) bool {
	for _, l := range lines(out) {
		if l == want {
			return true
		}
	}
	return false
}

// runAsync runs Run on a goroutine; the channel gets its result.
func runAsync(ctx context.Context, conn net.Conn, in io.Reader, out io.Writer, opts Options) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, conn, in, out, opts) }()
	return done
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(waitTime):
		t.Fatal("Run did not return")
		return nil
	}
}

// blockingInput is a pipe nobody writes to, as a terminal where nobody
// types: Run must end its pending read itself.
func blockingInput(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r
}

// syncBuffer is an output that a test can watch while Run writes to it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLine waits until a line satisfying ok has been written.
func (b *syncBuffer) waitLine(t *testing.T, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.NewTimer(waitTime)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		s, changed := b.buf.String(), b.changed
		b.mu.Unlock()
		for _, l := range lines(s) {
			if ok(l) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s in the output:\n%s", what, s)
		}
	}
}

// TestHelloExit is the acceptance in the process: "hello" then EXIT
// reaches another client, and Run returns nil after the server's bye.
func TestHelloExit(t *testing.T) {
	srv := startServer(t, 0)
	w := dialWatcher(t, srv.TCPAddr())
	conn := dial(t, srv.TCPAddr())
	me := conn.LocalAddr().String()

	var out bytes.Buffer
	if err := Run(t.Context(), conn, strings.NewReader("hello\nEXIT\n"), &out, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.expect("["+me+"]"+me+":online", "["+me+"]"+me+":hello", "["+me+"]"+me+":offline")
	for _, want := range []string{
		"*** welcome " + me + ", you are in [lobby]; /help lists commands",
		"[" + me + "]" + me + ":hello",
		"bye",
	} {
		if !hasLine(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestExitSpellings: EXIT in any case and with trailing white space quits
// and is not sent; with leading space it is a chat line.
func TestExitSpellings(t *testing.T) {
	srv := startServer(t, 0)
	w := dialWatcher(t, srv.TCPAddr())
	conn := dial(t, srv.TCPAddr())
	me := conn.LocalAddr().String()

	in := " exit\r\nExit \t\r\nnot sent\n"
	if err := Run(t.Context(), conn, strings.NewReader(in), io.Discard, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.expect("["+me+"]"+me+":online", "["+me+"]"+me+": exit", "["+me+"]"+me+":offline")
}

// TestNameRoomAndEndOfInput: the options take effect before the first line,
// and the end of input quits as EXIT does.
func TestNameRoomAndEndOfInput(t *testing.T) {
	srv := startServer(t, 0)
	w := dialWatcher(t, srv.TCPAddr())
	w.send("/join den")
	w.expect("joined [den]")
	conn := dial(t, srv.TCPAddr())
	me := conn.LocalAddr().String()

	var out bytes.Buffer
	err := Run(t.Context(), conn, strings.NewReader("hi\nno newline at the end"), &out, Options{Name: "alice", Room: "den"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.expect("["+me+"]alice:joined", "["+me+"]alice:hi", "["+me+"]alice:no newline at the end", "["+me+"]alice:offline")
	for _, want := range []string{"renamed: [" + me + "]->[alice]", "joined [den]", "bye"} {
		if !hasLine(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestTypedQuit: a /quit the user types is a quit too (exit status 0).
func TestTypedQuit(t *testing.T) {
	srv := startServer(t, 0)
	conn := dial(t, srv.TCPAddr())
	var out bytes.Buffer
	if err := Run(t.Context(), conn, strings.NewReader("/QUIT now\nnot sent\n"), &out, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !hasLine(out.String(), "bye") {
		t.Errorf("output lacks bye:\n%s", out.String())
	}
}

// TestFirstLineJSONStaysText: a first line starting with { is a chat line,
// not a switch to JSON mode.
func TestFirstLineJSONStaysText(t *testing.T) {
	srv := startServer(t, 0)
	w := dialWatcher(t, srv.TCPAddr())
	conn := dial(t, srv.TCPAddr())
	me := conn.LocalAddr().String()
	if err := Run(t.Context(), conn, strings.NewReader(`{"op":"who"}`+"\n"), io.Discard, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.expect("["+me+"]"+me+":online", "["+me+"]"+me+`:{"op":"who"}`)
}

// TestServerShutdown: the server ends the session while the user is not
// typing; Run prints the notice and returns ErrClosedByServer.
func TestServerShutdown(t *testing.T) {
	srv := startServer(t, 0)
	conn := dial(t, srv.TCPAddr())
	out := newSyncBuffer()
	done := runAsync(t.Context(), conn, blockingInput(t), out, Options{})
	out.waitLine(t, "greeting", func(l string) bool { return strings.HasPrefix(l, "*** welcome ") })

	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := waitRun(t, done); !errors.Is(err, ErrClosedByServer) {
		t.Fatalf("Run: %v, want ErrClosedByServer", err)
	}
	if !hasLine(out.String(), "server shutting down") {
		t.Errorf("output lacks the shutdown notice:\n%s", out.String())
	}
}

// TestIdleKick: the same for the idle kick.
func TestIdleKick(t *testing.T) {
	srv := startServer(t, 300*time.Millisecond)
	conn := dial(t, srv.TCPAddr())
	out := newSyncBuffer()
	err := waitRun(t, runAsync(t.Context(), conn, blockingInput(t), out, Options{}))
	if !errors.Is(err, ErrClosedByServer) {
		t.Fatalf("Run: %v, want ErrClosedByServer", err)
	}
	if !hasLine(out.String(), "idle for 300ms: disconnected") {
		t.Errorf("output lacks the idle notice:\n%s", out.String())
	}
}

// TestCancel: ctx (SIGINT in parley chat) closes the connection and Run
// returns ctx's error.
func TestCancel(t *testing.T) {
	srv := startServer(t, 0)
	w := dialWatcher(t, srv.TCPAddr())
	conn := dial(t, srv.TCPAddr())
	me := conn.LocalAddr().String()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := newSyncBuffer()
	done := runAsync(ctx, conn, blockingInput(t), out, Options{})
	w.expect("[" + me + "]" + me + ":online")

	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	w.expect("[" + me + "]" + me + ":offline")
}

// fakeServer is the far end of a net.Pipe, for what a real server would not
// do.
type fakeServer struct {
	t     *testing.T
	c     net.Conn
	lines chan string // what the client sent; closed at the end
}

func newFakeServer(t *testing.T) (client net.Conn, f *fakeServer) {
	client, srv := net.Pipe()
	f = &fakeServer{t: t, c: srv, lines: make(chan string, 1024)}
	t.Cleanup(func() { client.Close(); srv.Close() })
	go func() { // ends when either end closes
		defer close(f.lines)
		r := bufio.NewReader(srv)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			f.lines <- strings.TrimSuffix(line, "\n")
		}
	}()
	return client, f
}

func (f *fakeServer) say(s string) {
	f.t.Helper()
	f.c.SetWriteDeadline(time.Now().Add(waitTime))
	if _, err := io.WriteString(f.c, s); err != nil {
		f.t.Fatalf("fake server: write: %v", err)
	}
}

// expect checks the client's next lines.
func (f *fakeServer) expect(want ...string) {
	f.t.Helper()
	for _, w := range want {
		select {
		case got, ok := <-f.lines:
			if !ok {
				f.t.Fatalf("fake server: connection ended, want %.40q", w)
			}
			if got != w {
				f.t.Fatalf("fake server: got %.40q, want %.40q", got, w)
			}
		case <-time.After(waitTime):
			f.t.Fatalf("fake server: no line, want %.40q", w)
		}
	}
}

// TestCleansServerLines: escapes and control characters from a hostile
// server never reach the terminal; long lines and a last line without LF
// come out whole.
func TestCleansServerLines(t *testing.T) {
	conn, f := newFakeServer(t)
	out := newSyncBuffer()
	done := runAsync(t.Context(), conn, blockingInput(t), out, Options{})
	f.expect("")

	long := strings.Repeat("x", 300<<10)
	f.say("\x1b[31mred\x1b[0m \x1b]0;owned\x07title\x1b]8;;http://evil\x1b\\link\r\n")
	f.say("bell\a back\bspace \u202eevil\u202c \xff\xfe ok\ttab\n")
	f.say(long + "\n")
	f.say("last \x1b[2J")
	f.c.Close()
	if err := waitRun(t, done); !errors.Is(err, ErrClosedByServer) {
		t.Fatalf("Run: %v, want ErrClosedByServer", err)
	}
	want := "red title" + "link\n" +
		"bell backspace evil \uFFFD ok tab\n" +
		long + "\n" +
		"last \n"
	if got := out.String(); got != want {
		t.Errorf("output\n%.200q\nwant\n%.200q", got, want)
	}
}

// TestHugeServerLine: a line longer than the bound comes out in pieces,
// nothing lost.
func TestHugeServerLine(t *testing.T) {
	conn, f := newFakeServer(t)
	out := newSyncBuffer()
	done := runAsync(t.Context(), conn, blockingInput(t), out, Options{})
	f.expect("")
	huge := strings.Repeat("y", 3*maxServerLine)
	f.say(huge + "\n")
	f.c.Close()
	if err := waitRun(t, done); !errors.Is(err, ErrClosedByServer) {
		t.Fatalf("Run: %v, want ErrClosedByServer", err)
	}
	if got := strings.ReplaceAll(out.String(), "\n", ""); got != huge {
		t.Errorf("got %d bytes of y, want %d", len(got), len(huge))
	}
}

// TestSendsLinesWhole: input lines of any length go out whole, a CR before
// the LF dropped, after the opening lines the options ask for.
func TestSendsLinesWhole(t *testing.T) {
	conn, f := newFakeServer(t)
	long := strings.Repeat("z", 200<<10)
	in := "a\r\n\n" + long + "\nEXIT\n"
	done := runAsync(t.Context(), conn, strings.NewReader(in), io.Discard, Options{Name: "bob", Room: "den"})
	f.expect("", "rename|bob", "/join den", "a", "", long, "/quit")
	f.say("bye\n")
	f.c.Close()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestQuitWaitIsBounded: a server that never closes after /quit is closed
// on after QuitWait, and that still counts as quitting.
func TestQuitWaitIsBounded(t *testing.T) {
	conn, f := newFakeServer(t)
	done := runAsync(t.Context(), conn, strings.NewReader("EXIT\n"), io.Discard, Options{QuitWait: 100 * time.Millisecond})
	f.expect("", "/quit")
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestOutputFails: a failed write to out ends the session with that error.
func TestOutputFails(t *testing.T) {
	conn, f := newFakeServer(t)
	done := runAsync(t.Context(), conn, blockingInput(t), failingWriter{}, Options{})
	f.expect("")
	f.say("hello\n")
	err := waitRun(t, done)
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "writing output") {
		t.Fatalf("Run: %v, want the output's error", err)
	}
}

var errBroken = errors.New("broken output")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errBroken }

// TestInputFails: a failed read of in (not its end) quits and is reported.
func TestInputFails(t *testing.T) {
	conn, f := newFakeServer(t)
	in := io.MultiReader(strings.NewReader("one\n"), failingReader{})
	done := runAsync(t.Context(), conn, in, io.Discard, Options{})
	f.expect("", "one", "/quit")
	f.c.Close()
	err := waitRun(t, done)
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "reading input") {
		t.Fatalf("Run: %v, want the input's error", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errBroken }

// TestUninterruptibleInput: when the server closes while Run waits on a
// reader it cannot interrupt, the next read's return ends the session, and
// the line read is not sent.
func TestUninterruptibleInput(t *testing.T) {
	conn, f := newFakeServer(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	done := runAsync(t.Context(), conn, pr, io.Discard, Options{})
	f.expect("")
	f.c.Close()
	// Run cannot end a read of an io.Pipe; the next line ends it.
	io.WriteString(pw, "late\n")
	if err := waitRun(t, done); !errors.Is(err, ErrClosedByServer) {
		t.Fatalf("Run: %v, want ErrClosedByServer", err)
	}
}

// TestMultiLineOptions: a name or room with a line break would smuggle in
// a line of its own.
func TestMultiLineOptions(t *testing.T) {
	for _, opts := range []Options{{Name: "a\nb"}, {Room: "den\r"}} {
		conn, _ := newFakeServer(t)
		if err := Run(t.Context(), conn, strings.NewReader(""), io.Discard, opts); err == nil {
			t.Errorf("Run(%+v) = nil, want an error", opts)
		}
	}
}
