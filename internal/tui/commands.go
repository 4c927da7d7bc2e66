package tui

import (
	"fmt"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// command is a slash command as /help lists it.
type command struct{ name, args, help string }

// commands and operatorCommands are what /help lists and Tab completes;
// run dispatches them. The text mode's other forms (who, rename|NAME,
// to|NAME|TEXT, ADDR#TEXT) are read in dispatch.
var commands = []command{
	{"/msg", "NAME TEXT", "private message (also to|NAME|TEXT)"},
	{"/nick", "NAME", "change your name (also rename|NAME)"},
	{"/join", "ROOM", "leave your room for ROOM, made if needed"},
	{"/rooms", "", "the rooms that have people in them"},
	{"/who", "", "everyone online (also who)"},
	{"/history", "[N]", "the last N lines of your room (20)"},
	{"/register", "", "make your name an account (asks a password)"},
	{"/login", "NAME", "log in to account NAME (asks its password)"},
	{"/help", "", "this list"},
	{"/quit", "", "leave (also Ctrl+C, or Ctrl+D on an empty line)"},
}

// operatorCommands are PROTOCOL.md's operator commands: the server runs
// them for operators only, and /help lists them apart.
var operatorCommands = []command{
	{"/kick", "NAME [REASON]", "end NAME's session"},
	{"/ban", "NAME|ADDR [DURATION] [REASON]", "kick and refuse NAME or ADDR"},
	{"/unban", "NAME|ADDR", "lift a ban"},
	{"/mute", "NAME [DURATION]", "refuse NAME's lines and DMs"},
	{"/unmute", "NAME", "lift a mute"},
	{"/bans", "", "list the bans"},
}

// operatorsHeading introduces operatorCommands in /help.
const operatorsHeading = "operators only (DURATION like 90m or 7d; none: until lifted):"

// helpFooter follows the commands in /help.
var helpFooter = []string{
	"//TEXT says /TEXT; any other line is said to your room",
	"keys: Up/Down input history · Tab completes commands, names, rooms · PgUp/PgDn scroll",
}

// submit handles Enter: the line is sent or run, and kept for Up unless it
// holds a password.
func (m *Model) submit() tea.Cmd {
	line := m.input.Value()
	m.input.Reset()
	if strings.TrimSpace(line) == "" {
		return nil
	}
	if !holdsPassword(line) {
		m.remember(line)
	}
	return m.dispatch(line)
}

// holdsPassword reports whether line is /register or /login with the
// password typed in it: such a line is not kept in the input history.
func holdsPassword(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && f[0] == "/register" || len(f) >= 3 && f[0] == "/login"
}

// dispatch runs a line the user typed, as PROTOCOL.md's text mode reads it.
func (m *Model) dispatch(line string) tea.Cmd {
	trimmed := strings.TrimRight(line, " \t")
	switch {
	case strings.HasPrefix(trimmed, "//"):
		return m.say(line[1:])
	case strings.HasPrefix(trimmed, "/"):
		name, args, _ := strings.Cut(trimmed, " ")
		return m.run(name, strings.TrimSpace(args))
	case trimmed == "who":
		return m.who(true)
	case strings.HasPrefix(trimmed, "rename|"):
		return m.nick(strings.TrimPrefix(trimmed, "rename|"))
	case strings.HasPrefix(trimmed, "to|"):
		to, text, ok := strings.Cut(strings.TrimPrefix(line, "to|"), "|")
		if !ok || to == "" {
			m.addError("usage: to|NAME|TEXT")
			return nil
		}
		return m.dm(to, text)
	}
	if addr, text, ok := strings.Cut(line, "#"); ok && m.addrs[addr] != "" {
		return m.dm(m.addrs[addr], text)
	}
	return m.say(line)
}

// run runs a slash command.
func (m *Model) run(name, args string) tea.Cmd {
	switch name {
	case "/msg":
		to, text, ok := strings.Cut(args, " ")
		if !ok || to == "" {
			m.addError("usage: /msg NAME TEXT")
			return nil
		}
		return m.dm(to, text)
	case "/nick":
		if args == "" || strings.ContainsAny(args, " \t") {
			m.addError("usage: /nick NAME")
			return nil
		}
		return m.nick(args)
	case "/join":
		if args == "" || strings.ContainsAny(args, " \t") {
			m.addError("usage: /join ROOM")
			return nil
		}
		return m.join(args)
	case "/rooms":
		return m.refreshRooms(true)
	case "/who":
		return m.who(true)
	case "/history":
		return m.runHistory(args)
	case "/register":
		if args != "" {
			return m.auth(passwordPrompt{register: true}, args)
		}
		m.askPassword(passwordPrompt{register: true})
	case "/login":
		return m.runLogin(args)
	case "/help":
		m.help()
	case "/quit":
		return tea.Quit
	case "/kick", "/ban", "/unban", "/mute", "/unmute", "/bans":
		return m.runOperator(name, args)
	default:
		m.addError("unknown command " + name + " (try /help)")
	}
	return nil
}

// runHistory runs /history [N].
func (m *Model) runHistory(args string) tea.Cmd {
	n := 20
	if args != "" {
		v, err := strconv.Atoi(args)
		if err != nil || v <= 0 {
			m.addError("usage: /history [N], N a positive number")
			return nil
		}
		n = min(v, 1000)
	}
	return m.fetchHistory(n)
}

// runLogin runs /login NAME [PASSWORD]: without the password, it asks.
func (m *Model) runLogin(args string) tea.Cmd {
	f := strings.Fields(args)
	switch len(f) {
	case 1:
		m.askPassword(passwordPrompt{name: f[0]})
	case 2:
		return m.auth(passwordPrompt{name: f[0]}, f[1])
	default:
		m.addError("usage: /login NAME")
	}
	return nil
}

// help lists the commands in the scrollback.
func (m *Model) help() {
	m.addInfo("commands:")
	for _, c := range commands {
		m.addInfo(fmt.Sprintf("  %-19s %s", strings.TrimSpace(c.name+" "+c.args), c.help))
	}
	m.addInfo(operatorsHeading)
	for _, c := range operatorCommands {
		m.addInfo(fmt.Sprintf("  %-34s %s", strings.TrimSpace(c.name+" "+c.args), c.help))
	}
	for _, l := range helpFooter {
		m.addInfo(l)
	}
}

// say sends a chat line; it comes back from the server like everyone's.
func (m *Model) say(text string) tea.Cmd {
	if err := m.chat.Say(text); err != nil {
		m.addError("not sent: " + errorText(err))
	}
	return nil
}
