package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// kind says what a scrollback entry is, and so how it looks.
type kind int

const (
	kindChat     kind = iota // "15:04 bob: text"
	kindOwn                  // your own chat line
	kindDMIn                 // "15:04 ← bob: text"
	kindDMOut                // "15:04 → bob: text"
	kindPresence             // "15:04 * bob joined", dim
	kindInfo                 // "15:04 *** text": what the client says
	kindError                // "15:04 ! text"
)

// entry is one line of the scrollback. Every text in it has been through
// chat.Clean already.
type entry struct {
	ts     time.Time
	kind   kind
	name   string // the sender, or the other side of a private message
	text   string
	queued bool // a private message kept for a user who is away
}

// hangingIndent is how far a wrapped entry's next lines are indented: past
// the time.
const hangingIndent = len("15:04 ")

// renderEntry draws e, wrapped to width.
func (m *Model) renderEntry(e entry, width int) string {
	st := &m.st
	ts := st.time.Render(e.ts.In(m.opts.Location).Format("15:04"))
	var body string
	switch e.kind {
	case kindChat:
		body = st.name(e.name).Render(e.name) + ": " + e.text
	case kindOwn:
		body = st.ownName(e.name).Render(e.name) + ": " + st.ownText.Render(e.text)
	case kindDMIn:
		body = st.dm.Render("← "+e.name+":") + " " + st.dmText.Render(e.text)
	case kindDMOut:
		body = st.dm.Render("→ "+e.name+":") + " " + st.dmText.Render(e.text)
		if e.queued {
			body += st.dim.Render(" (queued: " + e.name + " is away)")
		}
	case kindPresence:
		body = st.dim.Render("* " + e.text)
	case kindInfo:
		body = st.info.Render("*** " + e.text)
	case kindError:
		body = st.err.Render("! " + e.text)
	}
	return wrap(ts+" "+body, width)
}

// wrap breaks s into lines of at most width columns; the lines after the
// first are indented past the time.
func wrap(s string, width int) string {
	width = max(width, 1)
	if ansi.StringWidth(s) <= width {
		return s
	}
	if width < 2*hangingIndent {
		return ansi.Wrap(s, width, "")
	}
	lines := strings.Split(ansi.Wrap(s, width-hangingIndent, ""), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", hangingIndent) + lines[i]
	}
	return strings.Join(lines, "\n")
}

// View draws the screen: the scrollback and the side panel, the input
// line, and the status line.
func (m Model) View() string {
	w, _ := m.size()
	body := m.vp.View()
	if m.showPanel() {
		body = lipgloss.JoinHorizontal(lipgloss.Top, body, m.panelView())
	}
	return body + "\n" + ansi.Truncate(m.input.View(), w, "") + "\n" + m.statusView(w)
}

// panelView draws the side panel: the people in your room, then the rooms
// with how many are in each, yours marked.
func (m *Model) panelView() string {
	st := &m.st
	h, iw := m.vp.Height, sidePanelWidth-2 // less the border and the padding
	ls := []string{st.panelTitle.Render(ansi.Truncate(fmt.Sprintf("People (%d)", len(m.people)), iw, "…"))}
	for _, p := range m.people {
		ls = append(ls, st.name(p).Render(ansi.Truncate(p, iw, "…")))
	}
	ls = append(ls, "", st.panelTitle.Render("Rooms"))
	for _, r := range m.rooms {
		count := strconv.Itoa(r.Users)
		name := ansi.Truncate(r.Name, max(1, iw-3-len(count)), "…")
		pad := strings.Repeat(" ", max(1, iw-2-ansi.StringWidth(name)-len(count)))
		if strings.EqualFold(r.Name, m.room) {
			ls = append(ls, st.panelHere.Render("▸ "+name+pad+count))
		} else {
			ls = append(ls, "  "+name+pad+count)
		}
	}
	if len(ls) > h {
		ls = append(ls[:h-1], "…")
	}
	return st.panel.Width(sidePanelWidth - 1).Height(h).MaxHeight(h).Render(strings.Join(ls, "\n"))
}

// statusView draws the status line: the connection, your name and room,
// the round trip, and whether there is more below the scrollback's view.
func (m *Model) statusView(w int) string {
	st := &m.st
	var state string
	switch {
	case m.connected:
		state = st.statusOn.Render(" ● connected ")
	case m.eventsDone || m.over:
		state = st.statusOff.Render(" ○ closed ")
	default:
		state = st.statusOff.Render(" ○ reconnecting… ")
	}
	rtt := "rtt –"
	switch ms := m.rtt.Milliseconds(); {
	case m.rtt <= 0:
	case ms < 1:
		rtt = "rtt <1 ms"
	default:
		rtt = fmt.Sprintf("rtt %d ms", ms)
	}
	info := fmt.Sprintf("│ %s │ [%s] │ %s ", m.name, m.room, rtt)
	if !m.vp.AtBottom() {
		info += "│ more below (PgDn) "
	}
	line := ansi.Truncate(state+st.status.Render(info), w, "…")
	if pad := w - ansi.StringWidth(line); pad > 0 {
		line += st.status.Render(strings.Repeat(" ", pad))
	}
	return line
}
