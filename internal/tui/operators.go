package tui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"parley/internal/chat"
	"parley/internal/client"
)

// The operator commands read their arguments as the server's text mode
// does (internal/textmode/parse.go): /ban's word after the target is a
// duration if chat.ParseDuration takes it, else the reason begins there.

// runOperator runs an operator command; the server says whether you are
// one.
func (m *Model) runOperator(name, args string) tea.Cmd {
	target, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch name {
	case "/kick":
		if target == "" {
			m.addError("usage: /kick NAME [REASON]")
			return nil
		}
		return m.kick(target, rest)
	case "/ban":
		if target == "" {
			m.addError("usage: /ban NAME|ADDR [DURATION] [REASON]")
			return nil
		}
		word, reason, _ := strings.Cut(rest, " ")
		d, ok := chat.ParseDuration(word)
		if ok {
			rest = strings.TrimSpace(reason)
		}
		return m.ban(target, d, rest)
	case "/mute":
		d, ok := chat.ParseDuration(rest)
		if target == "" || rest != "" && !ok {
			m.addError("usage: /mute NAME [DURATION], DURATION like 90m or 7d")
			return nil
		}
		return m.mute(target, d)
	case "/unban":
		if target == "" || rest != "" {
			m.addError("usage: /unban NAME|ADDR")
			return nil
		}
		return m.unban(target)
	case "/unmute":
		if target == "" || rest != "" {
			m.addError("usage: /unmute NAME")
			return nil
		}
		return m.unmute(target)
	case "/bans":
		return m.listBans()
	}
	return nil
}

// operatorDone is an operator command's result: what was done, or the
// error the server gave.
type operatorDone struct {
	what string // the command, as "kick bob"
	done string // the line saying it was done
	err  error
}

func (r operatorDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError(r.what + ": " + errorText(r.err))
		return nil
	}
	m.addInfo(r.done)
	return nil
}

func (m *Model) kick(name, reason string) tea.Cmd {
	shown := chat.Clean(name)
	done := "kicked " + shown + withReason(reason)
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return operatorDone{"kick " + shown, done, c.Kick(ctx, name, reason)}
	})
}

func (m *Model) ban(target string, d time.Duration, reason string) tea.Cmd {
	shown := chat.Clean(target)
	done := "banned " + shown + " until " + m.until(d) + withReason(reason)
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return operatorDone{"ban " + shown, done, c.Ban(ctx, target, d, reason)}
	})
}

func (m *Model) mute(name string, d time.Duration) tea.Cmd {
	shown := chat.Clean(name)
	done := "muted " + shown + " until " + m.until(d)
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return operatorDone{"mute " + shown, done, c.Mute(ctx, name, d)}
	})
}

func (m *Model) unban(target string) tea.Cmd {
	shown := chat.Clean(target)
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return operatorDone{"unban " + shown, "unbanned " + shown, c.Unban(ctx, target)}
	})
}

func (m *Model) unmute(name string) tea.Cmd {
	shown := chat.Clean(name)
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return operatorDone{"unmute " + shown, "unmuted " + shown, c.Unmute(ctx, name)}
	})
}

// until says when a ban or a mute of d from now ends, as the server's text
// mode does: the end rounded up to the second, in RFC 3339 UTC. The server
// does not send it back, so this is the local clock's idea of it.
func (m *Model) until(d time.Duration) string {
	if d == 0 {
		return "lifted"
	}
	end := m.opts.Now().Add(d)
	if r := end.Truncate(time.Second); !r.Equal(end) {
		end = r.Add(time.Second)
	}
	return end.UTC().Format(time.RFC3339)
}

// withReason is ": REASON", or nothing without one.
func withReason(reason string) string {
	if reason = chat.Clean(reason); reason != "" {
		return ": " + reason
	}
	return ""
}

type bansDone struct {
	bans []client.Ban
	err  error
}

func (m *Model) listBans() tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		bans, err := c.Bans(ctx)
		return bansDone{bans, err}
	})
}

// apply lists the bans, one per line, and keeps their targets for Tab
// after /unban.
func (r bansDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError("bans: " + errorText(r.err))
		return nil
	}
	m.banned = m.banned[:0]
	if len(r.bans) == 0 {
		m.addInfo("no bans")
		return nil
	}
	m.addInfo(plural(len(r.bans), "ban") + ":")
	for _, b := range r.bans {
		until := "lifted"
		if !b.Until.IsZero() {
			until = b.Until.UTC().Format(time.RFC3339)
		}
		target := chat.Clean(b.Target)
		m.banned = addName(m.banned, target)
		m.addInfo("  " + target + " until " + until + withReason(b.Reason))
	}
	return nil
}
