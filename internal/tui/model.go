package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"parley/internal/chat"
	"parley/internal/client"
)

// Layout and limits.
const (
	// sidePanelMinWidth is the narrowest terminal that shows the side panel.
	sidePanelMinWidth = 80
	// sidePanelWidth is the panel's width, its left border included.
	sidePanelWidth = 22
	// maxScrollback is how many entries the scrollback keeps.
	maxScrollback = 2000
	// maxInputHistory is how many sent lines Up and Down walk through.
	maxInputHistory = 500
	// maxInput is the longest line the input takes, in characters.
	maxInput = 2000
	// defaultWidth and defaultHeight are the screen's size until the first
	// tea.WindowSizeMsg (which never comes when the output is no terminal).
	defaultWidth, defaultHeight = 80, 24
	// placeholder is what the empty input line says.
	placeholder = "type a message, or /help"
)

// Options tune a Model. Zero values mean defaults.
type Options struct {
	// Context ends the commands that wait (for events, replies, the
	// refresh tick) once done; Run cancels it when the program is over.
	// Defaults to context.Background().
	Context context.Context
	// Renderer draws the styles; defaults to lipgloss's default renderer.
	// Tests pass one with a fixed colour profile.
	Renderer *lipgloss.Renderer
	// Location is the time zone of the times shown; defaults to time.Local.
	Location *time.Location
	// Now is the clock for local lines; defaults to time.Now.
	Now func() time.Time
	// RequestTimeout bounds each request to the server; defaults to 10s.
	RequestTimeout time.Duration
	// RefreshEvery is how often the side panel and the round trip are
	// refreshed; defaults to 15s, negative turns the refresh off.
	RefreshEvery time.Duration
}

func (o *Options) setDefaults() {
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.RefreshEvery == 0 {
		o.RefreshEvery = 15 * time.Second
	}
}

// Model is the full-screen client: a tea.Model. Its zero value is not
// usable; make one with New.
type Model struct {
	chat Chat
	opts Options
	st   styles

	// Layout, from the last tea.WindowSizeMsg (0 until then).
	width, height int
	vp            viewport.Model
	input         textinput.Model

	// The scrollback, oldest first, and each entry drawn at the current
	// width.
	entries  []entry
	rendered []string

	// The connection as the screen shows it.
	connected  bool
	name, room string
	rtt        time.Duration
	people     []string      // in your room, sorted
	rooms      []client.Room // sorted by name
	online     []string      // everyone, from the last who
	dmPeers    []string      // whom you exchanged private messages with
	banned     []string      // the targets of the last /bans, sorted
	addrs      map[string]string
	whoBusy    bool // a who refresh is in flight
	roomsBusy  bool // a rooms refresh is in flight
	eventsDone bool // Events was closed
	over       bool // the client said it will not reconnect

	// The input line: lines sent (oldest first), where Up and Down are in
	// them (len(history) is the line being typed), and that line.
	history []string
	histPos int
	draft   string
	comp    completion
	prompt  *passwordPrompt // non-nil while a password is asked for
}

// New returns the model of a client talking to c.
func New(c Chat, opts Options) Model {
	opts.setDefaults()
	m := Model{
		chat:      c,
		opts:      opts,
		st:        newStyles(opts.Renderer),
		vp:        viewport.New(0, 0),
		input:     textinput.New(),
		connected: c.Connected(),
		addrs:     make(map[string]string),
	}
	m.vp.KeyMap = viewport.KeyMap{} // keys reach it only through handleKey
	m.input.CharLimit = maxInput
	m.input.Cursor.SetMode(cursor.CursorStatic)
	m.input.Cursor.Style = m.st.cursor
	m.input.Cursor.TextStyle = m.st.plain
	m.input.TextStyle = m.st.plain
	m.input.PlaceholderStyle = m.st.dim
	m.input.Placeholder = placeholder
	m.input.Focus()
	m.setPrompt("> ")
	m.syncIdentity()
	m.layout()
	return m
}

// Init starts waiting for the server's events and the refresh tick, and
// fills the side panel.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.waitEvent(), m.tick(), m.refresh())
}

// Update handles keys, resizes, the server's events and the replies to
// requests.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m.syncIdentity()
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
	case tea.KeyMsg:
		cmd = m.handleKey(msg)
	case eventMsg:
		cmd = tea.Batch(m.handleEvent(msg.ev), m.waitEvent())
	case eventsClosedMsg:
		m.eventsDone, m.connected = true, false
		m.addInfo("connection closed")
	case tickMsg:
		cmd = tea.Batch(m.refresh(), m.tick())
	case resultMsg:
		cmd = msg.apply(&m)
	default: // the input's own messages (a paste)
		m.input, cmd = m.input.Update(msg)
	}
	m.syncIdentity()
	return m, cmd
}

// syncIdentity copies the name, room and round trip from the connection.
func (m *Model) syncIdentity() {
	m.name, m.room, m.rtt = chat.Clean(m.chat.Name()), chat.Clean(m.chat.Room()), m.chat.RTT()
}

// size is the screen's size, or the default one before the first resize.
func (m *Model) size() (w, h int) {
	w, h = m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	return w, h
}

// showPanel reports whether the screen is wide enough for the side panel.
func (m *Model) showPanel() bool {
	w, _ := m.size()
	return w >= sidePanelMinWidth
}

// layout sizes the scrollback and the input to the screen, and draws the
// scrollback again at its new width.
func (m *Model) layout() {
	w, h := m.size()
	vw := w
	if m.showPanel() {
		vw -= sidePanelWidth
	}
	atBottom := m.vp.AtBottom()
	m.vp.Width, m.vp.Height = vw, max(1, h-2)
	m.input.Width = max(1, w-lipgloss.Width(m.input.Prompt)-1)
	for i, e := range m.entries {
		m.rendered[i] = m.renderEntry(e, vw)
	}
	m.vp.SetContent(strings.Join(m.rendered, "\n"))
	if atBottom {
		m.vp.GotoBottom()
	}
}

// setPrompt changes the input's prompt (and so its width).
func (m *Model) setPrompt(p string) {
	m.input.Prompt = p
	m.input.PromptStyle = m.st.prompt
	w, _ := m.size()
	m.input.Width = max(1, w-lipgloss.Width(p)-1)
}

// add appends entries to the scrollback, following the newest line unless
// the user has scrolled back.
func (m *Model) add(es ...entry) {
	if len(es) == 0 {
		return
	}
	atBottom := m.vp.AtBottom()
	for _, e := range es {
		m.entries = append(m.entries, e)
		m.rendered = append(m.rendered, m.renderEntry(e, m.vp.Width))
	}
	if over := len(m.entries) - maxScrollback; over > 0 {
		m.entries = append(m.entries[:0:0], m.entries[over:]...)
		m.rendered = append(m.rendered[:0:0], m.rendered[over:]...)
	}
	m.vp.SetContent(strings.Join(m.rendered, "\n"))
	if atBottom {
		m.vp.GotoBottom()
	}
}

// addInfo and addError add a local line: a notice, or an error.
func (m *Model) addInfo(text string) {
	m.add(entry{ts: m.opts.Now(), kind: kindInfo, text: text})
}

func (m *Model) addError(text string) {
	m.add(entry{ts: m.opts.Now(), kind: kindError, text: text})
}
