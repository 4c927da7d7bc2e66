package jsonmode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"parley/internal/chat"
)

var codec = New()

// --- Parse ---

type parseCase struct {
	name string
	line string
	want chat.Command // Err left nil; see prob and arg
	prob chat.Problem // 0: no error expected
	arg  string       // for prob: Arg must contain this
}

func ref(s string) []byte { return []byte(s) }

func TestParse(t *testing.T) {
	tests := []parseCase{
		// Every op with its fields.
		{name: "say", line: `{"op":"say","text":"hello"}`, want: chat.Command{Op: chat.OpSay, Text: "hello"}},
		{name: "say empty text", line: `{"op":"say","text":""}`, want: chat.Command{Op: chat.OpSay}},
		{name: "dm", line: `{"op":"dm","to":"bob","text":"hi there"}`, want: chat.Command{Op: chat.OpDM, Name: "bob", Text: "hi there"}},
		{name: "nick", line: `{"op":"nick","name":"alice"}`, want: chat.Command{Op: chat.OpNick, Name: "alice"}},
		{name: "who", line: `{"op":"who"}`, want: chat.Command{Op: chat.OpWho}},
		{name: "join", line: `{"op":"join","room":"den"}`, want: chat.Command{Op: chat.OpJoin, Room: "den"}},
		{name: "rooms", line: `{"op":"rooms"}`, want: chat.Command{Op: chat.OpRooms}},
		{name: "ping", line: `{"op":"ping"}`, want: chat.Command{Op: chat.OpPing}},
		{name: "quit", line: `{"op":"quit"}`, want: chat.Command{Op: chat.OpQuit}},
		{name: "register", line: `{"op":"register","password":"s3cret","id":"r"}`, want: chat.Command{Op: chat.OpRegister, Text: "s3cret", Ref: ref(`"r"`)}},
		{name: "register password with spaces", line: `{"op":"register","password":"  correct horse  "}`, want: chat.Command{Op: chat.OpRegister, Text: "  correct horse  "}},
		{name: "register empty password", line: `{"op":"register","password":""}`, want: chat.Command{Op: chat.OpRegister}},
		{name: "register ignores name", line: `{"op":"register","password":"pw","name":"bob"}`, want: chat.Command{Op: chat.OpRegister, Text: "pw"}},
		{name: "login", line: `{"op":"login","name":"alice","password":"pw","id":4}`, want: chat.Command{Op: chat.OpLogin, Name: "alice", Text: "pw", Ref: ref(`4`)}},
		{name: "login zh", line: `{"password":"密码","op":"login","name":"张三"}`, want: chat.Command{Op: chat.OpLogin, Name: "张三", Text: "密码"}},
		{name: "kick", line: `{"op":"kick","name":"bob","reason":"rude","id":1}`, want: chat.Command{Op: chat.OpKick, Name: "bob", Text: "rude", Ref: ref(`1`)}},
		{name: "kick without a reason", line: `{"op":"kick","name":"bob"}`, want: chat.Command{Op: chat.OpKick, Name: "bob"}},
		{name: "kick without a name", line: `{"op":"kick","reason":"x"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing name"},
		{name: "ban", line: `{"op":"ban","target":"192.0.2.7","duration":"1h","reason":"flood"}`, want: chat.Command{Op: chat.OpBan, Name: "192.0.2.7", Duration: time.Hour, Text: "flood"}},
		{name: "ban in days", line: `{"op":"ban","target":"bob","duration":"7d"}`, want: chat.Command{Op: chat.OpBan, Name: "bob", Duration: 7 * 24 * time.Hour}},
		{name: "ban until lifted", line: `{"op":"ban","target":"bob","duration":""}`, want: chat.Command{Op: chat.OpBan, Name: "bob"}},
		{name: "ban bad duration", line: `{"op":"ban","target":"bob","duration":"soon"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field duration"},
		{name: "ban negative duration", line: `{"op":"ban","target":"bob","duration":"-1h"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field duration"},
		{name: "ban duration a number", line: `{"op":"ban","target":"bob","duration":3600}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field duration: want string"},
		{name: "ban without a target", line: `{"op":"ban","name":"bob"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing target"},
		{name: "unban", line: `{"op":"unban","target":"bob"}`, want: chat.Command{Op: chat.OpUnban, Name: "bob"}},
		{name: "mute", line: `{"op":"mute","name":"bob","duration":"10m"}`, want: chat.Command{Op: chat.OpMute, Name: "bob", Duration: 10 * time.Minute}},
		{name: "mute ignores a reason", line: `{"op":"mute","name":"bob","reason":"x"}`, want: chat.Command{Op: chat.OpMute, Name: "bob"}},
		{name: "unmute", line: `{"op":"unmute","name":"bob"}`, want: chat.Command{Op: chat.OpUnmute, Name: "bob"}},
		{name: "bans", line: `{"op":"bans","id":"b"}`, want: chat.Command{Op: chat.OpBans, Ref: ref(`"b"`)}},
		{name: "history", line: `{"op":"history","id":9}`, want: chat.Command{Op: chat.OpHistory, Ref: ref(`9`)}},
		{name: "history all fields", line: `{"op":"history","room":"den","limit":5,"before":123}`, want: chat.Command{Op: chat.OpHistory, Room: "den", Limit: 5, Before: 123}},
		{name: "history nulls", line: `{"op":"history","room":null,"limit":null,"before":null}`, want: chat.Command{Op: chat.OpHistory}},
		{name: "history empty room", line: `{"op":"history","room":""}`, want: chat.Command{Op: chat.OpHistory}},
		{name: "history zeros", line: `{"op":"history","limit":0,"before":0}`, want: chat.Command{Op: chat.OpHistory}},
		{name: "history minus zero", line: `{"op":"history","limit":-0,"before":-0.0e5}`, want: chat.Command{Op: chat.OpHistory}},
		{name: "history limit over 1000 as is", line: `{"op":"history","limit":1001}`, want: chat.Command{Op: chat.OpHistory, Limit: 1001}},
		{name: "history limit 2.0", line: `{"op":"history","limit":2.0}`, want: chat.Command{Op: chat.OpHistory, Limit: 2}},
		{name: "history limit 1e3", line: `{"op":"history","limit":1e3}`, want: chat.Command{Op: chat.OpHistory, Limit: 1000}},
		{name: "history limit 0.7e1", line: `{"op":"history","limit":0.7e1}`, want: chat.Command{Op: chat.OpHistory, Limit: 7}},
		{name: "history limit 700E-2", line: `{"op":"history","limit":700E-2}`, want: chat.Command{Op: chat.OpHistory, Limit: 7}},
		{name: "history limit 2.50e1", line: `{"op":"history","limit":2.50e1}`, want: chat.Command{Op: chat.OpHistory, Limit: 25}},
		{name: "history limit max int32", line: `{"op":"history","limit":2147483647}`, want: chat.Command{Op: chat.OpHistory, Limit: 2147483647}},
		{name: "history limit saturates", line: `{"op":"history","limit":2147483648}`, want: chat.Command{Op: chat.OpHistory, Limit: 2147483647}},
		{name: "history limit 1e400 saturates", line: `{"op":"history","limit":1e400}`, want: chat.Command{Op: chat.OpHistory, Limit: 2147483647}},
		{name: "history limit 1e+99999999999999999999", line: `{"op":"history","limit":1e+99999999999999999999}`, want: chat.Command{Op: chat.OpHistory, Limit: 2147483647}},
		{name: "history before max int64", line: `{"op":"history","before":9223372036854775807}`, want: chat.Command{Op: chat.OpHistory, Before: 9223372036854775807}},
		{name: "history before saturates", line: `{"op":"history","before":9223372036854775808}`, want: chat.Command{Op: chat.OpHistory, Before: 9223372036854775807}},
		{name: "history before 1e19 saturates", line: `{"op":"history","before":1e19}`, want: chat.Command{Op: chat.OpHistory, Before: 9223372036854775807}},
		{name: "history before big id exact", line: `{"op":"history","before":9007199254740993}`, want: chat.Command{Op: chat.OpHistory, Before: 9007199254740993}},
		{name: "history before big id with .0", line: `{"op":"history","before":9007199254740993.000}`, want: chat.Command{Op: chat.OpHistory, Before: 9007199254740993}},
		{name: "history ignores text", line: `{"op":"history","text":"x","password":"p","to":"y"}`, want: chat.Command{Op: chat.OpHistory}},
		{name: "fields in any order", line: `{"text":"t","to":"x","op":"dm","id":1}`, want: chat.Command{Op: chat.OpDM, Name: "x", Text: "t", Ref: ref(`1`)}},
		{name: "other ops' fields ignored", line: `{"op":"say","text":"t","name":"n","room":"r","to":"x"}`, want: chat.Command{Op: chat.OpSay, Text: "t"}},
		{name: "white space around", line: " \t{ \"op\" : \"ping\" } \r", want: chat.Command{Op: chat.OpPing}},

		// id → Ref, raw.
		{name: "id string", line: `{"op":"ping","id":"a"}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`"a"`)}},
		{name: "id string with escapes", line: `{"op":"ping","id":"a\"b\\c\u00e9"}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`"a\"b\\c\u00e9"`)}},
		{name: "id empty string", line: `{"op":"ping","id":""}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`""`)}},
		{name: "id number", line: `{"op":"ping","id":7}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`7`)}},
		{name: "id zero", line: `{"op":"ping","id":0}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`0`)}},
		{name: "id negative fraction", line: `{"op":"ping","id":-1.5}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`-1.5`)}},
		{name: "id exponent", line: `{"op":"ping","id":1e3}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`1e3`)}},
		{name: "id spaced", line: `{"op":"ping","id" :  42 }`, want: chat.Command{Op: chat.OpPing, Ref: ref(`42`)}},
		{name: "id on say", line: `{"op":"say","text":"x","id":"s1"}`, want: chat.Command{Op: chat.OpSay, Text: "x", Ref: ref(`"s1"`)}},
		{name: "id null", line: `{"op":"ping","id":null}`, want: chat.Command{Op: chat.OpPing}},
		{name: "id object", line: `{"op":"ping","id":{"a":1}}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "id"},
		{name: "id array", line: `{"op":"ping","id":[1]}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "id"},
		{name: "id true", line: `{"op":"ping","id":true}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "id"},
		{name: "id false", line: `{"op":"ping","id":false}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "id"},

		// Malformed objects.
		{name: "missing op", line: `{"text":"x"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing op"},
		{name: "missing op with id", line: `{"text":"x","id":3}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`3`)}, prob: chat.ProbBadRequest, arg: "missing op"},
		{name: "op null", line: `{"op":null,"id":3}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`3`)}, prob: chat.ProbBadRequest, arg: "missing op"},
		{name: "empty object", line: `{}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing op"},
		{name: "op number", line: `{"op":5}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "op"},
		{name: "op number with id", line: `{"op":5,"id":7}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`7`)}, prob: chat.ProbBadRequest, arg: "op"},
		{name: "op array with id first", line: `{"id":"q","op":["say"]}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"q"`)}, prob: chat.ProbBadRequest, arg: "op"},
		{name: "op number with bad id", line: `{"op":5,"id":{}}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "text number", line: `{"op":"say","text":5,"id":7}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`7`)}, prob: chat.ProbBadRequest, arg: "text"},
		{name: "text object", line: `{"op":"say","text":{},"id":"x"}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"x"`)}, prob: chat.ProbBadRequest, arg: "text"},
		{name: "to bool", line: `{"op":"dm","to":true,"text":"x","id":-2}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`-2`)}, prob: chat.ProbBadRequest, arg: "to"},
		{name: "name array", line: `{"op":"nick","name":["a"]}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "name"},
		{name: "room number", line: `{"op":"join","room":1,"id":1}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`1`)}, prob: chat.ProbBadRequest, arg: "room"},
		{name: "wrong type with bad id", line: `{"op":"say","text":5,"id":[7]}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "wrong type with null id", line: `{"op":"say","text":5,"id":null}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "text"},
		{name: "password number", line: `{"op":"register","password":1234,"id":1}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`1`)}, prob: chat.ProbBadRequest, arg: "field password: want string, got number"},
		{name: "password array", line: `{"op":"login","name":"bob","password":["x"]}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field password"},
		{name: "login name number", line: `{"op":"login","name":5,"password":"x"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field name"},
		{name: "history room number", line: `{"op":"history","room":5,"id":"h"}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"h"`)}, prob: chat.ProbBadRequest, arg: "field room"},
		{name: "history limit string", line: `{"op":"history","limit":"5","id":2}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`2`)}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit fraction", line: `{"op":"history","limit":1.5,"id":2}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`2`)}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit tiny fraction", line: `{"op":"history","limit":2.0000000000000000001}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit small exponent", line: `{"op":"history","limit":1e-1}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit 25e-1", line: `{"op":"history","limit":25e-1}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit negative", line: `{"op":"history","limit":-1,"id":2}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`2`)}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit negative fraction", line: `{"op":"history","limit":-0.5}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit bool", line: `{"op":"history","limit":true}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit object", line: `{"op":"history","limit":{}}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history limit array", line: `{"op":"history","limit":[1]}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field limit: want a whole number"},
		{name: "history before string", line: `{"op":"history","before":"12","id":"b"}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"b"`)}, prob: chat.ProbBadRequest, arg: "field before: want a whole number"},
		{name: "history before fraction", line: `{"op":"history","before":12.5}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field before: want a whole number"},
		{name: "history before negative", line: `{"op":"history","before":-12}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field before: want a whole number"},
		{name: "history before huge negative", line: `{"op":"history","before":-1e400}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "field before: want a whole number"},

		// Missing fields.
		{name: "say without text", line: `{"op":"say","id":1}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`1`)}, prob: chat.ProbBadRequest, arg: "missing text"},
		{name: "say text null", line: `{"op":"say","text":null}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing text"},
		{name: "dm without to", line: `{"op":"dm","text":"x","id":"d"}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"d"`)}, prob: chat.ProbBadRequest, arg: "missing to"},
		{name: "dm without text", line: `{"op":"dm","to":"bob"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing text"},
		{name: "dm without either", line: `{"op":"dm"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing"},
		{name: "nick without name", line: `{"op":"nick","id":2}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`2`)}, prob: chat.ProbBadRequest, arg: "missing name"},
		{name: "join without room", line: `{"op":"join"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing room"},
		{name: "register without password", line: `{"op":"register","id":5}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`5`)}, prob: chat.ProbBadRequest, arg: "missing password"},
		{name: "register password null", line: `{"op":"register","password":null}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing password"},
		{name: "register text is not password", line: `{"op":"register","text":"pw"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing password"},
		{name: "login without name", line: `{"op":"login","password":"pw","id":"l"}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`"l"`)}, prob: chat.ProbBadRequest, arg: "missing name"},
		{name: "login without password", line: `{"op":"login","name":"bob"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing password"},
		{name: "login without either", line: `{"op":"login"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing name"},

		// Unknown op.
		{name: "unknown op", line: `{"op":"fly","id":3}`, want: chat.Command{Op: chat.OpInvalid, Ref: ref(`3`)}, prob: chat.ProbUnknownOp, arg: "fly"},
		{name: "empty op", line: `{"op":""}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbUnknownOp},
		{name: "op is case sensitive", line: `{"op":"SAY","text":"x"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbUnknownOp, arg: "SAY"},
		{name: "help is not a JSON op", line: `{"op":"help"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbUnknownOp, arg: "help"},

		// Unknown fields are ignored.
		{name: "unknown fields", line: `{"op":"say","text":"x","extra":{"a":[1,{"b":null}]},"n":null,"v":1.5e9,"ok":true}`, want: chat.Command{Op: chat.OpSay, Text: "x"}},
		{name: "unknown field before op", line: `{"zzz":[],"op":"ping"}`, want: chat.Command{Op: chat.OpPing}},

		// Not an object.
		{name: "not JSON", line: `hello`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "open brace", line: `{`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "truncated", line: `{"op":"say","text":"x`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "trailing garbage", line: `{"op":"ping","id":1} x`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "two objects", line: `{"op":"ping"}{"op":"quit"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "array", line: `[]`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "array of object", line: `[{"op":"ping","id":1}]`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "string", line: `"x"`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "null", line: `null`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "number", line: `5`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "true", line: `true`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "single quotes", line: `{'op':'ping'}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "raw control char in string", line: "{\"op\":\"say\",\"text\":\"a\x01b\"}", want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},
		{name: "invalid UTF-8 outside strings", line: "{\"op\":\"ping\"}\xff", want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest},

		// Empty lines.
		{name: "empty line", line: "", want: chat.Command{Op: chat.OpNone}},
		{name: "spaces", line: "   ", want: chat.Command{Op: chat.OpNone}},
		{name: "white space", line: " \t\r\v\f ", want: chat.Command{Op: chat.OpNone}},

		// Invalid UTF-8 inside strings: each run becomes one U+FFFD.
		{name: "invalid run", line: "{\"op\":\"say\",\"text\":\"a\xff\xfeb\"}", want: chat.Command{Op: chat.OpSay, Text: "a\uFFFDb"}},
		{name: "two invalid runs", line: "{\"op\":\"say\",\"text\":\"\xffa\xfe\"}", want: chat.Command{Op: chat.OpSay, Text: "\uFFFDa\uFFFD"}},
		{name: "truncated sequence", line: "{\"op\":\"say\",\"text\":\"x\xe4\xb8y\"}", want: chat.Command{Op: chat.OpSay, Text: "x\uFFFDy"}},
		{name: "encoded surrogate", line: "{\"op\":\"say\",\"text\":\"\xed\xa0\x80\"}", want: chat.Command{Op: chat.OpSay, Text: "\uFFFD"}},
		{name: "invalid in to", line: "{\"op\":\"dm\",\"to\":\"b\xc0\xafob\",\"text\":\"x\"}", want: chat.Command{Op: chat.OpDM, Name: "b\uFFFDob", Text: "x"}},
		{name: "invalid in id", line: "{\"op\":\"ping\",\"id\":\"\xff\xff\"}", want: chat.Command{Op: chat.OpPing, Ref: ref("\"\uFFFD\"")}},

		// Unicode and escapes come through raw; the hub cleans them.
		{name: "chinese and emoji", line: `{"op":"say","text":"你好 😀"}`, want: chat.Command{Op: chat.OpSay, Text: "你好 😀"}},
		{name: "CSI escape", line: `{"op":"say","text":"\u001b[1mbold"}`, want: chat.Command{Op: chat.OpSay, Text: "\x1b[1mbold"}},
		{name: "escaped controls", line: `{"op":"say","text":"a\tb\nc\u0000d\u007f"}`, want: chat.Command{Op: chat.OpSay, Text: "a\tb\nc\x00d\x7f"}},
		{name: "escaped line separators", line: `{"op":"say","text":"\u2028\u2029"}`, want: chat.Command{Op: chat.OpSay, Text: "\u2028\u2029"}},
		{name: "surrogate pair", line: `{"op":"say","text":"\ud83d\ude00"}`, want: chat.Command{Op: chat.OpSay, Text: "😀"}},
		{name: "lone surrogate escape", line: `{"op":"say","text":"a\ud800b"}`, want: chat.Command{Op: chat.OpSay, Text: "a\uFFFDb"}},
		{name: "escaped slash and quote", line: `{"op":"nick","name":"a\/b\"c"}`, want: chat.Command{Op: chat.OpNick, Name: `a/b"c`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codec.Parse([]byte(tt.line))
			checkCommand(t, got, tt)
		})
	}
}

func checkCommand(t *testing.T, got chat.Command, tt parseCase) {
	t.Helper()
	if got.Op != tt.want.Op {
		t.Errorf("Op = %d, want %d (Err %+v)", got.Op, tt.want.Op, got.Err)
	}
	if (got.Ref == nil) != (tt.want.Ref == nil) || !bytes.Equal(got.Ref, tt.want.Ref) {
		if got.Ref == nil {
			t.Errorf("Ref = nil, want %s", tt.want.Ref)
		} else {
			t.Errorf("Ref = %s, want %q", got.Ref, tt.want.Ref)
		}
	}
	if got.Name != tt.want.Name || got.Room != tt.want.Room || got.Text != tt.want.Text {
		t.Errorf("Name/Room/Text = %q/%q/%q, want %q/%q/%q", got.Name, got.Room, got.Text, tt.want.Name, tt.want.Room, tt.want.Text)
	}
	if got.Limit != tt.want.Limit || got.Before != tt.want.Before {
		t.Errorf("Limit/Before = %d/%d, want %d/%d", got.Limit, got.Before, tt.want.Limit, tt.want.Before)
	}
	if got.AddrDM {
		t.Errorf("AddrDM set in JSON mode")
	}
	if tt.prob == 0 {
		if got.Err != nil {
			t.Errorf("Err = %+v, want none", got.Err)
		}
		return
	}
	if got.Err == nil {
		t.Fatalf("Err = nil, want problem %d", tt.prob)
	}
	if got.Err.Problem != tt.prob {
		t.Errorf("Problem = %d (%q), want %d", got.Err.Problem, got.Err.Arg, tt.prob)
	}
	if !strings.Contains(got.Err.Arg, tt.arg) {
		t.Errorf("Arg = %q, want it to contain %q", got.Err.Arg, tt.arg)
	}
	if tt.prob == chat.ProbUnknownOp && got.Err.Code() != chat.CodeUnknownOp ||
		tt.prob == chat.ProbBadRequest && got.Err.Code() != chat.CodeBadRequest {
		t.Errorf("Code = %s", got.Err.Code())
	}
}

// TestParseKeysAreCaseSensitive: JSON keys are case-sensitive, and
// PROTOCOL.md says unknown fields are ignored, so "Text", "OP" or "ID" are
// unknown fields. encoding/json matches struct fields case-insensitively, so
// today {"op":"say","text":"hi","Text":"x"} says "x", and
// {"op":"say","text":"hi","TEXT":5} is a bad_request.
func TestParseKeysAreCaseSensitive(t *testing.T) {
	tests := []parseCase{
		{name: "Text overrides text", line: `{"op":"say","text":"real","Text":"other"}`, want: chat.Command{Op: chat.OpSay, Text: "real"}},
		{name: "TEXT of another type", line: `{"op":"say","text":"hi","TEXT":5}`, want: chat.Command{Op: chat.OpSay, Text: "hi"}},
		{name: "OP is not op", line: `{"OP":"quit"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing op"},
		{name: "Name is not name", line: `{"op":"nick","Name":"bob"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing name"},
		{name: "Password is not password", line: `{"op":"register","Password":"pw"}`, want: chat.Command{Op: chat.OpInvalid}, prob: chat.ProbBadRequest, arg: "missing password"},
		{name: "Limit is not limit", line: `{"op":"history","limit":3,"Limit":"x","LIMIT":-1,"Before":1.5}`, want: chat.Command{Op: chat.OpHistory, Limit: 3}},
		{name: "ID is not id", line: `{"op":"ping","ID":7}`, want: chat.Command{Op: chat.OpPing}},
		{name: "Id object ignored", line: `{"op":"ping","id":1,"Id":{}}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`1`)}},
		{name: "dotless i is not i", line: `{"op":"ping","id":1,"ıd":[]}`, want: chat.Command{Op: chat.OpPing, Ref: ref(`1`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCommand(t, codec.Parse([]byte(tt.line)), tt)
		})
	}
}

// TestParseUnknownOpCleaned: the op named in unknown_op is cleaned, so the
// error message cannot carry escape sequences back to the client.
func TestParseUnknownOpCleaned(t *testing.T) {
	cmd := codec.Parse([]byte(`{"op":"f\u001b[1mly\u0007"}`))
	if cmd.Err == nil || cmd.Err.Problem != chat.ProbUnknownOp {
		t.Fatalf("got %+v", cmd)
	}
	if cmd.Err.Arg != chat.Clean("f\x1b[1mly\x07") || strings.ContainsAny(cmd.Err.Arg, "\x1b\x07") {
		t.Fatalf("Arg = %q", cmd.Err.Arg)
	}
}

// TestParseNeverEchoesPassword: however a register or login object is
// malformed, its error (Arg, and the message it becomes) holds no byte of the
// password: encoding/json names the offending character in a syntax error,
// and here that character is the password's.
func TestParseNeverEchoesPassword(t *testing.T) {
	tests := []struct{ line, pw string }{
		{`{"op":"register","password":"hunter2"`, "hunter2"},
		{`{"op":"register","password":"hunter2","id":{}}`, "hunter2"},
		{`{"op":"register","password":"hunter2","id":[1]}`, "hunter2"},
		{`{"op":"login","name":5,"password":"hunter2"}`, "hunter2"},
		{`{"op":"login","password":"hunter2"}`, "hunter2"},
		{`{"op":"login","name":"bob","password":"hunter2","text":7}`, "hunter2"},
		{`{"op":"register","password":"\Z"}`, "Z"},
		{`{"op":"register","password":"a\u00ZZ"}`, "Z"},
		{"{\"op\":\"register\",\"password\":\"\x01\"}", "\x01"},
		{"{\"op\":\"register\",\"password\":\"\x01\"}", `\x01`},
		{`{"op":"login","name":"bob","password":Zebra}`, "Z"},
		{`{"op":"login","name":"bob","password":'Z'}`, "Z"},
		{`{"op":"login","name":"bob","password":"\'"}`, `'\''`},
	}
	for _, tt := range tests {
		cmd := codec.Parse([]byte(tt.line))
		if cmd.Err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", tt.line, cmd)
			continue
		}
		msg := errorMessage(cmd.Err)
		if strings.Contains(cmd.Err.Arg, tt.pw) || strings.Contains(msg, tt.pw) {
			t.Errorf("Parse(%q): error %q holds %q", tt.line, msg, tt.pw)
		}
	}
}

func TestWithoutChar(t *testing.T) {
	for in, want := range map[string]string{
		`invalid character 'q' in string escape code`:                       "invalid character in string escape code",
		`invalid character '\x01' in string literal`:                        "invalid character in string literal",
		`invalid character '\'' looking for beginning of object key string`: "invalid character looking for beginning of object key string",
		`invalid character '"' after object key`:                            "invalid character after object key",
		`invalid character ' ' in literal true (expecting 'e')`:             "invalid character in literal true (expecting 'e')",
		`invalid character '\\' in string escape code`:                      "invalid character in string escape code",
		`invalid character 'ÿ' after top-level value`:                       "invalid character after top-level value",
		`invalid character '`:                                               "invalid character",
		`unexpected end of JSON input`:                                      "unexpected end of JSON input",
	} {
		if got := withoutChar(in); got != want {
			t.Errorf("withoutChar(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseDoesNotKeepLine: Parse must not keep line (chat.Codec): the
// caller's buffer is reused for the next line.
func TestParseDoesNotKeepLine(t *testing.T) {
	line := []byte(`{"op":"dm","to":"bob","text":"hello","id":"abc"}`)
	cmd := codec.Parse(line)
	for i := range line {
		line[i] = 'X'
	}
	if cmd.Op != chat.OpDM || cmd.Name != "bob" || cmd.Text != "hello" || string(cmd.Ref) != `"abc"` {
		t.Fatalf("command changed with the line buffer: %+v, ref %s", cmd, cmd.Ref)
	}
	line = []byte(`{"op":"say","text":5,"id":12345}`)
	cmd = codec.Parse(line)
	copy(line, bytes.Repeat([]byte("Z"), len(line)))
	if string(cmd.Ref) != `12345` {
		t.Fatalf("error ref changed with the line buffer: %s", cmd.Ref)
	}
}

func TestParseLongText(t *testing.T) {
	text := strings.Repeat("长", 1300) // 3900 bytes
	cmd := codec.Parse([]byte(`{"op":"say","text":"` + text + `"}`))
	if cmd.Op != chat.OpSay || cmd.Text != text {
		t.Fatalf("long text: op %d, %d bytes", cmd.Op, len(cmd.Text))
	}
}

func TestSlot(t *testing.T) {
	if codec.Slot() != chat.SlotJSON {
		t.Fatalf("Slot = %d", codec.Slot())
	}
	var _ chat.Codec = codec
}

// --- Append ---

var tsRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// decodeLine checks that b is exactly one JSON object on one line and
// returns it decoded, numbers as json.Number.
func decodeLine(t testing.TB, b []byte) map[string]any {
	t.Helper()
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("output does not end in LF: %q", b)
	}
	if bytes.Count(b, []byte{'\n'}) != 1 {
		t.Fatalf("output has more than one LF: %q", b)
	}
	body := b[:len(b)-1]
	if !json.Valid(body) {
		t.Fatalf("output is not valid JSON: %q", b)
	}
	if !utf8.Valid(body) {
		t.Fatalf("output is not valid UTF-8: %q", b)
	}
	for _, c := range body {
		if c < 0x20 {
			t.Fatalf("raw control byte %#x in output %q", c, b)
		}
	}
	if bytes.Contains(body, []byte("\u2028")) || bytes.Contains(body, []byte("\u2029")) {
		t.Fatalf("raw U+2028/U+2029 in output %q", b)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	if m == nil {
		t.Fatalf("output is not an object: %q", b)
	}
	return m
}

type obj = map[string]any

func n(v int64) json.Number { return json.Number(fmt.Sprint(v)) }

var (
	// A time in a zone east of UTC: 14:07:09.123456789+05:30 is 08:37:09.123Z.
	tsLocal = time.Date(2024, 3, 5, 14, 7, 9, 123456789, time.FixedZone("IST", 5*3600+1800))
	tsUTC   = "2024-03-05T08:37:09.123Z"
	// West of UTC across midnight and a year end.
	tsWest    = time.Date(2023, 12, 31, 22, 30, 0, 0, time.FixedZone("EST", -5*3600))
	tsWestUTC = "2024-01-01T03:30:00.000Z"
)

func TestAppend(t *testing.T) {
	msg1 := &chat.Event{Kind: chat.EvMsg, ID: 1, TS: tsLocal, Room: "lobby", Name: "alice", Addr: "127.0.0.1:5000", Text: "hi"}
	msg2 := &chat.Event{Kind: chat.EvMsg, ID: 2, TS: tsWest, Room: "lobby", Name: "bob", Text: "yo"}
	msg1Obj := obj{"type": "msg", "id": n(1), "room": "lobby", "from": "alice", "addr": "127.0.0.1:5000", "text": "hi", "ts": tsUTC}
	msg2Obj := obj{"type": "msg", "id": n(2), "room": "lobby", "from": "bob", "text": "yo", "ts": tsWestUTC}
	tests := []struct {
		name string
		ev   *chat.Event
		want obj
	}{
		{"welcome", &chat.Event{Kind: chat.EvWelcome, Name: "127.0.0.1:5000", Addr: "127.0.0.1:5000", Room: "lobby", Server: "parley/1.0"},
			obj{"type": "welcome", "name": "127.0.0.1:5000", "addr": "127.0.0.1:5000", "room": "lobby", "server": "parley/1.0"}},
		{"welcome without addr", &chat.Event{Kind: chat.EvWelcome, Name: "guest-1", Room: "lobby", Server: "parley"},
			obj{"type": "welcome", "name": "guest-1", "room": "lobby", "server": "parley"}},

		{"history", &chat.Event{Kind: chat.EvHistory, Room: "lobby", Messages: []*chat.Event{msg1, msg2}},
			obj{"type": "history", "room": "lobby", "messages": []any{msg1Obj, msg2Obj}}},
		{"history empty", &chat.Event{Kind: chat.EvHistory, Room: "den"},
			obj{"type": "history", "room": "den", "messages": []any{}}},
		{"history with ref", &chat.Event{Kind: chat.EvHistory, Ref: ref(`"h"`), Room: "den", Messages: []*chat.Event{msg2}},
			obj{"type": "history", "ref": "h", "room": "den", "messages": []any{msg2Obj}}},
		{"history answering history op, empty", &chat.Event{Kind: chat.EvHistory, Ref: ref(`4`), Room: "den", Empty: true},
			obj{"type": "history", "ref": n(4), "room": "den", "messages": []any{}}},
		{"history answering history op", &chat.Event{Kind: chat.EvHistory, Room: "lobby", Empty: true, Messages: []*chat.Event{msg1}},
			obj{"type": "history", "room": "lobby", "messages": []any{msg1Obj}}},

		{"msg", msg1, msg1Obj},
		{"msg without addr", msg2, msg2Obj},
		{"msg big id, zero millis", &chat.Event{Kind: chat.EvMsg, ID: 1 << 53, TS: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Room: "r", Name: "n", Text: "t"},
			obj{"type": "msg", "id": n(1 << 53), "room": "r", "from": "n", "text": "t", "ts": "2025-01-02T03:04:05.000Z"}},
		{"msg 999ms truncated not rounded", &chat.Event{Kind: chat.EvMsg, ID: 3, TS: time.Date(2025, 1, 2, 3, 4, 5, 999999999, time.UTC), Room: "r", Name: "n", Text: "t"},
			obj{"type": "msg", "id": n(3), "room": "r", "from": "n", "text": "t", "ts": "2025-01-02T03:04:05.999Z"}},

		{"dm in", &chat.Event{Kind: chat.EvDMIn, ID: 9, TS: tsLocal, Name: "alice", To: "bob", Addr: "1.2.3.4:5", Text: "psst"},
			obj{"type": "dm", "id": n(9), "from": "alice", "to": "bob", "text": "psst", "ts": tsUTC}},
		{"dm in queued flag ignored", &chat.Event{Kind: chat.EvDMIn, ID: 9, TS: tsLocal, Name: "alice", To: "bob", Text: "psst", Queued: true},
			obj{"type": "dm", "id": n(9), "from": "alice", "to": "bob", "text": "psst", "ts": tsUTC}},
		{"dm in kept offline", &chat.Event{Kind: chat.EvDMIn, ID: 8, TS: tsWest, Name: "alice", To: "bob", Addr: "1.2.3.4:5", Text: "while you were out", Stored: true},
			obj{"type": "dm", "id": n(8), "from": "alice", "to": "bob", "text": "while you were out", "ts": tsWestUTC}},
		{"dm out", &chat.Event{Kind: chat.EvDMOut, Ref: ref(`5`), ID: 10, TS: tsLocal, Name: "alice", To: "bob", Text: "psst"},
			obj{"type": "dm", "ref": n(5), "id": n(10), "from": "alice", "to": "bob", "text": "psst", "ts": tsUTC}},
		{"dm out queued", &chat.Event{Kind: chat.EvDMOut, ID: 11, TS: tsLocal, Name: "alice", To: "carol", Text: "later", Queued: true},
			obj{"type": "dm", "id": n(11), "from": "alice", "to": "carol", "text": "later", "ts": tsUTC, "queued": true}},

		{"presence online", &chat.Event{Kind: chat.EvPresence, Presence: chat.Online, Name: "alice", Room: "lobby", Addr: "127.0.0.1:5000"},
			obj{"type": "presence", "event": "online", "name": "alice", "room": "lobby", "addr": "127.0.0.1:5000"}},
		{"presence offline without addr", &chat.Event{Kind: chat.EvPresence, Presence: chat.Offline, Name: "guest-2", Room: "den"},
			obj{"type": "presence", "event": "offline", "name": "guest-2", "room": "den"}},
		{"presence joined", &chat.Event{Kind: chat.EvPresence, Presence: chat.Joined, Name: "a", Room: "den", Addr: "x:1"},
			obj{"type": "presence", "event": "joined", "name": "a", "room": "den", "addr": "x:1"}},
		{"presence left", &chat.Event{Kind: chat.EvPresence, Presence: chat.Left, Name: "a", Room: "den"},
			obj{"type": "presence", "event": "left", "name": "a", "room": "den"}},
		{"presence renamed", &chat.Event{Kind: chat.EvPresence, Presence: chat.Renamed, Name: "bob", Old: "127.0.0.1:5000", Room: "lobby", Addr: "127.0.0.1:5000"},
			obj{"type": "presence", "event": "renamed", "name": "bob", "old": "127.0.0.1:5000", "room": "lobby", "addr": "127.0.0.1:5000"}},

		{"who", &chat.Event{Kind: chat.EvWho, Ref: ref(`"w"`), Users: []chat.UserInfo{{Name: "alice", Room: "lobby"}, {Name: "张三", Room: "den"}}},
			obj{"type": "who", "ref": "w", "users": []any{obj{"name": "alice", "room": "lobby"}, obj{"name": "张三", "room": "den"}}}},
		{"who empty", &chat.Event{Kind: chat.EvWho},
			obj{"type": "who", "users": []any{}}},
		{"rooms", &chat.Event{Kind: chat.EvRooms, Ref: ref(`3`), Rooms: []chat.RoomInfo{{Name: "den", Users: 1}, {Name: "lobby", Users: 12}}},
			obj{"type": "rooms", "ref": n(3), "rooms": []any{obj{"name": "den", "users": n(1)}, obj{"name": "lobby", "users": n(12)}}}},
		{"rooms empty", &chat.Event{Kind: chat.EvRooms},
			obj{"type": "rooms", "rooms": []any{}}},

		{"ok nick", &chat.Event{Kind: chat.EvNickOK, Ref: ref(`"n1"`), Old: "127.0.0.1:5000", Name: "alice"},
			obj{"type": "ok", "ref": "n1", "name": "alice"}},
		{"ok nick without ref", &chat.Event{Kind: chat.EvNickOK, Old: "x", Name: "alice"},
			obj{"type": "ok", "name": "alice"}},
		{"ok registered", &chat.Event{Kind: chat.EvRegistered, Ref: ref(`"r1"`), Name: "alice"},
			obj{"type": "ok", "ref": "r1", "name": "alice"}},
		{"ok registered without ref", &chat.Event{Kind: chat.EvRegistered, Name: "张三"},
			obj{"type": "ok", "name": "张三"}},
		{"ok logged in", &chat.Event{Kind: chat.EvLoggedIn, Ref: ref(`12`), Name: "Alice"},
			obj{"type": "ok", "ref": n(12), "name": "Alice"}},
		{"ok logged in without ref", &chat.Event{Kind: chat.EvLoggedIn, Name: "alice"},
			obj{"type": "ok", "name": "alice"}},
		{"ok join", &chat.Event{Kind: chat.EvJoinOK, Ref: ref(`-1.5`), Room: "den"},
			obj{"type": "ok", "ref": json.Number("-1.5"), "room": "den"}},
		{"pong", &chat.Event{Kind: chat.EvPong},
			obj{"type": "pong"}},
		{"pong with string ref", &chat.Event{Kind: chat.EvPong, Ref: ref(`"p\"1"`)},
			obj{"type": "pong", "ref": `p"1`}},
		{"pong with number ref", &chat.Event{Kind: chat.EvPong, Ref: ref(`7`)},
			obj{"type": "pong", "ref": n(7)}},

		{"bye quit", &chat.Event{Kind: chat.EvBye, Ref: ref(`8`), Reason: chat.ByeQuit},
			obj{"type": "bye", "ref": n(8), "reason": "quit", "message": "bye"}},
		{"bye idle", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeIdle, Idle: 10 * time.Second},
			obj{"type": "bye", "reason": "idle", "message": "idle for 10s: disconnected"}},
		{"bye idle minutes", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeIdle, Idle: 5 * time.Minute},
			obj{"type": "bye", "reason": "idle", "message": "idle for 5m0s: disconnected"}},
		{"bye slow", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeSlowConsumer},
			obj{"type": "bye", "reason": "slow_consumer", "message": "too slow: disconnected"}},
		{"bye line timeout", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeLineTimeout, Idle: 30 * time.Second},
			obj{"type": "bye", "reason": "line_timeout", "message": "line not finished within 30s: disconnected"}},
		{"bye kicked", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeKicked, Name: "op", Text: "spam"},
			obj{"type": "bye", "reason": "kicked", "message": "kicked by op: spam"}},
		{"bye kicked without a reason", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeKicked, Name: "op"},
			obj{"type": "bye", "reason": "kicked", "message": "kicked by op"}},
		{"operator command done", &chat.Event{Kind: chat.EvDone, Ref: ref(`7`), Did: chat.OpKick, Name: "bob", Text: "x"},
			obj{"type": "ok", "ref": n(7), "name": "bob"}},
		{"ban done", &chat.Event{Kind: chat.EvDone, Ref: ref(`8`), Did: chat.OpBan, Name: "bob", Text: "x"},
			obj{"type": "ok", "ref": n(8), "name": "bob", "until": "forever"}},
		{"mute done", &chat.Event{Kind: chat.EvDone, Did: chat.OpMute, Name: "bob", Until: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)},
			obj{"type": "ok", "name": "bob", "until": "2026-11-22T02:00:00Z"}},
		{"bans", &chat.Event{Kind: chat.EvBans, Ref: ref(`"b"`), Bans: []chat.BanInfo{
			{Target: "bob", Reason: "spam"},
			{Target: "192.0.2.7", Until: time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("UTC+8", 8*3600))}}},
			obj{"type": "bans", "ref": "b", "bans": []any{
				obj{"target": "bob", "until": "forever", "reason": "spam"},
				obj{"target": "192.0.2.7", "until": "2026-11-22T02:00:00Z", "reason": ""}}}},
		{"no bans", &chat.Event{Kind: chat.EvBans}, obj{"type": "bans", "bans": []any{}}},
		{"bye shutdown", &chat.Event{Kind: chat.EvBye, Reason: chat.ByeShutdown},
			obj{"type": "bye", "reason": "shutdown", "message": "server shutting down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := codec.Append(nil, tt.ev)
			got := decodeLine(t, out)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %v\nwant %v\nline %s", got, tt.want, out)
			}
			if ts, ok := got["ts"].(string); ok {
				if !tsRE.MatchString(ts) {
					t.Fatalf("ts %q is not in 2006-01-02T15:04:05.000Z form", ts)
				}
				p, err := time.Parse(time.RFC3339Nano, ts)
				if err != nil || !p.Equal(tt.ev.TS.Truncate(time.Millisecond)) {
					t.Fatalf("ts %q parses to %v, %v; want %v", ts, p, err, tt.ev.TS.Truncate(time.Millisecond))
				}
			}
			// "type" comes first, then "ref": a reader can dispatch early.
			prefix := `{"type":`
			if tt.ev.Ref != nil && tt.ev.Kind != chat.EvMsg {
				prefix = `{"type":"` + got["type"].(string) + `","ref":` + string(tt.ev.Ref)
			}
			if !bytes.HasPrefix(out, []byte(prefix)) {
				t.Fatalf("line %s does not start with %s", out, prefix)
			}
			// Append appends: a prefix in dst is kept, and the same bytes follow.
			pre := []byte("previous line\n")
			out2 := codec.Append(pre, tt.ev)
			if !bytes.HasPrefix(out2, pre) || !bytes.Equal(out2[len(pre):], out) {
				t.Fatalf("Append with a prefix: %q", out2)
			}
			// Event.Bytes caches the same encoding.
			if b := tt.ev.Bytes(codec); !bytes.Equal(b, out) {
				t.Fatalf("Bytes = %q, want %q", b, out)
			}
		})
	}
}

// TestAppendMsgIgnoresRef: a msg is a broadcast, never a direct reply.
func TestAppendMsgIgnoresRef(t *testing.T) {
	out := codec.Append(nil, &chat.Event{Kind: chat.EvMsg, Ref: ref(`1`), ID: 1, TS: tsLocal, Room: "r", Name: "n", Text: "t"})
	if _, ok := decodeLine(t, out)["ref"]; ok {
		t.Fatalf("msg carries a ref: %s", out)
	}
}

func TestAppendError(t *testing.T) {
	tests := []struct {
		err  *chat.Error
		msg  string
		code string
	}{
		{&chat.Error{Problem: chat.ProbBadRequest, Arg: "missing op"}, "bad request: missing op", "bad_request"},
		{&chat.Error{Problem: chat.ProbUnknownOp, Arg: "fly"}, "unknown op: fly", "unknown_op"},
		{&chat.Error{Problem: chat.ProbUnknownCommand, Arg: "/x"}, "unknown command /x", "bad_request"},
		{&chat.Error{Problem: chat.ProbUsage, Arg: "to|NAME|TEXT"}, "usage: to|NAME|TEXT", "bad_request"},
		{&chat.Error{Problem: chat.ProbNameTaken, Arg: "bob"}, "name taken: bob", "name_taken"},
		{&chat.Error{Problem: chat.ProbInvalidName, Name: &chat.NameError{Problem: chat.NameEmpty}}, "invalid name: empty", "invalid_name"},
		{&chat.Error{Problem: chat.ProbInvalidName, Name: &chat.NameError{Problem: chat.NameTooLong}}, "invalid name: longer than 32 characters", "invalid_name"},
		{&chat.Error{Problem: chat.ProbInvalidName, Name: &chat.NameError{Problem: chat.NameTooLong + 1, Char: '!'}}, "invalid name: character '!' not allowed (use letters, digits, _ - .)", "invalid_name"},
		{&chat.Error{Problem: chat.ProbInvalidName}, "invalid name: invalid", "invalid_name"},
		{&chat.Error{Problem: chat.ProbInvalidRoom, Name: &chat.NameError{Problem: chat.NameEmpty}}, "invalid room: empty", "invalid_name"},
		{&chat.Error{Problem: chat.ProbNoSuchUser, Arg: "carol"}, "no such user: carol", "no_such_user"},
		{&chat.Error{Problem: chat.ProbEmptyMessage}, "empty message", "empty_message"},
		{&chat.Error{Problem: chat.ProbLineTooLong, N: 4096}, "line too long (max 4096 bytes)", "line_too_long"},
		{&chat.Error{Problem: chat.ProbTooManyConns, N: 10}, "too many connections (max 10)", "bad_request"},
		{&chat.Error{Problem: chat.ProbTooManyFromAddr, N: 64}, "too many connections from your address (max 64)", "bad_request"},
		{&chat.Error{Problem: chat.ProbConnRate, Wait: 2 * time.Second}, "too many new connections from your address, wait 2s", "rate_limited"},
		{&chat.Error{Problem: chat.ProbShuttingDown}, "server shutting down", "bad_request"},
		{&chat.Error{Problem: chat.ProbInvalidName, Name: &chat.NameError{Problem: chat.NameDefault}}, "invalid name: choose a name first", "invalid_name"},
		{&chat.Error{Problem: chat.ProbNameRegistered, Arg: "alice"}, "name registered: alice", "name_registered"},
		{&chat.Error{Problem: chat.ProbBadPassword}, "bad password", "bad_password"},
		{&chat.Error{Problem: chat.ProbRateLimited, Wait: 30 * time.Second}, "too many attempts, wait 30s", "rate_limited"},
		{&chat.Error{Problem: chat.ProbRateLimited, Wait: 10 * time.Minute}, "too many attempts, wait 10m0s", "rate_limited"},
		{&chat.Error{Problem: chat.ProbStoreUnavailable}, "store unavailable", "store_unavailable"},
		{&chat.Error{Problem: chat.ProbUnauthorized}, "unauthorized", "unauthorized"},
		{&chat.Error{Problem: chat.ProbBanned, Arg: "flood", Until: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)}, "banned until 2026-11-22T02:00:00Z: flood", "unauthorized"},
		{&chat.Error{Problem: chat.ProbBanned}, "banned until forever", "unauthorized"},
		{&chat.Error{Problem: chat.ProbMuted, Until: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)}, "muted until 2026-11-22T02:00:00Z", "unauthorized"},
		{&chat.Error{Problem: chat.ProbNotBanned, Arg: "bob"}, "not banned: bob", "bad_request"},
		{&chat.Error{Problem: chat.ProbNotMuted, Arg: "bob"}, "not muted: bob", "bad_request"},
		{&chat.Error{Problem: 250}, "error", "bad_request"},
	}
	for _, tt := range tests {
		for _, r := range []string{"", `"req-1"`, `42`} {
			ev := &chat.Event{Kind: chat.EvError, Err: tt.err}
			want := obj{"type": "error", "code": tt.code, "message": tt.msg}
			if r != "" {
				ev.Ref = ref(r)
				var v any
				d := json.NewDecoder(strings.NewReader(r))
				d.UseNumber()
				d.Decode(&v)
				want["ref"] = v
			}
			out := codec.Append(nil, ev)
			got := decodeLine(t, out)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
			if got["code"] != tt.err.Code().String() {
				t.Errorf("code %v, chat says %s", got["code"], tt.err.Code())
			}
		}
	}
}

// TestAppendNothing: events that have no JSON form append nothing.
func TestAppendNothing(t *testing.T) {
	for _, k := range []chat.Kind{0, chat.EvHelp, chat.EvBans + 1, 200} { // EvBans+1: the queue marker
		ev := &chat.Event{Kind: k, Text: "x", Ref: ref(`1`)}
		if out := codec.Append(nil, ev); len(out) != 0 {
			t.Errorf("kind %d: appended %q", k, out)
		}
		pre := []byte("kept")
		if out := codec.Append(pre, ev); string(out) != "kept" {
			t.Errorf("kind %d: dst became %q", k, out)
		}
	}
}

// awkward are strings that must survive the JSON encoding.
var awkward = []string{
	"",
	"plain",
	`quote " and backslash \ and slash /`,
	`\"\\"`,
	"\x00\x01\x02\x07\x08\t\n\v\f\r\x0e\x1b[31mred\x1b[0m\x1f",
	"\x7f del stays",
	"line\u2028separator\u2029paragraph",
	"你好，世界",
	"emoji 😀👍🏽👨‍👩‍👧 flag 🇫🇷",
	"\uFFFD already a replacement char",
	"\xff",
	"a\xff\xfeb",
	"x\xe4\xb8y",       // truncated 3-byte sequence
	"\xed\xa0\x80",     // UTF-8-encoded surrogate
	"\xc0\xaf",         // overlong '/'
	"\xf4\x90\x80\x80", // above U+10FFFF
	"张三\xe5",           // truncated at the end
	"<script>&amp;</script>",
	"\u0085\u00a0\u200b\u202e\u2066 bidi",
	"\U0010FFFF",
}

// expectedString is what a JSON string written for s decodes to. The oracle
// is Go's own []rune conversion (the same as ranging over s): every byte that
// does not start a valid UTF-8 sequence becomes one U+FFFD, and valid
// sequences stay. That is also what encoding/json.Marshal does (and so what
// appendString promises: "Invalid UTF-8 becomes U+FFFD", byte by byte), and
// it differs from strings.ToValidUTF8, which makes one U+FFFD of a whole run
// (the input side's rule; the hub's text is already valid by the time it is
// encoded, so the two only differ for text that skipped the cleaning).
func expectedString(s string) string { return string([]rune(s)) }

func TestAppendStrings(t *testing.T) {
	for _, s := range awkward {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) { checkStringRoundTrip(t, s) })
	}
}

func checkStringRoundTrip(t testing.TB, s string) {
	t.Helper()
	want := expectedString(s)
	// Cross-check the oracle against encoding/json.
	if mb, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	} else {
		var back string
		if err := json.Unmarshal(mb, &back); err != nil || back != want {
			t.Fatalf("oracle disagrees with encoding/json: %q vs %q", want, back)
		}
	}
	evs := []*chat.Event{
		{Kind: chat.EvMsg, ID: 1, TS: tsLocal, Room: s, Name: s, Addr: s, Text: s},
		{Kind: chat.EvWho, Ref: ref(`1`), Users: []chat.UserInfo{{Name: s, Room: s}}},
		{Kind: chat.EvError, Err: &chat.Error{Problem: chat.ProbNoSuchUser, Arg: s}},
	}
	for _, ev := range evs {
		out := codec.Append(nil, ev)
		m := decodeLine(t, out)
		switch ev.Kind {
		case chat.EvMsg:
			for _, k := range []string{"room", "from", "addr", "text"} {
				if k == "addr" && s == "" {
					if _, ok := m[k]; ok {
						t.Fatalf("empty addr written")
					}
					continue
				}
				if m[k] != want {
					t.Fatalf("%s = %q, want %q (line %q)", k, m[k], want, out)
				}
			}
		case chat.EvWho:
			u := m["users"].([]any)[0].(map[string]any)
			if u["name"] != want || u["room"] != want {
				t.Fatalf("who user = %q, want %q", u, want)
			}
		case chat.EvError:
			if m["message"] != "no such user: "+want {
				t.Fatalf("message = %q", m["message"])
			}
		}
	}
	// The bare string, too, and exactly one JSON value.
	b := appendString(nil, s)
	var back string
	if err := json.Unmarshal(b, &back); err != nil || back != want {
		t.Fatalf("appendString(%q) = %s, decodes to %q, %v; want %q", s, b, back, err, want)
	}
}

// TestAppendStringBytes pins the exact escapes.
func TestAppendStringBytes(t *testing.T) {
	for s, want := range map[string]string{
		"":             `""`,
		"a\"b\\c":      `"a\"b\\c"`,
		"\n\r\t":       `"\n\r\t"`,
		"\x00\x1f\x1b": `"\u0000\u001f\u001b"`,
		"\u2028\u2029": `"\u2028\u2029"`,
		"a\xff\xfeb":   `"a\ufffd\ufffdb"`,
		"张三😀":          "\"张三😀\"",
		"<&>/\x7f":     "\"<&>/\x7f\"",
	} {
		if got := string(appendString(nil, s)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestAppendConcurrent: the codec is shared by every session.
func TestAppendConcurrent(t *testing.T) {
	ev := &chat.Event{Kind: chat.EvMsg, ID: 1, TS: tsLocal, Room: "r", Name: "n", Text: "t"}
	want := codec.Append(nil, ev)
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && bytes.Equal(codec.Append(nil, ev), want) && ev.Bytes(codec) != nil
				ok = ok && codec.Parse([]byte(`{"op":"say","text":"x","id":1}`)).Op == chat.OpSay
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Fatal("concurrent use gave a different result")
		}
	}
}

// --- Fuzz ---

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"op":"say","text":"hello","id":1}`,
		`{"op":"dm","to":"bob","text":"hi","id":"x"}`,
		`{"op":"nick","name":"alice"}`,
		`{"op":"join","room":"den","id":-1.5e3}`,
		`{"op":"who"}`, `{"op":"rooms"}`, `{"op":"ping","id":null}`, `{"op":"quit"}`,
		`{"op":"say","text":5,"id":7}`,
		`{"op":5,"id":"q"}`,
		`{"op":"ping","id":{"a":1}}`,
		`{"op":"fly"}`,
		"{\"op\":\"say\",\"text\":\"a\xff\xfeb\"}",
		`{"op":"say","text":"\u001b[1m\ud800\u2028"}`,
		`[]`, `"x"`, `null`, ``, `   `, `{`,
		`{"op":"say","text":"x","id":1e400}`,
		`{"OP":"say","Text":"x","ID":3}`,
		`{"op":"register","password":"pw","id":1}`,
		`{"op":"login","name":"bob","password":"a b"}`,
		`{"op":"login","name":"bob"}`,
		`{"op":"history","room":"den","limit":20,"before":12345}`,
		`{"op":"history","limit":2.50e1,"before":-0}`,
		`{"op":"history","limit":1e400,"before":"x"}`,
		`{"op":"history","limit":-3}`,
		`{"op":"register","password":"\q"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		cmd := codec.Parse(line)
		if !bytes.Equal(line, orig) {
			t.Fatalf("Parse changed its input")
		}
		switch cmd.Op {
		case chat.OpNone:
			if len(bytes.TrimSpace(line)) != 0 || cmd.Err != nil || cmd.Ref != nil {
				t.Fatalf("OpNone for %q: %+v", line, cmd)
			}
		case chat.OpInvalid:
			if cmd.Err == nil {
				t.Fatalf("OpInvalid without Err")
			}
			if p := cmd.Err.Problem; p != chat.ProbBadRequest && p != chat.ProbUnknownOp {
				t.Fatalf("problem %d", p)
			}
			if !utf8.ValidString(cmd.Err.Arg) {
				t.Fatalf("Err.Arg %q is not valid UTF-8", cmd.Err.Arg)
			}
		case chat.OpSay, chat.OpDM, chat.OpNick, chat.OpWho, chat.OpJoin, chat.OpRooms, chat.OpPing, chat.OpQuit,
			chat.OpRegister, chat.OpLogin, chat.OpHistory:
			if cmd.Err != nil {
				t.Fatalf("op %d with Err %+v", cmd.Op, cmd.Err)
			}
			for _, s := range []string{cmd.Name, cmd.Room, cmd.Text} {
				if !utf8.ValidString(s) {
					t.Fatalf("op %d: %q is not valid UTF-8", cmd.Op, s)
				}
			}
		default:
			t.Fatalf("op %d", cmd.Op)
		}
		if cmd.Op == chat.OpHistory {
			if cmd.Limit < 0 || cmd.Limit > maxLimit || cmd.Before < 0 {
				t.Fatalf("history limit %d before %d", cmd.Limit, cmd.Before)
			}
		} else if cmd.Limit != 0 || cmd.Before != 0 {
			t.Fatalf("op %d with limit %d before %d", cmd.Op, cmd.Limit, cmd.Before)
		}
		if cmd.Ref != nil {
			if !json.Valid(cmd.Ref) {
				t.Fatalf("Ref %q is not JSON", cmd.Ref)
			}
			if c := cmd.Ref[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
				t.Fatalf("Ref %q is not a string or a number", cmd.Ref)
			}
			// It goes back out verbatim: the reply stays one valid line.
			out := codec.Append(nil, &chat.Event{Kind: chat.EvPong, Ref: cmd.Ref})
			if bytes.Count(out, []byte{'\n'}) != 1 || !json.Valid(out[:len(out)-1]) {
				t.Fatalf("pong with ref %q: %q", cmd.Ref, out)
			}
		}
		// Parse did not keep line.
		for i := range line {
			line[i] = 'X'
		}
		again := codec.Parse(orig)
		if again.Op != cmd.Op || again.Text != cmd.Text || again.Name != cmd.Name || again.Room != cmd.Room || !bytes.Equal(again.Ref, cmd.Ref) ||
			again.Limit != cmd.Limit || again.Before != cmd.Before {
			t.Fatalf("command depends on the line buffer: %+v vs %+v", cmd, again)
		}
		// A valid op survives a round trip through encoding/json.
		if cmd.Op == chat.OpSay {
			mb, _ := json.Marshal(map[string]any{"op": "say", "text": cmd.Text})
			if c2 := codec.Parse(mb); c2.Op != chat.OpSay || c2.Text != cmd.Text {
				t.Fatalf("say %q does not round-trip: %+v", cmd.Text, c2)
			}
		}
	})
}

// FuzzWholeNumber checks wholeNumber against exact rational arithmetic for
// every JSON number literal whose exponent big.Rat can afford.
func FuzzWholeNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "-0.0", "7", "7.0", "0.7e1", "700e-2", "1.5", "-1", "-0.5",
		"1e3", "1E+3", "25e-1", "2.0000000000000000001", "2147483647", "2147483648",
		"9223372036854775807", "9223372036854775808", "1e19", "1e400", "1e-400", "0e999999",
		"000", "01", "1.", ".5", "1e", "--1", "1e+99999999999999999999"} {
		f.Add(s)
	}
	exp := regexp.MustCompile(`[eE][+-]?0*(\d{0,4})$`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) == 0 || !json.Valid([]byte(s)) || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) ||
			strings.ContainsAny(s, " \t\r\n") {
			t.Skip() // Parse only hands over valid JSON numbers, without white space
		}
		if strings.ContainsAny(s, "eE") && !exp.MatchString(s) {
			t.Skip() // an exponent too large for big.Rat to be quick
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read JSON number %q", s)
		}
		for _, max := range []int64{maxLimit, math.MaxInt64} {
			got, why := wholeNumber(json.RawMessage(s), max)
			switch {
			case r.Sign() < 0:
				if !strings.Contains(why, "negative") {
					t.Fatalf("wholeNumber(%q) = %d, %q; want negative", s, got, why)
				}
			case !r.IsInt():
				if !strings.Contains(why, "fraction") {
					t.Fatalf("wholeNumber(%q) = %d, %q; want fraction", s, got, why)
				}
			default:
				want := max
				if n := r.Num(); n.IsInt64() && n.Int64() < max {
					want = n.Int64()
				}
				if why != "" || got != want {
					t.Fatalf("wholeNumber(%q, %d) = %d, %q; want %d", s, max, got, why, want)
				}
			}
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkStringRoundTrip(t, s)
	})
}

// --- Benchmarks ---

func BenchmarkAppendMsg(b *testing.B) {
	ev := &chat.Event{Kind: chat.EvMsg, ID: 123456, TS: tsLocal, Room: "lobby", Name: "alice", Addr: "127.0.0.1:51234",
		Text: "hello everyone, this is a fairly ordinary chat line of about 64b"}
	buf := codec.Append(nil, ev)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = codec.Append(buf[:0], ev)
	}
}

func BenchmarkParseSay(b *testing.B) {
	line := []byte(`{"op":"say","text":"hello everyone, this is a fairly ordinary chat line of about 64b","id":17}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if cmd := codec.Parse(line); cmd.Op != chat.OpSay {
			b.Fatal(cmd.Err)
		}
	}
}
