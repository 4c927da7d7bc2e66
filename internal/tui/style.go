package tui

import (
	"hash/fnv"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// namePalette is the colours a name can get: the terminal's own ANSI
// colours, so that they suit its theme, less red (errors) and magenta
// (private messages).
var namePalette = []string{"2", "3", "4", "6", "9", "10", "11", "12", "14"}

// styles are the looks of the screen, made with one renderer.
type styles struct {
	plain, dim, info, err, time  lipgloss.Style
	ownText, dm, dmText          lipgloss.Style
	prompt, cursor               lipgloss.Style
	panel, panelTitle, panelHere lipgloss.Style
	statusOn, statusOff, status  lipgloss.Style
	names                        []lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	s := styles{
		plain:      r.NewStyle(),
		dim:        r.NewStyle().Faint(true),
		info:       r.NewStyle().Foreground(lipgloss.Color("8")),
		err:        r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		time:       r.NewStyle().Foreground(lipgloss.Color("8")),
		ownText:    r.NewStyle().Bold(true),
		dm:         r.NewStyle().Foreground(lipgloss.Color("13")).Bold(true),
		dmText:     r.NewStyle().Foreground(lipgloss.Color("13")),
		prompt:     r.NewStyle().Foreground(lipgloss.Color("12")).Bold(true),
		cursor:     r.NewStyle().Reverse(true),
		panel:      r.NewStyle().Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(lipgloss.Color("8")).PaddingLeft(1),
		panelTitle: r.NewStyle().Bold(true),
		panelHere:  r.NewStyle().Bold(true),
		status:     r.NewStyle().Reverse(true),
		statusOn:   r.NewStyle().Reverse(true).Foreground(lipgloss.Color("2")),
		statusOff:  r.NewStyle().Reverse(true).Foreground(lipgloss.Color("3")),
	}
	for _, c := range namePalette {
		s.names = append(s.names, r.NewStyle().Foreground(lipgloss.Color(c)))
	}
	return s
}

// name is the style of a name: the same colour for the same name (case
// ignored, as the server ignores it) on every screen.
func (s *styles) name(n string) lipgloss.Style {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(n)))
	return s.names[h.Sum32()%uint32(len(s.names))]
}

// ownName is the style of your own name: its colour, bold and underlined.
func (s *styles) ownName(n string) lipgloss.Style {
	return s.name(n).Bold(true).Underline(true)
}
