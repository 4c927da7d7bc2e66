package server

// Acceptance tests of PROTOCOL.md's text mode over real loopback sockets,
// in both --lang en and --lang zh: every row of "Text mode: what a user
// types" and "Text mode: what the server sends", framing and cleaning as a
// user sees them, --hide-addrs, the idle kick, line limits and shutdown.

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// protoDialN connects n text clients one after another; each is in the
// lobby, so each newcomer's online line is checked at everyone before it.
func protoDialN(t *testing.T, s *Server, w *protoWords, n int) []*protoText {
	t.Helper()
	var cs []*protoText
	for range n {
		c := protoDial(t, s, w)
		for _, o := range cs {
			o.expect(c.pres(w.online))
		}
		cs = append(cs, c)
	}
	return cs
}

// protoUntil reads lines until want, skipping lines in skip (events that
// may or may not come first, such as another client's offline line at
// shutdown); any other line fails the test.
func (p *protoText) protoUntil(want string, skip ...string) {
	p.t.Helper()
	for {
		got := p.next()
		if got == want {
			return
		}
		ok := false
		for _, s := range skip {
			ok = ok || got == s
		}
		if !ok {
			p.t.Fatalf("%s: got %q, want %q", p.addr, got, want)
		}
	}
}

func TestProtoTextGreetingAndOnline(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		// The greeting, then the newcomer's own online line (protoDial
		// checks both).
		a := protoDial(t, s, w)
		b := protoDial(t, s, w)
		a.expect(b.pres(w.online))
		// Online goes to everyone in the lobby, not to other rooms.
		b.join("den", []*protoText{a}, nil)
		c := protoDial(t, s, w)
		a.expect(c.pres(w.online))
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextChat(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		c.join("den", []*protoText{a, b}, nil)

		// A chat line goes to everyone in the room, the sender included.
		a.send("hello, world")
		a.expect(a.says("hello, world"))
		b.expect(a.says("hello, world"))
		a.send("你好，世界 | with a pipe: and a colon")
		a.expect(a.says("你好，世界 | with a pipe: and a colon"))
		b.expect(a.says("你好，世界 | with a pipe: and a colon"))
		// ... and to nobody in another room.
		c.quiet()

		c.send("in the den")
		c.expect(c.says("in the den"))
		a.quiet()
		b.quiet()

		// Someone who joins the den first gets the den's history (replayed,
		// with its time), then hears the den from then on, and the lobby
		// no longer.
		b.join("den", []*protoText{a}, []*protoText{c}, c.says("in the den"))
		b.send("hi c")
		b.expect(b.says("hi c"))
		c.expect(b.says("hi c"))
		a.send("anyone?")
		a.expect(a.says("anyone?"))
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextOffline(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 4)
		a, b, c, d := cs[0], cs[1], cs[2], cs[3]
		c.join("den", []*protoText{a, b, d}, nil)
		d.join("den", []*protoText{a, b}, []*protoText{c})

		// A client that goes away: offline to everyone left in its room.
		b.c.Close()
		a.expect(b.pres(w.offline))
		a.quiet()
		c.quiet()
		d.quiet()

		c.c.Close()
		d.expect(c.pres(w.offline))
		d.quiet()
		a.quiet()
	})
}

func TestProtoTextJoinedLeft(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]

		// The room left hears "left", the room entered "joined"; the mover
		// hears only its own "joined [ROOM]".
		c.join("den", []*protoText{a, b}, nil)
		a.join("den", []*protoText{b}, []*protoText{c})
		a.quiet()
		b.quiet()
		c.quiet()

		// Back to the lobby.
		a.join("lobby", []*protoText{c}, []*protoText{b})
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextRename(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		c.join("den", []*protoText{a, b}, nil)

		// rename|NAME: "rename ok" to you, "renamed" to everyone else in
		// the room, nothing to other rooms.
		a.rename("alice", b)
		a.quiet()
		b.quiet()
		c.quiet()

		// /nick NAME does the same; names may be in any script.
		a.send("/nick 张三")
		a.expect(protoFmt(w.nickOK, "alice", "张三"))
		b.expect(a.pres(protoFmt(w.renamed, "张三")))
		a.name = "张三"
		c.quiet()

		// Chat carries the new name.
		a.send("hi")
		a.expect(a.says("hi"))
		b.expect(a.says("hi"))

		// /nick without a name is a usage error.
		a.send("/nick")
		a.expect(w.usageNick)
		a.send("/nick    ")
		a.expect(w.usageNick)

		// Everything after rename| is the name.
		a.rename("x.y_z-1", b)
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextNameTaken(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		c.join("den", []*protoText{a, b}, nil)
		a.rename("alice", b)

		// Uniqueness ignores case.
		b.send("rename|Alice")
		b.expect(protoFmt(w.nameTaken, "Alice"))
		b.send("/nick ALICE")
		b.expect(protoFmt(w.nameTaken, "ALICE"))
		b.send("rename|alice")
		b.expect(protoFmt(w.nameTaken, "alice"))
		// Taken server-wide, not per room.
		c.send("rename|aLiCe")
		c.expect(protoFmt(w.nameTaken, "aLiCe"))
		a.quiet()

		// b kept its name.
		b.send("still me")
		b.expect(b.says("still me"))
		a.expect(b.says("still me"))

		// Once alice lets the name go, it is free.
		a.rename("alice2", b)
		b.rename("ALICE", a)
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextNameInvalid(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]

		for _, tc := range []struct{ line, reason string }{
			{"rename|", w.reasonEmpty},
			{"rename|" + strings.Repeat("a", 33), w.reasonTooLong},
			{"rename|" + strings.Repeat("张", 33), w.reasonTooLong},
			{"rename|a!b", w.badChar('!')},
			{"rename|a b", w.badChar(' ')},
			{"rename|bob:", w.badChar(':')},
			{"/nick a@b", w.badChar('@')},
			{"/nick 😀", w.badChar('😀')},
		} {
			a.send(tc.line)
			a.expect(protoFmt(w.invalidName, tc.reason))
		}
		b.quiet()

		// a kept its name.
		a.send("same name")
		a.expect(a.says("same name"))
		b.expect(a.says("same name"))

		// 32 characters is allowed, in any script.
		a.rename(strings.Repeat("张", 32), b)
		a.rename(strings.Repeat("a", 32), b)
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextWho(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 4)
		a, b, c, d := cs[0], cs[1], cs[2], cs[3]
		a.rename("bob", b, c, d)
		b.rename("Alice", a, c, d)
		c.rename("carol", a, b, d)
		d.rename("Dave", a, b, c)
		c.join("den", []*protoText{a, b, d}, nil)

		// Every online user, server-wide, one line each, sorted by the
		// case-folded name; who, /who and who with trailing white space.
		want := []string{
			protoFmt(w.who, "Alice"),
			protoFmt(w.who, "bob"),
			protoFmt(w.who, "carol"),
			protoFmt(w.who, "Dave"),
		}
		for _, line := range []string{"who", "/who", "who   ", "/who \t "} {
			a.send(line)
			a.expect(want...)
			a.quiet()
		}
		c.send("who")
		c.expect(want...)
		c.quiet()
		b.quiet()
		d.quiet()

		// Someone leaves: gone from the list.
		d.c.Close()
		a.expect(d.pres(w.offline))
		a.send("who")
		a.expect(want[:3]...)
		a.quiet()
	})
}

func TestProtoTextRooms(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 5)
		a, b, c, d, e := cs[0], cs[1], cs[2], cs[3], cs[4]

		a.send("/rooms")
		a.expect(w.roomLine("lobby", 5))
		a.quiet()

		b.join("Zoo", []*protoText{a, c, d, e}, nil)
		c.join("Den", []*protoText{a, d, e}, nil)
		// Room names clash ignoring case and are shown as first spelled.
		d.send("/join den")
		d.expect(protoFmt(w.joinOK, "Den"))
		a.expect(d.pres(w.left))
		e.expect(d.pres(w.left))
		c.expect(d.pres(w.joined))
		e.join("apple", []*protoText{a}, nil)

		// One line per room with people in it, sorted by the case-folded
		// name, with its head count.
		a.send("/rooms")
		a.expect(
			w.roomLine("apple", 1),
			w.roomLine("Den", 2),
			w.roomLine("lobby", 1),
			w.roomLine("Zoo", 1),
		)
		a.quiet()

		// One room: c and d hear each other.
		d.send("same room?")
		d.expect(d.says("same room?"))
		c.expect(d.says("same room?"))

		// A room that empties is gone; entering its name again makes a new
		// room spelled the new way.
		e.join("lobby", nil, []*protoText{a})
		c.join("lobby", []*protoText{d}, []*protoText{a, e})
		d.join("lobby", nil, []*protoText{a, c, e})
		e.send("/rooms  ")
		e.expect(w.roomLine("lobby", 4), w.roomLine("Zoo", 1))
		e.quiet()
		// (With persistence a room keeps its history: "DEN" replays what
		// was said in "Den".)
		c.join("DEN", []*protoText{a, d, e}, nil, d.says("same room?"))

		// The lobby is not listed while nobody is in it.
		a.send("/join zoo") // "zoo" is the room "Zoo"
		a.expect(protoFmt(w.joinOK, "Zoo"))
		d.expect(a.pres(w.left))
		e.expect(a.pres(w.left))
		b.expect(a.pres(w.joined))
		d.join("Zoo", []*protoText{e}, []*protoText{a, b})
		e.join("DEN", nil, []*protoText{c}, d.says("same room?"))
		e.send("/rooms")
		e.expect(w.roomLine("DEN", 2), w.roomLine("Zoo", 3))
		e.quiet()
		a.quiet()
		b.quiet()
		c.quiet()
		d.quiet()
	})
}

func TestProtoTextJoinErrors(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]

		a.send("/join")
		a.expect(w.usageJoin)
		a.send("/join    ")
		a.expect(w.usageJoin)
		for _, tc := range []struct{ room, reason string }{
			{"a!b", w.badChar('!')},
			{"#den", w.badChar('#')},
			{"a b", w.badChar(' ')},
			{strings.Repeat("r", 33), w.reasonTooLong},
		} {
			a.send("/join " + tc.room)
			a.expect(protoFmt(w.invalidRoom, tc.reason))
		}
		b.quiet()

		// a is still in the lobby.
		a.send("still here")
		a.expect(a.says("still here"))
		b.expect(a.says("still here"))
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextDMTo(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.rename("alice", b, c)
		b.rename("bob", a, c)
		c.rename("carol", a, b)

		// "sent" to the sender, "received" to the recipient, nothing to
		// anyone else; TEXT is everything after the second '|'.
		a.send("to|bob|hi | there|x")
		a.expect(protoFmt(w.dmOut, "bob", "hi | there|x"))
		b.expect(protoFmt(w.dmIn, "alice", "hi | there|x"))
		c.quiet()
		a.quiet()
		b.quiet()

		// Across rooms too: private messages go by name, server-wide.
		c.join("den", []*protoText{a, b}, nil)
		b.send("to|carol|psst")
		b.expect(protoFmt(w.dmOut, "carol", "psst"))
		c.expect(protoFmt(w.dmIn, "bob", "psst"))
		a.quiet()

		// Names are looked up ignoring case, as they clash ignoring case.
		c.send("to|BOB|back at you")
		c.expect(protoFmt(w.dmOut, "bob", "back at you"))
		b.expect(protoFmt(w.dmIn, "carol", "back at you"))
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextDMToErrors(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		a.rename("alice", b)
		b.rename("bob", a)

		// The seed's order: a missing name or separator is a usage error,
		// then an unknown name, then an empty text.
		for _, tc := range []struct{ line, want string }{
			{"to|", w.usageTo},
			{"to|bob", w.usageTo},
			{"to||hi", w.usageTo},
			{"to||", w.usageTo},
			{"to|nobody|hi", protoFmt(w.noSuchUser, "nobody")},
			{"to|nobody|", protoFmt(w.noSuchUser, "nobody")},
			{"to|bob|", w.emptyMsg},
			{"to|bob|   ", w.emptyMsg},
			{"to|bob|\x1b[1m", w.emptyMsg},
		} {
			a.send(tc.line)
			a.expect(tc.want)
		}
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextDMMsg(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.rename("alice", b, c)
		b.rename("bob", a, c)

		// TEXT is everything after NAME and a space, '|' and spaces too.
		a.send("/msg bob hello there | friend")
		a.expect(protoFmt(w.dmOut, "bob", "hello there | friend"))
		b.expect(protoFmt(w.dmIn, "alice", "hello there | friend"))
		c.quiet()
		a.quiet()
		b.quiet()

		for _, tc := range []struct{ line, want string }{
			{"/msg", w.usageMsg},
			{"/msg   ", w.usageMsg},
			{"/msg bob", w.usageMsg},
			{"/msg nobody", w.usageMsg},
			{"/msg nobody hi", protoFmt(w.noSuchUser, "nobody")},
		} {
			a.send(tc.line)
			a.expect(tc.want)
		}
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextDMAddr(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.rename("alice", b, c)
		b.rename("bob", a, c)

		// ADDR#TEXT with the address of a connected user is a private
		// message to that user.
		a.send(b.addr + "#hello # there | you")
		a.expect(protoFmt(w.dmOut, "bob", "hello # there | you"))
		b.expect(protoFmt(w.dmIn, "alice", "hello # there | you"))
		c.quiet()
		a.quiet()
		b.quiet()

		// Otherwise the whole line is an ordinary chat line.
		for _, line := range []string{"C# is fun", "#general", "127.0.0.1:1#nobody there", "a#b#c"} {
			a.send(line)
			a.expect(a.says(line))
			b.expect(a.says(line))
			c.expect(a.says(line))
		}
		// An empty private message is the empty-message error.
		a.send(b.addr + "#")
		a.expect(w.emptyMsg)
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextEmptyLine(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		// An empty line (with LF or CRLF, or nothing but white space once
		// trailing white space is removed) is ignored.
		a.send("")
		a.send("\r")
		a.send("   ")
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextSlashSlash(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		for _, tc := range []struct{ line, text string }{
			{"//me waves", "/me waves"},
			{"//quit", "/quit"},
			{"//", "/"},
		} {
			a.send(tc.line)
			a.expect(a.says(tc.text))
			b.expect(a.says(tc.text))
		}
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextUnknownCommand(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		for _, tc := range []struct{ line, cmd string }{
			{"/foo", "/foo"},
			{"/foo bar baz", "/foo"},
			{"/whois bob", "/whois"},
			{"/", "/"},
		} {
			a.send(tc.line)
			a.expect(protoFmt(w.unknownCmd, tc.cmd))
		}
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextHelp(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		// One line per command, exactly the catalogue's, and nothing more.
		a.send("/help")
		a.expect(w.help...)
		a.quiet()
		a.send("/help  ")
		a.expect(w.help...)
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextQuit(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.send("/quit")
		a.closed(w.bye)
		b.expect(a.pres(w.offline))
		c.expect(a.pres(w.offline))
		// With trailing white space too.
		b.send("/quit   ")
		b.closed(w.bye)
		c.expect(b.pres(w.offline))
		c.quiet()
	})
}

func TestProtoTextTrailingSpace(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		// Commands are recognised with trailing white space removed.
		a.send("rename|alice  ")
		a.expect(protoFmt(w.nickOK, a.name, "alice"))
		b.expect(a.pres(protoFmt(w.renamed, "alice")))
		a.name = "alice"
		b.send("/nick bob \t")
		b.expect(protoFmt(w.nickOK, b.name, "bob"))
		a.expect(b.pres(protoFmt(w.renamed, "bob")))
		b.name = "bob"
		a.send("who   ")
		a.expect(protoFmt(w.who, "alice"), protoFmt(w.who, "bob"))
		a.send("to|bob|hi  ")
		a.expect(protoFmt(w.dmOut, "bob", "hi"))
		b.expect(protoFmt(w.dmIn, "alice", "hi"))
		a.send("/rooms ")
		a.expect(w.roomLine("lobby", 2))
		a.send("/help \t")
		a.expect(w.help...)
		a.send("/join den   ")
		a.expect(protoFmt(w.joinOK, "den"))
		b.expect(a.pres(w.left))
		a.quiet()
		b.quiet()
		a.send("/quit \t ")
		a.closed(w.bye)
	})
}

func TestProtoTextFraming(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		a.rename("alice", b)
		b.rename("bob", a)

		// Several lines in one write: handled one at a time, in order, each
		// reply before the next line's.
		a.send("who", "/rooms", "/nope", "one", "two")
		a.expect(
			protoFmt(w.who, a.name), protoFmt(w.who, b.name),
			w.roomLine("lobby", 2),
			protoFmt(w.unknownCmd, "/nope"),
			a.says("one"), a.says("two"),
		)
		b.expect(a.says("one"), a.says("two"))

		// One line over many writes.
		for _, part := range []string{"hel", "lo, wo", "rld\n"} {
			a.c.SetWriteDeadline(time.Now().Add(waitTime))
			if _, err := a.c.Write([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		a.expect(a.says("hello, world"))
		b.expect(a.says("hello, world"))

		// CRLF: the CR before the LF is dropped.
		a.c.SetWriteDeadline(time.Now().Add(waitTime))
		if _, err := a.c.Write([]byte("crlf\r\nwho\r\n")); err != nil {
			t.Fatal(err)
		}
		a.expect(a.says("crlf"), protoFmt(w.who, a.name), protoFmt(w.who, b.name))
		b.expect(a.says("crlf"))
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextFirstLineNotJSON(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		// An empty first line keeps the connection in text mode: a later
		// '{' line is a chat line.
		a := protoDial(t, s, w)
		a.send("")
		a.send(`{"op":"ping","id":1}`)
		a.expect(a.says(`{"op":"ping","id":1}`))
		a.quiet()
		// So does a first line that does not start with '{'. (b gets a's
		// line in the lobby's replayed history.)
		b := protoDial(t, s, w, a.says(`{"op":"ping","id":1}`))
		a.expect(b.pres(w.online))
		b.send(` {"op":"ping","id":2}`)
		b.expect(b.says(` {"op":"ping","id":2}`))
		a.expect(b.says(` {"op":"ping","id":2}`))
		b.send(`{"op":"ping","id":3}`)
		b.expect(b.says(`{"op":"ping","id":3}`))
		a.expect(b.says(`{"op":"ping","id":3}`))
		a.quiet()
		b.quiet()
	})
}

func TestProtoTextSanitise(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.rename("alice", b, c)
		b.rename("bob", a, c)

		// Names are taken in their cleaned form.
		a.send("to|b\x1b[1mob|hi")
		a.expect(protoFmt(w.dmOut, "bob", "hi"))
		b.expect(protoFmt(w.dmIn, "alice", "hi"))
		c.quiet()
		c.send("rename|car\x1b[31mol\u202e")
		c.expect(protoFmt(w.nickOK, c.name, "carol"))
		a.expect(c.pres(protoFmt(w.renamed, "carol")))
		b.expect(c.pres(protoFmt(w.renamed, "carol")))
		c.name = "carol"

		for _, tc := range []struct{ name, line, text string }{
			{"CSI, bidi, NUL, DEL", "a\x1b[31mred\x1b[0m b\u202eevil\u2066\x00z\x7f", "ared bevilz"},
			{"OSC with BEL", "x\x1b]0;title\x07y", "xy"},
			{"OSC with ST", "x\x1b]8;;http://e.example/\x1b\\y", "xy"},
			{"ESC and one character", "x\x1bcy", "xy"},
			{"escape open at the end", "tail\x1b[12", "tail"},
			{"C1 and lone CSI", "a\u0085b\u009bc", "abc"},
			{"CR inside a line", "a\rb", "ab"},
			{"other C0", "a\x01\x07\x08b", "ab"},
			{"invalid UTF-8", "a\xff\xfeb\xc3", "a\uFFFDb\uFFFD"},
			{"invalid UTF-8 runs", "\xff你\x80\x80好\xed\xa0\x80", "\uFFFD你\uFFFD好\uFFFD"},
			{"TAB", "a\tb\t\tc", "a b  c"},
		} {
			a.send(tc.line)
			a.expect(a.says(tc.text))
			b.expect(a.says(tc.text))
			c.expect(a.says(tc.text))
		}

		// A line that is empty after cleaning is dropped silently.
		a.send("\x1b[1m\x00\u202e")
		a.send("\x1b]0;only a title\x07")
		a.quiet()
		b.quiet()
		c.quiet()
	})
}

func TestProtoTextHideAddrs(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w, func(cfg *Config) { cfg.HideAddrs = true })
		// Default names are guest-N and lines have no [ADDR].
		a := protoDialHidden(t, s, w, "guest-1")
		b := protoDialHidden(t, s, w, "guest-2")
		a.expect("guest-2:" + w.online)
		c := protoDialHidden(t, s, w, "guest-3")
		a.expect("guest-3:" + w.online)
		b.expect("guest-3:" + w.online)

		a.send("hello")
		a.expect("guest-1:hello")
		b.expect("guest-1:hello")
		c.expect("guest-1:hello")

		// ADDR#TEXT is always a chat line, even with a real address.
		line := b.addr + "#secret"
		a.send(line)
		a.expect("guest-1:" + line)
		b.expect("guest-1:" + line)
		c.expect("guest-1:" + line)

		a.send("rename|alice")
		a.expect(protoFmt(w.nickOK, "guest-1", "alice"))
		b.expect("guest-1:" + protoFmt(w.renamed, "alice"))
		c.expect("guest-1:" + protoFmt(w.renamed, "alice"))
		a.name = "alice"

		a.send("who")
		a.expect(protoFmt(w.who, "alice"), protoFmt(w.who, "guest-2"), protoFmt(w.who, "guest-3"))

		// Private messages by name still work.
		a.send("to|guest-2|psst")
		a.expect(protoFmt(w.dmOut, "guest-2", "psst"))
		b.expect(protoFmt(w.dmIn, "alice", "psst"))
		c.quiet()

		c.join("den", []*protoText{a, b}, nil)
		b.c.Close()
		a.expect("guest-2:" + w.offline)
		a.quiet()
		c.quiet()

		// A default name is never one somebody already has (ignoring case).
		// (d gets the lobby's history, without addresses too.)
		c.rename("Guest-4")
		d := protoDialHidden(t, s, w, "guest-5", "guest-1:hello", "guest-1:"+line)
		a.expect("guest-5:" + w.online)
		d.quiet()
		a.quiet()
	})
}

func TestProtoTextLineTooLong(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w, func(cfg *Config) { cfg.MaxLine = 16 })
		cs := protoDialN(t, s, w, 2)
		a, b := cs[0], cs[1]
		tooLong := protoFmt(w.lineTooLong, "16")

		// Over the limit: the error, nothing to anyone else, and the
		// connection stays.
		a.send(strings.Repeat("x", 17))
		a.expect(tooLong)
		b.quiet()
		a.send("hi")
		a.expect(a.says("hi"))
		b.expect(a.says("hi"))

		// Exactly the limit is fine; a CR before the LF does not count.
		x16 := strings.Repeat("y", 16)
		a.send(x16)
		a.expect(a.says(x16))
		b.expect(a.says(x16))
		a.send(x16 + "\r")
		a.expect(a.says(x16))
		b.expect(a.says(x16))

		// A very long line: one error, and the next line works.
		a.send(strings.Repeat("z", 200_000))
		a.expect(tooLong)
		a.send("next")
		a.expect(a.says("next"))
		b.expect(a.says("next"))
		a.quiet()
		b.quiet()
	})
}

// The idle tests are not parallel: they measure time.

func TestProtoTextIdleKick(t *testing.T) {
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		s := protoStart(t, w, func(cfg *Config) { cfg.IdleTimeout = 300 * time.Millisecond })
		a := protoDial(t, s, w)
		a.closed(protoFmt(w.idle, "300ms"))

		// Half a line is not a line: it does not keep a client alive.
		b := protoDial(t, s, w)
		b.c.SetWriteDeadline(time.Now().Add(waitTime))
		if _, err := b.c.Write([]byte("half a li")); err != nil {
			t.Fatal(err)
		}
		// (a's offline line may reach b first: a leaves the lobby after its
		// connection is closed.)
		b.protoUntil(protoFmt(w.idle, "300ms"), a.pres(w.offline))
		b.closed()
	})
}

func TestProtoTextIdleOthersSeeOffline(t *testing.T) {
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		const idle = 300 * time.Millisecond
		s := protoStart(t, w, func(cfg *Config) { cfg.IdleTimeout = idle })
		b := protoDial(t, s, w)
		// b stays active (empty lines) while a goes idle.
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(idle / 4)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					b.c.Write([]byte("\n"))
				}
			}
		}()
		a := protoDial(t, s, w)
		b.expect(a.pres(w.online))
		a.closed(protoFmt(w.idle, "300ms"))
		b.expect(a.pres(w.offline))
		close(stop)
		<-done
		b.quiet()
	})
}

func TestProtoTextIdleActivity(t *testing.T) {
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		const idle = 300 * time.Millisecond
		s := protoStart(t, w, func(cfg *Config) { cfg.IdleTimeout = idle })
		a := protoDial(t, s, w)
		// Empty lines every quarter of the timeout, for four timeouts: they
		// count as activity, so no idle kick comes.
		tick := time.NewTicker(idle / 4)
		defer tick.Stop()
		for end := time.Now().Add(4 * idle); time.Now().Before(end); <-tick.C {
			a.send("")
		}
		a.quiet()
		// Chat lines count too.
		for end := time.Now().Add(2 * idle); time.Now().Before(end); <-tick.C {
			a.send("still here")
			a.expect(a.says("still here"))
		}
		a.quiet()
		// Then silence: the kick.
		a.closed(protoFmt(w.idle, "300ms"))
	})
}

func TestProtoTextShutdown(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s, shutdown := protoStartOwned(t, w)
		cs := protoDialN(t, s, w, 3)
		a, b, c := cs[0], cs[1], cs[2]
		c.join("den", []*protoText{a, b}, nil)
		a.send("before")
		a.expect(a.says("before"))
		b.expect(a.says("before"))

		if err := shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		// Everyone gets the shutdown line, then the connection closes. (An
		// offline line of a room-mate that went first may come before it.)
		a.protoUntil(w.shutdown, b.pres(w.offline))
		a.closed()
		b.protoUntil(w.shutdown, a.pres(w.offline))
		b.closed()
		c.closed(w.shutdown)
	})
}

// TestProtoShutdownTwiceIsHarmless: a second Shutdown (start's cleanup
// calls it after a test that shut the server down itself) must return, not
// hang.
func TestProtoShutdownTwiceIsHarmless(t *testing.T) {
	s, err := Start(testConfig(t))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	a := dialText(t, s)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("first shutdown: %v", err)
	}
	a.closed("server shutting down")
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("second shutdown: %v", err)
		}
	case <-time.After(waitTime):
		// (Before Shutdown became idempotent, the second call waited on
		// errc for results that the first call had already taken.)
		t.Errorf("a second Server.Shutdown did not return within %v", waitTime)
		// Let a call stuck that way end, so that it does not leak past the
		// test.
		for range s.running {
			select {
			case s.errc <- nil:
			default:
			}
		}
		select {
		case <-done:
		case <-time.After(waitTime):
		}
	}
}

// TestProtoTextSlowConsumer: a text client that never reads is cut off once
// its queue overflows (the wording is best effort: it can only arrive if the
// socket still takes it), and the rest of its room hears it go offline.
func TestProtoTextSlowConsumer(t *testing.T) {
	t.Parallel()
	protoEachLang(t, func(t *testing.T, w *protoWords) {
		t.Parallel()
		s := protoStart(t, w, func(cfg *Config) {
			cfg.Queue = 16
			cfg.WriteTimeout = time.Second
		})
		stuck := protoDial(t, s, w) // it stops reading here, until it is cut off
		a := protoDial(t, s, w)
		big := strings.Repeat("x", 4000)
		deadline := time.Now().Add(4 * waitTime)
	blast:
		for i := 0; ; i++ {
			if time.Now().After(deadline) {
				t.Fatalf("non-reader still connected after %d private messages", i)
			}
			a.send("to|" + stuck.name + "|" + big)
			for {
				switch got := a.next(); got {
				case protoFmt(w.dmOut, stuck.name, big):
					continue blast
				case stuck.pres(w.offline):
					// The reply to the private message in flight is next.
					if got := a.next(); got != protoFmt(w.dmOut, stuck.name, big) && got != protoFmt(w.noSuchUser, stuck.name) {
						t.Fatalf("got %q, want the reply to the last private message", got)
					}
					break blast
				default:
					t.Fatalf("got %q", got)
				}
			}
		}
		// Drain what did reach the non-reader: private messages, perhaps
		// the slow-consumer line last, then the close.
		slow := "too slow: disconnected"
		if w.lang == "zh" {
			slow = "接收过慢，已断开"
		}
		var last string
		if line, err := stuck.readLine(waitTime); err == nil && line != a.pres(w.online) {
			t.Fatalf("non-reader got %q, want %q", line, a.pres(w.online))
		}
		for {
			line, err := stuck.readLine(waitTime)
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("the non-reader's connection stayed open")
				}
				break
			}
			if last == slow {
				t.Fatalf("got %q after the slow-consumer line", line)
			}
			if line != slow && line != protoFmt(w.dmIn, a.name, big) {
				t.Fatalf("non-reader got %q", line)
			}
			last = line
		}
		t.Logf("slow-consumer line delivered: %v", last == slow)
		a.quiet()
	})
}

// TestProtoTextGoneAfterOffline: once the room has been told that a user
// went offline, that user is no longer online: who does not list it, and
// its name is free to take. (Checked many times over: the window is short.)
func TestProtoTextGoneAfterOffline(t *testing.T) {
	t.Parallel()
	for _, check := range []string{"who", "name"} {
		t.Run(check, func(t *testing.T) {
			t.Parallel()
			protoEachLang(t, func(t *testing.T, w *protoWords) {
				t.Parallel()
				s := protoStart(t, w)
				a := protoDial(t, s, w)
				a.rename("bob")
				for i := range 100 {
					d := protoDial(t, s, w)
					a.expect(d.pres(w.online))
					d.rename("aaron", a) // sorts before bob
					if i%2 == 0 {
						d.c.Close()
					} else {
						d.send("/quit")
					}
					a.expect(d.pres(w.offline))
					switch check {
					case "who":
						a.send("who")
						if got, want := a.next(), protoFmt(w.who, "bob"); got != want {
							t.Fatalf("round %d: who after aaron's offline line: got %q, want only %q", i, got, want)
						}
						a.quiet()
					case "name":
						a.send("rename|aaron")
						if got, want := a.next(), protoFmt(w.nickOK, "bob", "aaron"); got != want {
							t.Fatalf("round %d: rename|aaron after aaron's offline line: got %q, want %q", i, got, want)
						}
						a.name = "aaron"
						a.rename("bob")
					}
				}
			})
		})
	}
}
