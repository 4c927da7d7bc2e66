package server

// Acceptance tests of PROTOCOL.md's JSON mode over WebSocket at /ws, and of
// text, JSON-lines and WebSocket users in one room.

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// protoWSError checks that the next message of w is an error with code and
// the given ref (nil: no ref).
func protoWSError(w *wsClient, code string, ref any) map[string]any {
	w.t.Helper()
	got := w.expect(map[string]any{"type": "error", "code": code})
	if msg, ok := got["message"].(string); !ok || msg == "" {
		w.t.Fatalf("ws %s: %v: error without a message", w.name, got)
	}
	if ref == nil {
		protoNoRef(w.t, "ws "+w.name, got)
	} else {
		protoRef(w.t, "ws "+w.name, got, ref)
	}
	return got
}

// protoWSDialRaw opens a WebSocket without reading anything.
func protoWSDialRaw(t *testing.T, s *Server) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+s.HTTPAddr()+"/ws", nil)
	if err != nil {
		t.Fatalf("ws dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c, name: "(new)"}
}

func TestProtoWSConnect(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	x := dialText(t, s)
	w := protoWSDialRaw(t, s)
	// welcome, then the lobby's history, then its own online event.
	welcome := w.expect(map[string]any{"type": "welcome", "room": "lobby"})
	name, _ := welcome["name"].(string)
	if host, _, err := net.SplitHostPort(name); err != nil || host != "127.0.0.1" {
		t.Fatalf("welcome %v: name %q is not the client's address", welcome, name)
	}
	expectFields(t, "ws", welcome, map[string]any{"addr": name})
	if srv, ok := welcome["server"].(string); !ok || srv == "" {
		t.Fatalf("welcome %v: server is %#v, want a non-empty string", welcome, welcome["server"])
	}
	protoNoRef(t, "ws", welcome)
	w.name = name
	protoEmptyHistory(t, "ws", w.next(), "lobby")
	protoWSPresence(w, "online", name, "lobby", name)
	x.expect("[" + name + "]" + name + ":online")
	protoWSQuiet(w)
	x.quiet()
}

func TestProtoWSOps(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := protoDialWS(t, s)
	b := protoDialWS(t, s)
	protoWSPresence(a, "online", b.name, "lobby", b.name)
	c := dialText(t, s)
	protoWSPresence(a, "online", c.addr, "lobby", c.addr)
	protoWSPresence(b, "online", c.addr, "lobby", c.addr)

	// say: the msg event to everyone in the room, the sender included.
	a.send(`{"op":"say","text":"hello | ws"}`)
	want := map[string]any{"type": "msg", "room": "lobby", "from": a.name, "addr": a.name, "text": "hello | ws"}
	ma := a.expect(want)
	protoID(t, "ws", ma)
	protoTS(t, "ws", ma)
	b.expect(want)
	c.expect("[" + a.name + "]" + a.name + ":hello | ws")

	// nick: ok with the name and ref; renamed with old to the others.
	a.send(`{"op":"nick","name":"alice","id":"n"}`)
	protoRef(t, "ws", a.expect(map[string]any{"type": "ok", "name": "alice"}), "n")
	got := protoWSPresence(b, "renamed", "alice", "lobby", a.name)
	expectFields(t, "ws", got, map[string]any{"old": a.name})
	c.expect("[" + a.name + "]" + a.name + ":renamed to alice")
	b.send(`{"op":"nick","name":"Alice","id":1}`)
	protoWSError(b, "name_taken", float64(1))
	b.send(`{"op":"nick","name":"b c","id":2}`)
	protoWSError(b, "invalid_name", float64(2))
	b.send(`{"op":"nick","name":"bob","id":3}`)
	protoRef(t, "ws", b.expect(map[string]any{"type": "ok", "name": "bob"}), float64(3))
	protoWSPresence(a, "renamed", "bob", "lobby", b.name)
	c.expect("[" + b.name + "]" + b.name + ":renamed to bob")

	// dm: to the sender with ref, to the recipient without.
	a.send(`{"op":"dm","to":"BOB","text":"psst","id":"d"}`)
	dm := a.expect(map[string]any{"type": "dm", "from": "alice", "to": "bob", "text": "psst"})
	protoRef(t, "ws", dm, "d")
	protoTS(t, "ws", dm)
	protoNoRef(t, "ws", b.expect(map[string]any{"type": "dm", "from": "alice", "to": "bob", "text": "psst"}))
	c.quiet()
	a.send(`{"op":"dm","to":"nobody","text":"x","id":4}`)
	protoWSError(a, "no_such_user", float64(4))
	a.send(`{"op":"dm","to":"bob","text":"","id":5}`)
	protoWSError(a, "empty_message", float64(5))

	// who.
	a.send(`{"op":"who","id":6}`)
	got = a.expect(map[string]any{"type": "who"})
	protoRef(t, "ws", got, float64(6))
	wantUsers := []any{
		map[string]any{"name": c.addr, "room": "lobby"},
		map[string]any{"name": "alice", "room": "lobby"},
		map[string]any{"name": "bob", "room": "lobby"},
	}
	if !reflect.DeepEqual(got["users"], wantUsers) {
		t.Fatalf("who: users = %v, want %v", got["users"], wantUsers)
	}

	// join: ok with room and ref, then history without ref.
	a.send(`{"op":"join","room":"Den","id":"j"}`)
	protoRef(t, "ws", a.expect(map[string]any{"type": "ok", "room": "Den"}), "j")
	hist := a.next()
	protoEmptyHistory(t, "ws", hist, "Den")
	protoNoRef(t, "ws", hist)
	protoWSPresence(b, "left", "alice", "lobby", a.name)
	c.expect("[" + a.name + "]alice:left")
	a.send(`{"op":"join","room":"no way","id":7}`)
	protoWSError(a, "invalid_name", float64(7))

	// rooms.
	b.send(`{"op":"rooms","id":"r"}`)
	got = b.expect(map[string]any{"type": "rooms"})
	protoRef(t, "ws", got, "r")
	wantRooms := []any{
		map[string]any{"name": "Den", "users": float64(1)},
		map[string]any{"name": "lobby", "users": float64(2)},
	}
	if !reflect.DeepEqual(got["rooms"], wantRooms) {
		t.Fatalf("rooms = %v, want %v", got["rooms"], wantRooms)
	}

	// ping: refs keep their JSON type.
	a.send(`{"op":"ping","id":"s"}`)
	protoRef(t, "ws", a.expect(map[string]any{"type": "pong"}), "s")
	a.send(`{"op":"ping","id":8}`)
	protoRef(t, "ws", a.expect(map[string]any{"type": "pong"}), float64(8))
	a.send(`{"op":"ping"}`)
	protoNoRef(t, "ws", a.expect(map[string]any{"type": "pong"}))

	// Malformed objects and unknown ops; the connection stays.
	for _, tc := range []struct {
		msg, code string
		ref       any
	}{
		{`not json`, "bad_request", nil},
		{`{"text":"no op","id":9}`, "bad_request", float64(9)},
		{`{"op":"say","text":5,"id":7}`, "bad_request", float64(7)},
		{`{"op":"ping","id":{}}`, "bad_request", nil},
		{`{"op":"dance","id":"x"}`, "unknown_op", "x"},
	} {
		a.send(tc.msg)
		protoWSError(a, tc.code, tc.ref)
	}
	// Unknown fields are ignored.
	a.send(`{"op":"ping","id":10,"extra":[1,{"x":null}]}`)
	protoRef(t, "ws", a.expect(map[string]any{"type": "pong"}), float64(10))
	protoWSQuiet(a)
	protoWSQuiet(b)
	c.quiet()

	// quit: bye with the ref, then the connection closes.
	b.send(`{"op":"quit","id":"q"}`)
	protoRef(t, "ws", b.expect(map[string]any{"type": "bye", "reason": "quit"}), "q")
	protoWSClosed(b)
	c.expect("[" + b.name + "]bob:offline")
	protoWSQuiet(a)
	c.quiet()
}

func TestProtoWSMixedRoom(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	tx := dialText(t, s)
	js := dialJSON(t, s)
	tx.expect("[" + js.addr + "]" + js.addr + ":online")
	ws := protoDialWS(t, s)
	tx.expect("[" + ws.name + "]" + ws.name + ":online")
	protoExpectPresence(js, "online", ws.name, "lobby", ws.name)

	// Renames, seen by the other two.
	tx.send("rename|tina")
	tx.expect("renamed: [" + tx.addr + "]->[tina]")
	protoExpectPresence(js, "renamed", "tina", "lobby", tx.addr)
	protoWSPresence(ws, "renamed", "tina", "lobby", tx.addr)
	js.sendJSON(`{"op":"nick","name":"jay"}`)
	js.expectJSON(map[string]any{"type": "ok", "name": "jay"})
	tx.expect("[" + js.addr + "]" + js.addr + ":renamed to jay")
	protoWSPresence(ws, "renamed", "jay", "lobby", js.addr)
	ws.send(`{"op":"nick","name":"wes"}`)
	ws.expect(map[string]any{"type": "ok", "name": "wes"})
	tx.expect("[" + ws.name + "]" + ws.name + ":renamed to wes")
	protoExpectPresence(js, "renamed", "wes", "lobby", ws.name)

	// Chat from each, seen by all three.
	tx.send("from text")
	tx.expect("[" + tx.addr + "]tina:from text")
	js.expectJSON(map[string]any{"type": "msg", "from": "tina", "addr": tx.addr, "text": "from text", "room": "lobby"})
	ws.expect(map[string]any{"type": "msg", "from": "tina", "addr": tx.addr, "text": "from text", "room": "lobby"})
	js.sendJSON(`{"op":"say","text":"from json"}`)
	tx.expect("[" + js.addr + "]jay:from json")
	js.expectJSON(map[string]any{"type": "msg", "from": "jay", "addr": js.addr, "text": "from json"})
	ws.expect(map[string]any{"type": "msg", "from": "jay", "addr": js.addr, "text": "from json"})
	ws.send(`{"op":"say","text":"from ws"}`)
	tx.expect("[" + ws.name + "]wes:from ws")
	js.expectJSON(map[string]any{"type": "msg", "from": "wes", "addr": ws.name, "text": "from ws"})
	ws.expect(map[string]any{"type": "msg", "from": "wes", "addr": ws.name, "text": "from ws"})

	// Private messages across modes, seen by their two ends only.
	tx.send("to|wes|t2w")
	tx.expect("to [wes]: t2w")
	ws.expect(map[string]any{"type": "dm", "from": "tina", "to": "wes", "text": "t2w"})
	ws.send(`{"op":"dm","to":"jay","text":"w2j"}`)
	ws.expect(map[string]any{"type": "dm", "from": "wes", "to": "jay", "text": "w2j"})
	js.expectJSON(map[string]any{"type": "dm", "from": "wes", "to": "jay", "text": "w2j"})
	js.sendJSON(`{"op":"dm","to":"tina","text":"j2t"}`)
	js.expectJSON(map[string]any{"type": "dm", "from": "jay", "to": "tina", "text": "j2t"})
	tx.expect("from [jay]: j2t")
	tx.send(ws.name + "#by address")
	tx.expect("to [wes]: by address")
	ws.expect(map[string]any{"type": "dm", "from": "tina", "to": "wes", "text": "by address"})
	tx.quiet()
	js.quietJSON()
	protoWSQuiet(ws)

	// who lists all three.
	tx.send("who")
	tx.expect("[jay] is online", "[tina] is online", "[wes] is online")

	// Joined and left across modes.
	ws.send(`{"op":"join","room":"den"}`)
	ws.expect(map[string]any{"type": "ok", "room": "den"})
	protoEmptyHistory(t, "ws", ws.next(), "den")
	tx.expect("[" + ws.name + "]wes:left")
	protoExpectPresence(js, "left", "wes", "lobby", ws.name)
	tx.send("/join den")
	tx.expect("joined [den]")
	protoWSPresence(ws, "joined", "tina", "den", tx.addr)
	protoExpectPresence(js, "left", "tina", "lobby", tx.addr)
	js.sendJSON(`{"op":"join","room":"DEN"}`)
	js.expectJSON(map[string]any{"type": "ok", "room": "den"})
	protoEmptyHistory(t, js.addr, js.nextJSON(), "den")
	tx.expect("[" + js.addr + "]jay:joined")
	protoWSPresence(ws, "joined", "jay", "den", js.addr)

	// Offline across modes.
	ws.send(`{"op":"quit"}`)
	ws.expect(map[string]any{"type": "bye", "reason": "quit"})
	protoWSClosed(ws)
	tx.expect("[" + ws.name + "]wes:offline")
	protoExpectPresence(js, "offline", "wes", "den", ws.name)
	tx.c.Close()
	protoExpectPresence(js, "offline", "tina", "den", tx.addr)
	js.quietJSON()
}

func TestProtoWSLineTooLong(t *testing.T) {
	t.Parallel()
	s := start(t, func(cfg *Config) { cfg.MaxLine = 64 })
	w := protoDialWS(t, s)
	w.send(`{"op":"say","text":"` + strings.Repeat("x", 100) + `","id":1}`)
	protoWSError(w, "line_too_long", nil)
	w.send(`{"op":"say","text":"short"}`)
	w.expect(map[string]any{"type": "msg", "text": "short"})
	protoWSQuiet(w)
}

func TestProtoWSSanitise(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	w := protoDialWS(t, s)
	w.send(`{"op":"say","text":"a\u001b[31mb\u202ec\u0000d\te"}`)
	w.expect(map[string]any{"type": "msg", "text": "abcd e"})
	w.send("{\"op\":\"say\",\"text\":\"x\xff\xfey\"}")
	w.expect(map[string]any{"type": "msg", "text": "x\uFFFDy"})
	w.send(`{"op":"say","text":"\u001b[1m"}`)
	protoWSQuiet(w)
}

func TestProtoWSHideAddrs(t *testing.T) {
	t.Parallel()
	s := start(t, func(cfg *Config) { cfg.HideAddrs = true })
	x := protoDialHidden(t, s, protoEN, "guest-1")
	w := protoWSDialRaw(t, s)
	welcome := w.expect(map[string]any{"type": "welcome", "name": "guest-2", "room": "lobby"})
	protoNoKey(t, "ws", welcome, "addr")
	w.name = "guest-2"
	protoEmptyHistory(t, "ws", w.next(), "lobby")
	protoWSPresence(w, "online", "guest-2", "lobby", "")
	x.expect("guest-2:online")
	x.send("hi")
	x.expect("guest-1:hi")
	protoNoKey(t, "ws", w.expect(map[string]any{"type": "msg", "from": "guest-1", "text": "hi"}), "addr")
	protoWSQuiet(w)
	x.quiet()
}

func TestProtoWSIdle(t *testing.T) {
	const idle = 300 * time.Millisecond
	s := start(t, func(cfg *Config) { cfg.IdleTimeout = idle })
	w := protoDialWS(t, s)
	tick := time.NewTicker(idle / 4)
	defer tick.Stop()
	for end := time.Now().Add(4 * idle); time.Now().Before(end); <-tick.C {
		protoWSQuiet(w)
	}
	bye := w.expect(map[string]any{"type": "bye", "reason": "idle"})
	protoNoRef(t, "ws", bye)
	protoWSClosed(w)
}

func TestProtoWSShutdown(t *testing.T) {
	t.Parallel()
	s, shutdown := protoStartOwned(t, protoEN)
	w := protoDialWS(t, s)
	x := dialText(t, s)
	protoWSPresence(w, "online", x.addr, "lobby", x.addr)
	if err := shutdown(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	for {
		m := w.next()
		if m["type"] == "presence" && m["event"] == "offline" {
			continue // the text client went first
		}
		expectFields(t, "ws", m, map[string]any{"type": "bye", "reason": "shutdown"})
		break
	}
	protoWSClosed(w)
	x.protoUntilShutdown(w.name)
}

// protoUntilShutdown reads a harness text client's lines up to the shutdown
// line (an offline line of addr may come first), then checks the close.
func (c *lineClient) protoUntilShutdown(addr string) {
	c.t.Helper()
	for {
		got := c.next()
		if got == "server shutting down" {
			break
		}
		if got != fmt.Sprintf("[%s]%s:offline", addr, addr) {
			c.t.Fatalf("%s: got %q, want the shutdown line", c.addr, got)
		}
	}
	c.closed()
}
