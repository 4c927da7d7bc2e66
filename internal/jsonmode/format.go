package jsonmode

import (
	"strconv"
	"time"
	"unicode/utf8"

	"parley/internal/chat"
)

// Append appends ev as one JSON object and a newline. It writes the bytes by
// hand: it runs once per event for every JSON recipient, so it must be cheap.
func (*Codec) Append(b []byte, ev *chat.Event) []byte {
	start := len(b)
	switch ev.Kind {
	case chat.EvWelcome:
		b = open(b, "welcome", ev.Ref)
		b = str(b, "name", ev.Name)
		b = optStr(b, "addr", ev.Addr)
		b = str(b, "room", ev.Room)
		b = str(b, "server", ev.Server)
	case chat.EvHistory:
		b = open(b, "history", ev.Ref)
		b = str(b, "room", ev.Room)
		b = append(b, `,"messages":[`...)
		for i, m := range ev.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMsg(b, m)
		}
		b = append(b, ']')
	case chat.EvMsg:
		b = appendMsg(b, ev)
		return append(b, '\n')
	case chat.EvDMIn, chat.EvDMOut:
		b = open(b, "dm", ev.Ref)
		b = num(b, "id", ev.ID)
		b = str(b, "from", ev.Name)
		b = str(b, "to", ev.To)
		b = str(b, "text", ev.Text)
		b = ts(b, ev.TS) // a kept dm (Stored) is the same event, with its original ts
		if ev.Queued && ev.Kind == chat.EvDMOut {
			b = append(b, `,"queued":true`...)
		}
	case chat.EvPresence:
		b = open(b, "presence", ev.Ref)
		b = str(b, "event", ev.Presence.String())
		b = str(b, "name", ev.Name)
		b = optStr(b, "old", ev.Old)
		b = str(b, "room", ev.Room)
		b = optStr(b, "addr", ev.Addr)
	case chat.EvWho:
		b = open(b, "who", ev.Ref)
		b = append(b, `,"users":[`...)
		for i, u := range ev.Users {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, u.Name)
			b = str(b, "room", u.Room)
			b = append(b, '}')
		}
		b = append(b, ']')
	case chat.EvRooms:
		b = open(b, "rooms", ev.Ref)
		b = append(b, `,"rooms":[`...)
		for i, r := range ev.Rooms {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, r.Name)
			b = num(b, "users", int64(r.Users))
			b = append(b, '}')
		}
		b = append(b, ']')
	case chat.EvNickOK, chat.EvRegistered, chat.EvLoggedIn:
		b = open(b, "ok", ev.Ref)
		b = str(b, "name", ev.Name)
	case chat.EvJoinOK:
		b = open(b, "ok", ev.Ref)
		b = str(b, "room", ev.Room)
	case chat.EvDone:
		b = open(b, "ok", ev.Ref)
		b = str(b, "name", ev.Name)
		if ev.Did == chat.OpBan || ev.Did == chat.OpMute {
			b = str(b, "until", until(ev.Until))
		}
	case chat.EvBans:
		b = open(b, "bans", ev.Ref)
		b = append(b, `,"bans":[`...)
		for i, ban := range ev.Bans {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"target":`...)
			b = appendString(b, ban.Target)
			b = str(b, "until", until(ban.Until))
			b = str(b, "reason", ban.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	case chat.EvPong:
		b = open(b, "pong", ev.Ref)
	case chat.EvError:
		b = open(b, "error", ev.Ref)
		b = str(b, "code", ev.Err.Code().String())
		b = str(b, "message", errorMessage(ev.Err))
	case chat.EvBye:
		b = open(b, "bye", ev.Ref)
		b = str(b, "reason", ev.Reason.String())
		b = str(b, "message", byeMessage(ev))
	default:
		return b[:start] // not a JSON event (help, queue markers)
	}
	return append(b, '}', '\n')
}

func appendMsg(b []byte, ev *chat.Event) []byte {
	b = open(b, "msg", nil)
	b = num(b, "id", ev.ID)
	b = str(b, "room", ev.Room)
	b = str(b, "from", ev.Name)
	b = optStr(b, "addr", ev.Addr)
	b = str(b, "text", ev.Text)
	b = ts(b, ev.TS)
	return append(b, '}')
}

func open(b []byte, typ string, ref []byte) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if ref != nil {
		b = append(b, `,"ref":`...)
		b = append(b, ref...)
	}
	return b
}

func key(b []byte, k string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func str(b []byte, k, v string) []byte {
	return appendString(key(b, k), v)
}

func optStr(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return str(b, k, v)
}

func num(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(key(b, k), v, 10)
}

func ts(b []byte, t time.Time) []byte {
	b = append(key(b, "ts"), '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters and U+2028/U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = append(b, hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
