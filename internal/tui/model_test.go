package tui

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"parley/internal/client"
)

func TestTypingAndSendingALine(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.typ("hello there")
	if got := s.inputLine(); !strings.Contains(got, "> hello there") {
		t.Errorf("input line = %q, want the text typed", got)
	}
	s.key(tea.KeyEnter)
	if !slices.Equal(s.f.said, []string{"hello there"}) {
		t.Errorf("said %q, want [hello there]", s.f.said)
	}
	// The server echoes it back, as to everyone in the room.
	s.event(msg("alice", "hello there", 15, 4))
	s.golden("send")
	if got := s.inputLine(); strings.Contains(got, "hello") {
		t.Errorf("input line = %q after Enter, want it empty", got)
	}
}

func TestEmptyLineIsNotSent(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.enter("   ")
	if len(s.f.said) != 0 {
		t.Errorf("said %q, want nothing", s.f.said)
	}
}

func TestMessagesAndPrivateMessages(t *testing.T) {
	s := newScreen(t, 100, 14)
	s.event(client.History{Room: "lobby", Messages: []client.Message{msg("bob", "earlier", 9, 15)}})
	s.event(msg("bob", "hi all", 9, 30))
	s.event(msg("carol", "hello", 9, 31))
	s.event(client.Presence{Event: "joined", Name: "dave", Room: "lobby"})
	s.event(client.DirectMessage{From: "bob", To: "alice", Text: "psst", TS: msg("", "", 9, 32).TS})
	s.enter("/msg bob see you")
	s.event(client.DirectMessage{From: "alice", To: "erin", Text: "later", TS: msg("", "", 9, 33).TS, Queued: true})
	s.golden("messages")
	if !slices.Equal(s.f.dms, []string{"bob|see you"}) {
		t.Errorf("dms %q, want [bob|see you]", s.f.dms)
	}
}

func TestSidePanelWideAndNarrow(t *testing.T) {
	wide := newScreen(t, 100, 12)
	wide.golden("panel-100")
	if v := wide.view(); !strings.Contains(v, "People (2)") || !strings.Contains(v, "▸ lobby") {
		t.Errorf("at 100 columns the side panel is missing:\n%s", v)
	}
	narrow := newScreen(t, 60, 12)
	narrow.golden("panel-60")
	if v := narrow.view(); strings.Contains(v, "People") || strings.Contains(v, "Rooms") {
		t.Errorf("at 60 columns the side panel is shown:\n%s", v)
	}
}

func TestResizeRelayoutsEverything(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.event(msg("bob", "a long line that has to wrap once the terminal gets narrow, with more words after it", 9, 30))
	s.event(msg("carol", "short", 9, 31))
	for _, size := range [][2]int{{60, 10}, {120, 20}, {30, 6}, {80, 8}, {79, 8}} {
		s.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		s.view() // checks the size
		if size[0] == 60 {
			s.golden("resize-60x10")
		}
		if got, want := strings.Contains(s.view(), "People"), size[0] >= 80; got != want {
			t.Errorf("at %d columns, side panel shown = %v, want %v", size[0], got, want)
		}
	}
}

func TestInputHistoryUpAndDown(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.enter("one")
	s.enter("two")
	s.typ("draft")
	steps := []struct {
		key  tea.KeyType
		want string
	}{
		{tea.KeyUp, "two"}, {tea.KeyUp, "one"}, {tea.KeyUp, "one"},
		{tea.KeyDown, "two"}, {tea.KeyDown, "draft"}, {tea.KeyDown, "draft"},
	}
	for i, st := range steps {
		s.key(st.key)
		if got := s.m.input.Value(); got != st.want {
			t.Fatalf("step %d: input = %q, want %q", i, got, st.want)
		}
	}
	if got := s.inputLine(); got != "> draft" {
		t.Errorf("input line = %q, want %q", got, "> draft")
	}
}

func TestTabCompletion(t *testing.T) {
	tests := []struct {
		typed string
		tabs  int
		want  string
	}{
		{"/jo", 1, "/join "},
		{"/he", 1, "/help "},
		{"/h", 1, "/help "}, // /help and /history: Tab cycles
		{"/h", 2, "/history "},
		{"/h", 3, "/help "},
		{"/join d", 1, "/join den "},
		{"/join ", 1, "/join den "},
		{"/join ", 2, "/join lobby "},
		{"b", 1, "bob: "},
		{"hello b", 1, "hello bob "},
		{"hello C", 1, "hello carol "},
		{"/msg ca", 1, "/msg carol "},
		{"to|b", 1, "to|bob|"},
		{"al", 1, "al"}, // your own name is not completed
		{"/zz", 1, "/zz"},
		{"hello ", 1, "hello "},
		{"/k", 1, "/kick "},
		{"/kick b", 1, "/kick bob "},
		{"/b", 1, "/ban"}, // /ban and /bans: narrowed, then cycled
		{"/b", 2, "/ban "},
		{"/b", 3, "/bans "},
		{"/ban c", 1, "/ban carol "},
		{"/mu", 1, "/mute "},
		{"/mute b", 1, "/mute bob "},
		{"/unm", 1, "/unmute "},
		{"/unmute c", 1, "/unmute carol "},
		{"/unban b", 1, "/unban bob "},
		{"/kick bob s", 1, "/kick bob s"}, // a reason is not completed
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q×%d", tt.typed, tt.tabs), func(t *testing.T) {
			s := newScreen(t, 100, 12)
			s.typ(tt.typed)
			for range tt.tabs {
				s.key(tea.KeyTab)
			}
			if got := s.m.input.Value(); got != tt.want {
				t.Errorf("input = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTabCompletionNarrowsThenCycles(t *testing.T) {
	f := newFakeChat()
	f.users = append(f.users, client.User{Name: "bobby", Room: "lobby"}, client.User{Name: "Bobcat", Room: "den"})
	s := newScreenOn(t, f, 100, 12, asciiRenderer())
	s.typ("hi b")
	for i, want := range []string{"hi bob", "hi bob ", "hi bobby ", "hi Bobcat ", "hi bob "} {
		s.key(tea.KeyTab)
		if got := s.m.input.Value(); got != want {
			t.Fatalf("Tab %d: input = %q, want %q", i+1, got, want)
		}
	}
	s.typ("x") // any other key ends the cycle
	s.key(tea.KeyTab)
	if got := s.m.input.Value(); got != "hi bob x" {
		t.Errorf("input = %q, want %q", got, "hi bob x")
	}
}

func TestLoginPasswordIsNeverShown(t *testing.T) {
	const password = "s3cret-pw"
	s := newScreen(t, 100, 12)
	s.enter("/login zed")
	if got := s.inputLine(); !strings.HasPrefix(got, "password for zed:") {
		t.Fatalf("input line = %q, want the password prompt", got)
	}
	s.typ(password)
	v := s.view()
	if strings.Contains(v, password) || strings.Contains(v, "s3cret") {
		t.Fatalf("the password shows on the screen:\n%s", v)
	}
	if !strings.Contains(s.inputLine(), strings.Repeat("*", len(password))) {
		t.Errorf("input line = %q, want the password masked", s.inputLine())
	}
	s.golden("login-prompt")
	s.key(tea.KeyEnter)
	if !slices.Equal(s.f.logins, []string{"zed|" + password}) {
		t.Errorf("logins %q, want [zed|%s]", s.f.logins, password)
	}
	v = s.view()
	if strings.Contains(v, "s3cret") || !strings.Contains(v, "logged in as zed") || !strings.Contains(s.statusLine(), "zed") {
		t.Errorf("after the login:\n%s", v)
	}
	// The password is not in the input history either.
	s.key(tea.KeyUp)
	if got := s.m.input.Value(); got != "/login zed" {
		t.Errorf("Up gives %q, want %q", got, "/login zed")
	}
	for _, h := range s.m.history {
		if strings.Contains(h, "s3cret") {
			t.Errorf("input history holds the password: %q", s.m.history)
		}
	}
}

func TestRegisterPromptAndCancel(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.enter("/register")
	if got := s.inputLine(); !strings.HasPrefix(got, "new password for alice:") {
		t.Fatalf("input line = %q, want the password prompt", got)
	}
	s.typ("abc")
	s.key(tea.KeyEsc)
	if len(s.f.registers) != 0 || s.m.prompt != nil || !strings.HasPrefix(s.inputLine(), "> ") {
		t.Fatalf("Esc did not cancel: registers %q, input line %q", s.f.registers, s.inputLine())
	}
	s.enter("/register")
	s.enter("hunter22")
	if !slices.Equal(s.f.registers, []string{"hunter22"}) {
		t.Errorf("registers %q, want [hunter22]", s.f.registers)
	}
	if v := s.view(); strings.Contains(v, "hunter22") || !strings.Contains(v, "registered alice") {
		t.Errorf("after /register:\n%s", v)
	}
	// A password typed on the command line is used, and not kept for Up.
	s.enter("/login zed inline-pw")
	s.key(tea.KeyUp)
	if got := s.m.input.Value(); got != "/register" {
		t.Errorf("Up gives %q, want %q", got, "/register")
	}
}

func TestHelpListsTheCommands(t *testing.T) {
	s := newScreen(t, 100, 24)
	s.enter("/help")
	s.golden("help")
	v := s.view()
	for _, c := range append(commands, operatorCommands...) {
		if !strings.Contains(v, c.name+" ") {
			t.Errorf("/help does not list %s", c.name)
		}
	}
	if !strings.Contains(v, "operators only") {
		t.Errorf("/help does not say the operator commands are for operators only:\n%s", v)
	}
}

func TestControlCharactersNeverReachTheScreen(t *testing.T) {
	s := newScreen(t, 100, 14)
	evil := "\x1b[2J\x1b]0;title\x07red\x1b[31m \u009b6n\r\n\ttab\u202edone\x00"
	s.event(client.Message{From: "b\x1b[1mob", Text: evil, TS: testNow})
	s.event(client.DirectMessage{From: "m\x07al", To: "alice", Text: evil, TS: testNow})
	s.event(client.Presence{Event: "joined", Name: "e\x1b[5mve", Room: "lobby"})
	s.event(client.ServerError{Code: "x", Message: evil})
	s.event(client.Bye{Reason: "kicked", Message: evil})
	s.f.users = append(s.f.users, client.User{Name: "\x1b[31mzed", Room: "lob\x1bby"})
	s.enter("/who")
	v := s.view() // fails on any control character
	if !strings.Contains(v, "bob: red 6n tabdone") || !strings.Contains(v, "← mal: red") {
		t.Errorf("the cleaned texts are missing:\n%s", v)
	}
}

func TestStatusLineFollowsTheConnection(t *testing.T) {
	s := newScreen(t, 100, 12)
	if got, want := s.statusLine(), " ● connected │ alice │ [lobby] │ rtt 3 ms"; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	s.event(client.Disconnected{Err: errors.New("read: connection reset"), Reconnecting: true})
	if got := s.statusLine(); !strings.HasPrefix(got, " ○ reconnecting… │ alice") {
		t.Errorf("status after Disconnected = %q", got)
	}
	s.golden("disconnected")
	s.event(client.Reconnected{Missed: 2})
	if got := s.statusLine(); !strings.HasPrefix(got, " ● connected │ alice") {
		t.Errorf("status after Reconnected = %q", got)
	}
	if v := s.view(); !strings.Contains(v, "reconnected (2 missed lines)") {
		t.Errorf("no reconnected line:\n%s", v)
	}
}

// TestKickedIsNotReconnecting: a kick ends the session, and the screen
// does not promise a reconnect.
func TestKickedIsNotReconnecting(t *testing.T) {
	s := newScreen(t, 120, 16)
	s.event(client.Bye{Reason: "kicked", Message: "kicked by root: spam"})
	s.event(client.Disconnected{Err: errors.New("EOF")})
	v := s.view()
	for _, want := range []string{"the server ended the session: kicked by root: spam (kicked)", "*** disconnected (EOF)"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "reconnecting") || !strings.HasPrefix(s.statusLine(), " ○ closed") {
		t.Errorf("a kicked client says it is reconnecting:\n%s", v)
	}
}

// TestRefusedReconnectIsShown: the server refusing a reconnect (a ban)
// is said, and the client goes on trying.
func TestRefusedReconnectIsShown(t *testing.T) {
	s := newScreen(t, 120, 16)
	s.event(client.Disconnected{Err: errors.New("EOF"), Reconnecting: true})
	s.event(client.ServerError{Code: "refused", Message: "banned until forever: spam"})
	if v, want := s.view(), "! the server refuses to reconnect you: banned until forever: spam"; !strings.Contains(v, want) {
		t.Errorf("screen lacks %q:\n%s", want, v)
	}
	if got := s.statusLine(); !strings.HasPrefix(got, " ○ reconnecting…") {
		t.Errorf("status = %q, want reconnecting", got)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		line  string
		check func(f *fakeChat) bool
		shown string // on the screen afterwards
	}{
		{"/msg bob hi there", func(f *fakeChat) bool { return slices.Equal(f.dms, []string{"bob|hi there"}) }, "→ bob: hi there"},
		{"to|bob|a|b", func(f *fakeChat) bool { return slices.Equal(f.dms, []string{"bob|a|b"}) }, "→ bob: a|b"},
		{"/nick zed", func(f *fakeChat) bool { return slices.Equal(f.nicks, []string{"zed"}) }, "you are now zed"},
		{"rename|zed", func(f *fakeChat) bool { return slices.Equal(f.nicks, []string{"zed"}) }, "│ zed │"},
		{"/join den", func(f *fakeChat) bool { return slices.Equal(f.joins, []string{"den"}) }, "joined [den]"},
		{"/who", nil, "carol in [den]"},
		{"who", nil, "3 users online:"},
		{"/rooms", nil, "[den] 1 online"},
		{"/history 5", func(f *fakeChat) bool { return slices.Equal(f.histories, []int{5}) }, "no history in [lobby]"},
		{"/history", func(f *fakeChat) bool { return slices.Equal(f.histories, []int{20}) }, ""},
		{"/history 5000", func(f *fakeChat) bool { return slices.Equal(f.histories, []int{1000}) }, ""},
		{"/history x", nil, "! usage: /history [N]"},
		{"//slash", func(f *fakeChat) bool { return slices.Equal(f.said, []string{"/slash"}) }, ""},
		{"C# is fun", func(f *fakeChat) bool { return slices.Equal(f.said, []string{"C# is fun"}) }, ""},
		{"/bogus x", func(f *fakeChat) bool { return len(f.said) == 0 }, "! unknown command /bogus (try /help)"},
		{"/msg bob", func(f *fakeChat) bool { return len(f.dms) == 0 }, "! usage: /msg NAME TEXT"},
		{"to|bob", func(f *fakeChat) bool { return len(f.dms) == 0 }, "! usage: to|NAME|TEXT"},
		{"/join", nil, "! usage: /join ROOM"},
		{"/login", nil, "! usage: /login NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			s := newScreen(t, 120, 16)
			s.enter(tt.line)
			if tt.check != nil && !tt.check(s.f) {
				t.Errorf("%q: fake chat = %+v", tt.line, s.f)
			}
			if v := s.view(); !strings.Contains(v, tt.shown) {
				t.Errorf("%q: screen lacks %q:\n%s", tt.line, tt.shown, v)
			}
		})
	}
}

func TestAddressForm(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.event(client.Message{From: "bob", Addr: "127.0.0.1:5000", Text: "hi", TS: testNow})
	s.enter("127.0.0.1:5000#psst")
	if !slices.Equal(s.f.dms, []string{"bob|psst"}) {
		t.Errorf("dms %q, want [bob|psst]", s.f.dms)
	}
}

func TestRequestErrorsAreShown(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.f.err = &client.Error{Code: "name_taken", Message: "name taken: bob"}
	s.enter("/nick bob")
	s.f.err = client.ErrDisconnected
	s.enter("hello?")
	v := s.view()
	for _, want := range []string{"! nick bob: name taken: bob", "! not sent: not connected (reconnecting…)"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
}

func TestQuitKeys(t *testing.T) {
	for _, tt := range []struct {
		name  string
		do    func(s *screen)
		wantQ bool
	}{
		{"/quit", func(s *screen) { s.enter("/quit") }, true},
		{"ctrl+c", func(s *screen) { s.typ("half a line"); s.key(tea.KeyCtrlC) }, true},
		{"ctrl+d on an empty line", func(s *screen) { s.key(tea.KeyCtrlD) }, true},
		{"ctrl+d on a line", func(s *screen) { s.typ("abc"); s.key(tea.KeyCtrlD) }, false},
		{"ctrl+d in the password prompt", func(s *screen) { s.enter("/register"); s.key(tea.KeyCtrlD) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScreen(t, 100, 12)
			tt.do(s)
			if s.quit != tt.wantQ {
				t.Errorf("quit = %v, want %v", s.quit, tt.wantQ)
			}
		})
	}
}

func TestPageUpAndDown(t *testing.T) {
	s := newScreen(t, 100, 8)
	for i := range 30 {
		s.event(msg("bob", fmt.Sprintf("line %02d", i), 10, i))
	}
	if v := s.view(); !strings.Contains(v, "line 29") {
		t.Fatalf("the newest line is not shown:\n%s", v)
	}
	s.key(tea.KeyPgUp)
	v := s.view()
	if strings.Contains(v, "line 29") || !strings.Contains(v, "line 23") || !strings.Contains(s.statusLine(), "more below") {
		t.Errorf("after PgUp:\n%s", v)
	}
	// While scrolled back, new lines do not move the view.
	s.event(msg("bob", "line 30", 10, 30))
	if v := s.view(); strings.Contains(v, "line 30") {
		t.Errorf("a new line scrolled the view:\n%s", v)
	}
	s.key(tea.KeyPgDown)
	s.key(tea.KeyPgDown)
	if v := s.view(); !strings.Contains(v, "line 30") || strings.Contains(s.statusLine(), "more below") {
		t.Errorf("after PgDn:\n%s", v)
	}
}

func TestPresenceKeepsThePanelUpToDate(t *testing.T) {
	s := newScreen(t, 100, 12)
	s.event(client.Presence{Event: "joined", Name: "dave", Room: "lobby"})
	s.event(client.Presence{Event: "renamed", Old: "bob", Name: "robert", Room: "lobby"})
	s.event(client.Presence{Event: "left", Name: "alice2", Room: "lobby"})
	if want := []string{"alice", "dave", "robert"}; !slices.Equal(s.m.people, want) {
		t.Errorf("people = %q, want %q", s.m.people, want)
	}
	s.event(client.Presence{Event: "offline", Name: "dave", Room: "lobby"})
	s.golden("presence")
}

func TestEventsArriveThroughAWaitingCommand(t *testing.T) {
	f := newFakeChat()
	s := newScreenOn(t, f, 100, 12, asciiRenderer())
	f.events <- msg("bob", "first", 9, 0)
	f.events <- msg("bob", "second", 9, 1)
	// Init's commands: the first wait returns the first event; Update
	// starts the wait again, which returns the second.
	ev := s.m.waitEvent()()
	next, cmd := s.m.Update(ev)
	s.m = next.(Model)
	// The command Update returns is the next wait (batched with nothing
	// else for a chat line).
	ev = cmd()
	if _, ok := ev.(eventMsg); !ok {
		t.Fatalf("Update of an event returned a command giving %T, want the next wait", ev)
	}
	next, _ = s.m.Update(ev)
	s.m = next.(Model)
	v := s.view()
	if !strings.Contains(v, "bob: first") || !strings.Contains(v, "bob: second") {
		t.Errorf("both events should show:\n%s", v)
	}
	close(f.events)
	next, _ = s.m.Update(s.m.waitEvent()())
	s.m = next.(Model)
	if got := s.statusLine(); !strings.HasPrefix(got, " ○ closed") {
		t.Errorf("status after Events closed = %q", got)
	}
	if s.m.waitEvent() != nil {
		t.Error("the model waits on a closed Events")
	}
}

func TestStylesSetYourLinesAndPrivateMessagesApart(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	s := newScreenOn(t, newFakeChat(), 100, 12, r)
	own := s.m.renderEntry(entry{ts: testNow, kind: kindOwn, name: "alice", text: "mine"}, 100)
	other := s.m.renderEntry(entry{ts: testNow, kind: kindChat, name: "alice", text: "mine"}, 100)
	dm := s.m.renderEntry(entry{ts: testNow, kind: kindDMIn, name: "alice", text: "mine"}, 100)
	if own == other || dm == other || !strings.Contains(own, "\x1b[1") {
		t.Errorf("own %q, other %q and dm %q should differ, own in bold", own, other, dm)
	}
	// A name's colour depends on the name alone (case ignored).
	st, st2 := newStyles(r), newStyles(r)
	for _, n := range []string{"bob", "carol", "张三"} {
		if a, b := st.name(n).Render("x"), st2.name(strings.ToUpper(n)).Render("x"); a != b {
			t.Errorf("%s: %q then %q", n, a, b)
		}
	}
	colours := map[string]bool{}
	for i := range 50 {
		colours[st.name(fmt.Sprintf("user%d", i)).Render("x")] = true
	}
	if len(colours) < 4 {
		t.Errorf("50 names got %d colours", len(colours))
	}
}
