package server

// Acceptance tests of PROTOCOL.md's JSON mode over TCP (JSON lines): the
// switch from text, every op, every event, refs, errors, presence, limits,
// cleaning and --hide-addrs.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// protoJSONLine parses one raw line as a JSON object.
func protoJSONLine(t testing.TB, line string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(line, "{") {
		t.Fatalf("got %q, want a JSON object", line)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("bad JSON %q: %v", line, err)
	}
	return m
}

// protoJSONError checks that the next object of c is an error with code and
// the given ref (nil: no ref).
func protoJSONError(c *lineClient, code string, ref any) map[string]any {
	c.t.Helper()
	got := c.expectJSON(map[string]any{"type": "error", "code": code})
	if msg, ok := got["message"].(string); !ok || msg == "" {
		c.t.Fatalf("%s: %v: error without a message", c.addr, got)
	}
	if ref == nil {
		protoNoRef(c.t, c.addr, got)
	} else {
		protoRef(c.t, c.addr, got, ref)
	}
	return got
}

func TestProtoJSONSwitch(t *testing.T) {
	t.Parallel()
	for _, w := range protoLangs {
		t.Run(w.lang, func(t *testing.T) {
			t.Parallel()
			s := protoStart(t, w)
			c := dial(t, s.TCPAddr())
			// Text mode at first: the greeting and the online line.
			c.expect(protoFmt(w.welcome, c.addr, "lobby"), "["+c.addr+"]"+c.addr+":"+w.online)
			// A first line starting with '{' switches to JSON lines for good:
			// welcome, the lobby's history, then the first line's reply.
			c.send(`{"op":"ping","id":1}`)
			welcome := protoJSONLine(t, c.next())
			expectFields(t, c.addr, welcome, map[string]any{"type": "welcome", "name": c.addr, "addr": c.addr, "room": "lobby"})
			if srv, ok := welcome["server"].(string); !ok || srv == "" {
				t.Fatalf("welcome %v: server is %#v, want a non-empty string", welcome, welcome["server"])
			}
			protoNoRef(t, c.addr, welcome)
			hist := protoJSONLine(t, c.next())
			protoEmptyHistory(t, c.addr, hist, "lobby")
			protoNoRef(t, c.addr, hist)
			protoRef(t, c.addr, protoJSONLine(t, c.next()), float64(1))
			// Every later reply is JSON, text commands included.
			c.send("who", "/help", "hello")
			for range 3 {
				protoJSONError(c, "bad_request", nil)
			}
			c.quietJSON()
		})
	}
}

func TestProtoJSONFirstLineIsOp(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	b := dialText(t, s)
	c := dial(t, s.TCPAddr())
	b.expect("[" + c.addr + "]" + c.addr + ":online")
	// The first line is handled as the first op, after welcome and history.
	c.sendJSON(`{"op":"say","text":"first!"}`)
	c.expectJSON(map[string]any{"type": "welcome", "name": c.addr})
	protoEmptyHistory(t, c.addr, c.nextJSON(), "lobby")
	c.expectJSON(map[string]any{"type": "msg", "from": c.addr, "text": "first!", "room": "lobby"})
	b.expect("[" + c.addr + "]" + c.addr + ":first!")
	c.quietJSON()
	b.quiet()
}

// TestProtoJSONFirstLineMalformed: a first line that starts with '{' switches
// to JSON even when it is not valid JSON; it is then a bad request.
func TestProtoJSONFirstLineMalformed(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	c := dial(t, s.TCPAddr())
	c.send(`{oops, not json`)
	c.expectJSON(map[string]any{"type": "welcome", "name": c.addr})
	protoEmptyHistory(t, c.addr, c.nextJSON(), "lobby")
	protoJSONError(c, "bad_request", nil)
	c.quietJSON()
}

func TestProtoJSONSay(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	x := dialText(t, s) // will be in another room
	x.send("/join den")
	x.expect("joined [den]")
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)

	a.sendJSON(`{"op":"say","text":"hello | world: 你好"}`)
	want := map[string]any{"type": "msg", "room": "lobby", "from": a.addr, "addr": a.addr, "text": "hello | world: 你好"}
	ma := a.expectJSON(want)
	mb := b.expectJSON(want)
	c.expect("[" + a.addr + "]" + a.addr + ":hello | world: 你好")
	id := protoID(t, a.addr, ma)
	protoTS(t, a.addr, ma)
	if protoID(t, b.addr, mb) != id || mb["ts"] != ma["ts"] {
		t.Fatalf("one message, two faces: %v and %v", ma, mb)
	}
	// Nothing to another room.
	x.quiet()

	// A second message has an id of its own.
	b.sendJSON(`{"op":"say","text":"again","id":"s2"}`)
	m2 := b.expectJSON(map[string]any{"type": "msg", "from": b.addr, "text": "again"})
	a.expectJSON(map[string]any{"type": "msg", "from": b.addr, "text": "again"})
	c.expect("[" + b.addr + "]" + b.addr + ":again")
	if protoID(t, b.addr, m2) == id {
		t.Fatalf("two messages with id %d", id)
	}
	protoTS(t, b.addr, m2)

	// A text user's line reaches JSON users as msg.
	c.send("from text")
	c.expect("[" + c.addr + "]" + c.addr + ":from text")
	a.expectJSON(map[string]any{"type": "msg", "from": c.addr, "addr": c.addr, "text": "from text", "room": "lobby"})
	b.expectJSON(map[string]any{"type": "msg", "from": c.addr, "addr": c.addr, "text": "from text", "room": "lobby"})

	// ADDR#TEXT is a text-mode form: in JSON, say is always a chat line.
	a.sendJSON(`{"op":"say","text":"` + b.addr + `#not private"}`)
	a.expectJSON(map[string]any{"type": "msg", "from": a.addr, "text": b.addr + "#not private"})
	b.expectJSON(map[string]any{"type": "msg", "from": a.addr, "text": b.addr + "#not private"})
	c.expect("[" + a.addr + "]" + a.addr + ":" + b.addr + "#not private")

	// An empty text (or one empty after cleaning) is dropped silently.
	a.sendJSON(`{"op":"say","text":""}`)
	a.sendJSON(`{"op":"say","text":"\u001b[1m\u0000"}`)
	a.quietJSON()
	b.quietJSON()
	c.quiet()
	x.quiet()
}

func TestProtoJSONDM(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)

	// The dm event goes to the sender (with ref) and the recipient.
	a.sendJSON(`{"op":"dm","to":"` + b.addr + `","text":"psst | hi","id":5}`)
	want := map[string]any{"type": "dm", "from": a.addr, "to": b.addr, "text": "psst | hi"}
	ma := a.expectJSON(want)
	protoRef(t, a.addr, ma, float64(5))
	protoTS(t, a.addr, ma)
	mb := b.expectJSON(want)
	protoNoRef(t, b.addr, mb)
	if protoID(t, a.addr, ma) != protoID(t, b.addr, mb) || ma["ts"] != mb["ts"] {
		t.Fatalf("one dm, two faces: %v and %v", ma, mb)
	}
	c.quiet()
	a.quietJSON()
	b.quietJSON()

	// JSON to text, and text to JSON.
	a.sendJSON(`{"op":"dm","to":"` + c.addr + `","text":"to text","id":"d2"}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "dm", "from": a.addr, "to": c.addr, "text": "to text"}), "d2")
	c.expect("from [" + a.addr + "]: to text")
	c.send("to|" + a.addr + "|back")
	c.expect("to [" + a.addr + "]: back")
	protoNoRef(t, a.addr, a.expectJSON(map[string]any{"type": "dm", "from": c.addr, "to": a.addr, "text": "back"}))
	b.quietJSON()

	// Errors, with their refs: unknown name first, then empty text.
	a.sendJSON(`{"op":"dm","to":"nobody","text":"hi","id":"e1"}`)
	protoJSONError(a, "no_such_user", "e1")
	a.sendJSON(`{"op":"dm","to":"nobody","text":"","id":"e2"}`)
	protoJSONError(a, "no_such_user", "e2")
	a.sendJSON(`{"op":"dm","to":"` + b.addr + `","text":"","id":3}`)
	protoJSONError(a, "empty_message", float64(3))
	a.sendJSON(`{"op":"dm","to":"` + b.addr + `","text":"\u001b[1m","id":4}`)
	protoJSONError(a, "empty_message", float64(4))
	a.quietJSON()
	b.quietJSON()
	c.quiet()
}

func TestProtoJSONNick(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)

	a.sendJSON(`{"op":"nick","name":"alice","id":"n1"}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "ok", "name": "alice"}), "n1")
	got := protoExpectPresence(b, "renamed", "alice", "lobby", a.addr)
	expectFields(t, b.addr, got, map[string]any{"old": a.addr})
	c.expect("[" + a.addr + "]" + a.addr + ":renamed to alice")

	// Taken ignoring case; invalid names.
	b.sendJSON(`{"op":"nick","name":"ALICE","id":2}`)
	protoJSONError(b, "name_taken", float64(2))
	for i, name := range []string{"", "a!b", "a b", strings.Repeat("n", 33), `\u001b[1m`} {
		b.sendJSON(fmt.Sprintf(`{"op":"nick","name":"%s","id":%d}`, name, 10+i))
		protoJSONError(b, "invalid_name", float64(10+i))
	}
	// A field missing or of the wrong type is a bad request.
	b.sendJSON(`{"op":"nick","id":"m"}`)
	protoJSONError(b, "bad_request", "m")
	b.sendJSON(`{"op":"nick","name":["bob"],"id":"w"}`)
	protoJSONError(b, "bad_request", "w")
	a.quietJSON()
	c.quiet()

	// Chat carries the new name.
	a.sendJSON(`{"op":"say","text":"hi"}`)
	a.expectJSON(map[string]any{"type": "msg", "from": "alice", "addr": a.addr, "text": "hi"})
	b.expectJSON(map[string]any{"type": "msg", "from": "alice", "addr": a.addr, "text": "hi"})
	c.expect("[" + a.addr + "]alice:hi")
	b.quietJSON()
}

func TestProtoJSONWho(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)
	protoRenameJSON(a, "bob")
	protoExpectPresence(b, "renamed", "bob", "lobby", a.addr)
	c.expect("[" + a.addr + "]" + a.addr + ":renamed to bob")
	protoRenameJSON(b, "Alice")
	protoExpectPresence(a, "renamed", "Alice", "lobby", b.addr)
	c.expect("[" + b.addr + "]" + b.addr + ":renamed to Alice")
	c.send("rename|carol", "/join den")
	c.expect("renamed: ["+c.addr+"]->[carol]", "joined [den]")
	protoExpectPresence(a, "renamed", "carol", "lobby", c.addr)
	protoExpectPresence(a, "left", "carol", "lobby", c.addr)
	protoExpectPresence(b, "renamed", "carol", "lobby", c.addr)
	protoExpectPresence(b, "left", "carol", "lobby", c.addr)

	// Everyone, server-wide, sorted by the case-folded name, with rooms.
	a.sendJSON(`{"op":"who","id":9}`)
	got := a.expectJSON(map[string]any{"type": "who"})
	protoRef(t, a.addr, got, float64(9))
	want := []any{
		map[string]any{"name": "Alice", "room": "lobby"},
		map[string]any{"name": "bob", "room": "lobby"},
		map[string]any{"name": "carol", "room": "den"},
	}
	if !reflect.DeepEqual(got["users"], want) {
		t.Fatalf("who: users = %v, want %v", got["users"], want)
	}
	// Without an id: no ref.
	b.sendJSON(`{"op":"who"}`)
	got = b.expectJSON(map[string]any{"type": "who"})
	protoNoRef(t, b.addr, got)
	if !reflect.DeepEqual(got["users"], want) {
		t.Fatalf("who: users = %v, want %v", got["users"], want)
	}
	a.quietJSON()
	b.quietJSON()
	c.quiet()
}

func TestProtoJSONJoin(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)
	c.send("/join Den")
	c.expect("joined [Den]")
	protoExpectPresence(a, "left", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "left", c.addr, "lobby", c.addr)

	// ok with the room as first spelled and the ref, then the room's
	// history without a ref.
	a.sendJSON(`{"op":"join","room":"den","id":"j1"}`)
	ok := a.expectJSON(map[string]any{"type": "ok", "room": "Den"})
	protoRef(t, a.addr, ok, "j1")
	hist := a.nextJSON()
	protoEmptyHistory(t, a.addr, hist, "Den")
	protoNoRef(t, a.addr, hist)
	protoExpectPresence(b, "left", a.addr, "lobby", a.addr)
	c.expect("[" + a.addr + "]" + a.addr + ":joined")
	a.quietJSON()

	// Chat now goes to the den.
	a.sendJSON(`{"op":"say","text":"hi den"}`)
	a.expectJSON(map[string]any{"type": "msg", "room": "Den", "from": a.addr, "text": "hi den"})
	c.expect("[" + a.addr + "]" + a.addr + ":hi den")
	b.quietJSON()

	// Errors.
	a.sendJSON(`{"op":"join","room":"a!b","id":4}`)
	protoJSONError(a, "invalid_name", float64(4))
	a.sendJSON(`{"op":"join","room":"","id":5}`)
	protoJSONError(a, "invalid_name", float64(5))
	a.sendJSON(`{"op":"join","id":6}`)
	protoJSONError(a, "bad_request", float64(6))

	// Back to the lobby.
	a.sendJSON(`{"op":"join","room":"lobby","id":7}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "ok", "room": "lobby"}), float64(7))
	protoEmptyHistory(t, a.addr, a.nextJSON(), "lobby")
	protoExpectPresence(b, "joined", a.addr, "lobby", a.addr)
	c.expect("[" + a.addr + "]" + a.addr + ":left")
	a.quietJSON()
	b.quietJSON()
	c.quiet()
}

func TestProtoJSONRooms(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialText(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	b.send("/join Zoo")
	b.expect("joined [Zoo]")
	protoExpectPresence(a, "left", b.addr, "lobby", b.addr)
	c := dialJSON(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	c.sendJSON(`{"op":"join","room":"apple"}`)
	c.expectJSON(map[string]any{"type": "ok", "room": "apple"})
	protoEmptyHistory(t, c.addr, c.nextJSON(), "apple")
	protoExpectPresence(a, "left", c.addr, "lobby", c.addr)
	d := dialText(t, s)
	protoExpectPresence(a, "online", d.addr, "lobby", d.addr)

	a.sendJSON(`{"op":"rooms","id":"r"}`)
	got := a.expectJSON(map[string]any{"type": "rooms"})
	protoRef(t, a.addr, got, "r")
	want := []any{
		map[string]any{"name": "apple", "users": float64(1)},
		map[string]any{"name": "lobby", "users": float64(2)},
		map[string]any{"name": "Zoo", "users": float64(1)},
	}
	if !reflect.DeepEqual(got["rooms"], want) {
		t.Fatalf("rooms = %v, want %v", got["rooms"], want)
	}
	a.quietJSON()
	b.quiet()
	c.quietJSON()
	d.quiet()
}

func TestProtoJSONPingAndRefs(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	// The id comes back as ref with its JSON type: strings as strings,
	// numbers as numbers.
	for _, tc := range []struct {
		id  string
		ref any
	}{
		{`"abc"`, "abc"},
		{`""`, ""},
		{`"42"`, "42"},
		{`"张三 \"q\""`, "张三 \"q\""},
		{`42`, float64(42)},
		{`0`, float64(0)},
		{`-3`, float64(-3)},
		{`1.5`, float64(1.5)},
		{`1e3`, float64(1000)},
	} {
		a.sendJSON(`{"op":"ping","id":` + tc.id + `}`)
		protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "pong"}), tc.ref)
	}
	// Big numbers come back unchanged.
	a.sendJSON(`{"op":"ping","id":12345678901234567890}`)
	if line := a.next(); !strings.Contains(line, `"ref":12345678901234567890`) {
		t.Fatalf("got %q, want ref 12345678901234567890 as sent", line)
	}
	// No id (or a null one), no ref.
	a.sendJSON(`{"op":"ping"}`)
	protoNoRef(t, a.addr, a.expectJSON(map[string]any{"type": "pong"}))
	a.sendJSON(`{"op":"ping","id":null}`)
	protoNoRef(t, a.addr, a.expectJSON(map[string]any{"type": "pong"}))
	// A CRLF line ending and surrounding white space are fine.
	a.send(` {"op":"ping","id":"crlf"} ` + "\r")
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "pong"}), "crlf")
	a.quietJSON()
}

func TestProtoJSONQuit(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	c := dialText(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	protoExpectPresence(b, "online", c.addr, "lobby", c.addr)

	a.sendJSON(`{"op":"quit","id":"q"}`)
	bye := a.expectJSON(map[string]any{"type": "bye", "reason": "quit"})
	protoRef(t, a.addr, bye, "q")
	if msg, ok := bye["message"].(string); !ok || msg == "" {
		t.Fatalf("bye %v: want a message", bye)
	}
	a.closed()
	protoExpectPresence(b, "offline", a.addr, "lobby", a.addr)
	c.expect("[" + a.addr + "]" + a.addr + ":offline")

	b.sendJSON(`{"op":"quit"}`)
	protoNoRef(t, b.addr, b.expectJSON(map[string]any{"type": "bye", "reason": "quit"}))
	b.closed()
	c.expect("[" + b.addr + "]" + b.addr + ":offline")
	c.quiet()
}

func TestProtoJSONBadRequest(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialText(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	// A malformed object gets bad_request, with the ref when the id can be
	// read, and the connection stays.
	for _, tc := range []struct {
		line string
		ref  any
	}{
		{`not json`, nil},
		{`who`, nil},
		{`{"op":`, nil},
		{`{"op":"ping"} trailing`, nil},
		{`[1,2,3]`, nil},
		{`"ping"`, nil},
		{`42`, nil},
		{`{}`, nil},
		{`{"id":3}`, float64(3)},
		{`{"id":"no-op"}`, "no-op"},
		{`{"op":"say","text":5,"id":7}`, float64(7)},
		{`{"op":"say","text":5,"id":"seven"}`, "seven"},
		{`{"op":"dm","to":1,"text":"x","id":8}`, float64(8)},
		{`{"op":"join","room":{},"id":9}`, float64(9)},
		{`{"op":5,"id":"x"}`, "x"},
		{`{"op":null,"id":"n"}`, "n"},
		{`{"op":"say","id":10}`, float64(10)},
		{`{"op":"dm","to":"someone","id":11}`, float64(11)},
		{`{"op":"dm","text":"hi","id":12}`, float64(12)},
		{`{"op":"ping","id":{}}`, nil},
		{`{"op":"ping","id":[1]}`, nil},
		{`{"op":"ping","id":true}`, nil},
	} {
		a.sendJSON(tc.line)
		protoJSONError(a, "bad_request", tc.ref)
	}
	a.quietJSON()
	b.quiet()
}

func TestProtoJSONUnknownOp(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	a.sendJSON(`{"op":"dance","id":"d"}`)
	protoJSONError(a, "unknown_op", "d")
	a.sendJSON(`{"op":"","id":1}`)
	protoJSONError(a, "unknown_op", float64(1))
	a.sendJSON(`{"op":"dance"}`)
	protoJSONError(a, "unknown_op", nil)
	a.quietJSON()
}

// TestProtoJSONEmptyLine: an empty line in JSON mode is ignored, as in text
// mode (PROTOCOL.md is silent; a keep-alive newline should not be an error).
func TestProtoJSONEmptyLine(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	a.send("")
	a.send("  \r")
	a.quietJSON()
}

func TestProtoJSONUnknownFields(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	a.sendJSON(`{"op":"ping","id":1,"extra":{"a":[1,2,{"b":null}]},"z":null,"colour":"red"}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "pong"}), float64(1))
	a.sendJSON(`{"colour":"red","text":"hi","op":"say","to":"nobody","priority":5}`)
	a.expectJSON(map[string]any{"type": "msg", "room": "lobby", "from": a.addr, "text": "hi"})
	a.quietJSON()
}

func TestProtoJSONPresence(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)

	b := dialText(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	b.send("rename|bob")
	b.expect("renamed: [" + b.addr + "]->[bob]")
	got := protoExpectPresence(a, "renamed", "bob", "lobby", b.addr)
	expectFields(t, a.addr, got, map[string]any{"old": b.addr})
	b.send("/join den")
	b.expect("joined [den]")
	protoExpectPresence(a, "left", "bob", "lobby", b.addr)

	c := dialJSON(t, s)
	protoExpectPresence(a, "online", c.addr, "lobby", c.addr)
	c.sendJSON(`{"op":"join","room":"den"}`)
	c.expectJSON(map[string]any{"type": "ok", "room": "den"})
	protoEmptyHistory(t, c.addr, c.nextJSON(), "den")
	protoExpectPresence(a, "left", c.addr, "lobby", c.addr)
	b.expect("[" + c.addr + "]" + c.addr + ":joined")

	b.send("/join lobby")
	b.expect("joined [lobby]")
	protoExpectPresence(c, "left", "bob", "den", b.addr)
	protoExpectPresence(a, "joined", "bob", "lobby", b.addr)

	b.c.Close()
	protoExpectPresence(a, "offline", "bob", "lobby", b.addr)
	c.sendJSON(`{"op":"nick","name":"carol"}`)
	c.expectJSON(map[string]any{"type": "ok", "name": "carol"})
	c.c.Close()
	a.quietJSON()
}

func TestProtoJSONLineTooLong(t *testing.T) {
	t.Parallel()
	s := start(t, func(cfg *Config) { cfg.MaxLine = 64 })
	a := dialJSON(t, s)
	b := dialText(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	long := `{"op":"say","id":"long","text":"` + strings.Repeat("x", 100) + `"}`
	a.sendJSON(long)
	protoJSONError(a, "line_too_long", nil)
	b.quiet()
	a.sendJSON(`{"op":"say","text":"short"}`)
	a.expectJSON(map[string]any{"type": "msg", "text": "short"})
	b.expect("[" + a.addr + "]" + a.addr + ":short")
	a.sendJSON(`{"op":"say","text":"` + strings.Repeat("y", 100_000) + `"}`)
	protoJSONError(a, "line_too_long", nil)
	a.quietJSON()
	b.quiet()
}

func TestProtoJSONSanitise(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	protoRenameJSON(b, "bob")
	protoExpectPresence(a, "renamed", "bob", "lobby", b.addr)

	for _, tc := range []struct{ name, line, text string }{
		{"escaped controls", `{"op":"say","text":"a\u001b[31mred\u001b[0m \u202eevil\u0000z\u007f"}`, "ared evilz"},
		{"OSC", `{"op":"say","text":"x\u001b]0;title\u0007y"}`, "xy"},
		{"C1", `{"op":"say","text":"a\u0085b\u009bc"}`, "abc"},
		{"TAB", `{"op":"say","text":"a\tb"}`, "a b"},
		{"raw invalid UTF-8", "{\"op\":\"say\",\"text\":\"a\xff\xfeb\xc3\"}", "a\uFFFDb\uFFFD"},
		{"newline inside", `{"op":"say","text":"one\ntwo\r\nthree"}`, "onetwothree"},
	} {
		a.sendJSON(tc.line)
		a.expectJSON(map[string]any{"type": "msg", "text": tc.text})
		b.expectJSON(map[string]any{"type": "msg", "text": tc.text})
	}
	// Names are taken in their cleaned form.
	a.sendJSON(`{"op":"dm","to":"b\u001b[1mob","text":"hi\u001b[0m","id":1}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "dm", "to": "bob", "text": "hi"}), float64(1))
	b.expectJSON(map[string]any{"type": "dm", "to": "bob", "text": "hi"})
	a.sendJSON(`{"op":"nick","name":"al\u001b[1mice\u202e","id":2}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "ok", "name": "alice"}), float64(2))
	protoExpectPresence(b, "renamed", "alice", "lobby", a.addr)
	// A text that is empty after cleaning is dropped silently.
	a.sendJSON(`{"op":"say","text":"\u001b[1m\u202e\u0000"}`)
	a.quietJSON()
	b.quietJSON()
}

func TestProtoJSONHideAddrs(t *testing.T) {
	t.Parallel()
	s := start(t, func(cfg *Config) { cfg.HideAddrs = true })
	a, welcome := protoDialJSONAs(t, s, "guest-1")
	protoNoKey(t, a.addr, welcome, "addr")
	b, _ := protoDialJSONAs(t, s, "guest-2")
	protoExpectPresence(a, "online", "guest-2", "lobby", "")
	c := protoDialHidden(t, s, protoEN, "guest-3")
	protoExpectPresence(a, "online", "guest-3", "lobby", "")
	protoExpectPresence(b, "online", "guest-3", "lobby", "")

	a.sendJSON(`{"op":"say","text":"hello"}`)
	for _, x := range []*lineClient{a, b} {
		m := x.expectJSON(map[string]any{"type": "msg", "from": "guest-1", "text": "hello"})
		protoNoKey(t, x.addr, m, "addr")
	}
	c.expect("guest-1:hello")

	a.sendJSON(`{"op":"nick","name":"alice"}`)
	a.expectJSON(map[string]any{"type": "ok", "name": "alice"})
	protoExpectPresence(b, "renamed", "alice", "lobby", "")
	c.expect("guest-1:renamed to alice")
	b.sendJSON(`{"op":"dm","to":"alice","text":"psst"}`)
	for _, x := range []*lineClient{b, a} {
		m := x.expectJSON(map[string]any{"type": "dm", "from": "guest-2", "to": "alice", "text": "psst"})
		protoNoKey(t, x.addr, m, "addr")
	}
	c.send("/join den")
	c.expect("joined [den]")
	protoExpectPresence(a, "left", "guest-3", "lobby", "")
	protoExpectPresence(b, "left", "guest-3", "lobby", "")
	b.c.Close()
	protoExpectPresence(a, "offline", "guest-2", "lobby", "")
	// No line ever carries an address.
	a.sendJSON(`{"op":"who","id":1}`)
	got := a.expectJSON(map[string]any{"type": "who"})
	if line, _ := json.Marshal(got); strings.Contains(string(line), "127.0.0.1") {
		t.Fatalf("who under --hide-addrs: %s", line)
	}
	a.quietJSON()
	c.quiet()
}

// Not parallel: they measure time.

func TestProtoJSONIdle(t *testing.T) {
	const idle = 300 * time.Millisecond
	s := start(t, func(cfg *Config) { cfg.IdleTimeout = idle })
	a := dialJSON(t, s)
	// Pings keep a JSON client alive...
	tick := time.NewTicker(idle / 4)
	defer tick.Stop()
	for end := time.Now().Add(4 * idle); time.Now().Before(end); <-tick.C {
		a.quietJSON()
	}
	// ... silence does not.
	bye := a.expectJSON(map[string]any{"type": "bye", "reason": "idle"})
	if msg, ok := bye["message"].(string); !ok || msg == "" {
		t.Fatalf("bye %v: want a message", bye)
	}
	protoNoRef(t, a.addr, bye)
	a.closed()
}

func TestProtoJSONShutdown(t *testing.T) {
	t.Parallel()
	s, shutdown := protoStartOwned(t, protoEN)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	if err := shutdown(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	for _, x := range []*lineClient{a, b} {
		for {
			m := x.nextJSON()
			if m["type"] == "presence" && m["event"] == "offline" {
				continue // a room-mate that went first
			}
			expectFields(t, x.addr, m, map[string]any{"type": "bye", "reason": "shutdown"})
			break
		}
		x.closed()
	}
}
