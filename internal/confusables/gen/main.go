// Command gen writes tables.go, the confusables package's copy of the
// prototype mappings of Unicode's confusables.txt (UTS #39).
//
// By default it reads them from a pinned version of the Go module
// go.mau.fi/util, whose confusable/confusables.go is generated from
// https://www.unicode.org/Public/17.0.0/security/confusables.txt; the module
// comes through the Go module proxy (go mod download), which checks it
// against the checksum database, and gen checks the file's SHA-256 as well.
// With -txt it reads a confusables.txt downloaded from unicode.org instead,
// and takes the Unicode version from the file's header.
//
//	go run ./gen                      # from the pinned module
//	go run ./gen -txt confusables.txt # from Unicode's own file
//
// Either way the generated file's header names the source, its Unicode
// version and its SHA-256.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The pinned module and what its files must hash to. To move to a newer
// Unicode version, change these (after reading the new file) and run gen.
const (
	modPath    = "go.mau.fi/util"
	modVersion = "v0.9.4"
	modSum     = "h1:gWdUff+K2rCynRPysXalqqQyr2ahkSWaestH6YhSpso="
	modFile    = "confusable/confusables.go"
	modSHA256  = "9fd2ef47d491f64ab598e67fd3a30ae56846c9ef436aa29d111c66d49eac91c9"
	modURLs    = "unicodeurls/urls.go" // holds UnicodeVersion, the file's source
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	txt := flag.String("txt", "", "read this confusables.txt instead of the pinned module")
	out := flag.String("o", "tables.go", "output `file`")
	flag.Parse()

	var src source
	var err error
	if *txt != "" {
		src, err = fromTxt(*txt)
	} else {
		src, err = fromModule()
	}
	if err != nil {
		log.Fatal(err)
	}
	code, err := generate(src)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}

// A source is a set of prototype mappings and where they came from.
type source struct {
	origin  []string // lines for the generated file's header
	version string   // the Unicode version
	sha256  string   // of the file read
	protos  map[rune]string
}

// fromModule reads the mappings from the pinned module.
func fromModule() (source, error) {
	dir, err := download()
	if err != nil {
		return source{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, modFile))
	if err != nil {
		return source{}, err
	}
	sum := sha256Hex(b)
	if sum != modSHA256 {
		return source{}, fmt.Errorf("%s@%s/%s: SHA-256 %s, want %s", modPath, modVersion, modFile, sum, modSHA256)
	}
	protos, err := parseSwitch(b)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", modFile, err)
	}
	urls, err := os.ReadFile(filepath.Join(dir, modURLs))
	if err != nil {
		return source{}, err
	}
	version, err := stringConst(urls, "UnicodeVersion")
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", modURLs, err)
	}
	return source{
		origin: []string{
			"Unicode's confusables.txt as generated into the Go module",
			fmt.Sprintf("%s %s (%s), file %s,", modPath, modVersion, modSum, modFile),
			fmt.Sprintf("from https://www.unicode.org/Public/%s/security/confusables.txt.", version),
		},
		version: version,
		sha256:  sum,
		protos:  protos,
	}, nil
}

// download fetches the pinned module through the Go module proxy and
// returns its directory. It runs outside this module, so that neither
// go.mod nor go.sum changes; the go command checks the download against
// the checksum database.
func download() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", modPath+"@"+modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download: %w", err)
	}
	var m struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(outb, &m); err != nil {
		return "", err
	}
	switch {
	case m.Error != "":
		return "", errors.New(m.Error)
	case m.Sum != modSum:
		return "", fmt.Errorf("%s@%s: sum %s, want %s", modPath, modVersion, m.Sum, modSum)
	}
	return m.Dir, nil
}

// parseSwitch reads the mappings from a function made of one switch on a
// rune, each case a code point returning its prototype.
func parseSwitch(src []byte) (map[rune]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return nil, err
	}
	protos := map[rune]string{}
	var bad error
	ast.Inspect(f, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok || bad != nil || cc.List == nil { // the default case has no list
			return bad == nil
		}
		r, to, err := caseMapping(cc)
		if err != nil {
			bad = err
			return false
		}
		if _, dup := protos[r]; dup {
			bad = fmt.Errorf("%U mapped twice", r)
			return false
		}
		protos[r] = to
		return false
	})
	if bad != nil {
		return nil, bad
	}
	if len(protos) == 0 {
		return nil, errors.New("no mappings found")
	}
	return protos, nil
}

// caseMapping reads `case N: return "S"`.
func caseMapping(cc *ast.CaseClause) (rune, string, error) {
	if len(cc.List) != 1 || len(cc.Body) != 1 {
		return 0, "", errors.New("a case that is not one code point and one return")
	}
	lit, ok := cc.List[0].(*ast.BasicLit)
	ret, ok2 := cc.Body[0].(*ast.ReturnStmt)
	if !ok || !ok2 || lit.Kind != token.INT || len(ret.Results) != 1 {
		return 0, "", errors.New("a case that is not `case N: return S`")
	}
	str, ok := ret.Results[0].(*ast.BasicLit)
	if !ok || str.Kind != token.STRING {
		return 0, "", errors.New("a case that does not return a string literal")
	}
	n, err := strconv.ParseInt(lit.Value, 0, 32)
	if err != nil {
		return 0, "", err
	}
	to, err := strconv.Unquote(str.Value)
	if err != nil {
		return 0, "", err
	}
	return rune(n), to, nil
}

// stringConst returns the value of the string constant name in src.
func stringConst(src []byte, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return "", err
	}
	if obj := f.Scope.Lookup(name); obj != nil && obj.Kind == ast.Con {
		if vs, ok := obj.Decl.(*ast.ValueSpec); ok && len(vs.Values) == 1 {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				return strconv.Unquote(lit.Value)
			}
		}
	}
	return "", fmt.Errorf("no string constant %s", name)
}

// fromTxt reads Unicode's confusables.txt.
func fromTxt(path string) (source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return source{}, err
	}
	protos, version, err := parseTxt(b)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", path, err)
	}
	return source{
		origin: []string{
			"Unicode's confusables.txt,",
			fmt.Sprintf("https://www.unicode.org/Public/%s/security/confusables.txt.", version),
		},
		version: version,
		sha256:  sha256Hex(b),
		protos:  protos,
	}, nil
}

// parseTxt reads the lines `SOURCE ; TARGET... ; MA # comment` of a
// confusables.txt, and the version from its `# Version: X` header line.
func parseTxt(b []byte) (map[rune]string, string, error) {
	protos := map[rune]string{}
	var version string
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	for i, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "# Version:"); ok && version == "" {
			version = strings.TrimSpace(v)
		}
		line, _, _ = strings.Cut(line, "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, ";")
		if len(fields) != 3 {
			return nil, "", fmt.Errorf("line %d: %d fields, want 3", i+1, len(fields))
		}
		from, err := hexRunes(fields[0])
		if err != nil || len(from) != 1 {
			return nil, "", fmt.Errorf("line %d: source %q is not one code point", i+1, fields[0])
		}
		to, err := hexRunes(fields[1])
		if err != nil || len(to) == 0 {
			return nil, "", fmt.Errorf("line %d: bad target %q", i+1, fields[1])
		}
		if _, dup := protos[from[0]]; dup {
			return nil, "", fmt.Errorf("line %d: %U mapped twice", i+1, from[0])
		}
		protos[from[0]] = string(to)
	}
	if version == "" {
		return nil, "", errors.New("no `# Version:` line")
	}
	if len(protos) == 0 {
		return nil, "", errors.New("no mappings found")
	}
	return protos, version, nil
}

func hexRunes(s string) ([]rune, error) {
	var rs []rune
	for _, f := range strings.Fields(s) {
		n, err := strconv.ParseUint(f, 16, 32)
		if err != nil || n > utf8.MaxRune {
			return nil, fmt.Errorf("bad code point %q", f)
		}
		rs = append(rs, rune(n))
	}
	return rs, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// generate writes the Go source of tables.go. Each entry of the table
// packs a source code point and where its prototype lies in protoText:
// source<<32 | offset<<8 | length in bytes. Entries are sorted by source;
// equal prototypes share their bytes in protoText.
func generate(src source) ([]byte, error) {
	froms := make([]rune, 0, len(src.protos))
	for r := range src.protos {
		froms = append(froms, r)
	}
	slices.Sort(froms)

	var text strings.Builder
	at := map[string]int{}
	entries := make([]uint64, len(froms))
	var ascii []rune
	for i, r := range froms {
		to := src.protos[r]
		if to == "" || !utf8.ValidString(to) || len(to) > 0xff {
			return nil, fmt.Errorf("%U: prototype %+q is empty, invalid or too long", r, to)
		}
		off, ok := at[to]
		if !ok {
			off = text.Len()
			at[to] = off
			text.WriteString(to)
		}
		if off >= 1<<24 {
			return nil, errors.New("prototype text too long for the table's offsets")
		}
		entries[i] = uint64(r)<<32 | uint64(off)<<8 | uint64(len(to))
		if r < utf8.RuneSelf {
			ascii = append(ascii, r)
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./gen; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package confusables\n\n")
	fmt.Fprintf(&b, "// The prototype mappings of UTS #39, from\n")
	for _, l := range src.origin {
		fmt.Fprintf(&b, "// %s\n", l)
	}
	fmt.Fprintf(&b, "// The file read has SHA-256 %s.\n", src.sha256)
	fmt.Fprintf(&b, "// %d mappings.\n\n", len(entries))
	fmt.Fprintf(&b, "// UnicodeVersion is the version of Unicode's confusables.txt the table comes from.\n")
	fmt.Fprintf(&b, "const UnicodeVersion = %q\n\n", src.version)
	fmt.Fprintf(&b, "// SourceSHA256 is the SHA-256 of the file the table was generated from.\n")
	fmt.Fprintf(&b, "const SourceSHA256 = %q\n\n", src.sha256)

	fmt.Fprintf(&b, "// asciiMapped says which ASCII characters have a prototype.\n")
	fmt.Fprintf(&b, "var asciiMapped = [128]bool{")
	for i, r := range ascii {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: true", r)
	}
	fmt.Fprintf(&b, "}\n\n")

	fmt.Fprintf(&b, "// table is sorted by source: source<<32 | offset in protoText<<8 | length.\n")
	fmt.Fprintf(&b, "var table = [%d]uint64{\n", len(entries))
	for i, e := range entries {
		if i%4 == 0 {
			b.WriteString("\t")
		}
		fmt.Fprintf(&b, "0x%06x_%06x_%02x,", e>>32, e>>8&0xffffff, e&0xff)
		if i%4 == 3 || i == len(entries)-1 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	fmt.Fprintf(&b, "}\n\n")

	fmt.Fprintf(&b, "// protoText holds every prototype once.\n")
	fmt.Fprintf(&b, "const protoText = \"\" +\n")
	chunks := chunk(text.String(), 48)
	for i, c := range chunks {
		fmt.Fprintf(&b, "\t%+q", c)
		if i < len(chunks)-1 {
			b.WriteString(" +")
		}
		b.WriteString("\n")
	}
	return format.Source(b.Bytes())
}

// chunk splits s into pieces of n runes (the last may be shorter).
func chunk(s string, n int) []string {
	var out []string
	for s != "" {
		i, k := 0, 0
		for i < len(s) && k < n {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			k++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}
