package textmode

import (
	"fmt"
	"strings"
	"time"

	"parley/internal/chat"
)

// Codec is the text mode in one language. It holds no mutable state, so one
// Codec serves every text session.
type Codec struct {
	cat *catalog
}

var _ chat.Codec = (*Codec)(nil)

// New returns the text codec for lang, "en" or "zh".
func New(lang string) (*Codec, error) {
	switch lang {
	case "en":
		return &Codec{cat: &en}, nil
	case "zh":
		return &Codec{cat: &zh}, nil
	}
	return nil, fmt.Errorf("textmode: unknown language %q (want en or zh)", lang)
}

// Slot returns chat.SlotText: every text codec shares the event's text
// encoding, since a server speaks one language.
func (c *Codec) Slot() int { return chat.SlotText }

// Append appends ev as text lines, each ending in LF, to dst. A kind that has
// no text form appends nothing.
func (c *Codec) Append(dst []byte, ev *chat.Event) []byte {
	k := c.cat
	switch ev.Kind {
	case chat.EvWelcome:
		return line(dst, k.welcome, str(ev.Name), str(ev.Room))
	case chat.EvHistory:
		start := len(dst)
		for _, m := range ev.Messages {
			dst = c.appendStored(dst, m)
		}
		if ev.Empty && len(dst) == start {
			dst = line(dst, k.noHistory, str(ev.Room))
		}
		return dst
	case chat.EvMsg:
		return line(dst, k.msg, str(ev.Addr), str(ev.Name), str(ev.Text))
	case chat.EvPresence:
		return c.appendPresence(dst, ev)
	case chat.EvNickOK:
		return line(dst, k.nickOK, str(ev.Old), str(ev.Name))
	case chat.EvJoinOK:
		return line(dst, k.joinOK, str(ev.Room))
	case chat.EvWho:
		for _, u := range ev.Users {
			dst = line(dst, k.who, str(u.Name))
		}
		return dst
	case chat.EvRooms:
		for _, r := range ev.Rooms {
			dst = line(dst, k.room, str(r.Name), num(r.Users))
		}
		return dst
	case chat.EvDMIn:
		if ev.Stored {
			dst = appendf(dst, k.stamp, stamp(ev.TS))
		}
		return line(dst, k.dmIn, str(ev.Name), str(ev.Text))
	case chat.EvDMOut:
		if ev.Queued {
			return line(dst, k.dmQueued, str(ev.To), str(ev.Text))
		}
		return line(dst, k.dmOut, str(ev.To), str(ev.Text))
	case chat.EvPong:
		return line(dst, k.pong)
	case chat.EvHelp:
		for _, h := range k.help {
			dst = line(dst, h)
		}
		return dst
	case chat.EvError:
		return c.appendError(dst, ev.Err)
	case chat.EvBye:
		return c.appendBye(dst, ev)
	case chat.EvRegistered:
		return line(dst, k.registered, str(ev.Name))
	case chat.EvLoggedIn:
		return line(dst, k.loggedIn, str(ev.Name))
	case chat.EvDone:
		if int(ev.Did) >= len(k.done) || k.done[ev.Did] == "" {
			return dst
		}
		dst = appendf(dst, k.done[ev.Did], str(ev.Name), str(c.until(ev.Until)))
		return c.endWithReason(dst, ev.Text)
	case chat.EvBans:
		if len(ev.Bans) == 0 {
			return line(dst, k.noBans)
		}
		for _, b := range ev.Bans {
			dst = appendf(dst, k.ban, str(b.Target), str(c.until(b.Until)))
			dst = c.endWithReason(dst, b.Reason)
		}
		return dst
	}
	return dst
}

// until words when a ban or mute ends: RFC 3339 in UTC, or forever.
func (c *Codec) until(t time.Time) string {
	if t.IsZero() {
		return c.cat.forever
	}
	return t.UTC().Format(time.RFC3339)
}

// endWithReason ends a line with its reason, if it has one.
func (c *Codec) endWithReason(dst []byte, reason string) []byte {
	if reason != "" {
		dst = appendf(dst, c.cat.reasonSuffix, str(reason))
	}
	return append(dst, '\n')
}

// appendStored appends one message of a history: its line behind its time.
// Only messages have a history form; anything else appends nothing. A stored
// private message already shows its time.
func (c *Codec) appendStored(dst []byte, m *chat.Event) []byte {
	switch m.Kind {
	case chat.EvMsg, chat.EvDMIn, chat.EvDMOut:
		if !(m.Kind == chat.EvDMIn && m.Stored) {
			dst = appendf(dst, c.cat.stamp, stamp(m.TS))
		}
		return c.Append(dst, m)
	}
	return dst
}

func (c *Codec) appendPresence(dst []byte, ev *chat.Event) []byte {
	p := ev.Presence
	if int(p) >= len(c.cat.presence) || c.cat.presence[p] == "" {
		return dst
	}
	if p == chat.Renamed {
		return line(dst, c.cat.presence[p], str(ev.Addr), str(ev.Old), str(ev.Name))
	}
	return line(dst, c.cat.presence[p], str(ev.Addr), str(ev.Name))
}

func (c *Codec) appendBye(dst []byte, ev *chat.Event) []byte {
	r := ev.Reason
	if int(r) >= len(c.cat.bye) || c.cat.bye[r] == "" {
		return dst
	}
	switch r {
	case chat.ByeIdle, chat.ByeLineTimeout:
		return line(dst, c.cat.bye[r], str(ev.Idle.String()))
	case chat.ByeKicked:
		return c.endWithReason(appendf(dst, c.cat.bye[r], str(ev.Name)), ev.Text)
	}
	return line(dst, c.cat.bye[r])
}

// appendError words e as one line; see catalog.problems for which argument
// each problem gets.
func (c *Codec) appendError(dst []byte, e *chat.Error) []byte {
	if e == nil {
		return dst
	}
	k := c.cat
	p := e.Problem
	if int(p) >= len(k.problems) || k.problems[p] == "" {
		return line(dst, k.otherProblem, str(e.Code().String()))
	}
	switch p {
	case chat.ProbInvalidName, chat.ProbInvalidRoom:
		return c.appendNameError(dst, k.problems[p], e)
	case chat.ProbUsage:
		if l, ok := k.usages[e.Arg]; ok {
			return line(dst, l)
		}
	case chat.ProbLineTooLong, chat.ProbTooManyConns, chat.ProbTooManyFromAddr:
		return line(dst, k.problems[p], num(e.N))
	case chat.ProbRateLimited, chat.ProbConnRate:
		return line(dst, k.problems[p], str(e.Wait.String()))
	case chat.ProbBanned:
		return c.endWithReason(appendf(dst, k.problems[p], str(c.until(e.Until))), e.Arg)
	case chat.ProbMuted:
		return line(dst, k.problems[p], str(c.until(e.Until)))
	}
	return line(dst, k.problems[p], str(e.Arg))
}

// appendNameError appends format, whose one %s is the reason e.Name gives;
// without a NameError the reason is e.Arg.
func (c *Codec) appendNameError(dst []byte, format string, e *chat.Error) []byte {
	before, after, _ := strings.Cut(format, "%s")
	dst = appendf(dst, before)
	switch n := e.Name; {
	case n == nil || int(n.Problem) >= len(c.cat.reasons) || c.cat.reasons[n.Problem] == "":
		dst = appendText(dst, e.Arg)
	case n.Problem == chat.NameTooLong:
		dst = appendf(dst, c.cat.reasons[n.Problem], num(chat.MaxNameLen))
	default:
		dst = appendf(dst, c.cat.reasons[n.Problem], char(n.Char))
	}
	return line(dst, after)
}
