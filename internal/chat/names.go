package chat

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// MaxNameLen is the longest chosen name or room name, in characters.
const MaxNameLen = 32

// NameProblem says why a name or room name was refused.
type NameProblem uint8

// The reasons a name is refused; codecs word them per language.
const (
	NameOK NameProblem = iota
	NameEmpty
	NameTooLong
	NameBadChar
	NameDefault // /register under the name given on connect
)

// NameError is a refused name: its problem and, for NameBadChar, the first
// character that is not allowed.
type NameError struct {
	Problem NameProblem
	Char    rune
}

func (e *NameError) Error() string {
	switch e.Problem {
	case NameEmpty:
		return "empty"
	case NameTooLong:
		return "too long"
	case NameDefault:
		return "choose a name first"
	default:
		return "character not allowed"
	}
}

// ValidName checks a chosen name or room name: 1–32 characters, each a
// Unicode letter or digit, '_', '-' or '.'. It returns nil or a *NameError.
func ValidName(name string) *NameError {
	if name == "" {
		return &NameError{Problem: NameEmpty}
	}
	for _, r := range name {
		if !nameRune(r) {
			return &NameError{Problem: NameBadChar, Char: r}
		}
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return &NameError{Problem: NameTooLong}
	}
	return nil
}

func nameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.'
}

// folder is stateless and safe for concurrent use (x/text/cases docs).
var folder = cases.Fold()

// Fold returns the key under which two names clash: Unicode case folding, so
// that "Alice", "ALICE" and "alice" are one name. Names are folded on connect,
// rename, join and private-message lookups, never per recipient.
func Fold(name string) string {
	return folder.String(name)
}
