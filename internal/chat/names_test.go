package chat

import (
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *NameError // nil: accepted
	}{
		{"ascii", "alice", nil},
		{"one char", "a", nil},
		{"one chinese", "张", nil},
		{"chinese", "张三", nil},
		{"digits", "bob42", nil},
		{"only digits", "1234", nil},
		{"allowed punctuation", "a_b-c.d", nil},
		{"only punctuation", "._-", nil},
		{"cyrillic", "Алиса", nil},
		{"greek", "Ωμέγα", nil},
		{"hangul", "김철수", nil},
		{"arabic", "مريم", nil},
		{"arabic-indic digits", "٣٤", nil},
		{"32 ascii", strings.Repeat("a", 32), nil},
		{"32 chinese (96 bytes)", strings.Repeat("张", 32), nil},

		{"empty", "", &NameError{Problem: NameEmpty}},
		{"33 ascii", strings.Repeat("a", 33), &NameError{Problem: NameTooLong}},
		{"33 chinese", strings.Repeat("张", 33), &NameError{Problem: NameTooLong}},

		{"space", "a b", &NameError{Problem: NameBadChar, Char: ' '}},
		{"leading space", " a", &NameError{Problem: NameBadChar, Char: ' '}},
		{"colon", "a:b", &NameError{Problem: NameBadChar, Char: ':'}},
		{"pipe", "a|b", &NameError{Problem: NameBadChar, Char: '|'}},
		{"hash", "#a", &NameError{Problem: NameBadChar, Char: '#'}},
		{"at", "a@b", &NameError{Problem: NameBadChar, Char: '@'}},
		{"emoji", "a👋", &NameError{Problem: NameBadChar, Char: '👋'}},
		{"esc", "a\x1b[1m", &NameError{Problem: NameBadChar, Char: 0x1b}},
		{"tab", "a\tb", &NameError{Problem: NameBadChar, Char: '\t'}},
		{"nul", "a\x00", &NameError{Problem: NameBadChar, Char: 0}},
		{"bidi", "a\u202eb", &NameError{Problem: NameBadChar, Char: 0x202e}},
		{"first bad rune reported", "ab:c d", &NameError{Problem: NameBadChar, Char: ':'}},
		{"invalid utf-8", "a\xffb", &NameError{Problem: NameBadChar, Char: utf8.RuneError}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ValidName(tc.in)
			switch {
			case tc.want == nil && got != nil:
				t.Errorf("ValidName(%+q) = %+v, want nil", tc.in, *got)
			case tc.want != nil && got == nil:
				t.Errorf("ValidName(%+q) = nil, want %+v", tc.in, *tc.want)
			case tc.want != nil && *got != *tc.want:
				t.Errorf("ValidName(%+q) = %+v, want %+v", tc.in, *got, *tc.want)
			}
		})
	}
}

func TestNameErrorText(t *testing.T) {
	for _, tc := range []struct {
		p    NameProblem
		want string
	}{
		{NameEmpty, "empty"},
		{NameTooLong, "too long"},
		{NameBadChar, "character not allowed"},
	} {
		if got := (&NameError{Problem: tc.p}).Error(); got != tc.want {
			t.Errorf("NameError{%d}.Error() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestFoldCase pins what Unicode full case folding (x/text/cases.Fold)
// gives: the order lists are sorted in.
func TestFoldCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"ALICE", "alice"},
		{"张三", "张三"},
		{"bob_1.x-y", "bob_1.x-y"},
		{"Den", "den"},
		// Greek: capital and final sigma both fold to σ.
		{"ΣΑΣ", "σασ"},
		{"σας", "σασ"},
		{"Σας", "σασ"},
		// German: full folding maps ß and ẞ to "ss".
		{"STRASSE", "strasse"},
		{"straße", "strasse"},
		{"STRAẞE", "strasse"},
		// Kelvin sign and Ohm sign fold to the letters.
		{"\u212a", "k"},
		{"\u2126", "ω"},
		// Titlecase digraph and ligature.
		{"ǅ", "ǆ"},
		{"ﬃ", "ffi"},
		// Without a Turkic option, İ folds to i + U+0307 COMBINING DOT ABOVE.
		{"İ", "i\u0307"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := foldCase(tc.in); got != tc.want {
			t.Errorf("foldCase(%q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
}

// TestFold pins a few keys: case folded, then the confusable skeleton.
func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"\u0430lice", "alice"}, // Cyrillic а
		{"mallory", "rnallory"},
		{"b0b", "bob"},
		{"bi11", "bill"},
		{"张三", "张三"},
		{"127.0.0.1:5000", "l27.o.o.l:5ooo"},
		{"guest-10", "guest-lo"},
		{"", ""},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
	// The hub keys the lobby by its name.
	if Fold(Lobby) != Lobby {
		t.Errorf("Fold(%q) = %q, want the name itself", Lobby, Fold(Lobby))
	}
}

// TestFoldNoControls checks that no key of a valid name holds a control
// character: store/sqlite's migration 002 parks accounts behind U+001F.
func TestFoldNoControls(t *testing.T) {
	for r := range rune(unicode.MaxRune + 1) {
		if !nameRune(r) {
			continue
		}
		if k := Fold(string(r)); strings.ContainsFunc(k, unicode.IsControl) {
			t.Errorf("Fold(%U) = %+q holds a control character", r, k)
		}
	}
}

func TestFoldClashes(t *testing.T) {
	for _, pair := range [][2]string{
		{"Alice", "alice"},
		{"ALICE", "alice"},
		{"Alice", "ALICE"},
		{"ΣΑΣ", "σας"},
		{"STRASSE", "straße"},
		{"Den", "den"},
		{"\u212aate", "kate"},
		// Look-alikes (UTS #39 confusables), in any case.
		{"\u0430lice", "alice"},     // Cyrillic а
		{"\u0410LICE", "alice"},     // Cyrillic А
		{"\u0440aypal", "paypal"},   // Cyrillic р
		{"g\u03bfogle", "google"},   // Greek ο
		{"rnallory", "mallory"},     // rn looks like m
		{"b0b", "BOB"},              // 0 looks like O
		{"bi11", "bill"},            // 1 looks like l
		{"\uff41lice", "alice"},     // fullwidth ａ
		{"\U0001d41alice", "Alice"}, // mathematical bold 𝐚
		{"alice\u3164", "alice"},    // HANGUL FILLER, an invisible letter
		{"D\u0435n", "den"},         // Cyrillic е, a room
	} {
		if a, b := Fold(pair[0]), Fold(pair[1]); a != b {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want equal", pair[0], a, pair[1], b)
		}
	}
	for _, pair := range [][2]string{
		{"alice", "alicia"},
		{"张三", "张四"},
		{"a.b", "a_b"},
		{"bill", "bili"},
		{"AIice", "alice"}, // capital I and small l: see confusables.CaseFoldedSkeleton
	} {
		if a, b := Fold(pair[0]), Fold(pair[1]); a == b {
			t.Errorf("Fold(%q) == Fold(%q) == %q; want different", pair[0], pair[1], a)
		}
	}
}

// TestFoldConcurrent relies on cases.Fold being documented as stateless and
// safe for concurrent use; run with -race.
func TestFoldConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := Fold("ÄLICE-Straße"); got != "a\u0308lice-strasse" {
					t.Errorf("Fold = %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{
		"", "a", "alice", "张三", "a b", "a:b", "a|b", "#a", "a@b", "a👋", "a\x1b[1m",
		"a\xffb", "ΣΑΣ", "straße", "İ", "a_b-c.d", "٣٤", "e\u0301",
		strings.Repeat("a", 32), strings.Repeat("a", 33), strings.Repeat("ß", 32),
		strings.Repeat("张", 33),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidName(s)
		n := utf8.RuneCountInString(s)
		if err == nil {
			if n < 1 || n > MaxNameLen {
				t.Fatalf("ValidName(%+q) = nil with %d runes", s, n)
			}
			if Clean(s) != s {
				t.Fatalf("ValidName(%+q) = nil but Clean changes it to %+q", s, Clean(s))
			}
			if !utf8.ValidString(s) {
				t.Fatalf("ValidName(%+q) = nil but invalid UTF-8", s)
			}
			for _, r := range s {
				if !nameRune(r) {
					t.Fatalf("ValidName(%+q) = nil but has %U", s, r)
				}
			}
		} else {
			switch err.Problem {
			case NameEmpty:
				if s != "" {
					t.Fatalf("ValidName(%+q): NameEmpty", s)
				}
			case NameTooLong:
				if n <= MaxNameLen {
					t.Fatalf("ValidName(%+q): NameTooLong with %d runes", s, n)
				}
			case NameBadChar:
				if nameRune(err.Char) {
					t.Fatalf("ValidName(%+q): NameBadChar with allowed %U", s, err.Char)
				}
				first := rune(-1)
				for _, r := range s {
					if !nameRune(r) {
						first = r
						break
					}
				}
				if err.Char != first {
					t.Fatalf("ValidName(%+q): Char %U, first bad rune %U", s, err.Char, first)
				}
			default:
				t.Fatalf("ValidName(%+q): problem %d", s, err.Problem)
			}
		}
		_ = ValidName(Fold(s))
	})
}
