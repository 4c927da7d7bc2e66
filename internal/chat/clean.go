package chat

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s as PROTOCOL.md "Transport and framing" wants every text and
// name: each run of invalid UTF-8 becomes one U+FFFD, then escape sequences
// (CSI "ESC [ … final", OSC "ESC ] … BEL or ESC \", ESC plus one character;
// one left open runs to the end), C0 controls except TAB, DEL, C1 controls and
// the bidirectional controls U+202A–U+202E and U+2066–U+2069 are removed, and
// TAB becomes a space.
//
// Clean is idempotent, and returns s itself (no allocation) when there is
// nothing to clean, which is the common case on the hot path.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			i = skipEscape(s, i+1)
			continue
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, isBidiControl(r):
			// dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// skipEscape returns the index just past the escape sequence whose ESC stood
// at i-1.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: runs to its final byte, 0x40–0x7E.
		for j := i + 1; j < len(s); j++ {
			if s[j] >= 0x40 && s[j] <= 0x7e {
				return j + 1
			}
		}
		return len(s)
	case ']': // OSC: runs to BEL or ST (ESC \).
		for j := i + 1; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	default: // ESC plus one character.
		_, size := utf8.DecodeRuneInString(s[i:])
		return i + size
	}
}

// isClean reports whether Clean would return s unchanged.
func isClean(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return false
		case c < 0x80:
		case c == 0xc2: // U+0080–U+009F are C2 80 – C2 9F.
			ascii = false
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
				return false
			}
		case c == 0xe2: // U+202A–U+202E are E2 80 AA–AE; U+2066–U+2069 are E2 81 A6–A9.
			ascii = false
			if i+2 < len(s) {
				c1, c2 := s[i+1], s[i+2]
				if c1 == 0x80 && c2 >= 0xaa && c2 <= 0xae || c1 == 0x81 && c2 >= 0xa6 && c2 <= 0xa9 {
					return false
				}
			}
		default:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}
