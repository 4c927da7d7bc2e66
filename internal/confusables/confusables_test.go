package confusables

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestTable pins the table's shape and a few of its rows, as
// confusables.txt gives them.
func TestTable(t *testing.T) {
	if UnicodeVersion != "17.0.0" || len(table) != 6565 {
		t.Errorf("Unicode %s with %d mappings, want 17.0.0 with 6565", UnicodeVersion, len(table))
	}
	for i, e := range table {
		if i > 0 && e>>32 <= table[i-1]>>32 {
			t.Fatalf("table[%d] = %U, not after %U", i, rune(e>>32), rune(table[i-1]>>32))
		}
		p, ok := prototype(rune(e >> 32))
		if !ok || p == "" || !utf8.ValidString(p) {
			t.Fatalf("%U: prototype %+q, %v", rune(e>>32), p, ok)
		}
	}
	for _, tc := range []struct {
		from rune
		want string
	}{
		{'\u0430', "a"},      // CYRILLIC SMALL LETTER A
		{'\u0440', "p"},      // CYRILLIC SMALL LETTER ER
		{'\u03bf', "o"},      // GREEK SMALL LETTER OMICRON
		{'\u043e', "o"},      // CYRILLIC SMALL LETTER O
		{'m', "rn"},          // m looks like r n
		{'0', "O"},           // DIGIT ZERO: a capital O
		{'1', "l"},           // DIGIT ONE
		{'I', "l"},           // LATIN CAPITAL LETTER I
		{'|', "l"},           // VERTICAL LINE
		{'\uff41', "a"},      // FULLWIDTH LATIN SMALL LETTER A
		{'\uff21', "A"},      // FULLWIDTH LATIN CAPITAL LETTER A
		{'\U0001d400', "A"},  // MATHEMATICAL BOLD CAPITAL A
		{'\u02f8', ":"},      // MODIFIER LETTER RAISED COLON
		{'\u05ad', "\u0596"}, // the file's first line
		{'\u3164', "\u1160"}, // HANGUL FILLER (ignorable: Skeleton drops it first)
		{'\ufc5e', "\ufe72\u0651"},
	} {
		if got, ok := prototype(tc.from); !ok || got != tc.want {
			t.Errorf("prototype(%U) = %+q, %v; want %+q", tc.from, got, ok, tc.want)
		}
	}
	for _, r := range []rune{'a', 'i', 'l', 'o', 'O', 'A', 'z', '_', '-', '.', '张', '\u1160'} {
		if p, ok := prototype(r); ok {
			t.Errorf("prototype(%U) = %+q, want none", r, p)
		}
	}
	for c := range rune(utf8.RuneSelf) {
		if _, ok := prototype(c); ok != asciiMapped[c] {
			t.Errorf("asciiMapped[%q] = %v, but the table says %v", c, asciiMapped[c], ok)
		}
	}
}

func TestSkeleton(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"alice", "alice"},
		{"\u0430lice", "alice"},   // Cyrillic а
		{"\u0440aypal", "paypal"}, // Cyrillic р
		{"\u0440\u0430\u0443\u0440\u0430l", "paypal"}, // Cyrillic р, а, у, р, а
		{"g\u03bf\u03bfgle", "google"},                // Greek ο
		{"modern", "rnodern"},
		{"rnodern", "rnodern"},
		{"c0de", "cOde"},
		{"COde", "COde"},
		{"b1ll", "blll"},
		{"bIll", "blll"},
		{"b|ll", "blll"},
		{"\uff41\uff4c\uff49\uff43\uff45", "alice"}, // fullwidth
		{"\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e", "alice"}, // mathematical bold
		{"ali\u200bce", "alice"},    // ZERO WIDTH SPACE is ignorable
		{"alice\u3164", "alice"},    // so is HANGUL FILLER, a letter
		{"caf\u00e9", "cafe\u0301"}, // NFD
		{"cafe\u0301", "cafe\u0301"},
		{"张三", "张三"},
		{"a\xffb", "a\ufffdb"},
	} {
		if got := Skeleton(tc.in); got != tc.want {
			t.Errorf("Skeleton(%+q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
}

// TestSkeletonPairs checks what looks alike and what does not, as the data
// says: the skeleton is case-sensitive.
func TestSkeletonPairs(t *testing.T) {
	for _, p := range [][2]string{
		{"\u0430lice", "alice"},
		{"\u0440aypal", "paypal"},
		{"g\u03bfogle", "google"},
		{"rn", "m"},
		{"0", "O"},
		{"1", "l"},
		{"I", "l"},
		{"I", "1"},
		{"\uff41lice", "alice"},
		{"\uff21lice", "Alice"},
	} {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a != b {
			t.Errorf("Skeleton(%+q) = %+q, Skeleton(%+q) = %+q; want equal", p[0], a, p[1], b)
		}
	}
	for _, p := range [][2]string{
		{"alice", "alicia"},
		{"Alice", "alice"}, // case is not the skeleton's business
		{"0", "o"},
		{"i", "l"},
		{"a.b", "a_b"},
	} {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a == b {
			t.Errorf("Skeleton(%+q) == Skeleton(%+q) == %+q; want different", p[0], p[1], a)
		}
	}
}

func TestCaseFoldedSkeleton(t *testing.T) {
	same := [][]string{
		{"alice", "Alice", "ALICE", "\u0430lice", "\u0410LICE", "\uff21\uff2c\uff29\uff23\uff25", "\U0001d400lice", "ali\u200bce"},
		{"bob", "BOB", "b0b", "B0B", "b\u03bfb"},
		{"mallory", "MALLORY", "rnallory", "RNallory", "\U0001d40callory"},
		{"b1ll", "bl1l", "B1LL", "b|ll", "bℓll"},
		{"\u13a3", "\uab73"}, // Cherokee capital and small letter O
		{"strasse", "STRASSE", "straße", "STRAẞE"},
		{"σας", "ΣΑΣ"},
		{"den", "Den", "DEN", "d\u0435n"}, // Cyrillic е
	}
	for _, group := range same {
		want := CaseFoldedSkeleton(group[0])
		for _, s := range group[1:] {
			if got := CaseFoldedSkeleton(s); got != want {
				t.Errorf("CaseFoldedSkeleton(%+q) = %+q, CaseFoldedSkeleton(%+q) = %+q; want equal", s, got, group[0], want)
			}
		}
	}
	for _, p := range [][2]string{
		{"alice", "alicia"},
		{"AIice", "alice"}, // capital I and small l: see CaseFoldedSkeleton
		{"bill", "bili"},
		{"张三", "张四"},
	} {
		if a, b := CaseFoldedSkeleton(p[0]), CaseFoldedSkeleton(p[1]); a == b {
			t.Errorf("CaseFoldedSkeleton(%+q) == CaseFoldedSkeleton(%+q) == %+q; want different", p[0], p[1], a)
		}
	}
	if got := CaseFoldedSkeleton("lobby"); got != "lobby" {
		t.Errorf("CaseFoldedSkeleton(lobby) = %+q", got)
	}
}

func TestAllocs(t *testing.T) {
	for _, s := range []string{"alice", "bob_42.x-y", "lobby", ""} {
		if n := testing.AllocsPerRun(100, func() { _ = Skeleton(s) }); n != 0 {
			t.Errorf("Skeleton(%q): %v allocations, want 0", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = CaseFoldedSkeleton(s) }); n != 0 {
			t.Errorf("CaseFoldedSkeleton(%q): %v allocations, want 0", s, n)
		}
	}
}

// fixed reports whether Skeleton leaves the code point r alone.
func fixed(r rune) bool {
	_, mapped := prototype(r)
	return !mapped && !defaultIgnorable(r) && norm.NFD.PropertiesString(string(r)).Decomposition() == nil
}

// settled reports whether every code point of s is left alone by f.
func settled(s string, f func(string) string) bool {
	for _, c := range s {
		if f(string(c)) != string(c) {
			return false
		}
	}
	return true
}

// rounds returns how many times f must be applied to s before every code
// point of the result is left alone by f, up to limit.
func rounds(s string, f func(string) string, limit int) (int, string) {
	n := 0
	for n < limit && !settled(s, f) {
		s = f(s)
		n++
	}
	return n, s
}

// TestSkeletonRoundsPerRune checks, for every code point, that applying
// Skeleton twice gives code points that Skeleton leaves alone. The mapping
// is per code point and NFD only reorders marks, so that makes
// Skeleton(Skeleton(s)) a fixed point of Skeleton for every string s.
func TestSkeletonRoundsPerRune(t *testing.T) {
	changes := 0
	for r := range rune(unicode.MaxRune + 1) {
		if !utf8.ValidRune(r) || fixed(r) {
			continue
		}
		n, s := rounds(string(r), Skeleton, 3)
		if n > 2 {
			t.Errorf("%U: %d skeletons before it settles (%+q)", r, n, s)
		}
		if n == 2 {
			changes++
		}
	}
	// Those the data has, as found with Unicode 17.0.0: Ǆ ǅ ǆ ҋ ㈝ ﮤ ﮥ ﮰ ﮱ ﺁ ﺂ ﻵ ﻶ.
	if changes != 13 {
		t.Errorf("%d code points whose skeleton is not its own skeleton, want 13", changes)
	}
}

// TestRoundsPerRune checks that maxRounds is enough: for every code point,
// the rounds of CaseFoldedSkeleton reach, before the bound, a string each
// of whose code points a round leaves alone.
func TestRoundsPerRune(t *testing.T) {
	round := func(s string) string { return Skeleton(fold(s)) }
	for r := range rune(unicode.MaxRune + 1) {
		if !utf8.ValidRune(r) {
			continue
		}
		if n, s := rounds(string(r), round, maxRounds); n >= maxRounds-1 {
			t.Errorf("%U: %d rounds (%+q), want fewer than %d", r, n, s, maxRounds-1)
		}
	}
}

// TestFoldIdempotentPerRune checks fold on every code point, and whether
// x/text's Fold still needs the Cherokee fix.
func TestFoldIdempotentPerRune(t *testing.T) {
	for r := range rune(unicode.MaxRune + 1) {
		if !utf8.ValidRune(r) {
			continue
		}
		if f := fold(string(r)); fold(f) != f {
			t.Errorf("fold(%U) = %+q, but fold of that = %+q", r, f, fold(f))
		}
	}
	for _, p := range [][2]string{{"\u13a3", "\u13a3"}, {"\uab73", "\u13a3"}, {"\u13f8", "\u13f0"}, {"\u13f0", "\u13f0"}} {
		if got := fold(p[0]); got != p[1] {
			t.Errorf("fold(%+q) = %+q, want %+q", p[0], got, p[1])
		}
	}
	if folder.String("\u13a3") == "\u13a3" {
		t.Log("x/text's Fold leaves Cherokee capitals alone now: fold's fix can go")
	}
}

// TestDefaultIgnorable derives Default_Ignorable_Code_Point as
// DerivedCoreProperties.txt defines it, from package unicode's tables, and
// compares it with the ranges written out in defaultIgnorable.
func TestDefaultIgnorable(t *testing.T) {
	derived := func(r rune) bool {
		if unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
			return true
		}
		return (unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r)) &&
			!unicode.Is(unicode.White_Space, r) &&
			!(0xfff9 <= r && r <= 0xfffb) &&
			!(0x13430 <= r && r <= 0x1343f) &&
			!unicode.Is(unicode.Prepended_Concatenation_Mark, r)
	}
	for r := range rune(unicode.MaxRune + 1) {
		if got, want := defaultIgnorable(r), derived(r); got != want {
			t.Errorf("defaultIgnorable(%U) = %v, want %v", r, got, want)
		}
	}
}

func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{
		"", "alice", "\u0430lice", "paypal", "\u0440aypal", "modern", "c0de", "b1ll", "AIice",
		"\uff41lice", "\U0001d400lice", "ali\u200bce", "alice\u3164", "café", "cafe\u0301",
		"a\xffb", "\xff", "张三", "ΣΑΣ", "straße", "İ", "\ufdfa", "e\u0301\u0323\u0308", "%\"`|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sk := Skeleton(s)
		if !utf8.ValidString(sk) {
			t.Fatalf("Skeleton(%+q) = %+q, invalid UTF-8", s, sk)
		}
		// Not Skeleton(sk) == sk: the data does not promise it (see Skeleton).
		if sk2 := Skeleton(sk); Skeleton(sk2) != sk2 {
			t.Fatalf("Skeleton(%+q) = %+q, Skeleton of that %+q is not its own skeleton", s, sk, sk2)
		}
		if plainASCII(s) && sk != s {
			t.Fatalf("Skeleton(%+q) = %+q, want it unchanged", s, sk)
		}
		k := CaseFoldedSkeleton(s)
		if !utf8.ValidString(k) || Skeleton(fold(k)) != k {
			t.Fatalf("CaseFoldedSkeleton(%+q) = %+q, not a fixed point", s, k)
		}
		if f := CaseFoldedSkeleton(fold(s)); f != k {
			t.Fatalf("CaseFoldedSkeleton(%+q) = %+q, but of its case folding %+q", s, k, f)
		}
	})
}
