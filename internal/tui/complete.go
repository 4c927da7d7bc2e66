package tui

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// completion is Tab's state between presses: when a word has several
// completions, each Tab shows the next. Any other key ends it.
type completion struct {
	cands              []string
	i                  int
	base, suffix, tail string // the line before the word, after a completion, and after the cursor
}

// complete completes the word before the cursor: a command at the start
// of the line, a room after /join, a name anywhere else. One candidate is
// taken; several are first narrowed to what they share, then cycled.
func (m *Model) complete() {
	if len(m.comp.cands) > 0 {
		m.comp.i = (m.comp.i + 1) % len(m.comp.cands)
		m.setCompleted(m.comp.cands[m.comp.i])
		return
	}
	runes := []rune(m.input.Value())
	head, tail := string(runes[:m.input.Position()]), string(runes[m.input.Position():])
	start := strings.LastIndexAny(head, " |") + 1
	base, word := head[:start], head[start:]
	cands, suffix := m.candidates(base, word)
	switch {
	case len(cands) == 0:
		return
	case len(cands) == 1:
		m.comp = completion{base: base, suffix: suffix, tail: tail}
		m.setCompleted(cands[0])
		m.comp = completion{}
		return
	}
	if p := commonPrefix(cands); utf8.RuneCountInString(p) > utf8.RuneCountInString(word) {
		m.comp = completion{base: base, tail: tail}
		m.setCompleted(p)
		m.comp = completion{}
		return
	}
	m.comp = completion{cands: cands, base: base, suffix: suffix, tail: tail}
	m.setCompleted(cands[0])
}

// setCompleted puts candidate c in place of the word being completed.
func (m *Model) setCompleted(c string) {
	v := m.comp.base + c + m.comp.suffix
	m.input.SetValue(v + m.comp.tail)
	m.input.SetCursor(utf8.RuneCountInString(v))
}

// candidates are the completions of word, which follows base on the line,
// and what to put after the one taken.
func (m *Model) candidates(base, word string) ([]string, string) {
	switch {
	case base == "" && strings.HasPrefix(word, "/"):
		var names []string
		for _, list := range [][]command{commands, operatorCommands} {
			for _, c := range list {
				names = append(names, c.name)
			}
		}
		return matching(names, word), " "
	case afterCommand(base, "/join"):
		return matching(m.roomNames(), word), " "
	case base == "to|":
		return matching(m.names(), word), "|"
	case afterCommand(base, "/unban"):
		return matching(m.unbanNames(), word), " "
	case afterCommand(base, "/msg"), afterCommand(base, "/login"), afterCommand(base, "/kick"),
		afterCommand(base, "/ban"), afterCommand(base, "/mute"), afterCommand(base, "/unmute"):
		return matching(m.names(), word), " "
	case word == "" || strings.HasPrefix(base, "/"):
		return nil, ""
	case base == "":
		return matching(m.names(), word), ": " // addressing someone
	}
	return matching(m.names(), word), " "
}

// afterCommand reports whether base is command and a space: its first
// argument is being typed.
func afterCommand(base, command string) bool {
	f := strings.Fields(base)
	return len(f) == 1 && f[0] == command && strings.HasSuffix(base, " ")
}

// names are the names to complete: the people in your room, everyone in
// the last who, and those you exchanged private messages with; not yours.
func (m *Model) names() []string {
	var all []string
	for _, list := range [][]string{m.people, m.online, m.dmPeers} {
		for _, n := range list {
			if !strings.EqualFold(n, m.name) {
				all = addName(all, n)
			}
		}
	}
	return all
}

// unbanNames are the names to complete after /unban: the targets of the
// last /bans, and the names.
func (m *Model) unbanNames() []string {
	all := append([]string(nil), m.banned...)
	for _, n := range m.names() {
		all = addName(all, n)
	}
	return all
}

// roomNames are the rooms to complete: the last rooms list, and yours.
func (m *Model) roomNames() []string {
	all := addName(nil, m.room)
	for _, r := range m.rooms {
		all = addName(all, r.Name)
	}
	return all
}

// matching are the items that start with prefix, case ignored, sorted.
func matching(items []string, prefix string) []string {
	var out []string
	p := strings.ToLower(prefix)
	for _, it := range items {
		if strings.HasPrefix(strings.ToLower(it), p) {
			out = append(out, it)
		}
	}
	sortNames(out)
	return out
}

// commonPrefix is the longest prefix (case ignored) that all of cands
// share, spelt as in the first.
func commonPrefix(cands []string) string {
	first := []rune(cands[0])
	n := len(first)
	for _, c := range cands[1:] {
		r := []rune(c)
		i := 0
		for i < n && i < len(r) && unicode.ToLower(first[i]) == unicode.ToLower(r[i]) {
			i++
		}
		n = i
	}
	return string(first[:n])
}
