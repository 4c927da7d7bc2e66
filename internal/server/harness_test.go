package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// waitTime bounds every wait for something a client should see.
const waitTime = 5 * time.Second

// testConfig is a server on loopback port 0 with no flood control and no
// idle kick, logging to the test's output.
func testConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTP = "127.0.0.1:0"
	cfg.DB = ":memory:"
	cfg.Rate = 0
	cfg.IdleTimeout = 0
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return cfg
}

// start runs a server for the test; mod may change its config.
func start(t testing.TB, mod func(*Config)) *Server {
	t.Helper()
	cfg := testConfig(t)
	if mod != nil {
		mod(&cfg)
	}
	s, err := Start(cfg)
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

// lineClient speaks the line protocol (text or JSON lines) over TCP.
type lineClient struct {
	t    testing.TB
	c    net.Conn
	r    *bufio.Reader
	addr string // the client's own address, as the server names it
	sync atomic.Int64
}

func dial(t testing.TB, addr string) *lineClient {
	t.Helper()
	return dialWith(t, &net.Dialer{Timeout: waitTime}, addr)
}

// dialWith connects through d: from a chosen local address, say.
func dialWith(t testing.TB, d *net.Dialer, addr string) *lineClient {
	t.Helper()
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &lineClient{t: t, c: c, r: bufio.NewReaderSize(c, 64<<10), addr: c.LocalAddr().String()}
}

// dialText connects and reads the greeting, the lobby's replayed history
// (lines stamped with their time) and its own online line.
func dialText(t testing.TB, s *Server) *lineClient {
	t.Helper()
	return greeted(dial(t, s.TCPAddr()))
}

// greeted reads what dialText says a new text client is told.
func greeted(c *lineClient) *lineClient {
	t := c.t
	t.Helper()
	c.expect("*** welcome " + c.addr + ", you are in [lobby]; /help lists commands")
	online := "[" + c.addr + "]" + c.addr + ":online"
	for line := c.next(); line != online; line = c.next() {
		if !stamp.MatchString(line) {
			t.Fatalf("%s: got %q, want a history line or %q", c.addr, line, online)
		}
	}
	return c
}

func (c *lineClient) send(lines ...string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(waitTime))
	if _, err := c.c.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next returns the next line, failing the test if none comes in time.
func (c *lineClient) next() string {
	c.t.Helper()
	line, err := c.readLine(waitTime)
	if err != nil {
		c.t.Fatalf("%s: waiting for a line: %v", c.addr, err)
	}
	return line
}

func (c *lineClient) readLine(d time.Duration) (string, error) {
	c.c.SetReadDeadline(time.Now().Add(d))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return line, err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// expect checks that the next lines are exactly want, in order.
func (c *lineClient) expect(want ...string) {
	c.t.Helper()
	for i, w := range want {
		if got := c.next(); got != w {
			c.t.Fatalf("%s: line %d: got %q, want %q", c.addr, i+1, got, w)
		}
	}
}

// quiet checks that nothing more has arrived: it sends a marker command
// whose reply goes to this client only, and that reply must be next.
func (c *lineClient) quiet() {
	c.t.Helper()
	n := c.sync.Add(1)
	c.send(fmt.Sprintf("/sync-%d", n))
	c.expect(fmt.Sprintf("error: unknown command /sync-%d (try /help)", n))
}

// closed checks that the server closes the connection after want.
func (c *lineClient) closed(want ...string) {
	c.t.Helper()
	c.expect(want...)
	line, err := c.readLine(waitTime)
	if err == nil {
		c.t.Fatalf("%s: got %q, want the connection closed", c.addr, line)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatalf("%s: the connection stayed open", c.addr)
	}
}

// closedWith checks that the last line before the server closes the
// connection is last, whatever comes before it.
func (c *lineClient) closedWith(last string) {
	c.t.Helper()
	var prev string
	for {
		line, err := c.readLine(waitTime)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatalf("%s: the connection stayed open", c.addr)
			}
			break
		}
		prev = line
	}
	if prev != last {
		c.t.Fatalf("%s: last line %q, want %q", c.addr, prev, last)
	}
}

// sendJSON sends one JSON line.
func (c *lineClient) sendJSON(v string) { c.t.Helper(); c.send(v) }

// nextJSON reads lines until a JSON object comes (text before the switch
// to JSON is skipped, as PROTOCOL.md tells JSON clients to do).
func (c *lineClient) nextJSON() map[string]any {
	c.t.Helper()
	for {
		line := c.next()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			c.t.Fatalf("%s: bad JSON %q: %v", c.addr, line, err)
		}
		return m
	}
}

// expectJSON checks that the next JSON object has every field of want
// (numbers as float64).
func expectFields(t testing.TB, who string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("%s: got %v, want %s=%v", who, got, k, w)
		}
	}
}

func (c *lineClient) expectJSON(want map[string]any) map[string]any {
	c.t.Helper()
	got := c.nextJSON()
	expectFields(c.t, c.addr, got, want)
	return got
}

// dialJSON connects, switches to JSON with a ping, and reads welcome,
// history and the ping's pong.
func dialJSON(t testing.TB, s *Server) *lineClient {
	t.Helper()
	return jsonGreeted(dial(t, s.TCPAddr()))
}

// jsonGreeted switches c to JSON as dialJSON does.
func jsonGreeted(c *lineClient) *lineClient {
	c.t.Helper()
	c.sendJSON(`{"op":"ping","id":0}`)
	c.expectJSON(map[string]any{"type": "welcome", "name": c.addr, "room": "lobby"})
	c.expectJSON(map[string]any{"type": "history", "room": "lobby"})
	c.expectJSON(map[string]any{"type": "pong", "ref": 0})
	return c
}

// quietJSON is quiet for a JSON client: a ping's pong must come next.
func (c *lineClient) quietJSON() {
	c.t.Helper()
	n := c.sync.Add(1)
	c.sendJSON(fmt.Sprintf(`{"op":"ping","id":"sync-%d"}`, n))
	c.expectJSON(map[string]any{"type": "pong", "ref": fmt.Sprintf("sync-%d", n)})
}

// wsClient speaks JSON over WebSocket.
type wsClient struct {
	t    testing.TB
	c    *websocket.Conn
	name string
}

func dialWS(t testing.TB, s *Server) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+s.HTTPAddr()+"/ws", nil)
	if err != nil {
		t.Fatalf("ws dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	w := &wsClient{t: t, c: c}
	welcome := w.expect(map[string]any{"type": "welcome", "room": "lobby"})
	w.name = welcome["name"].(string)
	w.expect(map[string]any{"type": "history", "room": "lobby"})
	return w
}

func (w *wsClient) send(v string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(v)); err != nil {
		w.t.Fatalf("ws send: %v", err)
	}
}

func (w *wsClient) next() map[string]any {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("ws %s: waiting for a message: %v", w.name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("ws %s: bad JSON %q: %v", w.name, b, err)
	}
	return m
}

func (w *wsClient) expect(want map[string]any) map[string]any {
	w.t.Helper()
	got := w.next()
	expectFields(w.t, "ws "+w.name, got, want)
	return got
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64<<10) }

// lockedWriter makes a buffer safe to log to from many goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
