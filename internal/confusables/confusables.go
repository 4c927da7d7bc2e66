// Package confusables computes the confusable skeletons of Unicode Technical
// Standard #39 (Unicode Security Mechanisms, section 4): two strings whose
// skeletons are equal look alike, such as "alice" with a Cyrillic а and
// "alice". A skeleton is for comparing, never for showing: it mixes scripts
// freely ("m" becomes "rn").
//
// The data is the prototype mapping of Unicode's confusables.txt (UTS #39
// data, Unicode 17.0.0), compiled into tables.go by gen (go generate); the
// file's header, UnicodeVersion and SourceSHA256 say where it came from.
//
// Where the data comes from, and why: this build could reach the Go module
// proxy but not unicode.org, so gen reads the mappings from a pinned
// version of the module go.mau.fi/util, whose confusable package is
// generated from https://www.unicode.org/Public/17.0.0/security/confusables.txt
// (the go command checks the module against the checksum database, and gen
// checks the file's SHA-256). That module is needed only to run gen: it is
// not in go.mod, and nothing imports it, so the server carries no
// third-party code for this beyond golang.org/x/text, which it already
// uses. Given Unicode's own file, gen -txt reads that instead.
package confusables

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

//go:generate go run ./gen

// Skeleton returns the UTS #39 skeleton of s:
//
//  1. s in NFD;
//  2. without the characters that have the property
//     Default_Ignorable_Code_Point (invisible ones, such as U+200B ZERO
//     WIDTH SPACE and U+3164 HANGUL FILLER), a step of the current UTS #39
//     that older accounts of the skeleton leave out;
//  3. each character replaced by its prototype from confusables.txt;
//  4. in NFD again.
//
// Invalid UTF-8 is read as U+FFFD, so the result is always valid UTF-8.
// For ASCII with nothing to replace it returns s and allocates nothing.
//
// UTS #39 does not promise that a skeleton is its own skeleton, and with
// this data it is not always: a prototype can decompose into a character
// that has a prototype of its own (U+01C4 Ǆ's prototype D Ž decomposes to
// D Z and a caron, whose prototype is a breve). Skeleton(Skeleton(s)) is
// always its own skeleton (TestSkeletonRoundsPerRune).
func Skeleton(s string) string {
	if plainASCII(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if defaultIgnorable(r) {
			continue
		}
		if p, ok := prototype(r); ok {
			b.WriteString(p)
		} else {
			b.WriteRune(r)
		}
	}
	return norm.NFD.String(b.String())
}

// plainASCII reports whether s is ASCII without a character that has a
// prototype: its own skeleton.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || asciiMapped[c] {
			return false
		}
	}
	return true
}

// prototype returns r's prototype, if r has one.
func prototype(r rune) (string, bool) {
	lo, hi := 0, len(table)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch src := rune(table[m] >> 32); {
		case src < r:
			lo = m + 1
		case src > r:
			hi = m
		default:
			off, n := table[m]>>8&0xffffff, table[m]&0xff
			return protoText[off : off+n], true
		}
	}
	return "", false
}

// defaultIgnorable reports whether r has the property
// Default_Ignorable_Code_Point. The ranges are those of Unicode's
// DerivedCoreProperties.txt, the same from 15.0 through 17.0;
// TestDefaultIgnorable derives them again from package unicode.
func defaultIgnorable(r rune) bool {
	if r < 0xad {
		return false
	}
	for _, rg := range ignorable {
		if r < rg[0] {
			return false
		}
		if r <= rg[1] {
			return true
		}
	}
	return false
}

var ignorable = [...][2]rune{
	{0x00ad, 0x00ad}, {0x034f, 0x034f}, {0x061c, 0x061c}, {0x115f, 0x1160},
	{0x17b4, 0x17b5}, {0x180b, 0x180f}, {0x200b, 0x200f}, {0x202a, 0x202e},
	{0x2060, 0x206f}, {0x3164, 0x3164}, {0xfe00, 0xfe0f}, {0xfeff, 0xfeff},
	{0xffa0, 0xffa0}, {0xfff0, 0xfff8}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
	{0xe0000, 0xe0fff},
}

// folder is stateless and safe for concurrent use (x/text/cases docs).
var folder = cases.Fold()

// fold is Unicode full case folding. x/text's Fold lower-cases before it
// folds, which turns a Cherokee capital into its small letter, while
// CaseFolding.txt folds the small letters to the capitals (they came later,
// in Unicode 8, and folding is stable); fold puts that right, so that
// fold(fold(s)) == fold(s) (TestFoldIdempotentPerRune).
func fold(s string) string {
	s = folder.String(s)
	if !strings.ContainsFunc(s, cherokeeSmall) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case 0xab70 <= r && r <= 0xabbf:
			return r - 0xab70 + 0x13a0
		case 0x13f8 <= r && r <= 0x13fd:
			return r - 8
		}
		return r
	}, s)
}

func cherokeeSmall(r rune) bool {
	return 0xab70 <= r && r <= 0xabbf || 0x13f8 <= r && r <= 0x13fd
}

// maxRounds bounds CaseFoldedSkeleton's rounds. With this data a code
// point takes at most two rounds to settle, and a third finds nothing to
// change (TestRoundsPerRune).
const maxRounds = 4

// CaseFoldedSkeleton is the skeleton for strings compared without regard to
// case: Unicode full case folding, then the skeleton, repeated until the
// string no longer changes. Two strings that differ only in case get the
// same result, and so do two whose folded forms look alike.
//
// Folding comes first because the skeleton is case-sensitive: it maps
// capital I to l but leaves i alone, so skeletons alone would part ALICE
// from alice. The rounds are repeated because some prototypes are capital
// letters (0's is O: folding again is what lets b0b meet bob), and because
// a prototype can decompose into something with a prototype of its own
// (U+01C4 Ǆ gives DZ and a caron, whose prototype is a breve), which makes
// one skeleton not always a skeleton's own skeleton.
//
// What this cannot catch is a look-alike between two different letters of
// different case, such as capital I and small l ("AIice" and "alice"): the
// folding turns I into i first, and no single key can hold both "Il is il"
// and "Il looks like ll" without making i and l one letter.
//
// For lower-case ASCII with nothing to replace it returns s and allocates
// nothing.
func CaseFoldedSkeleton(s string) string {
	if plainLowerASCII(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = perByteReplaced(s)
	}
	for range maxRounds {
		next := Skeleton(fold(s))
		if next == s {
			break
		}
		s = next
	}
	return s
}

// perByteReplaced is s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as case folding replaces it. The skeleton alone
// replaces a run of such bytes at once, so without this a string and its
// case folding could get different keys ("\xe4\xec" one U+FFFD, its
// folding two). Chat cleans names before keying them, so this is for
// whoever does not.
func perByteReplaced(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s { // an invalid byte ranges as one utf8.RuneError
		b.WriteRune(r)
	}
	return b.String()
}

// plainLowerASCII reports whether s is ASCII without a capital letter or a
// character that has a prototype: its own case-folded skeleton.
func plainLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || asciiMapped[c] || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}
