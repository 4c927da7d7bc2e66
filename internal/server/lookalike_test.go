package server

// Look-alike names and rooms (PROTOCOL.md, "Operators and look-alike
// names"): two names whose confusable skeletons (UTS #39) match are one
// name, ignoring case as ever, and two such room names are one room. Each
// is still shown as it was typed.

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// Written with escapes so that a reader sees which letters are not Latin.
const (
	cyrAlice = "\u0430lice"    // Cyrillic а
	cyrALICE = "\u0410LICE"    // Cyrillic А
	fwAlice  = "\uff41lice"    // fullwidth ａ
	cyrDen   = "D\u0435n"      // Cyrillic е
	cyrDEN   = "D\u0415N"      // Cyrillic Е
	greekBob = "b\u03bfb"      // Greek ο
	zeroBob  = "b0b"           // digit zero
	rnMallry = "rnallory"      // r n, which looks like m
	mathMAIN = "\U0001d40cain" // mathematical bold capital M
)

// lookalikeWords is the wording of what protoWords does not hold.
var lookalikeWords = map[string]struct{ registered, registerOK, loginOK string }{
	"en": {"error: name registered: %s", "registered: %s", "logged in as %s"},
	"zh": {"用户名已被注册", "注册成功: %s", "登录成功: %s"},
}

func TestLookalikeNamesText(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		lw := lookalikeWords[w.lang]
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 5)
		a, b, c, d, e := cs[0], cs[1], cs[2], cs[3], cs[4]
		a.rename("alice", b, c, d, e)
		c.rename("Mallory", a, b, d, e)
		d.rename("Bob", a, b, c, e)
		e.rename("nina", a, b, c, d)

		// Each looks like a name someone has: taken, and the error shows it
		// as typed.
		for _, name := range []string{cyrAlice, cyrALICE, fwAlice, "ALICE", rnMallry, "RNALLORY", greekBob, zeroBob, "B0B"} {
			b.send("/nick " + name)
			b.expect(protoFmt(w.nameTaken, name))
			b.send("rename|" + name)
			b.expect(protoFmt(w.nameTaken, name))
		}
		// Not alike: free.
		b.rename("alicia", a, c, d, e)
		// Sorted by the case-folded name, not by the key (whose m is rn).
		b.send("who")
		b.expect(protoFmt(w.who, "alice"), protoFmt(w.who, "alicia"), protoFmt(w.who, "Bob"),
			protoFmt(w.who, "Mallory"), protoFmt(w.who, "nina"))

		// A private message to a look-alike reaches the one it looks like.
		b.send("to|" + cyrAlice + "|hi")
		b.expect(protoFmt(w.dmOut, "alice", "hi"))
		a.expect(protoFmt(w.dmIn, "alicia", "hi"))

		// Registered and away: name_registered, for a look-alike too.
		a.send("/register pw")
		a.expect(protoFmt(lw.registerOK, "alice"))
		a.send("/quit")
		a.closed(w.bye)
		for _, o := range []*protoText{b, c, d, e} {
			o.expect(a.pres(w.offline))
		}
		for _, name := range []string{"alice", cyrAlice, fwAlice} {
			b.send("/nick " + name)
			b.expect(protoFmt(lw.registered, name))
		}
		// The owner's password takes the account under the name it has,
		// whichever look-alike is typed, as with case.
		b.send("/login " + cyrAlice + " pw")
		for _, o := range []*protoText{c, d, e} {
			o.expect(b.pres(protoFmt(w.renamed, "alice")))
		}
		b.expect(protoFmt(lw.loginOK, "alice"))
		for _, o := range []*protoText{b, c, d, e} {
			o.quiet()
		}
	})
}

func TestLookalikeRoomsText(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 4)
		a, b, c, d := cs[0], cs[1], cs[2], cs[3]
		a.join("Den", []*protoText{b, c, d}, nil)
		a.send("hello den")
		a.expect(a.says("hello den"))

		// The look-alike is the room Den, shown as first spelled, with its
		// history.
		b.send("/join " + cyrDen)
		b.expect(protoFmt(w.joinOK, "Den"))
		protoExpectReplay(b.lineClient, a.says("hello den"))
		c.expect(b.pres(w.left))
		d.expect(b.pres(w.left))
		a.expect(b.pres(w.joined))
		c.send("/join " + cyrDEN)
		c.expect(protoFmt(w.joinOK, "Den"))
		protoExpectReplay(c.lineClient, a.says("hello den"))
		d.expect(c.pres(w.left))
		a.expect(c.pres(w.joined))
		b.expect(c.pres(w.joined))

		// Main and its look-alike 𝐌ain are one room too.
		d.join("Main", nil, nil)
		a.send("/join " + mathMAIN)
		a.expect(protoFmt(w.joinOK, "Main"))
		b.expect(a.pres(w.left))
		c.expect(a.pres(w.left))
		d.expect(a.pres(w.joined))
		// Lists sort by the case-folded name, not by the key (whose m is
		// rn, which would put Main after Oak).
		c.join("Oak", []*protoText{b}, nil)
		a.send("/rooms")
		a.expect(w.roomLine("Den", 1), w.roomLine("Main", 2), w.roomLine("Oak", 1))

		d.send("same room?")
		d.expect(d.says("same room?"))
		a.expect(d.says("same room?"))
		for _, o := range []*protoText{a, b, c, d} {
			o.quiet()
		}
	})
}

func TestLookalikeJSON(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	a := dialJSON(t, s)
	b := dialJSON(t, s)
	protoExpectPresence(a, "online", b.addr, "lobby", b.addr)
	protoRenameJSON(a, "alice")
	protoExpectPresence(b, "renamed", "alice", "lobby", a.addr)

	b.sendJSON(`{"op":"nick","name":"` + cyrAlice + `","id":1}`)
	if got := protoJSONError(b, "name_taken", float64(1)); !strings.Contains(got["message"].(string), cyrAlice) {
		t.Errorf("name_taken message %q does not name %q", got["message"], cyrAlice)
	}
	b.sendJSON(`{"op":"nick","name":"` + fwAlice + `","id":2}`)
	protoJSONError(b, "name_taken", float64(2))

	// Rooms: the look-alike is Den.
	a.sendJSON(`{"op":"join","room":"Den","id":"j1"}`)
	protoRef(t, a.addr, a.expectJSON(map[string]any{"type": "ok", "room": "Den"}), "j1")
	a.expectJSON(map[string]any{"type": "history", "room": "Den"})
	protoExpectPresence(b, "left", "alice", "lobby", a.addr)
	b.sendJSON(`{"op":"join","room":"` + cyrDEN + `","id":"j2"}`)
	protoRef(t, b.addr, b.expectJSON(map[string]any{"type": "ok", "room": "Den"}), "j2")
	b.expectJSON(map[string]any{"type": "history", "room": "Den"})
	protoExpectPresence(a, "joined", b.addr, "Den", b.addr)

	// Registered and away: name_registered.
	a.sendJSON(`{"op":"register","password":"pw","id":"r"}`)
	a.expectJSON(map[string]any{"type": "ok", "ref": "r"})
	a.sendJSON(`{"op":"quit"}`)
	a.expectJSON(map[string]any{"type": "bye"})
	protoExpectPresence(b, "offline", "alice", "Den", a.addr)
	b.sendJSON(`{"op":"nick","name":"` + cyrALICE + `","id":3}`)
	protoJSONError(b, "name_registered", float64(3))
	b.quietJSON()

	// The same over WebSocket.
	ws := protoDialWS(t, s)
	ws.send(`{"op":"nick","name":"` + cyrAlice + `","id":4}`)
	ws.expect(map[string]any{"type": "error", "code": "name_registered", "ref": float64(4)})
	ws.send(`{"op":"join","room":"` + cyrDen + `","id":5}`)
	ws.expect(map[string]any{"type": "ok", "room": "Den", "ref": float64(5)})
	ws.expect(map[string]any{"type": "history", "room": "Den"})
	protoExpectPresence(b, "joined", ws.name, "Den", ws.name)
	protoWSQuiet(ws)
	b.quietJSON()
}

// TestLookalikeOldDatabase starts on a database that a parley from before
// look-alike keys left: its keys are the names case-folded. Its users still
// log in, their kept messages still come, and its rooms keep their history.
func TestLookalikeOldDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "parley.db")
	withDB := func(c *Config) { c.DB = db }

	// Make the data with this parley, then turn its keys back into what
	// the old one stored ("mallory", "main") and forget migration 002,
	// which changed no table, only keys, and the later ones.
	s := start(t, withDB)
	m := dialText(t, s)
	m.rename("Mallory")
	m.send("/register pw", "/join Main", "hello main")
	m.expect("registered: Mallory", "joined [Main]", "["+m.addr+"]Mallory:hello main")
	m.send("/quit")
	m.closed("bye")
	o := dialText(t, s)
	o.send("to|mallory|while you were away")
	o.expect("queued for [Mallory]: while you were away")
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE accounts SET key = 'mallory' WHERE key = 'rnallory'`,
		`UPDATE offline_dms SET to_key = 'mallory' WHERE to_key = 'rnallory'`,
		`UPDATE messages SET room = 'main' WHERE room = 'rnain'`,
		`DELETE FROM schema_migrations WHERE version = 2`,
		`DELETE FROM schema_migrations WHERE version = 3`,
	} {
		if res, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows, want 1", q, n)
		}
	}
	if _, err := raw.Exec(`DROP TABLE sanctions`); err != nil { // 003's
		t.Fatal(err)
	}
	raw.Close()

	s2 := start(t, withDB)
	other := dialText(t, s2)
	other.send("/nick " + rnMallry)
	other.expect("error: name registered: " + rnMallry)
	other.quiet()
	back := dialText(t, s2)
	other.expect("[" + back.addr + "]" + back.addr + ":online")
	back.send("/login MALLORY pw")
	back.expect("logged in as Mallory")
	if got := unstamp(t, back.next()); got != "from ["+o.addr+"]: while you were away" {
		t.Errorf("kept message: %q", got)
	}
	back.send("/join main")
	back.expect("joined [main]")
	if got := unstamp(t, back.next()); got != "["+m.addr+"]Mallory:hello main" {
		t.Errorf("history of main: %q", got)
	}
	back.quiet()
	other.expect("["+back.addr+"]"+back.addr+":renamed to Mallory", "["+back.addr+"]Mallory:left")
	other.quiet()
}
