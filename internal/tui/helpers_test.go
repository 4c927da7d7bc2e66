package tui

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"parley/internal/client"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	// The views are compared without colours: the styles render plain.
	lipgloss.SetColorProfile(termenv.Ascii)
	goleak.VerifyTestMain(m)
}

// testNow is the fake clock: 15:04 UTC.
var testNow = time.Date(2025, 3, 14, 15, 4, 5, 0, time.UTC)

// fakeChat is a Chat that records what the model asks of it and answers
// at once, as the test set it up to.
type fakeChat struct {
	events chan client.Event

	mu        sync.Mutex
	name      string
	room      string
	connected bool
	rtt       time.Duration
	users     []client.User
	rooms     []client.Room
	history   []client.Message
	err       error // returned by the next request, then cleared
	said      []string
	dms       []string // "to|text"
	nicks     []string
	joins     []string
	logins    []string // "name|password"
	registers []string // passwords
	histories []int    // limits asked for
	banList   []client.Ban
	operated  []string // the operator commands, as "kick bob|spam", "ban bob|1h0m0s|spam"
}

func newFakeChat() *fakeChat {
	return &fakeChat{
		events:    make(chan client.Event, 16),
		name:      "alice",
		room:      "lobby",
		connected: true,
		rtt:       3 * time.Millisecond,
		users:     []client.User{{Name: "alice", Room: "lobby"}, {Name: "bob", Room: "lobby"}, {Name: "carol", Room: "den"}},
		rooms:     []client.Room{{Name: "den", Users: 1}, {Name: "lobby", Users: 2}},
	}
}

func (f *fakeChat) takeErr() error {
	err := f.err
	f.err = nil
	return err
}

func (f *fakeChat) Events() <-chan client.Event { return f.events }

func (f *fakeChat) Say(text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.said = append(f.said, text)
	return f.takeErr()
}

func (f *fakeChat) DM(_ context.Context, to, text string) (client.DirectMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dms = append(f.dms, to+"|"+text)
	if err := f.takeErr(); err != nil {
		return client.DirectMessage{}, err
	}
	return client.DirectMessage{ID: 7, From: f.name, To: to, Text: text, TS: testNow}, nil
}

func (f *fakeChat) Nick(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nicks = append(f.nicks, name)
	if err := f.takeErr(); err != nil {
		return err
	}
	f.name = name
	return nil
}

func (f *fakeChat) Join(_ context.Context, room string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joins = append(f.joins, room)
	if err := f.takeErr(); err != nil {
		return err
	}
	f.room = room
	return nil
}

func (f *fakeChat) Who(context.Context) ([]client.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.User(nil), f.users...), f.takeErr()
}

func (f *fakeChat) Rooms(context.Context) ([]client.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.Room(nil), f.rooms...), f.takeErr()
}

func (f *fakeChat) Ping(context.Context) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rtt, nil
}

func (f *fakeChat) History(_ context.Context, room string, limit int, before int64) ([]client.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.histories = append(f.histories, limit)
	return f.history, f.takeErr()
}

func (f *fakeChat) Register(_ context.Context, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registers = append(f.registers, password)
	return f.takeErr()
}

func (f *fakeChat) Login(_ context.Context, name, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins = append(f.logins, name+"|"+password)
	if err := f.takeErr(); err != nil {
		return err
	}
	f.name = name
	return nil
}

func (f *fakeChat) Kick(_ context.Context, name, reason string) error {
	return f.operate("kick " + name + "|" + reason)
}

func (f *fakeChat) Ban(_ context.Context, target string, d time.Duration, reason string) error {
	return f.operate("ban " + target + "|" + d.String() + "|" + reason)
}

func (f *fakeChat) Unban(_ context.Context, target string) error { return f.operate("unban " + target) }

func (f *fakeChat) Mute(_ context.Context, name string, d time.Duration) error {
	return f.operate("mute " + name + "|" + d.String())
}

func (f *fakeChat) Unmute(_ context.Context, name string) error { return f.operate("unmute " + name) }

func (f *fakeChat) Bans(context.Context) ([]client.Ban, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.operated = append(f.operated, "bans")
	return append([]client.Ban(nil), f.banList...), f.takeErr()
}

// operate records an operator command.
func (f *fakeChat) operate(what string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.operated = append(f.operated, what)
	return f.takeErr()
}

func (f *fakeChat) Name() string       { f.mu.Lock(); defer f.mu.Unlock(); return f.name }
func (f *fakeChat) Room() string       { f.mu.Lock(); defer f.mu.Unlock(); return f.room }
func (f *fakeChat) RTT() time.Duration { f.mu.Lock(); defer f.mu.Unlock(); return f.rtt }
func (f *fakeChat) Connected() bool    { f.mu.Lock(); defer f.mu.Unlock(); return f.connected }

// screen drives a Model as bubbletea would: messages in, commands run, and
// their messages fed back, until none is left.
type screen struct {
	t    *testing.T
	f    *fakeChat
	m    Model
	quit bool
}

// newScreen is a model on a fresh fakeChat, sized w×h, with the side
// panel filled in (the who and rooms of Init).
func newScreen(t *testing.T, w, h int) *screen {
	t.Helper()
	return newScreenOn(t, newFakeChat(), w, h, asciiRenderer())
}

func newScreenOn(t *testing.T, f *fakeChat, w, h int, r *lipgloss.Renderer) *screen {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(f, Options{Context: ctx, Renderer: r, Location: time.UTC, Now: func() time.Time { return testNow }, RefreshEvery: -1})
	s := &screen{t: t, f: f, m: m}
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	s.run(m.refresh())
	return s
}

func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// send gives the model msg and runs the commands it returns.
func (s *screen) send(msg tea.Msg) {
	s.t.Helper()
	next, cmd := s.m.Update(msg)
	s.m = next.(Model)
	s.run(cmd)
}

// run runs cmd, and feeds what it returns back to the model. A command
// that does not return in time (the one that waits for events) fails the
// test: event messages go in with event, which drops the commands.
func (s *screen) run(cmd tea.Cmd) {
	s.t.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(5 * time.Second):
		s.t.Fatal("a command did not return: was it the event waiter?")
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			s.run(c)
		}
	case tea.QuitMsg:
		s.quit = true
	default:
		s.send(msg)
	}
}

// event gives the model a server event, as the waiting command would; the
// commands it returns (the next wait, refreshes) are dropped.
func (s *screen) event(ev client.Event) {
	next, _ := s.m.Update(eventMsg{ev})
	s.m = next.(Model)
}

// key sends one key; typ types text, rune by rune; enter types a line
// and presses Enter.
func (s *screen) key(t tea.KeyType) {
	s.t.Helper()
	s.send(tea.KeyMsg{Type: t})
}

func (s *screen) typ(text string) {
	s.t.Helper()
	for _, r := range text {
		s.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (s *screen) enter(line string) {
	s.t.Helper()
	s.typ(line)
	s.key(tea.KeyEnter)
}

// view is the screen, checked to be exactly w×h and free of control
// characters other than the newlines.
func (s *screen) view() string {
	s.t.Helper()
	v := s.m.View()
	w, h := s.m.size()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		s.t.Errorf("view has %d lines, want %d:\n%s", len(lines), h, v)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			s.t.Errorf("view line %d is %d columns wide, more than %d: %q", i, lw, w, l)
		}
	}
	if i := strings.IndexFunc(v, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f) }); i >= 0 {
		s.t.Errorf("view holds control character %q at %d:\n%q", v[i], i, v)
	}
	return v
}

// inputLine and statusLine are the last two lines of the screen.
func (s *screen) inputLine() string {
	s.t.Helper()
	lines := strings.Split(s.view(), "\n")
	return strings.TrimRight(lines[len(lines)-2], " ")
}

func (s *screen) statusLine() string {
	s.t.Helper()
	lines := strings.Split(s.view(), "\n")
	return strings.TrimRight(lines[len(lines)-1], " ")
}

// golden compares the view with testdata/NAME.golden (trailing blanks
// trimmed from each line); -update rewrites the file.
func (s *screen) golden(name string) {
	s.t.Helper()
	lines := strings.Split(s.view(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			s.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("%v (run go test -run %s -update to write it)", err, s.t.Name())
	}
	if got != string(want) {
		s.t.Errorf("view differs from %s (go test -update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// msg is a chat line at hh:mm UTC.
func msg(from, text string, hh, mm int) client.Message {
	return client.Message{ID: int64(hh*60 + mm), Room: "lobby", From: from, Addr: "127.0.0.1:" + from, Text: text,
		TS: time.Date(2025, 3, 14, hh, mm, 0, 0, time.UTC)}
}
