package tui

import (
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"parley/internal/chat"
	"parley/internal/client"
)

// eventMsg carries one of the server's events into Update.
type eventMsg struct{ ev client.Event }

// eventsClosedMsg says Events was closed: the client is over.
type eventsClosedMsg struct{}

// waitEvent is the command that waits for the next event. Update starts it
// again after every event, so exactly one is waiting at a time.
func (m *Model) waitEvent() tea.Cmd {
	if m.eventsDone {
		return nil
	}
	events, done := m.chat.Events(), m.opts.Context.Done()
	return func() tea.Msg {
		select {
		case ev, ok := <-events:
			if !ok {
				return eventsClosedMsg{}
			}
			return eventMsg{ev}
		case <-done:
			return nil
		}
	}
}

// handleEvent shows what the server said and keeps the side panel up to
// date.
func (m *Model) handleEvent(ev client.Event) tea.Cmd {
	switch ev := ev.(type) {
	case client.Welcome:
		m.connected = true
		m.addInfo("connected to " + chat.Clean(ev.Server) + " as " + chat.Clean(m.chat.Name()) +
			", in [" + chat.Clean(m.chat.Room()) + "]; /help lists the commands")
		return m.refresh()
	case client.Message:
		m.add(m.messageEntry(ev))
	case client.History:
		es := make([]entry, len(ev.Messages))
		for i, msg := range ev.Messages {
			es[i] = m.messageEntry(msg)
		}
		m.add(es...)
	case client.DirectMessage:
		m.add(m.dmEntry(ev))
	case client.Presence:
		return m.presence(ev)
	case client.Renamed:
		m.addInfo("your name is now " + chat.Clean(ev.New) + " (your account was logged in to elsewhere)")
	case client.ServerError:
		text := serverErrorText(ev.Code, ev.Message)
		if ev.Code == "refused" {
			text = "the server refuses to reconnect you: " + text
		}
		m.addError(text)
	case client.Bye:
		if ev.Reason != "quit" {
			m.addInfo("the server ended the session: " + chat.Clean(ev.Message) + " (" + chat.Clean(ev.Reason) + ")")
		}
	case client.Disconnected:
		m.connected, m.over = false, !ev.Reconnecting
		text := "disconnected"
		if ev.Err != nil {
			text += " (" + chat.Clean(ev.Err.Error()) + ")"
		}
		if ev.Reconnecting {
			text += "; reconnecting…"
		}
		m.addInfo(text)
	case client.Reconnected:
		m.connected = true
		m.addInfo("reconnected (" + plural(ev.Missed, "missed line") + ")")
		return m.refresh()
	}
	return nil
}

// messageEntry is a chat line's entry: yours, or someone else's.
func (m *Model) messageEntry(msg client.Message) entry {
	from := chat.Clean(msg.From)
	if msg.Addr != "" {
		m.noteAddr(chat.Clean(msg.Addr), from)
	}
	k := kindChat
	if strings.EqualFold(from, m.name) {
		k = kindOwn
	}
	return entry{ts: msg.TS, kind: k, name: from, text: chat.Clean(msg.Text)}
}

// dmEntry is a private message's entry, sent or received.
func (m *Model) dmEntry(dm client.DirectMessage) entry {
	e := entry{ts: dm.TS, kind: kindDMIn, name: chat.Clean(dm.From), text: chat.Clean(dm.Text), queued: dm.Queued}
	if strings.EqualFold(e.name, m.name) {
		e.kind, e.name = kindDMOut, chat.Clean(dm.To)
	}
	if e.ts.IsZero() {
		e.ts = m.opts.Now()
	}
	m.dmPeers = addName(m.dmPeers, e.name)
	return e
}

// presence shows someone coming, going or renaming, and updates the people
// in your room; the rooms' counts are asked for again.
func (m *Model) presence(p client.Presence) tea.Cmd {
	name, old := chat.Clean(p.Name), chat.Clean(p.Old)
	here := strings.EqualFold(chat.Clean(p.Room), m.room)
	if p.Addr != "" {
		m.noteAddr(chat.Clean(p.Addr), name)
	}
	var text string
	switch p.Event {
	case "online":
		text = name + " is online"
		if here {
			m.people = addName(m.people, name)
		}
	case "offline":
		text = name + " went offline"
		m.people = removeName(m.people, name)
	case "joined":
		text = name + " joined"
		m.people = addName(m.people, name)
	case "left":
		text = name + " left"
		m.people = removeName(m.people, name)
	case "renamed":
		text = old + " is now " + name
		if slices.ContainsFunc(m.people, func(s string) bool { return strings.EqualFold(s, old) }) {
			m.people = addName(removeName(m.people, old), name)
		}
	default:
		text = name + " " + chat.Clean(p.Event)
	}
	m.add(entry{ts: m.opts.Now(), kind: kindPresence, text: text})
	return m.refreshRooms(false)
}

// noteAddr remembers whose address addr is, for the ADDR#TEXT form.
func (m *Model) noteAddr(addr, name string) {
	if len(m.addrs) > 4096 {
		clear(m.addrs) // a bound, not a cache policy: it refills as people talk
	}
	m.addrs[addr] = name
}

// addName adds name to a sorted list unless it is there (case ignored).
func addName(list []string, name string) []string {
	if name == "" || slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) }) {
		return list
	}
	list = append(list, name)
	sortNames(list)
	return list
}

// removeName removes name (case ignored) from a list.
func removeName(list []string, name string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}

// sortNames sorts by the case-folded name, as the server does.
func sortNames(list []string) {
	slices.SortFunc(list, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
}
