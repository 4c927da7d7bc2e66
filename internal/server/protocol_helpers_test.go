package server

// Helpers for the PROTOCOL.md acceptance tests (protocol_*_test.go): the
// wording of each language as a user sees it, a text client that knows its
// language, and small JSON and WebSocket checks.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// protoWords is the wording of one --lang, as PROTOCOL.md "Text mode: what
// the server sends" and the catalogue (internal/textmode/catalog.go) give it.
// Each format takes its arguments through protoFmt, which fills the %s verbs
// in order and ignores arguments a format leaves out (the zh wording of
// several errors does).
type protoWords struct {
	lang string

	welcome string // NAME, ROOM

	// Presence lines: "[ADDR]NAME:" followed by these.
	online, offline, joined, left string
	renamed                       string // NEW

	nickOK      string // OLD, NEW
	nameTaken   string // NEW
	invalidName string // REASON
	invalidRoom string // REASON

	reasonEmpty   string
	reasonTooLong string
	reasonBadChar string // the character, quoted as Go quotes a rune

	who    string // NAME
	room   string // ROOM, N
	joinOK string // ROOM

	dmIn  string // FROM, TEXT
	dmOut string // TO, TEXT

	usageTo, usageMsg, usageNick, usageJoin string

	noSuchUser string // NAME
	emptyMsg   string

	idle     string // DURATION
	shutdown string
	bye      string

	lineTooLong string // N
	unknownCmd  string // /X

	help []string
}

var protoEN = &protoWords{
	lang:          "en",
	welcome:       "*** welcome %s, you are in [%s]; /help lists commands",
	online:        "online",
	offline:       "offline",
	joined:        "joined",
	left:          "left",
	renamed:       "renamed to %s",
	nickOK:        "renamed: [%s]->[%s]",
	nameTaken:     "error: name taken: %s",
	invalidName:   "error: invalid name: %s",
	invalidRoom:   "error: invalid room: %s",
	reasonEmpty:   "empty",
	reasonTooLong: "longer than 32 characters",
	reasonBadChar: "character %s not allowed (use letters, digits, _ - .)",
	who:           "[%s] is online",
	room:          "[%s] %s online",
	joinOK:        "joined [%s]",
	dmIn:          "from [%s]: %s",
	dmOut:         "to [%s]: %s",
	usageTo:       "error: usage: to|NAME|TEXT",
	usageMsg:      "error: usage: /msg NAME TEXT",
	usageNick:     "error: usage: /nick NAME",
	usageJoin:     "error: usage: /join ROOM",
	noSuchUser:    "error: no such user: %s",
	emptyMsg:      "error: empty message",
	idle:          "idle for %s: disconnected",
	shutdown:      "server shutting down",
	bye:           "bye",
	lineTooLong:   "error: line too long (max %s bytes)",
	unknownCmd:    "error: unknown command %s (try /help)",
	help: []string{
		"who or /who — list everyone online",
		"rename|NAME — change your name to NAME",
		"/nick NAME — change your name to NAME",
		"to|NAME|TEXT — send TEXT to NAME privately",
		"/msg NAME TEXT — send TEXT to NAME privately",
		"ADDR#TEXT — send TEXT privately to the user connected from ADDR",
		"/join ROOM — leave your room and enter ROOM",
		"/rooms — list the rooms that have people in them",
		"/history [N] — show the last N messages of your room (default 20)",
		"/register PASSWORD — register your current name with PASSWORD",
		"/login NAME PASSWORD — log in as the registered NAME",
		"/kick NAME [REASON] — operators: disconnect NAME",
		"/ban NAME|ADDR [DURATION] [REASON] — operators: disconnect and refuse NAME or ADDR (DURATION as 90m or 7d; none: until lifted)",
		"/unban NAME|ADDR — operators: lift a ban",
		"/mute NAME [DURATION] — operators: refuse NAME's chat lines and private messages",
		"/unmute NAME — operators: lift a mute",
		"/bans — operators: list the bans",
		"/help — show this list",
		"/quit — leave",
		"//TEXT — say a line that starts with /",
		"anything else — say it to everyone in your room",
	},
}

var protoZH = &protoWords{
	lang:          "zh",
	welcome:       "*** 欢迎 %s，你在 [%s]；输入 /help 查看命令",
	online:        "已上线",
	offline:       "下线",
	joined:        "加入",
	left:          "离开",
	renamed:       "改名为%s",
	nickOK:        "用户名修改成功,[%s]->[%s]",
	nameTaken:     "用户名已存在，修改失败",
	invalidName:   "用户名不合法: %s",
	invalidRoom:   "房间名不合法: %s",
	reasonEmpty:   "不能为空",
	reasonTooLong: "超过32个字符",
	reasonBadChar: "不允许的字符 %s(只能用字母、数字、_ - .)",
	who:           "[%s] is online",
	room:          "[%s] %s 人在线",
	joinOK:        "已加入 [%s]",
	dmIn:          "来自:[%s]的消息，内容是:%s",
	dmOut:         "发送给:[%s]的消息，内容是:%s",
	usageTo:       "发送私聊消息格式错误,正确格式:to|张三|你好呀",
	usageMsg:      "私聊格式错误,正确格式:/msg 张三 你好呀",
	usageNick:     "格式错误,正确格式:/nick NAME",
	usageJoin:     "格式错误,正确格式:/join ROOM",
	noSuchUser:    "目标对象不存在，请仔细检查",
	emptyMsg:      "消息内容格式错误",
	idle:          "你已超时，将被踢出下线",
	shutdown:      "服务器关闭",
	bye:           "再见",
	lineTooLong:   "消息过长(最多%s字节)",
	unknownCmd:    "未知命令 %s (输入 /help 查看)",
	help: []string{
		"who 或 /who — 列出所有在线用户",
		"rename|NAME — 把用户名改为 NAME",
		"/nick NAME — 把用户名改为 NAME",
		"to|NAME|TEXT — 把 TEXT 私聊发送给 NAME",
		"/msg NAME TEXT — 把 TEXT 私聊发送给 NAME",
		"ADDR#TEXT — 把 TEXT 私聊发送给从 ADDR 连接的用户",
		"/join ROOM — 离开当前房间，进入 ROOM",
		"/rooms — 列出有人的房间",
		"/history [N] — 显示当前房间最近的 N 条消息(默认20条)",
		"/register PASSWORD — 用密码 PASSWORD 注册当前用户名",
		"/login NAME PASSWORD — 以已注册的用户名 NAME 登录",
		"/kick NAME [REASON] — 管理员：踢出 NAME",
		"/ban NAME|ADDR [DURATION] [REASON] — 管理员：踢出并封禁 NAME 或 ADDR(DURATION 如 90m 或 7d；不写则直到解封)",
		"/unban NAME|ADDR — 管理员：解封",
		"/mute NAME [DURATION] — 管理员：禁止 NAME 发言和私聊",
		"/unmute NAME — 管理员：解除禁言",
		"/bans — 管理员：列出封禁",
		"/help — 显示本列表",
		"/quit — 退出",
		"//TEXT — 发送以 / 开头的一行",
		"其他内容 — 发送给你所在房间的所有人",
	},
}

var protoLangs = []*protoWords{protoEN, protoZH}

// protoFmt fills each %s of format with the next argument; arguments the
// format does not use are ignored.
func protoFmt(format string, args ...string) string {
	var b strings.Builder
	for {
		i := strings.Index(format, "%s")
		if i < 0 {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:i])
		if len(args) > 0 {
			b.WriteString(args[0])
			args = args[1:]
		}
		format = format[i+2:]
	}
}

// badChar is the REASON for a refused character.
func (w *protoWords) badChar(r rune) string {
	return protoFmt(w.reasonBadChar, strconv.QuoteRune(r))
}

func (w *protoWords) roomLine(room string, n int) string {
	return protoFmt(w.room, room, strconv.Itoa(n))
}

// protoEachLang runs f as one subtest per language.
func protoEachLang(t *testing.T, f func(t *testing.T, w *protoWords)) {
	t.Helper()
	for _, w := range protoLangs {
		t.Run(w.lang, func(t *testing.T) { f(t, w) })
	}
}

// protoStart starts a server speaking w's language; mods may change more.
func protoStart(t *testing.T, w *protoWords, mods ...func(*Config)) *Server {
	t.Helper()
	return start(t, func(cfg *Config) {
		cfg.Lang = w.lang
		for _, m := range mods {
			m(cfg)
		}
	})
}

// protoStartOwned starts a server that the test itself shuts down. It
// returns the server and a shutdown function that runs Shutdown once; the
// cleanup calls it if the test did not. (So a second Shutdown that hangs
// cannot stall the shutdown tests; TestProtoShutdownTwiceIsHarmless checks
// that one on its own, with a deadline.)
func protoStartOwned(t *testing.T, w *protoWords, mods ...func(*Config)) (*Server, func() error) {
	t.Helper()
	cfg := testConfig(t)
	cfg.Lang = w.lang
	for _, m := range mods {
		m(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var once sync.Once
	var serr error
	shutdown := func() error {
		once.Do(func() { serr = s.Shutdown(context.Background()) })
		return serr
	}
	t.Cleanup(func() { shutdown() })
	return s, shutdown
}

// protoText is a text-mode client that knows its server's language and its
// own current name.
type protoText struct {
	*lineClient
	w    *protoWords
	name string
	pub  string // "[ADDR]" as others see it, or "" under --hide-addrs
}

// protoDial connects a text client and checks its greeting, the lobby's
// replayed history (replay: the chat lines the lobby has had, oldest first,
// as protoExpectReplay takes them; none for a lobby without messages) and
// its own online line.
func protoDial(t testing.TB, s *Server, w *protoWords, replay ...string) *protoText {
	t.Helper()
	c := dial(t, s.TCPAddr())
	p := &protoText{lineClient: c, w: w, name: c.addr, pub: "[" + c.addr + "]"}
	c.expect(protoFmt(w.welcome, c.addr, "lobby"))
	protoExpectReplay(c, replay...)
	c.expect(p.pres(w.online))
	return p
}

// protoDialHidden connects a text client to a --hide-addrs server; name is
// the guest name it should get, replay as for protoDial.
func protoDialHidden(t testing.TB, s *Server, w *protoWords, name string, replay ...string) *protoText {
	t.Helper()
	c := dial(t, s.TCPAddr())
	p := &protoText{lineClient: c, w: w, name: name}
	c.expect(protoFmt(w.welcome, name, "lobby"))
	protoExpectReplay(c, replay...)
	c.expect(p.pres(w.online))
	return p
}

// protoStampRe matches the UTC time that stands before a replayed history
// line (PROTOCOL.md "Persistence": "[2006-01-02 15:04:05] " + the chat line).
var protoStampRe = regexp.MustCompile(`^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] `)

// protoExpectReplay checks that the next lines of c are a room's replayed
// history: each is "[YYYY-MM-DD hh:mm:ss] " followed by lines[i], exactly
// and in order, with a UTC time that is recent and never goes backwards.
// With no lines it checks nothing (a room without messages replays none).
func protoExpectReplay(c *lineClient, lines ...string) {
	c.t.Helper()
	var prev time.Time
	for i, want := range lines {
		got := c.next()
		m := protoStampRe.FindStringSubmatch(got)
		if m == nil || got[len(m[0]):] != want {
			c.t.Fatalf("%s: history line %d: got %q, want %q", c.addr, i+1, got, "[YYYY-MM-DD hh:mm:ss] "+want)
		}
		tm, err := time.ParseInLocation(time.DateTime, m[1], time.UTC)
		if err != nil {
			c.t.Fatalf("%s: history line %d %q: time: %v", c.addr, i+1, got, err)
		}
		if d := time.Since(tm); d < -time.Minute || d > time.Minute {
			c.t.Fatalf("%s: history line %d %q: time is %v away from now (UTC)", c.addr, i+1, got, d)
		}
		if tm.Before(prev) {
			c.t.Fatalf("%s: history line %d %q: older than the line before it", c.addr, i+1, got)
		}
		prev = tm
	}
}

// says is p's chat line as everyone in its room sees it.
func (p *protoText) says(text string) string { return p.pub + p.name + ":" + text }

// pres is a presence line about p: "[ADDR]NAME:" + what.
func (p *protoText) pres(what string) string { return p.pub + p.name + ":" + what }

// quiet is the harness's quiet in p's language.
func (p *protoText) quiet() {
	p.t.Helper()
	n := p.sync.Add(1)
	cmd := fmt.Sprintf("/sync-%d", n)
	p.send(cmd)
	p.expect(protoFmt(p.w.unknownCmd, cmd))
}

// rename renames p and checks the reply and the renamed line that each of
// others (the rest of p's room) gets.
func (p *protoText) rename(name string, others ...*protoText) {
	p.t.Helper()
	p.send("rename|" + name)
	p.expect(protoFmt(p.w.nickOK, p.name, name))
	line := p.pres(protoFmt(p.w.renamed, name))
	for _, o := range others {
		o.expect(line)
	}
	p.name = name
}

// join moves p to room, checking its reply, the room's replayed history
// (replay: its chat lines, oldest first, as protoExpectReplay takes them;
// none for a room without messages), the left line that each of from gets
// and the joined line that each of to gets.
func (p *protoText) join(room string, from, to []*protoText, replay ...string) {
	p.t.Helper()
	p.send("/join " + room)
	p.expect(protoFmt(p.w.joinOK, room))
	protoExpectReplay(p.lineClient, replay...)
	for _, o := range from {
		o.expect(p.pres(p.w.left))
	}
	for _, o := range to {
		o.expect(p.pres(p.w.joined))
	}
}

// protoRenameJSON renames a JSON client and checks its ok.
func protoRenameJSON(c *lineClient, name string) {
	c.t.Helper()
	c.sendJSON(`{"op":"nick","name":"` + name + `","id":"rn"}`)
	got := c.expectJSON(map[string]any{"type": "ok", "name": name})
	protoRef(c.t, c.addr, got, "rn")
}

// protoRef checks that m carries ref with want's value and JSON type
// (float64 for a number, string for a string).
func protoRef(t testing.TB, who string, m map[string]any, want any) {
	t.Helper()
	got, ok := m["ref"]
	if !ok {
		t.Fatalf("%s: %v has no ref, want ref %#v", who, m, want)
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) || got != want {
		t.Fatalf("%s: %v: ref is %#v (%T), want %#v (%T)", who, m, got, got, want, want)
	}
}

// protoNoRef checks that m carries no ref.
func protoNoRef(t testing.TB, who string, m map[string]any) {
	t.Helper()
	if ref, ok := m["ref"]; ok {
		t.Fatalf("%s: %v carries ref %v, want none", who, m, ref)
	}
}

// protoNoKey checks that m has no field k.
func protoNoKey(t testing.TB, who string, m map[string]any, k string) {
	t.Helper()
	if v, ok := m[k]; ok {
		t.Fatalf("%s: %v has %s=%v, want no %s", who, m, k, v, k)
	}
}

var protoTSRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// protoTS checks that m's ts is RFC 3339 UTC with milliseconds and recent.
func protoTS(t testing.TB, who string, m map[string]any) {
	t.Helper()
	ts, ok := m["ts"].(string)
	if !ok || !protoTSRe.MatchString(ts) {
		t.Fatalf("%s: %v: ts %#v is not RFC 3339 UTC with milliseconds", who, m, m["ts"])
	}
	tm, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatalf("%s: ts %q: %v", who, ts, err)
	}
	if d := time.Since(tm); d < -time.Minute || d > time.Minute {
		t.Fatalf("%s: ts %q is %v away from now", who, ts, d)
	}
}

// protoID checks that m's id is a positive whole number and returns it.
func protoID(t testing.TB, who string, m map[string]any) int64 {
	t.Helper()
	id, ok := m["id"].(float64)
	if !ok || id < 1 || id != float64(int64(id)) {
		t.Fatalf("%s: %v: id %#v is not a positive integer", who, m, m["id"])
	}
	return int64(id)
}

// protoEmptyHistory checks a history event with no messages (an array, not
// null): the room has had no messages yet.
func protoEmptyHistory(t testing.TB, who string, m map[string]any, room string) {
	t.Helper()
	expectFields(t, who, m, map[string]any{"type": "history", "room": room})
	msgs, ok := m["messages"].([]any)
	if !ok || len(msgs) != 0 {
		t.Fatalf("%s: %v: messages is %#v, want []", who, m, m["messages"])
	}
}

var protoWSSync atomic.Int64

// protoDialWS connects a WebSocket client and reads its welcome, history
// and its own online presence (the newcomer is told too).
func protoDialWS(t testing.TB, s *Server) *wsClient {
	t.Helper()
	w := dialWS(t, s)
	w.expect(map[string]any{"type": "presence", "event": "online", "name": w.name, "room": "lobby", "addr": w.name})
	return w
}

// protoWSQuiet proves nothing more has arrived on w: a ping's pong is next.
func protoWSQuiet(w *wsClient) {
	w.t.Helper()
	id := fmt.Sprintf("wsync-%d", protoWSSync.Add(1))
	w.send(`{"op":"ping","id":"` + id + `"}`)
	w.expect(map[string]any{"type": "pong", "ref": id})
}

// protoWSClosed checks that the server ends the WebSocket with nothing more
// sent.
func protoWSClosed(w *wsClient) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err == nil {
		w.t.Fatalf("ws %s: got %s, want the connection closed", w.name, b)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		w.t.Fatalf("ws %s: the connection stayed open", w.name)
	}
}

// protoPresence is the presence event about name; addr "" means no addr
// field (under --hide-addrs).
func protoPresence(t testing.TB, who string, got map[string]any, event, name, room, addr string) {
	t.Helper()
	expectFields(t, who, got, map[string]any{"type": "presence", "event": event, "name": name, "room": room})
	if addr == "" {
		protoNoKey(t, who, got, "addr")
	} else {
		expectFields(t, who, got, map[string]any{"addr": addr})
	}
	if event != "renamed" {
		protoNoKey(t, who, got, "old")
	}
	protoNoRef(t, who, got)
}

// protoExpectPresence checks that the next JSON object of c is a presence
// event (see protoPresence) and returns it.
func protoExpectPresence(c *lineClient, event, name, room, addr string) map[string]any {
	c.t.Helper()
	got := c.nextJSON()
	protoPresence(c.t, c.addr, got, event, name, room, addr)
	return got
}

// protoWSPresence is protoExpectPresence for a WebSocket client.
func protoWSPresence(w *wsClient, event, name, room, addr string) map[string]any {
	w.t.Helper()
	got := w.next()
	protoPresence(w.t, "ws "+w.name, got, event, name, room, addr)
	return got
}

// protoDialJSONAs connects a JSON-lines client whose default name is name
// (a guest-N name under --hide-addrs), switching with a ping.
func protoDialJSONAs(t testing.TB, s *Server, name string) (*lineClient, map[string]any) {
	t.Helper()
	c := dial(t, s.TCPAddr())
	c.sendJSON(`{"op":"ping","id":"hello"}`)
	welcome := c.expectJSON(map[string]any{"type": "welcome", "name": name, "room": "lobby"})
	protoNoRef(t, c.addr, welcome)
	protoEmptyHistory(t, c.addr, c.nextJSON(), "lobby")
	protoRef(t, c.addr, c.expectJSON(map[string]any{"type": "pong"}), "hello")
	return c, welcome
}
