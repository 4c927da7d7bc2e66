package main

import (
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"
)

func TestParseTxt(t *testing.T) {
	const txt = "\uFEFF# confusables.txt\n# Version: 17.0.0\n#\n" +
		"05AD ;\t0596 ;\tMA\t# ( ֭ → ֖ ) HEBREW ACCENT DEHI → HEBREW ACCENT TIPEHA\t# \n\n" +
		"006D ;\t0072 006E ;\tMA\t# ( m → rn ) LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N\t# \n"
	protos, version, err := parseTxt([]byte(txt))
	if err != nil {
		t.Fatal(err)
	}
	want := map[rune]string{0x05ad: "\u0596", 'm': "rn"}
	if version != "17.0.0" || !reflect.DeepEqual(protos, want) {
		t.Errorf("parseTxt = %q, %+q; want 17.0.0, %+q", version, protos, want)
	}
	for _, bad := range []string{
		"# Version: 1\n0041 ; 0042\n",                        // two fields
		"# Version: 1\n0041 0042 ; 0043 ; MA\n",              // two sources
		"# Version: 1\n0041 ; ; MA\n",                        // no target
		"# Version: 1\n0041 ; 0042 ; MA\n0041 ; 0043 ; MA\n", // twice
		"0041 ; 0042 ; MA\n",                                 // no version
		"# Version: 1\n",                                     // nothing
	} {
		if _, _, err := parseTxt([]byte(bad)); err == nil {
			t.Errorf("parseTxt(%q) succeeded", bad)
		}
	}
}

func TestParseSwitch(t *testing.T) {
	const src = "package confusable\n\nfunc GetReplacement(input rune) string {\n\tswitch input {\n" +
		"\tcase 48:\n\t\treturn \"O\"\n\tcase 109:\n\t\treturn \"rn\"\n\tdefault:\n\t\treturn \"\"\n\t}\n}\n"
	protos, err := parseSwitch([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[rune]string{'0': "O", 'm': "rn"}; !reflect.DeepEqual(protos, want) {
		t.Errorf("parseSwitch = %+q, want %+q", protos, want)
	}
	if _, err := parseSwitch([]byte(strings.Replace(src, `"rn"`, `f()`, 1))); err == nil {
		t.Error("parseSwitch accepted a case that calls a function")
	}
	if _, err := parseSwitch([]byte(strings.Replace(src, "case 109", "case 48", 1))); err == nil {
		t.Error("parseSwitch accepted a code point mapped twice")
	}
}

func TestGenerate(t *testing.T) {
	code, err := generate(source{origin: []string{"a test"}, version: "1.0", sha256: "00", protos: map[rune]string{
		'0': "O", 'm': "rn", 'I': "l", '1': "l", 0x1d400: "A",
	}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "tables.go", code, 0)
	if err != nil {
		t.Fatalf("generated code does not parse: %v\n%s", err, code)
	}
	for _, name := range []string{"UnicodeVersion", "SourceSHA256", "asciiMapped", "table", "protoText"} {
		if f.Scope.Lookup(name) == nil {
			t.Errorf("generated code lacks %s", name)
		}
	}
	// "l" is shared: I and 1 point at the same bytes.
	if !strings.Contains(string(code), "0x000031_000001_01") || !strings.Contains(string(code), "0x000049_000001_01") {
		t.Errorf("entries for 1 and I do not share their prototype:\n%s", code)
	}
}
