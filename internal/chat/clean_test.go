package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// cleanCases covers every rule of PROTOCOL.md "Transport and framing".
var cleanCases = []struct {
	name, in, want string
}{
	// Nothing to clean.
	{"empty", "", ""},
	{"ascii", "hello world", "hello world"},
	{"chinese", "张三 你好", "张三 你好"},
	{"emoji", "hi 👋🏽 🇫🇷 👨‍👩‍👧", "hi 👋🏽 🇫🇷 👨‍👩‍👧"},
	{"punctuation", "a|b:c#d@e ~!{}[]\\", "a|b:c#d@e ~!{}[]\\"},
	{"nbsp kept (after C1)", "a\u00a0b", "a\u00a0b"},
	{"narrow nbsp kept (after bidi range)", "a\u202fb", "a\u202fb"},
	{"U+FFFD kept", "a\uFFFDb", "a\uFFFDb"},

	// Invalid UTF-8: each run becomes one U+FFFD, as strings.ToValidUTF8.
	{"invalid byte", "a\xffb", "a\uFFFDb"},
	{"invalid run", "a\xff\xfe\xfdb", "a\uFFFDb"},
	{"two runs", "\xffa\xfe", "\uFFFDa\uFFFD"},
	{"truncated rune at end", "ab\xe4\xb8", "ab\uFFFD"},
	{"lone continuation", "\x80", "\uFFFD"},
	{"overlong slash", "\xc0\xaf", "\uFFFD"},
	{"surrogate", "\xed\xa0\x80", "\uFFFD"},
	{"lone 0x9b byte is not C1", "a\x9bb", "a\uFFFDb"},

	// CSI: ESC [ … final byte 0x40–0x7E.
	{"csi bold", "\x1b[1mbold\x1b[0m", "bold"},
	{"csi 256 colour", "\x1b[38;5;196mred", "red"},
	{"csi clear screen", "a\x1b[2Jb", "ab"},
	{"csi final @", "a\x1b[@b", "ab"},
	{"csi final ~", "a\x1b[3~b", "ab"},
	{"csi private params", "a\x1b[?25lb", "ab"},
	{"csi intermediate", "a\x1b[1 qb", "ab"},
	{"csi non-ascii param", "a\x1b[1é2mb", "ab"},
	{"csi open at end", "abc\x1b[12", "abc"},
	{"csi open at end bare", "abc\x1b[", "abc"},
	{"csi swallows control", "a\x1b[1\n2mb", "ab"},

	// OSC: ESC ] … BEL or ESC \.
	{"osc bel", "a\x1b]0;title\x07b", "ab"},
	{"osc st", "a\x1b]0;title\x1b\\b", "ab"},
	{"osc hyperlink", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"},
	{"osc open at end", "x\x1b]title", "x"},
	{"osc esc not st", "x\x1b]t\x1bqy", "x"},
	{"osc esc at end", "x\x1b]t\x1b", "x"},
	{"osc multibyte", "x\x1b]标题\x07y", "xy"},

	// ESC plus one character.
	{"esc letter", "a\x1bcb", "ab"},
	// Only one character: ESC ( B (charset designation) leaves the B, per the spec.
	{"esc paren", "a\x1b(Bb", "aBb"},
	{"esc multibyte", "a\x1b张b", "ab"},
	{"esc emoji", "a\x1b👋b", "ab"},
	{"esc tab", "a\x1b\tb", "ab"},
	{"esc esc", "\x1b\x1b[1mX", "[1mX"},
	{"esc backslash alone", "a\x1b\\b", "ab"},
	{"lone esc at end", "abc\x1b", "abc"},
	{"lone esc only", "\x1b", ""},

	// Invalid UTF-8 inside an escape sequence (replaced first).
	{"invalid in csi", "a\x1b[\xff1mb", "ab"},
	{"invalid in osc", "a\x1b]\xff\xfe\x07b", "ab"},
	{"esc then invalid run", "a\x1b\xff\xfeb", "ab"},
	{"invalid then esc", "\xff\x1b[0m", "\uFFFD"},

	// C0 controls except TAB, and DEL.
	{"nul", "a\x00b", "ab"},
	{"bel", "a\x07b", "ab"},
	{"cr", "a\rb", "ab"},
	{"lf", "a\nb", "ab"},
	{"crlf", "a\r\nb", "ab"},
	{"backspace", "ab\x08c", "abc"},
	{"0x1f", "a\x1fb", "ab"},
	{"all C0", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f", ""},
	{"del", "a\x7fb", "ab"},

	// TAB becomes a space.
	{"tab", "a\tb", "a b"},
	{"tabs", "\t\t", "  "},

	// C1 controls U+0080–U+009F, including U+009B alone.
	{"c1 first", "a\u0080b", "ab"},
	{"c1 nel", "a\u0085b", "ab"},
	{"c1 csi alone", "a\u009b31mb", "a31mb"},
	{"c1 last", "a\u009fb", "ab"},
	{"c1 osc", "a\u009d0;t\u009cb", "a0;tb"},

	// Bidirectional controls U+202A–U+202E and U+2066–U+2069.
	{"lre", "a\u202ab", "ab"},
	{"rle", "a\u202bb", "ab"},
	{"pdf", "a\u202cb", "ab"},
	{"lro", "a\u202db", "ab"},
	{"rlo", "a\u202eb", "ab"},
	{"lri", "a\u2066b", "ab"},
	{"rli", "a\u2067b", "ab"},
	{"fsi", "a\u2068b", "ab"},
	{"pdi", "a\u2069b", "ab"},
	{"trojan source", "user\u202e\u2066txt.exe\u2069\u2066", "usertxt.exe"},

	// Mixed.
	{"mixed", "\x1b[31m张\t三\x07\u202e\u0085!\xff", "张 三!\uFFFD"},
	{"name cleaned", "b\x1b[1mob", "bob"},
}

func TestClean(t *testing.T) {
	for _, tc := range cleanCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleanIdempotent(t *testing.T) {
	for _, tc := range cleanCases {
		once := Clean(tc.in)
		if twice := Clean(once); twice != once {
			t.Errorf("Clean(Clean(%+q)) = %+q, want %+q", tc.in, twice, once)
		}
	}
}

func TestIsCleanAgrees(t *testing.T) {
	extra := []string{
		"\xc2", "\xc2\x80", "\xc2\x9f", "\xc2\xa0", "\xe2", "\xe2\x80", "\xe2\x80\xaa",
		"\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\xa5", "\xe2\x81\xa6", "\xe2\x81\xa9",
		"\xe2\x81\xaa", "\xf0\xe2\x80\xaa", "a\xe2\x80", "\xf4\x90\x80\x80",
	}
	ins := extra
	for _, tc := range cleanCases {
		ins = append(ins, tc.in, tc.want)
	}
	for _, s := range ins {
		if got, want := isClean(s), Clean(s) == s; got != want {
			t.Errorf("isClean(%+q) = %v, but Clean(s)==s is %v", s, got, want)
		}
	}
}

// TestCleanNoAlloc: an already clean string comes back as itself, unallocated.
func TestCleanNoAlloc(t *testing.T) {
	for _, s := range []string{"hello world", "张三 hi", strings.Repeat("x", 4096)} {
		if got := Clean(s); unsafe.StringData(got) != unsafe.StringData(s) || len(got) != len(s) {
			t.Errorf("Clean(%.20q) did not return its argument", s)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Clean(s) }); n != 0 {
			t.Errorf("Clean(%.20q): %v allocations per run, want 0", s, n)
		}
	}
}

func BenchmarkCleanClean(b *testing.B) {
	s := "The quick brown fox jumps over the lazy dog, again and again: 64."
	s = s[:64]
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Clean(s)
	}
}

func BenchmarkCleanDirty(b *testing.B) {
	s := "\x1b[1;31mhello\x1b[0m\tworld\r\u202e张三\x07 \xff\xfe \x1b]0;t\x07end"
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Clean(s)
	}
}

func FuzzClean(f *testing.F) {
	for _, tc := range cleanCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"\x1b[", "\x1b]", "\x1b]\x1b", "\x1b\xc2\x9b", "\xc2\x9b[1m", "\xe2\x80\xae",
		"\xe2\x81\xa9", "\xed\xbf\xbf", "\xef\xbf\xbd", "\x1b[\xe2\x80\xaem",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Clean(in)
		if !utf8.ValidString(out) {
			t.Fatalf("Clean(%+q) = %+q: invalid UTF-8", in, out)
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < 0x20 || c == 0x7f {
				t.Fatalf("Clean(%+q) = %+q: byte %#x at %d", in, out, c, i)
			}
		}
		for _, r := range out {
			if r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("Clean(%+q) = %+q: rune %U", in, out, r)
			}
		}
		if again := Clean(out); again != out {
			t.Fatalf("not idempotent: Clean(%+q) = %+q, Clean of that = %+q", in, out, again)
		}
		if valid := strings.ToValidUTF8(in, "\uFFFD"); len(out) > len(valid) {
			t.Fatalf("Clean(%+q) = %+q: longer than ToValidUTF8 (%d > %d)", in, out, len(out), len(valid))
		}
		if got, want := isClean(in), out == in; got != want {
			t.Fatalf("isClean(%+q) = %v, but Clean(s)==s is %v", in, got, want)
		}
	})
}
