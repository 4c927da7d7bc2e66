package tui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"parley/internal/chat"
	"parley/internal/client"
)

// resultMsg is a request's result, back in Update; apply shows it.
type resultMsg interface {
	apply(m *Model) tea.Cmd
}

// request returns a command that runs f under the request timeout. f gets
// the connection, never the model: the command runs on its own goroutine.
func (m *Model) request(f func(ctx context.Context, c Chat) resultMsg) tea.Cmd {
	c, ctx, d := m.chat, m.opts.Context, m.opts.RequestTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return f(ctx, c)
	}
}

// tickMsg asks for a refresh of the side panel and the round trip.
type tickMsg struct{}

// tick is the command that waits for the next refresh.
func (m *Model) tick() tea.Cmd {
	if m.opts.RefreshEvery < 0 {
		return nil
	}
	d, done := m.opts.RefreshEvery, m.opts.Context.Done()
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return tickMsg{}
		case <-done:
			return nil
		}
	}
}

// refresh asks again who is online, which rooms there are, and the round
// trip; nothing while disconnected.
func (m *Model) refresh() tea.Cmd {
	if !m.connected {
		return nil
	}
	return tea.Batch(m.who(false), m.refreshRooms(false), m.ping())
}

type pingDone struct{}

func (pingDone) apply(*Model) tea.Cmd { return nil } // Update reads the RTT after every message

func (m *Model) ping() tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		c.Ping(ctx)
		return pingDone{}
	})
}

type whoDone struct {
	users []client.User
	show  bool // asked for by the user: list them
	err   error
}

// who asks who is online: for the side panel, and, with show, to list.
func (m *Model) who(show bool) tea.Cmd {
	if !show {
		if m.whoBusy {
			return nil
		}
		m.whoBusy = true
	}
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		users, err := c.Who(ctx)
		return whoDone{users, show, err}
	})
}

func (r whoDone) apply(m *Model) tea.Cmd {
	if !r.show {
		m.whoBusy = false
	}
	if r.err != nil {
		if r.show {
			m.addError("who: " + errorText(r.err))
		}
		return nil
	}
	m.online, m.people = m.online[:0], nil
	for _, u := range r.users {
		name := chat.Clean(u.Name)
		m.online = append(m.online, name)
		if strings.EqualFold(chat.Clean(u.Room), m.room) {
			m.people = append(m.people, name)
		}
	}
	if r.show {
		m.addInfo(plural(len(r.users), "user") + " online:")
		for _, u := range r.users {
			m.addInfo("  " + chat.Clean(u.Name) + " in [" + chat.Clean(u.Room) + "]")
		}
	}
	return nil
}

type roomsDone struct {
	rooms []client.Room
	show  bool
	err   error
}

// refreshRooms asks for the rooms: for the side panel, and, with show, to
// list.
func (m *Model) refreshRooms(show bool) tea.Cmd {
	if !show {
		if m.roomsBusy || !m.connected {
			return nil
		}
		m.roomsBusy = true
	}
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		rooms, err := c.Rooms(ctx)
		return roomsDone{rooms, show, err}
	})
}

func (r roomsDone) apply(m *Model) tea.Cmd {
	if !r.show {
		m.roomsBusy = false
	}
	if r.err != nil {
		if r.show {
			m.addError("rooms: " + errorText(r.err))
		}
		return nil
	}
	m.rooms = m.rooms[:0]
	for _, rm := range r.rooms {
		m.rooms = append(m.rooms, client.Room{Name: chat.Clean(rm.Name), Users: rm.Users})
	}
	if r.show {
		m.addInfo(plural(len(r.rooms), "room") + ":")
		for _, rm := range m.rooms {
			m.addInfo("  [" + rm.Name + "] " + strconv.Itoa(rm.Users) + " online")
		}
	}
	return nil
}

type dmDone struct {
	to  string
	dm  client.DirectMessage
	err error
}

// dm sends a private message; the reply is shown as sent.
func (m *Model) dm(to, text string) tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		dm, err := c.DM(ctx, to, text)
		return dmDone{to, dm, err}
	})
}

func (r dmDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError("to " + chat.Clean(r.to) + ": " + errorText(r.err))
		return nil
	}
	m.add(m.dmEntry(r.dm))
	return nil
}

type nickDone struct {
	name string
	err  error
}

func (m *Model) nick(name string) tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return nickDone{name, c.Nick(ctx, name)}
	})
}

func (r nickDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError("nick " + chat.Clean(r.name) + ": " + errorText(r.err))
		return nil
	}
	m.addInfo("you are now " + m.name)
	return m.who(false)
}

type joinDone struct {
	room string
	err  error
}

func (m *Model) join(room string) tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		return joinDone{room, c.Join(ctx, room)}
	})
}

func (r joinDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError("join " + chat.Clean(r.room) + ": " + errorText(r.err))
		return nil
	}
	m.people = nil
	m.addInfo("joined [" + m.room + "]")
	return tea.Batch(m.who(false), m.refreshRooms(false))
}

type historyDone struct {
	msgs []client.Message
	err  error
}

// fetchHistory asks for the last n lines of your room.
func (m *Model) fetchHistory(n int) tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		msgs, err := c.History(ctx, "", n, 0)
		return historyDone{msgs, err}
	})
}

func (r historyDone) apply(m *Model) tea.Cmd {
	if r.err != nil {
		m.addError("history: " + errorText(r.err))
		return nil
	}
	if len(r.msgs) == 0 {
		m.addInfo("no history in [" + m.room + "]")
		return nil
	}
	m.addInfo("the last " + plural(len(r.msgs), "line") + " of [" + m.room + "]:")
	es := make([]entry, len(r.msgs))
	for i, msg := range r.msgs {
		es[i] = m.messageEntry(msg)
	}
	m.add(es...)
	m.addInfo("end of history")
	return nil
}

// plural is "1 line", "2 lines".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// errorText says what went wrong with a request, in the server's words
// when it answered.
func errorText(err error) string {
	var se *client.Error
	switch {
	case errors.As(err, &se):
		return serverErrorText(se.Code, se.Message)
	case errors.Is(err, client.ErrDisconnected):
		return "not connected (reconnecting…)"
	case errors.Is(err, client.ErrClosed):
		return "the connection is closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer from the server"
	}
	return chat.Clean(err.Error())
}

// serverErrorText is an error the server sent: its message, or its code.
func serverErrorText(code, message string) string {
	if message = chat.Clean(message); message != "" {
		return message
	}
	return chat.Clean(code)
}
