package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"parley/internal/client"
)

func TestOperatorCommands(t *testing.T) {
	tests := []struct {
		line  string
		sent  []string // what the fake chat was asked
		shown string   // on the screen afterwards
	}{
		{"/kick bob", []string{"kick bob|"}, "*** kicked bob"},
		{"/kick bob  stop  spamming ", []string{"kick bob|stop  spamming"}, "*** kicked bob: stop  spamming"},
		{"/ban bob 1h spam", []string{"ban bob|1h0m0s|spam"}, "*** banned bob until 2025-03-14T16:04:05Z: spam"},
		{"/ban bob 7d", []string{"ban bob|168h0m0s|"}, "*** banned bob until 2025-03-21T15:04:05Z"},
		{"/ban bob spam and more", []string{"ban bob|0s|spam and more"}, "*** banned bob until lifted: spam and more"},
		{"/ban 10.1.2.3", []string{"ban 10.1.2.3|0s|"}, "*** banned 10.1.2.3 until lifted"},
		{"/ban bob 0m spam", []string{"ban bob|0s|0m spam"}, "*** banned bob until lifted: 0m spam"}, // not a duration
		{"/unban bob", []string{"unban bob"}, "*** unbanned bob"},
		{"/mute bob 90m", []string{"mute bob|1h30m0s"}, "*** muted bob until 2025-03-14T16:34:05Z"},
		{"/mute bob", []string{"mute bob|0s"}, "*** muted bob until lifted"},
		{"/unmute bob", []string{"unmute bob"}, "*** unmuted bob"},
		{"/bans", []string{"bans"}, "*** no bans"},
		{"/kick", nil, "! usage: /kick NAME [REASON]"},
		{"/ban", nil, "! usage: /ban NAME|ADDR [DURATION] [REASON]"},
		{"/unban", nil, "! usage: /unban NAME|ADDR"},
		{"/unban bob carol", nil, "! usage: /unban NAME|ADDR"},
		{"/mute", nil, "! usage: /mute NAME [DURATION]"},
		{"/mute bob spam", nil, "! usage: /mute NAME [DURATION]"},
		{"/mute bob 1h more", nil, "! usage: /mute NAME [DURATION]"},
		{"/unmute", nil, "! usage: /unmute NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			s := newScreen(t, 120, 16)
			s.enter(tt.line)
			if !slices.Equal(s.f.operated, tt.sent) {
				t.Errorf("%q: sent %q, want %q", tt.line, s.f.operated, tt.sent)
			}
			if v := s.view(); !strings.Contains(v, tt.shown) {
				t.Errorf("%q: screen lacks %q:\n%s", tt.line, tt.shown, v)
			}
		})
	}
}

// TestBanEndsRoundedUp: the time a ban is said to end is rounded up to
// the second, as the server rounds it.
func TestBanEndsRoundedUp(t *testing.T) {
	f := newFakeChat()
	s := newScreenOn(t, f, 120, 16, asciiRenderer())
	s.m.opts.Now = func() time.Time { return testNow.Add(300 * time.Millisecond) }
	s.enter("/mute bob 1h")
	if v := s.view(); !strings.Contains(v, "muted bob until 2025-03-14T16:04:06Z") {
		t.Errorf("screen:\n%s", v)
	}
}

func TestBansListing(t *testing.T) {
	s := newScreen(t, 120, 16)
	s.f.banList = []client.Ban{
		{Target: "10.1.2.3"},
		{Target: "dave", Until: time.Date(2025, 3, 14, 16, 34, 5, 0, time.UTC), Reason: "spam"},
	}
	s.enter("/bans")
	v := s.view()
	for _, want := range []string{"*** 2 bans:", "***   10.1.2.3 until lifted", "***   dave until 2025-03-14T16:34:05Z: spam"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	// Tab after /unban offers the targets of the bans listed.
	s.typ("/unban d")
	s.key(tea.KeyTab)
	if got := s.m.input.Value(); got != "/unban dave " {
		t.Errorf("input = %q, want %q", got, "/unban dave ")
	}
}

func TestOperatorErrorsAreShown(t *testing.T) {
	s := newScreen(t, 120, 16)
	for _, tt := range []struct {
		line string
		err  error
	}{
		{"/kick bob", &client.Error{Code: "unauthorized", Message: "unauthorized"}},
		{"/bans", &client.Error{Code: "unauthorized", Message: "unauthorized"}},
		{"/unban bob", &client.Error{Code: "bad_request", Message: "not banned: bob"}},
		{"/mute zed 1h", &client.Error{Code: "no_such_user", Message: "no such user: zed"}},
		{"/ban bob", client.ErrDisconnected},
	} {
		s.f.err = tt.err
		s.enter(tt.line)
	}
	v := s.view()
	for _, want := range []string{
		"! kick bob: unauthorized",
		"! bans: unauthorized",
		"! unban bob: not banned: bob",
		"! mute zed: no such user: zed",
		"! ban bob: not connected (reconnecting…)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "banned bob") || strings.Contains(v, "kicked bob") {
		t.Errorf("a refused command is said to be done:\n%s", v)
	}
}
