// Package client is a Go client for Parley's JSON mode: it dials (TCP or
// TLS), delivers what the server says as typed events, matches each request
// to its reply, keeps the connection alive with pings, and, if asked,
// reconnects with back-off and picks up where it left off: it logs in again
// (or takes its name back), rejoins its room, and delivers the lines it
// missed, by message ID, without showing any twice.
//
// Goroutines: one reads each connection, one keeps it alive, one hands
// events to Events, and one reconnects when needed; Close ends them all.
package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says where to connect and who to be. Zero values mean defaults.
type Config struct {
	// Addr is the server's line-protocol address, "host:port".
	Addr string
	// TLS, if not nil, dials with TLS.
	TLS *tls.Config
	// Name is taken on connect: with Password, by logging in to that
	// account; without, as a nickname ("" keeps the default name).
	Name     string
	Password string
	// Room is joined on connect ("" stays in the lobby).
	Room string
	// KeepAlive is how often an idle client pings the server, so that the
	// idle kick never hits it. Defaults to 30s; negative turns it off.
	KeepAlive time.Duration
	// Reconnect, when the connection is lost, dials again with back-off
	// (100 ms doubling to 10 s; 10 s after the server refuses it) until
	// Close. A client the server kicked does not reconnect.
	Reconnect bool
	// DialTimeout bounds each dial and the greeting. Defaults to 10s.
	DialTimeout time.Duration
}

// ErrClosed is returned by requests on a closed client, and ErrDisconnected
// by those whose connection was lost before the reply came.
var (
	ErrClosed       = errors.New("client: closed")
	ErrDisconnected = errors.New("client: disconnected")
)

// Client is a connection to a Parley server. Its methods are safe for
// concurrent use.
type Client struct {
	cfg     Config
	events  chan Event
	q       *eventQueue
	done    chan struct{}   // closed by Close: events still queued are dropped
	stopped chan struct{}   // closed when the client ends: by Close, or a lost connection without Reconnect
	ctx     context.Context // cancelled by Close: ends a dial in progress
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	nextID  uint64 // guarded by mu

	mu        sync.Mutex
	cur       *conn // nil while reconnecting; guarded by mu
	name      string
	room      string
	seen      map[string]int64 // per room (folded): the highest message ID delivered; guarded by mu
	chosen    string           // the name to take back after a reconnect ("" for the default); guarded by mu
	bye       string           // the reason of the server's last bye; guarded by mu
	rtt       time.Duration
	closed    bool
	closeOnce sync.Once
	stopOnce  sync.Once
}

// Dial connects, takes the configured name and room, and returns the
// client. Its events start with Welcome and History.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	c := &Client{cfg: cfg, events: make(chan Event, 256), done: make(chan struct{}), stopped: make(chan struct{}), room: "lobby", seen: make(map[string]int64)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.q = newEventQueue()
	cn, err := c.connect(ctx, false)
	if err != nil {
		c.cancel()
		c.wg.Wait()
		return nil, err
	}
	c.mu.Lock()
	c.cur = cn
	c.mu.Unlock()
	c.wg.Add(2)
	go c.dispatch()
	go c.keepAlive()
	if err := c.settle(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Events delivers everything the server says, in order. It is closed when
// the client is closed, or when the connection is lost and Reconnect is off.
// A consumer that stops reading eventually stops the client reading the
// server (which will then treat it as a slow consumer).
func (c *Client) Events() <-chan Event { return c.events }

// Name is the client's current name; Room its current room.
func (c *Client) Name() string { c.mu.Lock(); defer c.mu.Unlock(); return c.name }

// Room is the room the client is in.
func (c *Client) Room() string { c.mu.Lock(); defer c.mu.Unlock(); return c.room }

// RTT is the round trip of the last ping.
func (c *Client) RTT() time.Duration { c.mu.Lock(); defer c.mu.Unlock(); return c.rtt }

// Connected reports whether the client has a connection now.
func (c *Client) Connected() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.cur != nil }

// settle takes the configured name and room on a fresh connection.
func (c *Client) settle(ctx context.Context) error {
	switch {
	case c.cfg.Name != "" && c.cfg.Password != "":
		if err := c.Login(ctx, c.cfg.Name, c.cfg.Password); err != nil {
			return err
		}
	case c.cfg.Name != "":
		if err := c.Nick(ctx, c.cfg.Name); err != nil {
			return err
		}
	}
	if c.cfg.Room != "" {
		if err := c.Join(ctx, c.cfg.Room); err != nil {
			return err
		}
	}
	return nil
}

// connect dials, switches to JSON and waits for the welcome. With resync,
// the new connection holds back chat lines until Reconnect's catch-up.
func (c *Client) connect(ctx context.Context, resync bool) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, err
	}
	if c.cfg.TLS != nil {
		tc := tls.Client(nc, c.cfg.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	cn := &conn{c: c, nc: nc, pending: make(map[string]pending), dead: make(chan struct{}), welcome: make(chan Welcome, 1), resyncing: resync}
	// The first line switches the connection to JSON; its pong is ignored.
	if err := cn.write(map[string]any{"op": "ping"}); err != nil {
		nc.Close()
		return nil, err
	}
	c.wg.Add(1)
	go cn.read()
	select {
	case w := <-cn.welcome:
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			nc.Close()
			<-cn.dead
			return nil, ErrClosed
		}
		c.name = w.Name // the default name, until a nick or login says otherwise
		if !resync {
			c.room = w.Room
		}
		c.mu.Unlock()
		return cn, nil
	case <-cn.dead:
		if cn.textLines == 1 { // a refusal: one line, then close
			return nil, &RefusedError{Message: strings.TrimPrefix(cn.text, "error: ")}
		}
		return nil, fmt.Errorf("client: connection closed before the welcome: %w", cn.err)
	case <-ctx.Done():
		nc.Close()
		<-cn.dead
		return nil, ctx.Err()
	}
}

// Close says goodbye to the server (quit), closes the connection and ends
// every goroutine of the client; Events is closed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		cn := c.cur
		c.mu.Unlock()
		if cn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			cn.request(ctx, map[string]any{"op": "quit"}) // the reply is the bye
			cancel()
			cn.nc.Close()
		}
		close(c.done)
		c.cancel()
		c.stop()
	})
	c.wg.Wait()
	return nil
}

// stop ends the client's goroutines (once).
func (c *Client) stop() {
	c.stopOnce.Do(func() {
		close(c.stopped)
		c.q.close()
	})
}

func (c *Client) id() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return "c" + strconv.FormatUint(c.nextID, 10)
}

// request sends op on the current connection and waits for its reply.
func (c *Client) request(ctx context.Context, op map[string]any) (*wire, error) {
	c.mu.Lock()
	cn, closed := c.cur, c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if cn == nil {
		return nil, ErrDisconnected
	}
	return cn.request(ctx, op)
}

// keepAlive pings the server every KeepAlive, and records the round trip.
func (c *Client) keepAlive() {
	defer c.wg.Done()
	if c.cfg.KeepAlive < 0 {
		<-c.stopped
		return
	}
	t := time.NewTicker(c.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-c.stopped:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.KeepAlive)
			c.Ping(ctx)
			cancel()
		}
	}
}

// lost is called by a connection's reader when the connection ends.
func (c *Client) lost(cn *conn) {
	c.mu.Lock()
	current := c.cur == cn
	if current {
		c.cur = nil
	}
	closed, bye := c.closed, c.bye
	c.mu.Unlock()
	if closed || !current {
		return // a connection that never became current: its dialer retries
	}
	again := c.cfg.Reconnect && bye != "kicked" && bye != "quit"
	c.q.push(Disconnected{Err: cn.err, Reconnecting: again})
	if !again {
		c.stop()
		return
	}
	c.wg.Add(1)
	go c.reconnect()
}

// maxBackoff is the longest wait between two reconnects.
const maxBackoff = 10 * time.Second

// reconnect dials again with back-off until it is back where it was.
func (c *Client) reconnect() {
	defer c.wg.Done()
	wait := 100 * time.Millisecond
	told := "" // the last refusal said in an event
	for {
		t := time.NewTimer(wait + rand.N(wait/2))
		select {
		case <-c.stopped:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
		ctx, cancel := context.WithTimeout(c.ctx, 2*c.cfg.DialTimeout)
		cn, err := c.connect(ctx, true)
		if err == nil {
			err = c.catchUp(ctx, cn)
			if err != nil {
				cn.nc.Close()
			}
		}
		cancel()
		if err == nil {
			return
		}
		var refused *RefusedError
		if errors.As(err, &refused) {
			// The server is up and said no (a ban, too many connections):
			// say why, once, and ask again only seldom.
			wait = maxBackoff
			if refused.Message != told {
				told = refused.Message
				c.q.push(ServerError{Code: "refused", Message: refused.Message})
			}
		}
	}
}

// catchUp puts a new connection back where the old one was: the name (by
// login or nick), the room, and the lines missed since the last one seen
// there. A name the server now refuses (a changed password, a name taken
// meanwhile) is given up for the default name, with a ServerError event,
// rather than retried forever. Only then does the connection become current.
func (c *Client) catchUp(ctx context.Context, cn *conn) error {
	c.mu.Lock()
	room, chosen, seen := c.room, c.chosen, c.seen[fold(c.room)]
	account, password := c.cfg.Name, c.cfg.Password
	c.mu.Unlock()
	var err error
	switch {
	case password != "":
		_, err = cn.request(ctx, map[string]any{"op": "login", "name": account, "password": password})
	case chosen != "":
		_, err = cn.request(ctx, map[string]any{"op": "nick", "name": chosen})
	}
	var refused *Error
	if errors.As(err, &refused) {
		c.mu.Lock()
		c.cfg.Password, c.chosen = "", ""
		c.mu.Unlock()
		c.q.push(ServerError{Code: refused.Code, Message: "could not take your name back: " + refused.Message})
	} else if err != nil {
		return err
	}
	if fold(room) != "lobby" {
		if _, err := cn.request(ctx, map[string]any{"op": "join", "room": room}); err != nil {
			return err
		}
	}
	var missed []Message
	before := int64(0)
	for {
		w, err := cn.request(ctx, map[string]any{"op": "history", "room": room, "limit": 1000, "before": before})
		if err != nil {
			return err
		}
		page := w.messages()
		i := len(page)
		for i > 0 && page[i-1].ID > seen {
			i--
		}
		missed = append(page[i:], missed...)
		if i > 0 || len(page) < 1000 {
			break
		}
		before = page[0].ID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	n := cn.release(room, missed)
	c.cur = cn
	c.q.push(Reconnected{Missed: n})
	return nil
}

// fold is the key a room is compared by.
func fold(room string) string { return strings.ToLower(room) }

// conn is one connection to the server.
type conn struct {
	c  *Client
	nc net.Conn

	wmu sync.Mutex // serialises writes

	mu        sync.Mutex         // guards pending, resyncing and held
	pending   map[string]pending // by request ID
	resyncing bool               // hold chat lines until catch-up is done
	held      []Message          // lines that came during catch-up

	welcome chan Welcome
	dead    chan struct{} // closed when read ends; err, text and textLines are then set
	err     error

	// The text lines before the switch to JSON: a greeting of two lines
	// or more, or the one line of a refusal (too many connections, a ban).
	text      string // the first
	textLines int
}

func (cn *conn) write(op map[string]any) error {
	b, err := json.Marshal(op)
	if err != nil {
		return err
	}
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	cn.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = cn.nc.Write(append(b, '\n'))
	return err
}

// pending is a request waiting for its reply.
type pending struct {
	op    string     // what was asked: says what the reply's fields mean
	reply chan *wire // buffered: the reader never waits
}

func (cn *conn) request(ctx context.Context, op map[string]any) (*wire, error) {
	id := cn.c.id()
	ch := make(chan *wire, 1)
	cn.mu.Lock()
	cn.pending[id] = pending{op: op["op"].(string), reply: ch}
	cn.mu.Unlock()
	cn.c.q.cond.Broadcast() // a reader held back by a long queue reads on for the reply
	defer func() {
		cn.mu.Lock()
		delete(cn.pending, id)
		cn.mu.Unlock()
	}()
	op["id"] = id
	if err := cn.write(op); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	select {
	case w := <-ch:
		if w.Type == "error" {
			return nil, &Error{Code: w.Code, Message: w.Message}
		}
		return w, nil
	case <-cn.dead:
		return nil, ErrDisconnected
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read is the connection's reader: it hands replies to their requests and
// everything else, as events, to the queue.
func (cn *conn) read() {
	c := cn.c
	defer c.wg.Done()
	r := bufio.NewReaderSize(cn.nc, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			cn.err = err
			break
		}
		if line[0] != '{' { // the text mode's, before the switch
			if cn.textLines == 0 {
				cn.text = strings.TrimRight(string(line), "\r\n")
			}
			cn.textLines++
			continue
		}
		var w wire
		if err := json.Unmarshal(line, &w); err != nil {
			continue
		}
		cn.handle(&w)
		// Back-pressure: do not read far ahead of a slow consumer, except
		// while a request waits for its reply.
		for c.q.long() && !cn.hasPending() && c.q.waitOnce() {
		}
	}
	cn.nc.Close()
	close(cn.dead)
	c.lost(cn)
}

func (cn *conn) handle(w *wire) {
	c := cn.c
	if len(w.Ref) > 0 {
		var ref string
		if json.Unmarshal(w.Ref, &ref) == nil {
			cn.mu.Lock()
			p, ok := cn.pending[ref]
			cn.mu.Unlock()
			if ok {
				c.noteReply(p.op, w)
				p.reply <- w
				return
			}
		}
		if w.Type != "error" {
			return // the reply to a request that gave up waiting
		}
	}
	ev := w.event()
	switch ev := ev.(type) {
	case nil:
		return
	case Welcome:
		select {
		case cn.welcome <- ev:
		default:
		}
		cn.mu.Lock()
		resync := cn.resyncing
		cn.mu.Unlock()
		if resync {
			return // a reconnect says Reconnected instead
		}
	case History:
		cn.mu.Lock()
		resync := cn.resyncing
		cn.mu.Unlock()
		if resync {
			return // catch-up fetches what was missed itself
		}
		c.mu.Lock()
		if n := len(ev.Messages); n > 0 {
			c.seen[fold(ev.Room)] = ev.Messages[n-1].ID
		}
		c.mu.Unlock()
	case Message:
		c.mu.Lock()
		defer c.mu.Unlock()
		cn.mu.Lock()
		if cn.resyncing {
			cn.held = append(cn.held, ev)
			cn.mu.Unlock()
			return
		}
		cn.mu.Unlock()
		if ev.ID <= c.seen[fold(ev.Room)] {
			return // seen already
		}
		c.seen[fold(ev.Room)] = ev.ID
		c.q.push(ev)
		return
	case Renamed: // someone logged in to our account: it is theirs now
		c.mu.Lock()
		ev.Old = c.name
		c.name, c.chosen = ev.New, ""
		c.cfg.Name, c.cfg.Password = "", ""
		c.mu.Unlock()
	case Bye:
		c.mu.Lock()
		c.bye = ev.Reason
		c.mu.Unlock()
	}
	c.q.push(ev)
}

// noteReply keeps the client's idea of its name and room up to date from
// the replies to op. What an ok's name means depends on op: the client's
// own for nick, login and register, the target's for an operator command.
func (c *Client) noteReply(op string, w *wire) {
	if w.Type != "ok" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case (op == "nick" || op == "login" || op == "register") && w.Name != "":
		c.name, c.chosen = w.Name, w.Name
	case op == "join" && w.Room != "":
		c.room = w.Room
	}
}

// release ends catch-up: it delivers the missed lines of room, then those
// of its lines held back meanwhile (the connection was in the lobby for a
// while: lines said there are not ours), each once, in order, and returns
// how many it delivered. The caller holds c.mu.
func (cn *conn) release(room string, missed []Message) int {
	c := cn.c
	cn.mu.Lock()
	held := cn.held
	cn.held, cn.resyncing = nil, false
	cn.mu.Unlock()
	n := 0
	key := fold(room)
	for _, m := range append(missed, held...) {
		if fold(m.Room) == key && m.ID > c.seen[key] {
			c.seen[key] = m.ID
			c.q.push(m)
			n++
		}
	}
	return n
}

// hasPending reports whether a request waits for its reply.
func (cn *conn) hasPending() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return len(cn.pending) > 0
}
