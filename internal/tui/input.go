package tui

import (
	"context"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"parley/internal/chat"
)

// handleKey handles a key: Enter sends, Up and Down walk the input
// history, Tab completes, PgUp and PgDn scroll, Ctrl+C (and Ctrl+D on an
// empty line) quits; the other keys edit the input line.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	if k.Type != tea.KeyTab {
		m.comp = completion{}
	}
	switch k.Type {
	case tea.KeyCtrlC:
		return tea.Quit
	case tea.KeyPgUp:
		m.vp.PageUp()
		return nil
	case tea.KeyPgDown:
		m.vp.PageDown()
		return nil
	}
	if m.prompt != nil {
		return m.promptKey(k)
	}
	switch k.Type {
	case tea.KeyCtrlD:
		if m.input.Value() == "" {
			return tea.Quit
		}
	case tea.KeyEnter:
		return m.submit()
	case tea.KeyUp:
		m.historyUp()
		return nil
	case tea.KeyDown:
		m.historyDown()
		return nil
	case tea.KeyTab:
		m.complete()
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

// remember keeps a sent line for Up, and goes back to a fresh line.
func (m *Model) remember(line string) {
	if n := len(m.history); n == 0 || m.history[n-1] != line {
		m.history = append(m.history, line)
	}
	if over := len(m.history) - maxInputHistory; over > 0 {
		m.history = append(m.history[:0:0], m.history[over:]...)
	}
	m.histPos, m.draft = len(m.history), ""
}

// historyUp shows the line sent before the one shown, keeping what was
// being typed for historyDown to bring back.
func (m *Model) historyUp() {
	if m.histPos > len(m.history) {
		m.histPos = len(m.history)
	}
	if m.histPos == 0 {
		return
	}
	if m.histPos == len(m.history) {
		m.draft = m.input.Value()
	}
	m.histPos--
	m.setInput(m.history[m.histPos])
}

// historyDown shows the line sent after the one shown, or, past the last,
// the line that was being typed.
func (m *Model) historyDown() {
	if m.histPos >= len(m.history) {
		return
	}
	m.histPos++
	if m.histPos == len(m.history) {
		m.setInput(m.draft)
		return
	}
	m.setInput(m.history[m.histPos])
}

func (m *Model) setInput(s string) {
	m.input.SetValue(s)
	m.input.CursorEnd()
}

// passwordPrompt is a request waiting for its password: /register, or
// /login of name.
type passwordPrompt struct {
	register bool
	name     string
}

// askPassword turns the input line into a password prompt that echoes a
// mask, never the password.
func (m *Model) askPassword(p passwordPrompt) {
	m.prompt = &p
	m.input.Reset()
	m.input.EchoMode = textinput.EchoPassword
	m.input.EchoCharacter = '*'
	m.input.Placeholder = ""
	if p.register {
		m.setPrompt("new password for " + chat.Clean(m.name) + ": ")
	} else {
		m.setPrompt("password for " + chat.Clean(p.name) + ": ")
	}
	m.addInfo("type the password and press Enter (Esc cancels)")
}

// promptKey handles a key while a password is asked for: Enter sends it,
// Esc (or Ctrl+D on an empty prompt) cancels, and the input history and
// completion are off.
func (m *Model) promptKey(k tea.KeyMsg) tea.Cmd {
	switch k.Type {
	case tea.KeyEsc:
		m.endPrompt()
		m.addInfo("cancelled")
		return nil
	case tea.KeyCtrlD:
		if m.input.Value() == "" {
			m.endPrompt()
			m.addInfo("cancelled")
			return nil
		}
	case tea.KeyEnter:
		password, p := m.input.Value(), *m.prompt
		m.endPrompt()
		if password == "" {
			m.addInfo("cancelled: no password")
			return nil
		}
		return m.auth(p, password)
	case tea.KeyUp, tea.KeyDown, tea.KeyTab:
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

// endPrompt forgets the password typed and makes the input line normal
// again.
func (m *Model) endPrompt() {
	m.prompt = nil
	m.input.Reset()
	m.input.EchoMode = textinput.EchoNormal
	m.input.Placeholder = placeholder
	m.setPrompt("> ")
}

type authDone struct {
	p   passwordPrompt
	err error
}

// auth registers your name, or logs in to p.name, with password.
func (m *Model) auth(p passwordPrompt, password string) tea.Cmd {
	return m.request(func(ctx context.Context, c Chat) resultMsg {
		if p.register {
			return authDone{p, c.Register(ctx, password)}
		}
		return authDone{p, c.Login(ctx, p.name, password)}
	})
}

func (r authDone) apply(m *Model) tea.Cmd {
	what := "register"
	if !r.p.register {
		what = "login " + chat.Clean(r.p.name)
	}
	if r.err != nil {
		m.addError(what + ": " + errorText(r.err))
		return nil
	}
	if r.p.register {
		m.addInfo("registered " + m.name)
		return nil
	}
	m.addInfo("logged in as " + m.name)
	return m.who(false)
}
