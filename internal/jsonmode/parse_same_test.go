package jsonmode

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/internal/chat"
)

// parseOld is Parse as it was before it learned to walk the line itself
// (it decoded every line into a map with encoding/json), kept word for word
// as the oracle for FuzzParseSame: whatever a client sends, Parse must
// answer exactly as parseOld does. The operator ops were added to both
// later, each in its own way.
func parseOld(line []byte) chat.Command {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return chat.Command{Op: chat.OpNone}
	}
	if !utf8.Valid(line) {
		// Each run of invalid bytes becomes one U+FFFD, as in text mode.
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return badRequest(nil, describe(err))
	}
	if obj == nil {
		return badRequest(nil, "want an object, got null")
	}
	ref, ok := validRef(obj["id"])
	if !ok {
		return badRequest(nil, "id must be a string or a number")
	}
	var op, text, to, name, room, password, reason, target, duration *string
	for _, f := range [...]struct {
		key string
		p   **string
	}{{"op", &op}, {"text", &text}, {"to", &to}, {"name", &name}, {"room", &room}, {"password", &password},
		{"reason", &reason}, {"target", &target}, {"duration", &duration}} {
		raw := obj[f.key]
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if raw[0] != '"' {
			return badRequest(ref, "field "+f.key+": want string, got "+kindOf(raw))
		}
		v := new(string)
		if err := json.Unmarshal(raw, v); err != nil {
			return badRequest(ref, describe(err))
		}
		*f.p = v
	}
	if op == nil {
		return badRequest(ref, "missing op")
	}
	cmd := chat.Command{Ref: ref}
	var missing string
	switch *op {
	case "say":
		cmd.Op = chat.OpSay
		cmd.Text, missing = fieldOld(text, "text")
	case "dm":
		cmd.Op = chat.OpDM
		cmd.Name, missing = fieldOld(to, "to")
		if missing == "" {
			cmd.Text, missing = fieldOld(text, "text")
		}
	case "nick":
		cmd.Op = chat.OpNick
		cmd.Name, missing = fieldOld(name, "name")
	case "join":
		cmd.Op = chat.OpJoin
		cmd.Room, missing = fieldOld(room, "room")
	case "who":
		cmd.Op = chat.OpWho
	case "rooms":
		cmd.Op = chat.OpRooms
	case "ping":
		cmd.Op = chat.OpPing
	case "quit":
		cmd.Op = chat.OpQuit
	case "register":
		cmd.Op = chat.OpRegister
		cmd.Text, missing = fieldOld(password, "password")
	case "login":
		cmd.Op = chat.OpLogin
		cmd.Name, missing = fieldOld(name, "name")
		if missing == "" {
			cmd.Text, missing = fieldOld(password, "password")
		}
	case "history":
		cmd.Op = chat.OpHistory
		cmd.Room, _ = fieldOld(room, "room")
		limit, why := wholeNumber(obj["limit"], maxLimit)
		if why != "" {
			return badRequest(ref, "field limit: "+why)
		}
		before, why := wholeNumber(obj["before"], math.MaxInt64)
		if why != "" {
			return badRequest(ref, "field before: "+why)
		}
		cmd.Limit, cmd.Before = int(limit), before
	case "kick", "mute", "unmute":
		cmd.Op = map[string]chat.Op{"kick": chat.OpKick, "mute": chat.OpMute, "unmute": chat.OpUnmute}[*op]
		cmd.Name, missing = fieldOld(name, "name")
	case "ban", "unban":
		cmd.Op = map[string]chat.Op{"ban": chat.OpBan, "unban": chat.OpUnban}[*op]
		cmd.Name, missing = fieldOld(target, "target")
	case "bans":
		cmd.Op = chat.OpBans
	default:
		return chat.Command{Op: chat.OpInvalid, Ref: ref, Err: &chat.Error{Problem: chat.ProbUnknownOp, Arg: chat.Clean(*op)}}
	}
	if missing != "" {
		return badRequest(ref, "missing "+missing)
	}
	if (cmd.Op == chat.OpKick || cmd.Op == chat.OpBan) && reason != nil {
		cmd.Text = *reason
	}
	if (cmd.Op == chat.OpBan || cmd.Op == chat.OpMute) && duration != nil && *duration != "" {
		d, ok := chat.ParseDuration(*duration)
		if !ok {
			return badRequest(ref, "field duration: want a duration such as 90m, 1h30m or 7d")
		}
		cmd.Duration = d
	}
	return cmd
}

func fieldOld(v *string, name string) (string, string) {
	if v == nil {
		return "", name
	}
	return *v, ""
}

// parseSameSeeds are lines where a hand-written walk could easily part ways
// with encoding/json.
var parseSameSeeds = []string{
	// Duplicate keys: the last one counts, null included.
	`{"op":"say","text":"a","text":"b"}`,
	`{"op":"say","text":"a","text":null}`,
	`{"op":"say","text":5,"text":"b"}`,
	`{"op":"say","text":"a","text":5}`,
	`{"op":"ping","op":"say","text":"x"}`,
	`{"op":"ping","id":{},"id":1}`,
	`{"op":"ping","id":1,"id":{}}`,
	`{"op":"ping","id":1,"id":null}`,
	`{"op":"history","limit":1.5,"limit":3}`,
	// Escaped keys decode before they are matched.
	`{"o\u0070":"say","te\u0078t":"x"}`,
	`{"op":"say","text":"a","t\u0065xt":"b"}`,
	`{"op":"say","text":"a","t\u0065xt":null,"text":"c"}`,
	`{"op":"ping","\u0069d":7}`,
	`{"op\u0000":"say"}`,
	`{"\ud800":"x","op":"ping"}`,
	`{"o\"p":"say","op":"ping"}`,
	"{\"op\":\"ping\",\"\xff\":1}",
	// Unknown fields of every kind, nested.
	`{"a":{"op":"say","text":"no"},"op":"ping"}`,
	`{"a":[{"op":"say"},["}","]","\"",{}],[]],"op":"ping"}`,
	`{"a":"}\"{","op":"ping","b":"\\","c":"\\\"","d":"\\\\"}`,
	`{"a":true,"b":false,"c":null,"d":-0.5e-3,"op":"quit"}`,
	`{"op":"ping","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"op":"ping","x":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat("}", 100) + `}`,
	`{"op":"ping","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	// Escapes in values.
	`{"op":"say","text":"\u0000"}`,
	`{"op":"say","text":"\ud800"}`,
	`{"op":"say","text":"\udc00\ud800"}`,
	`{"op":"say","text":"\ud83d\ude00\ud83d"}`,
	`{"op":"say","text":"\ud83d\u0041"}`,
	`{"op":"say","text":"\ud83d\ud83d\ude00"}`,
	`{"op":"say","text":"\"\\\/\b\f\n\r\t"}`,
	`{"op":"say","text":"\\"}`,
	`{"op":"say","text":"\\\\\""}`,
	`{"op":"s\u0061y","text":"x"}`,
	`{"op":"say\u0000","text":"x"}`,
	`{"op":"\u001b[1m","text":"x"}`,
	"{\"op\":\"say\",\"text\":\"\xed\xa0\x80\xff\"}",
	"{\"op\":\"say\",\"text\":\"\\u00e9\xc3\"}",
	// Numbers.
	`{"op":"history","limit":1e999999999999,"before":-0}`,
	`{"op":"history","limit":100000000000000000000000000000000000000,"before":1E+2}`,
	`{"op":"history","limit":0.000000000000000000000000001e27}`,
	`{"op":"ping","id":-0.0e-0}`,
	`{"op":"ping","id":123456789012345678901234567890}`,
	`{"op":"history","limit":01}`,
	`{"op":"history","limit":+1}`,
	`{"op":"history","limit":.5}`,
	// White space everywhere, and around the line.
	" \t\r\n{ \t\r\n\"op\" \t\r\n: \t\r\n\"say\" \t\r\n, \"text\"\n:\n\"x\"\n,\"id\" : 1 \n} \t\r\n",
	"\u00a0{\"op\":\"ping\"}\u0085",
	"\v{\"op\":\"ping\"}\f",
	"{\"op\":\"ping\"}\u2028",
	"{\"op\":\"ping\",\"x\":[ 1 , 2 , { } , [ ] ] }",
	`{ }`, `{"op":"ping",}`, `{,"op":"ping"}`, `{"op" "ping"}`, `{"op":}`,
	// Not an object.
	`[{"op":"ping"}]`, `"op"`, `1`, `-1e5`, `true`, `false`, `null`, ` null `, `nul`,
	`{"op":"ping"}]`, `{"op":"ping"}}`, `}`, `]`, `{]`, "\xff", "\xef\xbb\xbf{\"op\":\"ping\"}",
}

// FuzzParseSame: Parse answers every line exactly as parseOld does, the same
// command and the same error.
func FuzzParseSame(f *testing.F) {
	for _, s := range stringLiterals(f, "jsonmode_test.go") {
		f.Add([]byte(s))
	}
	for _, s := range parseSameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		got := codec.Parse(line)
		if !bytes.Equal(line, orig) {
			t.Fatalf("Parse changed its input")
		}
		want := parseOld(line)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q)\n got %+v (Err %+v)\nwant %+v (Err %+v)", line, got, got.Err, want, want.Err)
		}
		// Where the walk answers, it finds the values a map would hold.
		line = bytes.ToValidUTF8(bytes.TrimSpace(line), []byte("\uFFFD"))
		if len(line) == 0 {
			return
		}
		walked, ok := scanObject(line)
		if !ok {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatalf("scanObject took %q, encoding/json says %v", line, err)
		}
		for i, key := range fieldKeys {
			if raw := obj[key]; (raw == nil) != (walked[i] == nil) || !bytes.Equal(raw, walked[i]) {
				t.Fatalf("%q: scanObject found %s = %q, encoding/json %q", line, key, walked[i], raw)
			}
		}
	})
}

// TestParseDuplicateKeys pins what FuzzParseSame only compares: of a key
// given twice the last one counts, as in a map, whatever came before.
func TestParseDuplicateKeys(t *testing.T) {
	tests := []parseCase{
		{name: "text twice", line: `{"op":"say","text":"a","text":"b"}`, want: chat.Command{Op: chat.OpSay, Text: "b"}},
		{name: "wrong type, then a string", line: `{"op":"say","text":5,"text":"b"}`, want: chat.Command{Op: chat.OpSay, Text: "b"}},
		{name: "a string, then a wrong type", line: `{"op":"say","text":"a","text":5}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field text"},
		{name: "a string, then null", line: `{"op":"say","text":"a","text":null}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing text"},
		{name: "op twice", line: `{"op":"quit","op":"ping"}`, want: chat.Command{Op: chat.OpPing}},
		{name: "bad id, then a good one", line: `{"op":"ping","id":{},"id":1}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`1`)}},
		{name: "escaped key counts as the same", line: `{"op":"say","text":"a","t\u0065xt":"b"}`, want: chat.Command{Op: chat.OpSay, Text: "b"}},
		{name: "limit twice", line: `{"op":"history","limit":1.5,"limit":3}`, want: chat.Command{Op: chat.OpHistory, Limit: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCommand(t, codec.Parse([]byte(tt.line)), tt)
			checkCommand(t, parseOld([]byte(tt.line)), tt)
		})
	}
}

// raceEnabled is set by race_test.go, in race builds.
var raceEnabled bool

// TestParseAllocs: an ordinary line is walked in place; what is allocated
// is the text and the ref, which outlive the line.
func TestParseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	for line, want := range map[string]float64{
		`{"op":"say","text":"hello everyone","id":17}`:   2,
		`{"op":"say","text":"hello everyone"}`:           1,
		`{"op":"ping"}`:                                  0,
		`{"op":"dm","to":"bob","text":"hi","x":[1,{}]}`:  2,
		`{"op":"history","room":"den","limit":5,"id":1}`: 2,
	} {
		b := []byte(line)
		if got := testing.AllocsPerRun(100, func() { codec.Parse(b) }); got > want {
			t.Errorf("Parse(%s): %v allocations, want at most %v", line, got, want)
		}
	}
}

// TestParseSameGenerated compares Parse with parseOld on objects built from
// the pieces a byte-level fuzzer is slow to put together: real, escaped and
// look-alike keys, given twice, values of every kind, white space anywhere,
// and now and then one byte dropped or changed.
func TestParseSameGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		line := []byte(genObject(rng, 0))
		if len(line) > 0 && rng.IntN(8) == 0 {
			i := rng.IntN(len(line))
			if rng.IntN(2) == 0 {
				line = append(line[:i], line[i+1:]...)
			} else {
				const bytes = "{}[]\",:0e.-\\u \xff"
				line[i] = bytes[rng.IntN(len(bytes))]
			}
		}
		if got, want := codec.Parse(line), parseOld(line); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q)\n got %+v (Err %+v)\nwant %+v (Err %+v)", line, got, got.Err, want, want.Err)
		}
	}
}

var (
	genKeys = []string{`"op"`, `"text"`, `"to"`, `"name"`, `"room"`, `"password"`, `"id"`, `"limit"`, `"before"`,
		`"Text"`, `"OP"`, `"t\u0065xt"`, `"o\u0070"`, `"\u0069d"`, `""`, `"x"`, `"op "`, `"\\"`}
	genStrings = []string{`"say"`, `"dm"`, `"nick"`, `"join"`, `"who"`, `"rooms"`, `"ping"`, `"quit"`, `"register"`,
		`"login"`, `"history"`, `"fly"`, `"s\u0061y"`, `""`, `"bob"`, `"a\"b"`, `"\\"`, `"\\\""`, `"\u00e9"`,
		`"\ud83d\ude00"`, `"\ud800"`, `"\ude00\ud83d"`, `"\u0000"`, `"\/\b\f\n\r\t"`, "\"\xff\xfe\"", `"}]"`, `"张三"`}
	genNumbers = []string{`0`, `-0`, `17`, `-1`, `1.5`, `2.0`, `2e3`, `1E+2`, `25e-1`, `1e400`, `-0.0e5`,
		`9223372036854775808`, `2147483648`}
	genSpace = []string{"", "", "", " ", "\t", "\n", "\r", "  "}
)

// genObject returns a JSON object, or at depth > 0 sometimes another value.
func genObject(rng *rand.Rand, depth int) string {
	sp := func() string { return genSpace[rng.IntN(len(genSpace))] }
	if depth > 0 || rng.IntN(20) == 0 {
		switch rng.IntN(7) {
		case 0:
			return genStrings[rng.IntN(len(genStrings))]
		case 1:
			return genNumbers[rng.IntN(len(genNumbers))]
		case 2:
			return []string{"true", "false", "null"}[rng.IntN(3)]
		case 3:
			if depth < 3 {
				var b strings.Builder
				b.WriteString("[" + sp())
				for i := range rng.IntN(4) {
					if i > 0 {
						b.WriteString(sp() + "," + sp())
					}
					b.WriteString(genObject(rng, depth+1))
				}
				return b.String() + sp() + "]"
			}
			return "[]"
		case 4:
			if depth == 0 {
				return genStrings[rng.IntN(len(genStrings))]
			}
		}
		if depth >= 3 {
			return "{}"
		}
	}
	var b strings.Builder
	b.WriteString(sp() + "{" + sp())
	for i := range rng.IntN(7) {
		if i > 0 {
			b.WriteString(sp() + "," + sp())
		}
		key := genKeys[rng.IntN(len(genKeys))]
		if depth == 0 && i == 0 && rng.IntN(2) == 0 {
			key = `"op"` // more lines get as far as their op
		}
		b.WriteString(key + sp() + ":" + sp())
		if depth == 0 && rng.IntN(4) > 0 {
			b.WriteString(genStrings[rng.IntN(len(genStrings))])
		} else {
			b.WriteString(genObject(rng, depth+1))
		}
	}
	return b.String() + sp() + "}" + sp()
}

// stringLiterals returns every string literal in the Go file name: the lines
// of the other Parse tests, and more.
func stringLiterals(tb testing.TB, name string) []string {
	file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, s)
		}
		return true
	})
	return out
}
