package server

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stamp matches the UTC time in front of a history or kept-message line.
var stamp = regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] `)

// unstamp checks that line starts with a time stamp and returns the rest.
func unstamp(t *testing.T, line string) string {
	t.Helper()
	loc := stamp.FindStringIndex(line)
	if loc == nil {
		t.Fatalf("%q has no time stamp", line)
	}
	return line[loc[1]:]
}

func (c *lineClient) rename(name string, others ...*lineClient) {
	c.t.Helper()
	old := c.addr
	c.send("rename|" + name)
	c.expect("renamed: [" + old + "]->[" + name + "]")
	for _, o := range others {
		o.expect("[" + c.addr + "]" + old + ":renamed to " + name)
	}
}

func TestRegisterAndLogin(t *testing.T) {
	s := start(t, nil)
	a := dialText(t, s)
	a.send("/register secret")
	a.expect("error: invalid name: choose a name first (/nick NAME)")
	a.rename("alice")
	a.send("/register open sesame")
	a.expect("registered: alice")
	a.send("/register again")
	a.expect("error: name registered: alice")

	// While alice is online her name is taken; once she is away it is
	// registered, and only her password takes it.
	b := dialText(t, s)
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	b.send("rename|ALICE")
	b.expect("error: name taken: ALICE")
	a.send("/quit")
	a.closed("bye")
	b.expect("[" + a.addr + "]alice:offline")
	b.send("rename|Alice")
	b.expect("error: name registered: Alice")
	b.send("/login alice wrong")
	b.expect("error: bad password")
	b.send("/login nobody open sesame")
	b.expect("error: bad password")
	b.send("/login alice open sesame")
	b.expect("logged in as alice")
	b.send("who")
	b.expect("[alice] is online")
	b.quiet()
}

// TestLoginTakesNameFromOlderConnection: the owner logging in from a new
// connection takes the name; the old one goes back to its default name.
func TestLoginTakesNameFromOlderConnection(t *testing.T) {
	s := start(t, nil)
	old := dialText(t, s)
	old.rename("bob")
	old.send("/register pw")
	old.expect("registered: bob")
	fresh := dialText(t, s)
	old.expect("[" + fresh.addr + "]" + fresh.addr + ":online")
	fresh.send("/login bob pw")
	fresh.expect(
		"["+old.addr+"]bob:renamed to "+old.addr,
		"logged in as bob",
	)
	old.expect(
		"renamed: [bob]->["+old.addr+"]",
		"["+fresh.addr+"]"+fresh.addr+":renamed to bob",
	)
	old.quiet()
	fresh.quiet()
}

func TestOfflineMessages(t *testing.T) {
	s := start(t, nil)
	carol := dialText(t, s)
	carol.rename("carol")
	carol.send("/register pw")
	carol.expect("registered: carol")
	carol.send("/quit")
	carol.closed("bye")

	dave := dialText(t, s)
	dave.rename("dave")
	dave.send("to|carol|first", "/msg carol second | part")
	dave.expect("queued for [carol]: first", "queued for [carol]: second | part")
	dave.send("to|nobody|x")
	dave.expect("error: no such user: nobody")

	back := dialText(t, s)
	dave.expect("[" + back.addr + "]" + back.addr + ":online")
	back.send("/login carol pw")
	dave.expect("[" + back.addr + "]" + back.addr + ":renamed to carol")
	back.expect("logged in as carol")
	if got := unstamp(t, back.next()); got != "from [dave]: first" {
		t.Errorf("first kept message: %q", got)
	}
	if got := unstamp(t, back.next()); got != "from [dave]: second | part" {
		t.Errorf("second kept message: %q", got)
	}
	back.quiet()
	// Delivered once: a second login finds nothing kept.
	back.send("/login carol pw")
	back.expect("logged in as carol")
	back.quiet()
}

func TestHistoryReplayAndRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	withDB := func(c *Config) { c.DB = db }
	s := start(t, withDB)
	a := dialText(t, s)
	for i := range 25 {
		a.send(fmt.Sprint("line ", i))
		a.expect(fmt.Sprint("[", a.addr, "]", a.addr, ":line ", i))
	}
	a.send("/history 3")
	for i := 22; i < 25; i++ {
		if got := unstamp(t, a.next()); got != fmt.Sprint("[", a.addr, "]", a.addr, ":line ", i) {
			t.Fatalf("history: %q", got)
		}
	}
	a.quiet()
	a.send("/join den", "/history")
	a.expect("joined [den]", "*** no messages in [den]")
	a.quiet()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	// After a restart on the same file, the lobby replays its last 20.
	s2 := start(t, withDB)
	b := dial(t, s2.TCPAddr())
	b.expect("*** welcome " + b.addr + ", you are in [lobby]; /help lists commands")
	for i := 5; i < 25; i++ {
		if got := unstamp(t, b.next()); got != fmt.Sprint("[", a.addr, "]", a.addr, ":line ", i) {
			t.Fatalf("replay: %q", got)
		}
	}
	b.expect("[" + b.addr + "]" + b.addr + ":online")
	// New IDs continue after the old ones.
	j := dialJSON(t, s2)
	b.next() // j's online line
	j.sendJSON(`{"op":"say","text":"after restart"}`)
	m := j.expectJSON(map[string]any{"type": "msg", "text": "after restart"})
	j.sendJSON(`{"op":"history","limit":2,"id":"h"}`)
	h := j.expectJSON(map[string]any{"type": "history", "ref": "h", "room": "lobby"})
	msgs := h["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["id"] != m["id"] || msgs[0].(map[string]any)["id"].(float64) >= m["id"].(float64) {
		t.Errorf("history after restart: %v (new message %v)", msgs, m)
	}
	j.sendJSON(fmt.Sprintf(`{"op":"history","limit":1,"before":%v,"id":2}`, m["id"]))
	h = j.expectJSON(map[string]any{"type": "history", "ref": 2})
	if got := h["messages"].([]any)[0].(map[string]any)["text"]; got != "line 24" {
		t.Errorf("history before the new message: %v", got)
	}
}

func TestLoginRateLimit(t *testing.T) {
	s := start(t, nil)
	c := dialText(t, s)
	for range 5 {
		c.send("/login eve nope")
		c.expect("error: bad password")
	}
	c.send("/login eve nope")
	if got := c.next(); !strings.HasPrefix(got, "error: too many attempts, wait ") {
		t.Errorf("sixth attempt: %q", got)
	}
	j := dialJSON(t, s)
	j.sendJSON(`{"op":"login","name":"someone","password":"x","id":9}`)
	j.expectJSON(map[string]any{"type": "error", "code": "rate_limited", "ref": 9})
}

func TestPersistJSON(t *testing.T) {
	s := start(t, nil)
	j := dialJSON(t, s)
	j.sendJSON(`{"op":"register","password":"pw","id":1}`)
	j.expectJSON(map[string]any{"type": "error", "code": "invalid_name", "ref": 1})
	j.sendJSON(`{"op":"nick","name":"zoe"}`)
	j.expectJSON(map[string]any{"type": "ok", "name": "zoe"})
	j.sendJSON(`{"op":"register","password":"pw","id":2}`)
	j.expectJSON(map[string]any{"type": "ok", "ref": 2})
	j.sendJSON(`{"op":"quit"}`)
	j.expectJSON(map[string]any{"type": "bye"})

	k := dialJSON(t, s)
	k.sendJSON(`{"op":"dm","to":"ZOE","text":"hi zoe","id":"d"}`)
	k.expectJSON(map[string]any{"type": "dm", "to": "zoe", "queued": true, "ref": "d"})
	k.sendJSON(`{"op":"nick","name":"zoe","id":3}`)
	k.expectJSON(map[string]any{"type": "error", "code": "name_registered", "ref": 3})
	k.sendJSON(`{"op":"login","name":"zoe","password":"bad","id":4}`)
	k.expectJSON(map[string]any{"type": "error", "code": "bad_password", "ref": 4})
	k.sendJSON(`{"op":"login","name":"zoe","password":"pw","id":5}`)
	k.expectJSON(map[string]any{"type": "ok", "name": "zoe", "ref": 5})
	kept := k.expectJSON(map[string]any{"type": "dm", "from": k.addr, "to": "zoe", "text": "hi zoe"})
	if _, ok := kept["queued"]; ok {
		t.Errorf("a delivered kept message says queued: %v", kept)
	}
	k.quietJSON()
}
