package server

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/chat"
	"parley/internal/password"
	"parley/internal/store"
	"parley/internal/store/sqlite"
)

// The operator of these tests, as --operators names it, and its password.
const (
	opName = "root"
	opPW   = "root pw"
)

// opServer starts a server on db whose operator is root, with root's
// account and those in accounts (name → password) made on its store first,
// as parley account add makes them.
func opServer(t *testing.T, db string, accounts map[string]string, mods ...func(*Config)) *Server {
	t.Helper()
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	makeAccounts(t, st, accounts)
	return start(t, func(c *Config) {
		c.Store = st
		c.Operators = []string{opName}
		for _, m := range mods {
			m(c)
		}
	})
}

func makeAccounts(t *testing.T, st store.Store, accounts map[string]string) {
	t.Helper()
	h := password.NewHasher(2)
	all := map[string]string{opName: opPW}
	for name, pw := range accounts {
		all[name] = pw
	}
	for name, pw := range all {
		hash, err := h.Hash(t.Context(), pw)
		if err == nil {
			err = st.CreateAccount(t.Context(), store.Account{Key: chat.Fold(name), Name: name, Hash: hash, Created: time.Now()})
		}
		if err != nil {
			t.Fatalf("account %s: %v", name, err)
		}
	}
}

// dialFrom connects from the loopback address ip (127.0.0.0/8 is all
// loopback on Linux), so that a ban on one address spares the others.
func dialFrom(t *testing.T, s *Server, ip string) *lineClient {
	t.Helper()
	return dialWith(t, &net.Dialer{Timeout: waitTime, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}, s.TCPAddr())
}

// operator connects and logs in as root, in a room of its own ("ops"), so
// that it hears nothing of the lobby.
func operator(t *testing.T, s *Server) *lineClient {
	t.Helper()
	op := greeted(dialFrom(t, s, "127.0.0.1"))
	op.send("/join ops", "/login "+opName+" "+opPW)
	op.expect("joined [ops]", "logged in as "+opName)
	return op
}

// named connects from ip and takes name, logging in if pw is not empty.
func named(t *testing.T, s *Server, ip, name, pw string) *lineClient {
	t.Helper()
	c := greeted(dialFrom(t, s, ip))
	if pw != "" {
		c.send("/login " + name + " " + pw)
		c.expect("logged in as " + name)
	} else {
		c.send("/nick " + name)
		c.expect("renamed: [" + c.addr + "]->[" + name + "]")
	}
	return c
}

// refused checks that a connection from ip gets want and is closed.
func refused(t *testing.T, s *Server, ip, want string) {
	t.Helper()
	dialFrom(t, s, ip).closed(want)
}

// untilRE matches the TIME of a ban or mute that ends.
var untilRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// until returns the one TIME in line, failing unless it lies d from now,
// give or take the seconds the test takes.
func until(t *testing.T, line string, d time.Duration) string {
	t.Helper()
	ts := untilRE.FindString(line)
	end, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		t.Fatalf("%q: no RFC 3339 time in UTC: %v", line, err)
	}
	if off := time.Until(end) - d; off < -waitTime || off > time.Second {
		t.Fatalf("%q: ends %v from now, want %v", line, time.Until(end), d)
	}
	return ts
}

// TestOperatorNamesReserved: nobody can take or register an operator's
// name, or one that looks like it, over the wire, even before its account
// exists; the operator, logged in, has it.
func TestOperatorNamesReserved(t *testing.T) {
	t.Parallel()
	s := start(t, func(c *Config) { c.Operators = []string{"Root", "boss"} })
	c := dialText(t, s)
	c.send("/nick root", "/nick RООT", "/nick boss") // Cyrillic О in the second
	c.expect("error: name registered: root", "error: name registered: RООT", "error: name registered: boss")
	j := dialJSON(t, s)
	j.sendJSON(`{"op":"nick","name":"BOSS","id":1}`)
	j.expectJSON(map[string]any{"type": "error", "code": "name_registered", "ref": float64(1)})
	j.quietJSON()
	c.expect("[" + j.addr + "]" + j.addr + ":online")
	c.quiet()
}

// TestOperatorCommandsUnauthorized: anyone but a logged-in operator gets
// unauthorized for every operator command, a registered user too, and
// nothing happens.
func TestOperatorCommandsUnauthorized(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", map[string]string{"carl": "carl pw"})
	bob := named(t, s, "127.0.0.2", "bob", "")
	carl := named(t, s, "127.0.0.3", "carl", "carl pw")
	bob.expect("["+carl.addr+"]"+carl.addr+":online", "["+carl.addr+"]"+carl.addr+":renamed to carl")
	for _, c := range []*lineClient{bob, carl} {
		c.send("/kick bob", "/ban bob", "/ban 127.0.0.2 1h x", "/unban bob", "/mute bob", "/unmute bob", "/bans")
		for range 7 {
			c.expect("error: unauthorized")
		}
	}
	j := jsonGreeted(dialFrom(t, s, "127.0.0.4"))
	for i, op := range []string{`"kick","name":"bob"`, `"ban","target":"bob"`, `"unban","target":"bob"`,
		`"mute","name":"bob"`, `"unmute","name":"bob"`, `"bans"`} {
		j.sendJSON(`{"op":` + op + `,"id":` + strconv.Itoa(i+1) + `}`)
		j.expectJSON(map[string]any{"type": "error", "code": "unauthorized", "ref": float64(i + 1)})
	}
	bob.send("still here")
	bob.expect("["+j.addr+"]"+j.addr+":online", "["+bob.addr+"]bob:still here")
	carl.expect("["+j.addr+"]"+j.addr+":online", "["+bob.addr+"]bob:still here")
}

// TestKick: an operator's kick closes the target's connection with who did
// it and why, the room hears the target leave, and the operator is told.
// A kick without a reason says so; a kick of someone offline or of an
// operator is refused.
func TestKick(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", nil)
	op := operator(t, s)
	bob := named(t, s, "127.0.0.2", "bob", "")
	amy := named(t, s, "127.0.0.3", "amy", "")
	bob.expect("["+amy.addr+"]"+amy.addr+":online", "["+amy.addr+"]"+amy.addr+":renamed to amy")

	op.send("/kick bob spamming links")
	op.expect("kicked [bob]: spamming links")
	bob.closed("kicked by root: spamming links")
	amy.expect("[" + bob.addr + "]bob:offline")

	op.send("/kick bob", "/kick root", "/kick ROOT x")
	op.expect("error: no such user: bob", "error: unauthorized", "error: unauthorized")

	j := jsonGreeted(dialFrom(t, s, "127.0.0.4"))
	j.sendJSON(`{"op":"nick","name":"jay","id":1}`)
	j.expectJSON(map[string]any{"type": "ok", "name": "jay", "ref": float64(1)})
	amy.expect("["+j.addr+"]"+j.addr+":online", "["+j.addr+"]"+j.addr+":renamed to jay")
	op.send("/kick jay")
	op.expect("kicked [jay]")
	j.expectJSON(map[string]any{"type": "bye", "reason": "kicked", "message": "kicked by root"})
	amy.expect("[" + j.addr + "]jay:offline")
	amy.quiet()
	op.quiet()
}

// TestKickZh: the kicked user's line in zh names the operator as
// PROTOCOL.md words it.
func TestKickZh(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", nil, func(c *Config) { c.Lang = "zh" })
	op := dial(t, s.TCPAddr())
	op.next() // welcome
	op.send("/login root " + opPW)
	for line := op.next(); line != "登录成功: root"; line = op.next() {
	}
	bob := dialFrom(t, s, "127.0.0.2")
	bob.next()
	bob.send("/nick bob")
	for line := bob.next(); line != "用户名修改成功,["+bob.addr+"]->[bob]"; line = bob.next() {
	}
	op.send("/kick bob 刷屏")
	bob.closedWith("你已被root踢出: 刷屏")
}

// TestBanByName: banning a registered user ends its session, refuses its
// address and its logins from anywhere until the ban is lifted, and lists
// it. Banned again while away, its address stays refused; /unban of the
// address frees the address and keeps the logins refused. Another
// operator, in JSON, lists the bans and lifts them.
func TestBanByName(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP(t) // a ban by name does not refuse a loopback address
	s := opServer(t, ":memory:", map[string]string{"bob": "bob pw", "admin": "admin pw"}, func(c *Config) {
		c.Operators = append(c.Operators, "admin")
		c.Listen = net.JoinHostPort(ip, "0")
	})
	op := operator(t, s)
	bob := named(t, s, ip, "bob", "bob pw")

	op.send("/ban bob 1h flooding")
	done := op.next()
	ts := until(t, done, time.Hour)
	if done != "banned [bob] until "+ts+": flooding" {
		t.Fatalf("operator: got %q", done)
	}
	bob.closed("kicked by root: flooding")
	refused(t, s, ip, "error: banned until "+ts+": flooding")

	other := named(t, s, "127.0.0.3", "someone", "")
	other.send("/login bob bob pw", "/nick bob")
	other.expect("error: banned until "+ts+": flooding", "error: name registered: bob")

	op.send("/ban bob 2h flooding again") // bob is away: its address stays refused
	ts = until(t, op.next(), 2*time.Hour)
	refused(t, s, ip, "error: banned until "+ts+": flooding again")
	op.send("/bans")
	op.expect("[bob] until " + ts + ": flooding again")

	op.send("/unban " + ip)
	op.expect("unbanned [" + ip + "]")
	from := greeted(dialFrom(t, s, ip))
	from.send("/login bob bob pw")
	from.expect("error: banned until " + ts + ": flooding again")

	opj := jsonGreeted(dialFrom(t, s, "127.0.0.4"))
	opj.sendJSON(`{"op":"login","name":"admin","password":"admin pw","id":1}`)
	opj.expectJSON(map[string]any{"type": "ok", "name": "admin", "ref": float64(1)})
	opj.sendJSON(`{"op":"bans","id":2}`)
	opj.expectJSON(map[string]any{"type": "bans", "ref": float64(2),
		"bans": []any{map[string]any{"target": "bob", "until": ts, "reason": "flooding again"}}})
	opj.sendJSON(`{"op":"ban","target":"127.0.0.9","duration":"7d","id":5}`)
	until(t, opj.expectJSON(map[string]any{"type": "ok", "name": "127.0.0.9", "ref": float64(5)})["until"].(string), 7*24*time.Hour)
	opj.sendJSON(`{"op":"unban","target":"BOB","id":3}`)
	opj.expectJSON(map[string]any{"type": "ok", "name": "BOB", "ref": float64(3)})
	opj.sendJSON(`{"op":"unban","target":"127.0.0.9","id":6}`)
	opj.expectJSON(map[string]any{"type": "ok", "name": "127.0.0.9", "ref": float64(6)})
	opj.sendJSON(`{"op":"unban","target":"bob","id":4}`)
	opj.expectJSON(map[string]any{"type": "error", "code": "bad_request", "message": "not banned: bob", "ref": float64(4)})

	from.expect("["+opj.addr+"]"+opj.addr+":online", "["+opj.addr+"]"+opj.addr+":renamed to admin")
	from.send("/login bob bob pw")
	from.expect("logged in as bob")
	op.send("/bans")
	op.expect("*** no bans")
}

// TestBanByNameOnLoopback: a ban by name on a user connected from a
// loopback address (everyone behind a proxy on this machine, and the
// operators) ends its session and refuses its logins, but not the address.
// Nor does kicking or banning a guest by the name it was given on
// connect, its address, refuse the loopback address.
func TestBanByNameOnLoopback(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", map[string]string{"bob": "bob pw"})
	op := operator(t, s)
	bob := named(t, s, "127.0.0.2", "bob", "bob pw")
	op.send("/ban bob")
	op.expect("banned [bob] until forever")
	bob.closed("kicked by root")
	again := greeted(dialFrom(t, s, "127.0.0.2"))
	again.send("/login bob bob pw")
	again.expect("error: banned until forever")

	guest := greeted(dialFrom(t, s, "127.0.0.3"))
	again.expect("[" + guest.addr + "]" + guest.addr + ":online")
	op.send("/kick " + guest.addr) // a default name is not a valid chosen one, but it is a name
	op.expect("kicked [" + guest.addr + "]")
	guest.closed("kicked by root")
	guest2 := greeted(dialFrom(t, s, "127.0.0.3"))
	op.send("/ban " + guest2.addr + " 1h") // held as a name: the user, not the address
	until(t, op.next(), time.Hour)
	guest2.closedWith("kicked by root")
	greeted(dialFrom(t, s, "127.0.0.3")).quiet()
}

// TestBanByAddress: a ban on an address ends every session from it but an
// operator's, refuses it over TCP and WebSocket, and leaves other addresses
// alone; /unban lifts it.
func TestBanByAddress(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", nil)
	op := operator(t, s)
	a1 := greeted(dialFrom(t, s, "127.0.0.5"))
	a2 := greeted(dialFrom(t, s, "127.0.0.5"))
	fine := greeted(dialFrom(t, s, "127.0.0.6"))
	a1.expect("["+a2.addr+"]"+a2.addr+":online", "["+fine.addr+"]"+fine.addr+":online")
	a2.expect("[" + fine.addr + "]" + fine.addr + ":online")

	op.send("/ban 127.0.0.5")
	op.expect("banned [127.0.0.5] until forever")
	a1.closedWith("kicked by root") // after the other's offline, or not
	a2.closedWith("kicked by root")
	refused(t, s, "127.0.0.5", "error: banned until forever")
	ws := wsFrom(t, s, "127.0.0.5")
	if ws.StatusCode != http.StatusForbidden {
		t.Errorf("WebSocket from a banned address: %s, want 403", ws.Status)
	}
	fine.send("hi")
	for line := fine.next(); line != "["+fine.addr+"]"+fine.addr+":hi"; line = fine.next() {
	}

	op.send("/ban 127.0.0.7:1234 30m")
	done := op.next()
	ts := until(t, done, 30*time.Minute)
	if done != "banned [127.0.0.7:1234] until "+ts {
		t.Fatalf("operator: got %q", done)
	}
	op.send("/bans")
	op.expect("[127.0.0.5] until forever", "[127.0.0.7:1234] until "+ts)
	refused(t, s, "127.0.0.7", "error: banned until "+ts)
	op.send("/unban 127.0.0.5")
	op.expect("unbanned [127.0.0.5]")
	greeted(dialFrom(t, s, "127.0.0.5")).quiet()

	// A name that reads as an address is a name while someone holds it.
	dotted := named(t, s, "127.0.0.10", "127.0.0.11", "")
	op.send("/ban 127.0.0.11")
	op.expect("banned [127.0.0.11] until forever")
	dotted.closedWith("kicked by root")
	greeted(dialFrom(t, s, "127.0.0.11")).quiet()
}

// wsFrom tries a WebSocket connection from the loopback address ip and
// returns the server's answer to the upgrade.
func wsFrom(t *testing.T, s *Server, ip string) *http.Response {
	t.Helper()
	d := &net.Dialer{Timeout: waitTime, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	ctx, cancel := context.WithTimeout(t.Context(), waitTime)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws://"+s.HTTPAddr()+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err == nil {
		c.CloseNow()
		t.Fatalf("WebSocket from %s: connected, want refused", ip)
	}
	if resp == nil {
		t.Fatalf("WebSocket from %s: %v", ip, err)
	}
	return resp
}

// TestMute: a muted user's chat lines and private messages are refused,
// and nobody hears them, under another name too; everything else works.
// /unmute, by the name it has now, lets it speak again.
func TestMute(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", nil)
	op := operator(t, s)
	bob := named(t, s, "127.0.0.2", "bob", "")
	amy := named(t, s, "127.0.0.3", "amy", "")
	bob.expect("["+amy.addr+"]"+amy.addr+":online", "["+amy.addr+"]"+amy.addr+":renamed to amy")

	op.send("/mute bob 10m")
	done := op.next()
	ts := until(t, done, 10*time.Minute)
	if done != "muted [bob] until "+ts {
		t.Fatalf("operator: got %q", done)
	}
	muted := "error: muted until " + ts
	bob.send("hello", "/msg amy hi", "to|amy|hi", amy.addr+"#hi", "//slash", "/nick bobby", "hello again", "who")
	bob.expect(muted, muted, muted, muted, muted, "renamed: [bob]->[bobby]", muted, "[amy] is online", "[bobby] is online", "[root] is online")
	amy.expect("[" + bob.addr + "]bob:renamed to bobby")
	amy.quiet()
	op.send("/mute amy")
	op.expect("muted [amy] until forever")
	amy.send("hi")
	amy.expect("error: muted until forever")
	op.send("/unmute bobby", "/unmute bob", "/unmute AMY")
	op.expect("unmuted [bobby]", "error: not muted: bob", "unmuted [AMY]")
	bob.send("free")
	bob.expect("[" + bob.addr + "]bobby:free")
	amy.expect("[" + bob.addr + "]bobby:free")
	op.send("/mute nobody", "/mute root 1h", "/mute bob soon")
	op.expect("error: no such user: nobody", "error: unauthorized", "error: usage: /mute NAME [DURATION]")
}

// TestMuteJSONAndOffline: a muted user's JSON say and dm are refused with
// unauthorized and the ref, and so is a private message to a registered
// user who is away; the away user gets nothing when it logs in.
func TestMuteJSONAndOffline(t *testing.T) {
	t.Parallel()
	s := opServer(t, ":memory:", map[string]string{"carl": "carl pw"})
	op := operator(t, s)
	j := jsonGreeted(dialFrom(t, s, "127.0.0.2"))
	j.sendJSON(`{"op":"nick","name":"jay","id":1}`)
	j.expectJSON(map[string]any{"type": "ok", "name": "jay", "ref": float64(1)})
	op.send("/mute jay 1h")
	ts := until(t, op.next(), time.Hour)
	j.sendJSON(`{"op":"say","text":"hi","id":2}`)
	j.expectJSON(map[string]any{"type": "error", "code": "unauthorized", "message": "muted until " + ts, "ref": float64(2)})
	j.sendJSON(`{"op":"dm","to":"carl","text":"psst","id":3}`) // carl is away: it would be kept
	j.expectJSON(map[string]any{"type": "error", "code": "unauthorized", "message": "muted until " + ts, "ref": float64(3)})
	j.quietJSON()
	carl := named(t, s, "127.0.0.3", "carl", "carl pw")
	carl.quiet() // no kept message
}

// TestMuteHoldsTheAddress: a mute holds the muted user's address (not a
// loopback one): reconnecting under a new name does not lift it, an
// operator from that address is not muted, and /unmute of the new name
// lifts it.
func TestMuteHoldsTheAddress(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP(t)
	s := opServer(t, ":memory:", map[string]string{"admin": "admin pw"}, func(c *Config) {
		c.Listen = net.JoinHostPort(ip, "0")
		c.Operators = append(c.Operators, "admin")
	})
	op := operator(t, s)
	admin := named(t, s, ip, "admin", "admin pw")
	admin.send("/join ops")
	admin.expect("joined [ops]")
	op.expect("[" + admin.addr + "]admin:joined")
	g := greeted(dialFrom(t, s, ip))
	op.send("/mute " + g.addr)
	op.expect("muted [" + g.addr + "] until forever")
	admin.send("an operator on the muted address speaks")
	admin.expect("[" + admin.addr + "]admin:an operator on the muted address speaks")
	op.expect("[" + admin.addr + "]admin:an operator on the muted address speaks")
	g.send("/quit")
	g.closed("bye")
	g2 := greeted(dialFrom(t, s, ip))
	g2.send("back under a new name")
	g2.expect("error: muted until forever")
	peer := greeted(dialFrom(t, s, "127.0.0.3"))
	g2.expect("[" + peer.addr + "]" + peer.addr + ":online")
	peer.send("not muted")
	peer.expect("[" + peer.addr + "]" + peer.addr + ":not muted")
	g2.expect("[" + peer.addr + "]" + peer.addr + ":not muted")

	op.send("/unmute " + g2.addr)
	op.expect("unmuted [" + g2.addr + "]")
	g2.send("free")
	g2.expect("[" + g2.addr + "]" + g2.addr + ":free")
}

// TestSanctionsSurviveRestart: bans and mutes are stored: after a restart
// on the same file the banned address is still refused, the muted account
// still muted, and /bans still lists the ban. One that has ended admits
// its address again and is no longer listed.
func TestSanctionsSurviveRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "parley.db")
	s := opServer(t, db, map[string]string{"carl": "carl pw"})
	op := operator(t, s)
	carl := named(t, s, "127.0.0.3", "carl", "carl pw")
	op.send("/ban 127.0.0.8 2h spam")
	done := op.next()
	ts := until(t, done, 2*time.Hour)
	if done != "banned [127.0.0.8] until "+ts+": spam" {
		t.Fatalf("operator: got %q", done)
	}
	op.send("/mute carl", "/ban 127.0.0.9 1s")
	op.expect("muted [carl] until forever")
	until(t, op.next(), time.Second)
	carl.quiet()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	s2 := start(t, func(c *Config) {
		c.DB = db
		c.Operators = []string{opName}
	})
	refused(t, s2, "127.0.0.8", "error: banned until "+ts+": spam")
	carl2 := named(t, s2, "127.0.0.3", "carl", "carl pw")
	carl2.send("back")
	carl2.expect("error: muted until forever")
	admittedSoon(t, s2, "127.0.0.9")
	op2 := operator(t, s2)
	op2.send("/bans")
	op2.expect("[127.0.0.8] until " + ts + ": spam")
	op2.quiet()
}

// admittedSoon connects from ip until the server admits it, which it must
// do within waitTime (a ban about to end), and returns the connection.
func admittedSoon(t *testing.T, s *Server, ip string) *lineClient {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for {
		c := dialFrom(t, s, ip)
		line := c.next()
		if strings.HasPrefix(line, "*** welcome") {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still refused: %q", ip, line)
		}
		c.c.Close()
		time.Sleep(50 * time.Millisecond) // the poll's interval
	}
}

// TestSanctionsNeedTheStore: a ban or mute the store cannot keep is not
// imposed (it would not survive a restart): the operator is told, and the
// target goes on; nor is one lifted that the store cannot forget. Once the
// store works, both work.
func TestSanctionsNeedTheStore(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	makeAccounts(t, st, nil)
	f := &faultyStore{Store: st}
	s := start(t, func(c *Config) { c.Store = f; c.Operators = []string{opName} })
	op := operator(t, s)
	bob := named(t, s, "127.0.0.2", "bob", "")

	f.broken.Store(true)
	op.send("/ban bob", "/mute bob", "/ban 127.0.0.2 1h")
	op.expect("error: store unavailable", "error: store unavailable", "error: store unavailable")
	bob.send("still here") // not muted: refused for the store, as anyone's line is now
	bob.expect("error: store unavailable")
	other := greeted(dialFrom(t, s, "127.0.0.2"))
	other.quiet()
	bob.expect("[" + other.addr + "]" + other.addr + ":online")

	f.broken.Store(false)
	op.send("/mute bob")
	op.expect("muted [bob] until forever")
	f.broken.Store(true)
	op.send("/unmute bob")
	op.expect("error: store unavailable")
	bob.send("still muted")
	bob.expect("error: muted until forever")
	f.broken.Store(false)
	op.send("/unmute bob")
	op.expect("unmuted [bob]")
}
