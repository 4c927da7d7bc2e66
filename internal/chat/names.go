package chat

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"parley/internal/confusables"
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

// Fold returns the key under which two names clash, for users, accounts and
// rooms alike: every place that looks a name up by key takes it from here.
// Two names clash if they differ only in case ("Alice", "ALICE" and
// "alice") or look alike by the confusable skeleton of UTS #39 ("аlice"
// with a Cyrillic а, "rnallory" and "mallory", "b0b" and "bob"): the key is
// confusables.CaseFoldedSkeleton, case folding then the skeleton, whose
// doc says why in that order. A key is for comparing only; a name is shown
// as it was typed.
//
// The store keeps these keys. A change to what Fold returns for a name
// (new confusables data included) needs a store migration that computes
// the stored keys again, as store/sqlite's 002 did when keys stopped being
// case folding alone; its parley_name_key is this function.
//
// Names are keyed on connect, rename, join, login and private-message
// lookups, never per recipient.
func Fold(name string) string {
	return confusables.CaseFoldedSkeleton(name)
}

// foldCase is Unicode case folding alone: what lists are sorted by, as the
// protocol says ("sorted by name" is by case-folded name). A key would sort
// "mike" after "nina", its m being rn.
func foldCase(name string) string {
	return folder.String(name)
}
