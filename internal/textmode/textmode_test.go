package textmode

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"parley/internal/chat"
)

func mustNew(t testing.TB, lang string) *Codec {
	t.Helper()
	c, err := New(lang)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		c, err := New(lang)
		if err != nil || c == nil {
			t.Errorf("New(%q) = %v, %v", lang, c, err)
		}
		if c.Slot() != chat.SlotText {
			t.Errorf("Slot() = %d, want %d", c.Slot(), chat.SlotText)
		}
	}
	for _, lang := range []string{"", "EN", "fr", "zh-CN"} {
		if c, err := New(lang); err == nil {
			t.Errorf("New(%q) = %v, nil; want an error", lang, c)
		}
	}
}

func usage(arg string) chat.Command {
	return chat.Command{Op: chat.OpInvalid, Err: &chat.Error{Problem: chat.ProbUsage, Arg: arg}}
}

func unknown(arg string) chat.Command {
	return chat.Command{Op: chat.OpInvalid, Err: &chat.Error{Problem: chat.ProbUnknownCommand, Arg: arg}}
}

func say(text string) chat.Command { return chat.Command{Op: chat.OpSay, Text: text} }

func dm(name, text string) chat.Command {
	return chat.Command{Op: chat.OpDM, Name: name, Text: text}
}

func register(pw string) chat.Command { return chat.Command{Op: chat.OpRegister, Text: pw} }

func login(name, pw string) chat.Command {
	return chat.Command{Op: chat.OpLogin, Name: name, Text: pw}
}

func history(n int) chat.Command { return chat.Command{Op: chat.OpHistory, Limit: n} }

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want chat.Command
	}{
		// Empty lines.
		{"", chat.Command{Op: chat.OpNone}},
		{"   ", chat.Command{Op: chat.OpNone}},
		{"\t \u3000", chat.Command{Op: chat.OpNone}},
		{"\x1b[1m", chat.Command{Op: chat.OpNone}},

		// who.
		{"who", chat.Command{Op: chat.OpWho}},
		{"who  ", chat.Command{Op: chat.OpWho}},
		{"/who", chat.Command{Op: chat.OpWho}},
		{"/WHO", chat.Command{Op: chat.OpWho}},
		{"/Who is there", chat.Command{Op: chat.OpWho}},
		{"WHO", say("WHO")},
		{" who", say(" who")},
		{"who is here", say("who is here")},

		// rename| and /nick.
		{"rename|bob", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"rename|bob  ", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"rename|", chat.Command{Op: chat.OpNick, Name: ""}},
		{"rename| bob", chat.Command{Op: chat.OpNick, Name: " bob"}},
		{"rename|张三", chat.Command{Op: chat.OpNick, Name: "张三"}},
		{"rename|b\x1b[31mob", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"RENAME|bob", say("RENAME|bob")},
		{"/nick bob", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"/NICK  bob  ", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"/nick\tbob", chat.Command{Op: chat.OpNick, Name: "bob"}},
		{"/nick", usage("/nick NAME")},
		{"/nick   ", usage("/nick NAME")},
		{"/nickname bob", unknown("/nickname")},

		// to| and /msg.
		{"to|bob|hi", dm("bob", "hi")},
		{"to|bob|hi there  ", dm("bob", "hi there")},
		{"to|bob|a|b", dm("bob", "a|b")},
		{"to|bob|", dm("bob", "")},
		{"to|bob|   ", dm("bob", "")},
		{"to|bob", usage("to|NAME|TEXT")},
		{"to|", usage("to|NAME|TEXT")},
		{"to||x", usage("to|NAME|TEXT")},
		{"to|b\x1b[1mob|hi", dm("bob", "hi")},
		{"to|b\u202eob|h\x07i", dm("bob", "hi")},
		{"to|张三|你好呀", dm("张三", "你好呀")},
		{"TO|bob|hi", say("TO|bob|hi")},
		{"/msg bob hi", dm("bob", "hi")},
		{"/msg bob hi there", dm("bob", "hi there")},
		{"/MSG bob  hi", dm("bob", " hi")},
		{"/msg  bob hi", dm("bob", "hi")},
		{"/msg bob a|b c", dm("bob", "a|b c")},
		{"/msg bob", usage("/msg NAME TEXT")},
		{"/msg bob   ", usage("/msg NAME TEXT")},
		{"/msg", usage("/msg NAME TEXT")},
		{"/msg ", usage("/msg NAME TEXT")},
		{"/msg b\x1b]0;title\x07ob hi", dm("bob", "hi")},

		// /join, /rooms, /help, /quit.
		{"/join den", chat.Command{Op: chat.OpJoin, Room: "den"}},
		{"/Join  den ", chat.Command{Op: chat.OpJoin, Room: "den"}},
		{"/join", usage("/join ROOM")},
		{"/join  ", usage("/join ROOM")},
		{"/rooms", chat.Command{Op: chat.OpRooms}},
		{"/ROOMS all", chat.Command{Op: chat.OpRooms}},
		{"/help", chat.Command{Op: chat.OpHelp}},
		{"/help me", chat.Command{Op: chat.OpHelp}},
		{"/quit", chat.Command{Op: chat.OpQuit}},
		{"/quit now  ", chat.Command{Op: chat.OpQuit}},
		{"/Quit", chat.Command{Op: chat.OpQuit}},

		// /register: the password is everything after "/register ".
		{"/register s3cret", register("s3cret")},
		{"/register correct horse battery", register("correct horse battery")},
		{"/register  lead", register(" lead")},
		{"/register pw   ", register("pw")},
		{"/register a|b#c/d", register("a|b#c/d")},
		{"/register 密码", register("密码")},
		{"/REGISTER Pw", register("Pw")},
		{"/register\tpw", register("pw")},
		{"/register p\x1b[1mw", register("pw")},
		{"/register", usage("/register PASSWORD")},
		{"/register   ", usage("/register PASSWORD")},
		{"/registerx pw", usage("/register PASSWORD")},
		{"/registerhunter2", usage("/register PASSWORD")},
		{"/REGISTERED", usage("/register PASSWORD")},
		{"/regiſterhunter2", usage("/register PASSWORD")},
		{"/regsiter hunter2", unknown("/regsiter")},
		{"/registe pw", unknown("/registe")},

		// /login NAME PASSWORD.
		{"/login bob s3cret", login("bob", "s3cret")},
		{"/login bob pass word", login("bob", "pass word")},
		{"/login bob  pw", login("bob", " pw")},
		{"/login  bob pw", login("bob", "pw")},
		{"/Login 张三 密码  ", login("张三", "密码")},
		{"/login b\x1b[1mob pw", login("bob", "pw")},
		{"/login bob", usage("/login NAME PASSWORD")},
		{"/login bob   ", usage("/login NAME PASSWORD")},
		{"/login", usage("/login NAME PASSWORD")},
		{"/login ", usage("/login NAME PASSWORD")},
		{"/logins bob pw", usage("/login NAME PASSWORD")},
		{"/loginhunter2", usage("/login NAME PASSWORD")},
		{"/login\x1b[1mhunter2", usage("/login NAME PASSWORD")},
		{"/log bob pw", unknown("/log")},

		// /history [N].
		{"/history", history(0)},
		{"/history  ", history(0)},
		{"/HISTORY", history(0)},
		{"/history 5", history(5)},
		{"/history  5 ", history(5)},
		{"/history 1", history(1)},
		{"/history 05", history(5)},
		{"/history 1000", history(1000)},
		{"/history 1001", history(1001)},
		{"/history 2147483647", history(2147483647)},
		{"/history 2147483648", history(2147483647)},
		{"/history 99999999999999999999999999", history(2147483647)},
		{"/history 0", usage("/history [N]")},
		{"/history 00", usage("/history [N]")},
		{"/history -1", usage("/history [N]")},
		{"/history +5", usage("/history [N]")},
		{"/history abc", usage("/history [N]")},
		{"/history 2 3", usage("/history [N]")},
		{"/history 5x", usage("/history [N]")},
		{"/history 1.5", usage("/history [N]")},
		{"/history ５", usage("/history [N]")},
		{"/history den", usage("/history [N]")},
		{"/histories", unknown("/histories")},

		// // and unknown commands.
		{"//x", say("/x")},
		{"//", say("/")},
		{"//who", say("/who")},
		{"//x  ", say("/x  ")},
		{"/foo", unknown("/foo")},
		{"/foo bar", unknown("/foo")},
		{"/FOO bar", unknown("/FOO")},
		{"/", unknown("/")},
		{"/ hi", unknown("/")},
		{"/who\x1b[0m", chat.Command{Op: chat.OpWho}},

		// Chat lines: as typed, cleaned, untrimmed.
		{"hello", say("hello")},
		{"hello  ", say("hello  ")},
		{"  hello", say("  hello")},
		{"a\tb", say("a b")},
		{"\x1b[31mred\x1b[0m", say("red")},
		{"bad\xffutf8", say("bad\uFFFDutf8")},
		{"C# is fun", chat.Command{Op: chat.OpSay, Text: "C# is fun", AddrDM: true}},
		{"127.0.0.1:5000#hi", chat.Command{Op: chat.OpSay, Text: "127.0.0.1:5000#hi", AddrDM: true}},
		{"#", chat.Command{Op: chat.OpSay, Text: "#", AddrDM: true}},
		{"to bob|hi", say("to bob|hi")},
		{"你好", say("你好")},

		// Operator commands.
		{"/kick bob", chat.Command{Op: chat.OpKick, Name: "bob"}},
		{"/kick  bob  being rude ", chat.Command{Op: chat.OpKick, Name: "bob", Text: "being rude"}},
		{"/kick", usage("/kick NAME [REASON]")},
		{"/ban bob", chat.Command{Op: chat.OpBan, Name: "bob"}},
		{"/ban bob spam links", chat.Command{Op: chat.OpBan, Name: "bob", Text: "spam links"}},
		{"/ban 192.0.2.7 1h flood", chat.Command{Op: chat.OpBan, Name: "192.0.2.7", Duration: time.Hour, Text: "flood"}},
		{"/ban bob 7d", chat.Command{Op: chat.OpBan, Name: "bob", Duration: 7 * 24 * time.Hour}},
		{"/ban bob 0s no", chat.Command{Op: chat.OpBan, Name: "bob", Text: "0s no"}},
		{"/ban", usage("/ban NAME|ADDR [DURATION] [REASON]")},
		{"/unban bob", chat.Command{Op: chat.OpUnban, Name: "bob"}},
		{"/unban", usage("/unban NAME|ADDR")},
		{"/mute bob", chat.Command{Op: chat.OpMute, Name: "bob"}},
		{"/mute bob 90m", chat.Command{Op: chat.OpMute, Name: "bob", Duration: 90 * time.Minute}},
		{"/mute bob for a while", usage("/mute NAME [DURATION]")},
		{"/mute", usage("/mute NAME [DURATION]")},
		{"/unmute bob", chat.Command{Op: chat.OpUnmute, Name: "bob"}},
		{"/unmute", usage("/unmute NAME")},
		{"/bans", chat.Command{Op: chat.OpBans}},
		{"/BANS all", chat.Command{Op: chat.OpBans}},
	}
	c := mustNew(t, "en")
	for _, tt := range tests {
		got := c.Parse([]byte(tt.line))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %+v (err %+v), want %+v (err %+v)", tt.line, got, got.Err, tt.want, tt.want.Err)
		}
	}
}

func TestParseDoesNotKeepLine(t *testing.T) {
	c := mustNew(t, "en")
	b := []byte("to|bob|hello")
	cmd := c.Parse(b)
	copy(b, "XXXXXXXXXXXX")
	if cmd.Name != "bob" || cmd.Text != "hello" {
		t.Errorf("after reusing the line: %+v", cmd)
	}
}

// TestParseNeverEchoesPassword: no error that Parse makes out of a /register
// or /login line, however malformed, carries the password, and neither does
// its wording in either language.
func TestParseNeverEchoesPassword(t *testing.T) {
	const pw = "hunter2"
	lines := []string{
		"/register", "/register ", "/register hunter2", "/REGISTER hunter2 hunter2",
		"/registerhunter2", "/register\x1bhunter2", "/regsiter hunter2",
		"/login", "/login hunter2", "/login hunter2 ", "/login bob hunter2", "/login  hunter2",
		"/loginhunter2", "/login\x1b[1mhunter2", "/logni bob hunter2", "/history hunter2",
		"/LOGINhunter2", "/regiſterhunter2", "/register\x1b[1mhunter2",
	}
	codecs := []*Codec{mustNew(t, "en"), mustNew(t, "zh")}
	for _, l := range lines {
		cmd := codecs[0].Parse([]byte(l))
		if cmd.Err == nil {
			continue
		}
		if strings.Contains(cmd.Err.Arg, pw) {
			t.Errorf("Parse(%q).Err.Arg = %q holds the password", l, cmd.Err.Arg)
		}
		for _, c := range codecs {
			if out := c.Append(nil, errEv(cmd.Err)); strings.Contains(string(out), pw) {
				t.Errorf("error for %q is worded %q, with the password", l, out)
			}
		}
	}
}

// appendCase is one event and its text in each language.
type appendCase struct {
	name   string
	ev     *chat.Event
	en, zh string
}

var ts = time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)

// until is when a ban or mute ends, a day after ts, shown in UTC whatever
// its zone.
var until = ts.Add(24 * time.Hour).Truncate(time.Second).In(time.FixedZone("UTC+8", 8*3600))

func errEv(e *chat.Error) *chat.Event { return &chat.Event{Kind: chat.EvError, Err: e} }

func nameErr(p chat.Problem, np chat.NameProblem, r rune) *chat.Event {
	return errEv(&chat.Error{Problem: p, Name: &chat.NameError{Problem: np, Char: r}})
}

func msg(addr, name, text string, at time.Time) *chat.Event {
	return &chat.Event{Kind: chat.EvMsg, TS: at, Room: "lobby", Name: name, Addr: addr, Text: text}
}

var appendCases = []appendCase{
	{"welcome", &chat.Event{Kind: chat.EvWelcome, Name: "127.0.0.1:5000", Addr: "127.0.0.1:5000", Room: "lobby"},
		"*** welcome 127.0.0.1:5000, you are in [lobby]; /help lists commands\n",
		"*** 欢迎 127.0.0.1:5000，你在 [lobby]；输入 /help 查看命令\n"},
	{"history empty", &chat.Event{Kind: chat.EvHistory, Room: "lobby"}, "", ""},
	{"history", &chat.Event{Kind: chat.EvHistory, Room: "lobby", Messages: []*chat.Event{
		msg("1.2.3.4:5", "alice", "hi", ts),
		msg("", "bob", "yo", ts.In(time.FixedZone("X", 8*3600)).Add(time.Second)),
		{Kind: chat.EvPong}, // not a message: skipped
	}},
		"[2024-05-06 07:08:09] [1.2.3.4:5]alice:hi\n[2024-05-06 07:08:10] bob:yo\n",
		"[2024-05-06 07:08:09] [1.2.3.4:5]alice:hi\n[2024-05-06 07:08:10] bob:yo\n"},
	{"history dm", &chat.Event{Kind: chat.EvHistory, Messages: []*chat.Event{
		{Kind: chat.EvDMIn, TS: ts, Name: "alice", To: "bob", Text: "psst"},
	}},
		"[2024-05-06 07:08:09] from [alice]: psst\n",
		"[2024-05-06 07:08:09] 来自:[alice]的消息，内容是:psst\n"},
	{"history answering /history, empty", &chat.Event{Kind: chat.EvHistory, Room: "den", Empty: true},
		"*** no messages in [den]\n", "*** [den] 暂无消息\n"},
	{"history answering /history, only non-messages", &chat.Event{Kind: chat.EvHistory, Room: "den", Empty: true,
		Messages: []*chat.Event{{Kind: chat.EvPong}}},
		"*** no messages in [den]\n", "*** [den] 暂无消息\n"},
	{"history answering /history", &chat.Event{Kind: chat.EvHistory, Room: "lobby", Empty: true, Messages: []*chat.Event{
		msg("", "bob", "yo", ts),
	}},
		"[2024-05-06 07:08:09] bob:yo\n", "[2024-05-06 07:08:09] bob:yo\n"},
	{"history with a kept dm: one time only", &chat.Event{Kind: chat.EvHistory, Messages: []*chat.Event{
		{Kind: chat.EvDMIn, TS: ts, Name: "alice", Text: "psst", Stored: true},
	}},
		"[2024-05-06 07:08:09] from [alice]: psst\n",
		"[2024-05-06 07:08:09] 来自:[alice]的消息，内容是:psst\n"},
	{"msg", msg("127.0.0.1:5000", "alice", "hello | % %s world", ts),
		"[127.0.0.1:5000]alice:hello | % %s world\n", "[127.0.0.1:5000]alice:hello | % %s world\n"},
	{"msg hidden addr", msg("", "guest-1", "hi", ts), "guest-1:hi\n", "guest-1:hi\n"},
	{"msg zh text", msg("", "张三", "你好呀", ts), "张三:你好呀\n", "张三:你好呀\n"},
	{"msg with LF", msg("", "a", "x\ny\r", ts), "a:x y \n", "a:x y \n"},
	{"online", &chat.Event{Kind: chat.EvPresence, Presence: chat.Online, Name: "alice", Addr: "1.2.3.4:5"},
		"[1.2.3.4:5]alice:online\n", "[1.2.3.4:5]alice:已上线\n"},
	{"offline", &chat.Event{Kind: chat.EvPresence, Presence: chat.Offline, Name: "alice", Addr: "1.2.3.4:5"},
		"[1.2.3.4:5]alice:offline\n", "[1.2.3.4:5]alice:下线\n"},
	{"joined", &chat.Event{Kind: chat.EvPresence, Presence: chat.Joined, Name: "alice", Addr: "1.2.3.4:5"},
		"[1.2.3.4:5]alice:joined\n", "[1.2.3.4:5]alice:加入\n"},
	{"left hidden", &chat.Event{Kind: chat.EvPresence, Presence: chat.Left, Name: "guest-2"},
		"guest-2:left\n", "guest-2:离开\n"},
	{"renamed", &chat.Event{Kind: chat.EvPresence, Presence: chat.Renamed, Old: "1.2.3.4:5", Name: "alice", Addr: "1.2.3.4:5"},
		"[1.2.3.4:5]1.2.3.4:5:renamed to alice\n", "[1.2.3.4:5]1.2.3.4:5:改名为alice\n"},
	{"renamed hidden", &chat.Event{Kind: chat.EvPresence, Presence: chat.Renamed, Old: "guest-1", Name: "bob"},
		"guest-1:renamed to bob\n", "guest-1:改名为bob\n"},
	{"presence unknown", &chat.Event{Kind: chat.EvPresence, Presence: 99, Name: "x"}, "", ""},
	{"presence zero", &chat.Event{Kind: chat.EvPresence, Name: "x"}, "", ""},
	{"nick ok", &chat.Event{Kind: chat.EvNickOK, Old: "1.2.3.4:5", Name: "alice"},
		"renamed: [1.2.3.4:5]->[alice]\n", "用户名修改成功,[1.2.3.4:5]->[alice]\n"},
	{"join ok", &chat.Event{Kind: chat.EvJoinOK, Room: "den"}, "joined [den]\n", "已加入 [den]\n"},
	{"who", &chat.Event{Kind: chat.EvWho, Users: []chat.UserInfo{{Name: "bob", Room: "lobby"}, {Name: "Alice", Room: "den"}, {Name: "张三", Room: "lobby"}}},
		"[bob] is online\n[Alice] is online\n[张三] is online\n",
		"[bob] is online\n[Alice] is online\n[张三] is online\n"},
	{"who empty", &chat.Event{Kind: chat.EvWho}, "", ""},
	{"rooms", &chat.Event{Kind: chat.EvRooms, Rooms: []chat.RoomInfo{{Name: "den", Users: 1}, {Name: "lobby", Users: 12}}},
		"[den] 1 online\n[lobby] 12 online\n", "[den] 1 人在线\n[lobby] 12 人在线\n"},
	{"dm in", &chat.Event{Kind: chat.EvDMIn, TS: ts, Name: "alice", To: "bob", Addr: "1.2.3.4:5", Text: "a|b"},
		"from [alice]: a|b\n", "来自:[alice]的消息，内容是:a|b\n"},
	{"dm in kept offline", &chat.Event{Kind: chat.EvDMIn, ID: 4, TS: ts, Name: "alice", To: "bob", Addr: "1.2.3.4:5", Text: "a|b", Stored: true},
		"[2024-05-06 07:08:09] from [alice]: a|b\n", "[2024-05-06 07:08:09] 来自:[alice]的消息，内容是:a|b\n"},
	{"dm in kept offline, time in UTC", &chat.Event{Kind: chat.EvDMIn, TS: time.Date(2024, 1, 1, 1, 30, 0, 0, time.FixedZone("X", 8*3600)),
		Name: "张三", Text: "你好", Stored: true},
		"[2023-12-31 17:30:00] from [张三]: 你好\n", "[2023-12-31 17:30:00] 来自:[张三]的消息，内容是:你好\n"},
	{"dm out", &chat.Event{Kind: chat.EvDMOut, TS: ts, Name: "alice", To: "bob", Text: "hi"},
		"to [bob]: hi\n", "发送给:[bob]的消息，内容是:hi\n"},
	{"dm queued", &chat.Event{Kind: chat.EvDMOut, TS: ts, Name: "alice", To: "bob", Text: "hi", Queued: true},
		"queued for [bob]: hi\n", "已留言给:[bob]，内容是:hi\n"},
	{"dm out stored flag ignored", &chat.Event{Kind: chat.EvDMOut, TS: ts, Name: "alice", To: "bob", Text: "hi", Stored: true},
		"to [bob]: hi\n", "发送给:[bob]的消息，内容是:hi\n"},
	{"registered", &chat.Event{Kind: chat.EvRegistered, Name: "alice"},
		"registered: alice\n", "注册成功: alice\n"},
	{"registered zh name", &chat.Event{Kind: chat.EvRegistered, Name: "张三"},
		"registered: 张三\n", "注册成功: 张三\n"},
	{"logged in", &chat.Event{Kind: chat.EvLoggedIn, Name: "Alice"},
		"logged in as Alice\n", "登录成功: Alice\n"},
	{"pong", &chat.Event{Kind: chat.EvPong}, "pong\n", "pong\n"},
	{"bye quit", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeQuit}, "bye\n", "再见\n"},
	{"bye idle", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeIdle, Idle: 10 * time.Second},
		"idle for 10s: disconnected\n", "你已超时，将被踢出下线\n"},
	{"bye idle 5m", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeIdle, Idle: 5 * time.Minute},
		"idle for 5m0s: disconnected\n", "你已超时，将被踢出下线\n"},
	{"bye slow", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeSlowConsumer},
		"too slow: disconnected\n", "接收过慢，已断开\n"},
	{"bye line timeout", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeLineTimeout, Idle: time.Minute},
		"line not finished within 1m0s: disconnected\n", "消息在1m0s内未发完，已断开\n"},
	{"bye shutdown", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeShutdown},
		"server shutting down\n", "服务器关闭\n"},
	{"bye kicked", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeKicked, Name: "op", Text: "spam"},
		"kicked by op: spam\n", "你已被op踢出: spam\n"},
	{"bye kicked without a reason", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeKicked, Name: "op"},
		"kicked by op\n", "你已被op踢出\n"},

	{"done kick", &chat.Event{Kind: chat.EvDone, Did: chat.OpKick, Name: "bob", Text: "spam"},
		"kicked [bob]: spam\n", "已踢出 [bob]: spam\n"},
	{"done kick without a reason", &chat.Event{Kind: chat.EvDone, Did: chat.OpKick, Name: "bob"},
		"kicked [bob]\n", "已踢出 [bob]\n"},
	{"done ban", &chat.Event{Kind: chat.EvDone, Did: chat.OpBan, Name: "192.0.2.7", Text: "flood", Until: until},
		"banned [192.0.2.7] until 2024-05-07T07:08:09Z: flood\n", "已封禁 [192.0.2.7] 至 2024-05-07T07:08:09Z: flood\n"},
	{"done ban forever", &chat.Event{Kind: chat.EvDone, Did: chat.OpBan, Name: "bob"},
		"banned [bob] until forever\n", "已封禁 [bob] 至 永久\n"},
	{"done unban", &chat.Event{Kind: chat.EvDone, Did: chat.OpUnban, Name: "bob"},
		"unbanned [bob]\n", "已解封 [bob]\n"},
	{"done mute", &chat.Event{Kind: chat.EvDone, Did: chat.OpMute, Name: "bob", Until: until},
		"muted [bob] until 2024-05-07T07:08:09Z\n", "已禁言 [bob] 至 2024-05-07T07:08:09Z\n"},
	{"done unmute", &chat.Event{Kind: chat.EvDone, Did: chat.OpUnmute, Name: "bob"},
		"unmuted [bob]\n", "已解除禁言 [bob]\n"},
	{"done other", &chat.Event{Kind: chat.EvDone, Did: chat.OpWho, Name: "bob"}, "", ""},
	{"bans", &chat.Event{Kind: chat.EvBans, Bans: []chat.BanInfo{{Target: "bob", Reason: "spam"}, {Target: "192.0.2.7", Until: until}}},
		"[bob] until forever: spam\n[192.0.2.7] until 2024-05-07T07:08:09Z\n", "[bob] 封禁至 永久: spam\n[192.0.2.7] 封禁至 2024-05-07T07:08:09Z\n"},
	{"no bans", &chat.Event{Kind: chat.EvBans}, "*** no bans\n", "*** 暂无封禁\n"},
	{"bye unknown", &chat.Event{Kind: chat.EvBye, Reason: 77}, "", ""},

	{"name taken", errEv(&chat.Error{Problem: chat.ProbNameTaken, Arg: "alice"}),
		"error: name taken: alice\n", "用户名已存在，修改失败\n"},
	{"invalid name empty", nameErr(chat.ProbInvalidName, chat.NameEmpty, 0),
		"error: invalid name: empty\n", "用户名不合法: 不能为空\n"},
	{"invalid name long", nameErr(chat.ProbInvalidName, chat.NameTooLong, 0),
		"error: invalid name: longer than 32 characters\n", "用户名不合法: 超过32个字符\n"},
	{"invalid name char", nameErr(chat.ProbInvalidName, chat.NameBadChar, ' '),
		"error: invalid name: character ' ' not allowed (use letters, digits, _ - .)\n",
		"用户名不合法: 不允许的字符 ' '(只能用字母、数字、_ - .)\n"},
	{"invalid name cjk char", nameErr(chat.ProbInvalidName, chat.NameBadChar, '，'),
		"error: invalid name: character '，' not allowed (use letters, digits, _ - .)\n",
		"用户名不合法: 不允许的字符 '，'(只能用字母、数字、_ - .)\n"},
	{"invalid room empty", nameErr(chat.ProbInvalidRoom, chat.NameEmpty, 0),
		"error: invalid room: empty\n", "房间名不合法: 不能为空\n"},
	{"invalid room long", nameErr(chat.ProbInvalidRoom, chat.NameTooLong, 0),
		"error: invalid room: longer than 32 characters\n", "房间名不合法: 超过32个字符\n"},
	{"invalid room char", nameErr(chat.ProbInvalidRoom, chat.NameBadChar, '!'),
		"error: invalid room: character '!' not allowed (use letters, digits, _ - .)\n",
		"房间名不合法: 不允许的字符 '!'(只能用字母、数字、_ - .)\n"},
	{"invalid name without reason", errEv(&chat.Error{Problem: chat.ProbInvalidName, Arg: "reserved"}),
		"error: invalid name: reserved\n", "用户名不合法: reserved\n"},
	{"usage to", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "to|NAME|TEXT"}),
		"error: usage: to|NAME|TEXT\n", "发送私聊消息格式错误,正确格式:to|张三|你好呀\n"},
	{"usage msg", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/msg NAME TEXT"}),
		"error: usage: /msg NAME TEXT\n", "私聊格式错误,正确格式:/msg 张三 你好呀\n"},
	{"usage nick", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/nick NAME"}),
		"error: usage: /nick NAME\n", "格式错误,正确格式:/nick NAME\n"},
	{"usage join", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/join ROOM"}),
		"error: usage: /join ROOM\n", "格式错误,正确格式:/join ROOM\n"},
	{"usage register", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/register PASSWORD"}),
		"error: usage: /register PASSWORD\n", "格式错误,正确格式:/register PASSWORD\n"},
	{"usage login", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/login NAME PASSWORD"}),
		"error: usage: /login NAME PASSWORD\n", "格式错误,正确格式:/login NAME PASSWORD\n"},
	{"usage history", errEv(&chat.Error{Problem: chat.ProbUsage, Arg: "/history [N]"}),
		"error: usage: /history [N]\n", "格式错误,正确格式:/history [N]\n"},
	{"invalid name default", nameErr(chat.ProbInvalidName, chat.NameDefault, 0),
		"error: invalid name: choose a name first (/nick NAME)\n", "用户名不合法: 请先改名(/nick 名字)\n"},
	{"name registered", errEv(&chat.Error{Problem: chat.ProbNameRegistered, Arg: "alice"}),
		"error: name registered: alice\n", "用户名已被注册\n"},
	{"bad password", errEv(&chat.Error{Problem: chat.ProbBadPassword}),
		"error: bad password\n", "密码错误\n"},
	{"rate limited whole seconds", errEv(&chat.Error{Problem: chat.ProbRateLimited, Wait: 30 * time.Second}),
		"error: too many attempts, wait 30s\n", "尝试次数过多，请30s后再试\n"},
	{"rate limited ten minutes", errEv(&chat.Error{Problem: chat.ProbRateLimited, Wait: 10 * time.Minute}),
		"error: too many attempts, wait 10m0s\n", "尝试次数过多，请10m0s后再试\n"},
	{"store unavailable", errEv(&chat.Error{Problem: chat.ProbStoreUnavailable}),
		"error: store unavailable\n", "存储不可用\n"},
	{"no such user", errEv(&chat.Error{Problem: chat.ProbNoSuchUser, Arg: "carol"}),
		"error: no such user: carol\n", "目标对象不存在，请仔细检查\n"},
	{"empty message", errEv(&chat.Error{Problem: chat.ProbEmptyMessage}),
		"error: empty message\n", "消息内容格式错误\n"},
	{"line too long", errEv(&chat.Error{Problem: chat.ProbLineTooLong, N: 4096}),
		"error: line too long (max 4096 bytes)\n", "消息过长(最多4096字节)\n"},
	{"unknown command", errEv(&chat.Error{Problem: chat.ProbUnknownCommand, Arg: "/foo"}),
		"error: unknown command /foo (try /help)\n", "未知命令 /foo (输入 /help 查看)\n"},
	{"too many conns", errEv(&chat.Error{Problem: chat.ProbTooManyConns, N: 10000}),
		"error: too many connections (max 10000)\n", "连接数已满(最多10000个)\n"},
	{"too many from addr", errEv(&chat.Error{Problem: chat.ProbTooManyFromAddr, N: 64}),
		"error: too many connections from your address (max 64)\n", "你的地址连接数过多(最多64个)\n"},
	{"conn rate", errEv(&chat.Error{Problem: chat.ProbConnRate, Wait: 2 * time.Second}),
		"error: too many new connections from your address, wait 2s\n", "你的地址连接过于频繁，请2s后再试\n"},
	{"unauthorized", errEv(&chat.Error{Problem: chat.ProbUnauthorized}), "error: unauthorized\n", "无权限\n"},
	{"banned", errEv(&chat.Error{Problem: chat.ProbBanned, Until: until, Arg: "flood"}),
		"error: banned until 2024-05-07T07:08:09Z: flood\n", "你已被封禁至2024-05-07T07:08:09Z: flood\n"},
	{"banned forever without a reason", errEv(&chat.Error{Problem: chat.ProbBanned}),
		"error: banned until forever\n", "你已被封禁至永久\n"},
	{"muted", errEv(&chat.Error{Problem: chat.ProbMuted, Until: until}),
		"error: muted until 2024-05-07T07:08:09Z\n", "你已被禁言至2024-05-07T07:08:09Z\n"},
	{"not banned", errEv(&chat.Error{Problem: chat.ProbNotBanned, Arg: "bob"}), "error: not banned: bob\n", "未被封禁: bob\n"},
	{"not muted", errEv(&chat.Error{Problem: chat.ProbNotMuted, Arg: "bob"}), "error: not muted: bob\n", "未被禁言: bob\n"},
	{"shutting down", errEv(&chat.Error{Problem: chat.ProbShuttingDown}),
		"error: server shutting down\n", "服务器正在关闭\n"},
	{"bad request", errEv(&chat.Error{Problem: chat.ProbBadRequest, Arg: "no op"}),
		"error: bad request: no op\n", "请求格式错误: no op\n"},
	{"unknown op", errEv(&chat.Error{Problem: chat.ProbUnknownOp, Arg: "fly"}),
		"error: unknown op: fly\n", "未知操作: fly\n"},
	{"unknown problem", errEv(&chat.Error{Problem: 200, Arg: "x"}),
		"error: bad_request\n", "错误: bad_request\n"},
	{"error without Err", &chat.Event{Kind: chat.EvError}, "", ""},

	{"zero kind", &chat.Event{}, "", ""},
	{"unknown kind", &chat.Event{Kind: 250, Text: "x"}, "", ""},
}

func TestAppend(t *testing.T) {
	codecs := map[string]*Codec{"en": mustNew(t, "en"), "zh": mustNew(t, "zh")}
	for _, tt := range appendCases {
		for lang, want := range map[string]string{"en": tt.en, "zh": tt.zh} {
			got := codecs[lang].Append(nil, tt.ev)
			if string(got) != want {
				t.Errorf("%s %s:\n got %q\nwant %q", lang, tt.name, got, want)
			}
			// Append appends: what dst held stays.
			got = codecs[lang].Append([]byte("prefix"), tt.ev)
			if string(got) != "prefix"+want {
				t.Errorf("%s %s after a prefix: got %q", lang, tt.name, got)
			}
		}
	}
}

// TestAppendUnknownKinds checks every Kind value that chat does not word for
// clients (its queue marker among them) appends nothing.
func TestAppendUnknownKinds(t *testing.T) {
	worded := map[chat.Kind]bool{
		chat.EvWelcome: true, chat.EvHistory: true, chat.EvMsg: true, chat.EvDMIn: true,
		chat.EvDMOut: true, chat.EvPresence: true, chat.EvWho: true, chat.EvRooms: true,
		chat.EvNickOK: true, chat.EvJoinOK: true, chat.EvPong: true, chat.EvHelp: true,
		chat.EvError: true, chat.EvBye: true, chat.EvRegistered: true, chat.EvLoggedIn: true,
		chat.EvDone: true, chat.EvBans: true,
	}
	for _, lang := range []string{"en", "zh"} {
		c := mustNew(t, lang)
		for k := range 256 {
			kind := chat.Kind(k)
			if worded[kind] {
				continue
			}
			ev := &chat.Event{Kind: kind, Name: "n", Text: "t", Err: &chat.Error{Problem: chat.ProbEmptyMessage}}
			if got := c.Append(nil, ev); len(got) != 0 {
				t.Errorf("%s: kind %d appends %q, want nothing", lang, k, got)
			}
		}
	}
}

func TestAppendHelp(t *testing.T) {
	commands := []string{"who", "/who", "rename|NAME", "/nick", "to|NAME|TEXT", "/msg", "ADDR#TEXT",
		"/join", "/rooms", "/help", "/quit", "//TEXT", "/register", "/login", "/history"}
	for _, lang := range []string{"en", "zh"} {
		out := string(mustNew(t, lang).Append(nil, &chat.Event{Kind: chat.EvHelp}))
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("%s help does not end in LF: %q", lang, out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) < len(commands)-1 {
			t.Errorf("%s help has %d lines, want one per command", lang, len(lines))
		}
		for _, l := range lines {
			if l == "" || strings.HasPrefix(l, "*** ") || strings.HasPrefix(l, "error:") {
				t.Errorf("%s help line %q", lang, l)
			}
		}
		for _, cmd := range commands {
			found := false
			for _, l := range lines {
				for _, f := range strings.Fields(l) {
					if f == cmd {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s help does not list %s:\n%s", lang, cmd, out)
			}
		}
	}
}

// TestCatalogsComplete checks that zh words everything en does and that
// every format uses only verbs appendf knows.
func TestCatalogsComplete(t *testing.T) {
	check := func(what, s string) {
		t.Helper()
		if s == "" {
			t.Errorf("%s is empty", what)
		}
		for i := 0; i < len(s); i++ {
			if s[i] != '%' {
				continue
			}
			if i+1 == len(s) || !strings.ContainsRune("sadqt%", rune(s[i+1])) {
				t.Errorf("%s: bad verb in %q", what, s)
			}
			i++
		}
	}
	for lang, k := range map[string]*catalog{"en": &en, "zh": &zh} {
		for _, s := range []string{k.welcome, k.stamp, k.msg, k.nickOK, k.joinOK, k.who, k.room,
			k.dmIn, k.dmOut, k.dmQueued, k.registered, k.loggedIn, k.noHistory, k.pong, k.otherProblem,
			k.ban, k.noBans, k.reasonSuffix, k.forever} {
			check(lang, s)
		}
		for p := chat.Online; p <= chat.Renamed; p++ {
			check(lang+" presence "+p.String(), k.presence[p])
		}
		for r := chat.ByeQuit; r <= chat.ByeShutdown; r++ {
			check(lang+" bye "+r.String(), k.bye[r])
		}
		for p := chat.ProbBadRequest; p <= chat.ProbNotMuted; p++ {
			check(lang+" problem", k.problems[p])
		}
		for op := chat.OpKick; op <= chat.OpUnmute; op++ {
			check(lang+" done "+op.String(), k.done[op])
		}
		for n := chat.NameEmpty; n <= chat.NameDefault; n++ {
			check(lang+" reason", k.reasons[n])
		}
		for _, s := range k.help {
			check(lang+" help", s)
		}
		if len(k.help) != len(en.help) {
			t.Errorf("%s help has %d lines, en %d", lang, len(k.help), len(en.help))
		}
	}
}

func TestAppendAllocs(t *testing.T) {
	c := mustNew(t, "zh")
	events := []*chat.Event{
		msg("127.0.0.1:5000", "alice", "hello world", ts),
		{Kind: chat.EvPresence, Presence: chat.Renamed, Old: "a", Name: "b", Addr: "1.2.3.4:5"},
		{Kind: chat.EvDMIn, Name: "alice", Text: "hi"},
		{Kind: chat.EvDMIn, TS: ts, Name: "alice", Text: "hi", Stored: true},
		{Kind: chat.EvRegistered, Name: "alice"},
		{Kind: chat.EvHistory, Room: "den", Empty: true},
		nameErr(chat.ProbInvalidName, chat.NameDefault, 0),
		{Kind: chat.EvHistory, Messages: []*chat.Event{msg("", "a", "b", ts), msg("", "c", "d", ts)}},
		{Kind: chat.EvRooms, Rooms: []chat.RoomInfo{{Name: "den", Users: 3}}},
		errEv(&chat.Error{Problem: chat.ProbLineTooLong, N: 4096}),
		nameErr(chat.ProbInvalidName, chat.NameBadChar, 'x'),
	}
	dst := make([]byte, 0, 1024)
	for _, ev := range events {
		if n := testing.AllocsPerRun(100, func() { dst = c.Append(dst[:0], ev) }); n != 0 {
			t.Errorf("Append(kind %d) allocates %v times, want 0", ev.Kind, n)
		}
	}
}

// badByte reports whether s holds something Parse must never let through:
// a C0 control, DEL or invalid UTF-8.
func badByte(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// knownUsages are the only Args a usage error may carry.
var knownUsages = map[string]bool{
	usageNick: true, usageTo: true, usageMsg: true, usageJoin: true,
	usageRegister: true, usageLogin: true, usageHistory: true,
	usageKick: true, usageBan: true, usageUnban: true, usageMute: true, usageUnmute: true,
}

func FuzzParse(f *testing.F) {
	for _, tt := range []string{
		"", " ", "who", "/who", "/WHO x", "rename|bob", "rename|", "/nick bob", "/nick",
		"to|bob|hi", "to||x", "to|bob", "to|bob|", "to|bob|a|b", "/msg bob hi", "/msg bob",
		"/join den", "/join", "/rooms", "/help", "/quit", "//x", "//", "/foo bar", "/",
		"C# is fun", "127.0.0.1:5000#hi", "hello", "你好", "to|张三|你好呀",
		"to|b\x1b[1mob|hi", "\x1b]0;t\x07x", "\x1b[", "\x1b", "a\tb", "\xff\xfe", "\xc2\x9b1m",
		"\u202ertl\u2069", "x\x00y\x7fz", "rename|\x1b", "/msg \x1b[1m bob \t hi",
		"/kick bob rude", "/ban 192.0.2.7 7d flood", "/ban bob 1h", "/mute bob 90m", "/mute bob x", "/unban bob", "/bans",
		"/register pw", "/register  a b ", "/register", "/login bob pw", "/login bob", "/login  b  c",
		"/history", "/history 5", "/history 0", "/history -1", "/history 99999999999999999999",
		"/history 2 3", "/HISTORY 12 ",
	} {
		f.Add([]byte(tt))
	}
	codecs := []*Codec{mustNew(f, "en"), mustNew(f, "zh")}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Skip() // the line reader never hands those over
		}
		cmd := codecs[0].Parse(line)
		for what, s := range map[string]string{"Name": cmd.Name, "Text": cmd.Text, "Room": cmd.Room} {
			if badByte(s) {
				t.Errorf("Parse(%q).%s = %q", line, what, s)
			}
		}
		if cmd.Op == chat.OpInvalid {
			if cmd.Err == nil || badByte(cmd.Err.Arg) {
				t.Errorf("Parse(%q) = %+v", line, cmd)
			}
			// An error never carries more of the line than the command word,
			// so a password cannot end up in one.
			switch cmd.Err.Problem {
			case chat.ProbUsage:
				if !knownUsages[cmd.Err.Arg] {
					t.Errorf("Parse(%q): usage Arg %q", line, cmd.Err.Arg)
				}
			case chat.ProbUnknownCommand:
				if strings.Contains(cmd.Err.Arg, " ") || hasPrefixFold(cmd.Err.Arg, "/register") || hasPrefixFold(cmd.Err.Arg, "/login") {
					t.Errorf("Parse(%q): unknown command Arg %q", line, cmd.Err.Arg)
				}
			default:
				t.Errorf("Parse(%q): problem %d", line, cmd.Err.Problem)
			}
		}
		switch cmd.Op {
		case chat.OpRegister:
			if cmd.Text == "" || cmd.Name != "" || cmd.Limit != 0 {
				t.Errorf("Parse(%q) = %+v", line, cmd)
			}
		case chat.OpLogin:
			if cmd.Name == "" || strings.Contains(cmd.Name, " ") || cmd.Text == "" {
				t.Errorf("Parse(%q) = %+v", line, cmd)
			}
		case chat.OpHistory:
			if cmd.Limit < 0 || cmd.Limit > maxHistoryLimit || cmd.Room != "" || cmd.Before != 0 {
				t.Errorf("Parse(%q) = %+v", line, cmd)
			}
		default:
			if cmd.Limit != 0 || cmd.Before != 0 {
				t.Errorf("Parse(%q) = %+v", line, cmd)
			}
		}
		if got := codecs[1].Parse(line); !reflect.DeepEqual(got, cmd) {
			t.Errorf("Parse(%q) differs by language: %+v, %+v", line, cmd, got)
		}
		if cmd.Op != chat.OpSay {
			return
		}
		for _, c := range codecs {
			out := c.Append(nil, msg("127.0.0.1:1", "alice", cmd.Text, ts))
			if bytes.IndexByte(out, '\n') != len(out)-1 {
				t.Errorf("Append(EvMsg %q) = %q, want one line", cmd.Text, out)
			}
		}
	})
}

func BenchmarkAppendMsg(b *testing.B) {
	c := mustNew(b, "en")
	ev := msg("127.0.0.1:51234", "alice", "hello, everyone in the lobby: how are you today?", ts)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Append(dst[:0], ev)
	}
}

func BenchmarkParseSay(b *testing.B) {
	c := mustNew(b, "en")
	line := []byte("hello, everyone in the lobby: how are you today?")
	b.ReportAllocs()
	for b.Loop() {
		c.Parse(line)
	}
}
