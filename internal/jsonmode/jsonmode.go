// Package jsonmode is Parley's JSON mode: one JSON object per line over TCP,
// or per text frame over WebSocket (PROTOCOL.md "JSON mode").
//
// Client to server, an object with "op", the op's fields and an optional
// "id" (string or number) that the direct reply carries back as "ref":
//
//	say   {text}       no direct reply; the msg event comes back like to everyone
//	dm    {to, text}   the dm event, to sender and recipient
//	nick  {name}       ok {name}, or error
//	who                who {users: [{name, room}]} sorted by name
//	join  {room}       ok {room}, then history (without ref)
//	rooms              rooms {rooms: [{name, users}]} sorted by name
//	ping               pong
//	quit               bye, then close
//	register {password}              ok {name}, or error
//	login    {name, password}        ok {name}, or error
//	history  {room?, limit?, before?} history {room, messages} with ref
//	kick   {name, reason?}                    ok {name}; operators only
//	ban    {target, duration?, reason?}       ok {name, until}; operators only
//	unban  {target}                           ok {name}; operators only
//	mute   {name, duration?}                  ok {name, until}; operators only
//	unmute {name}                             ok {name}; operators only
//	bans                                      bans {bans: [{target, until, reason}]}; operators only
//
// limit and before are whole numbers ≥ 0 (2, 2.0 and 2e0 alike; 0 or no
// field means the default: 20 messages, the latest); a larger limit than
// 2147483647 or before than 2^63-1 is taken as that. A password never
// appears in an error.
//
// Server to client, every object has "type": welcome, msg, dm, presence,
// who, rooms, ok, pong, history, bans, error {code, message}, bye {reason,
// message}. A ban's or mute's until is RFC 3339 UTC, or "forever". Timestamps are RFC 3339 UTC with milliseconds. A malformed
// object gets error bad_request and the connection stays; unknown fields are
// ignored; an empty line is ignored.
package jsonmode

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"parley/internal/chat"
)

// Codec is the JSON mode. It is stateless and safe for concurrent use.
type Codec struct{}

// New returns the JSON codec.
func New() *Codec { return &Codec{} }

// Slot is the JSON mode's slot in an event's encoding cache.
func (*Codec) Slot() int { return chat.SlotJSON }

// Parse decodes one JSON line into a command. Keys match exactly, as in a
// map (encoding/json matches struct fields case-insensitively, and "Text" or
// "ID" are unknown fields, to be ignored); of a key given twice, the last one
// counts. A valid object is walked in place (scanObject); anything else goes
// to encoding/json, which names what is wrong with it.
func (*Codec) Parse(line []byte) chat.Command {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return chat.Command{Op: chat.OpNone}
	}
	if !utf8.Valid(line) {
		// Each run of invalid bytes becomes one U+FFFD, as in text mode.
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	f, ok := scanObject(line)
	if !ok {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return badRequest(nil, describe(err))
		}
		if obj == nil {
			return badRequest(nil, "want an object, got null")
		}
		for i, key := range fieldKeys {
			f[i] = obj[key]
		}
	}
	return f.command()
}

// fields holds the raw JSON value of each key Parse reads, without the white
// space around it (as a json.RawMessage); nil if the key is absent.
type fields [numFields][]byte

// The keys Parse reads. The string fields come first, in the order their
// types are checked: the first one of the wrong type is the error.
const (
	fieldOp = iota
	fieldText
	fieldTo
	fieldName
	fieldRoom
	fieldPassword
	fieldReason
	fieldTarget
	fieldDuration
	fieldID
	fieldLimit
	fieldBefore
	numFields

	numStrings = fieldDuration + 1
)

var fieldKeys = [numFields]string{"op", "text", "to", "name", "room", "password", "reason", "target", "duration", "id", "limit", "before"}

// command checks the fields and turns them into a command. Only the op's own
// fields count, but any string field of the wrong type is a bad request.
func (f *fields) command() chat.Command {
	ref, ok := validRef(f[fieldID])
	if !ok {
		return badRequest(nil, "id must be a string or a number")
	}
	var s stringFields
	for i := range numStrings {
		raw := f[i]
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if raw[0] != '"' {
			return badRequest(ref, "field "+fieldKeys[i]+": want string, got "+kindOf(raw))
		}
		v, err := unquote(raw)
		if err != nil {
			return badRequest(ref, describe(err))
		}
		s[i] = stringField{v, true}
	}
	if !s[fieldOp].ok {
		return badRequest(ref, "missing op")
	}
	cmd := chat.Command{Ref: ref}
	var missing string
	switch string(s[fieldOp].b) {
	case "say":
		cmd.Op = chat.OpSay
		cmd.Text, missing = s.get(fieldText)
	case "dm":
		cmd.Op = chat.OpDM
		cmd.Name, missing = s.get(fieldTo)
		if missing == "" {
			cmd.Text, missing = s.get(fieldText)
		}
	case "nick":
		cmd.Op = chat.OpNick
		cmd.Name, missing = s.get(fieldName)
	case "join":
		cmd.Op = chat.OpJoin
		cmd.Room, missing = s.get(fieldRoom)
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
		cmd.Text, missing = s.get(fieldPassword)
	case "login":
		cmd.Op = chat.OpLogin
		cmd.Name, missing = s.get(fieldName)
		if missing == "" {
			cmd.Text, missing = s.get(fieldPassword)
		}
	case "history":
		cmd.Op = chat.OpHistory
		cmd.Room, _ = s.get(fieldRoom)
		limit, why := wholeNumber(f[fieldLimit], maxLimit)
		if why != "" {
			return badRequest(ref, "field limit: "+why)
		}
		before, why := wholeNumber(f[fieldBefore], math.MaxInt64)
		if why != "" {
			return badRequest(ref, "field before: "+why)
		}
		cmd.Limit, cmd.Before = int(limit), before
	case "kick":
		cmd.Op = chat.OpKick
		cmd.Name, missing = s.get(fieldName)
		cmd.Text, _ = s.get(fieldReason)
	case "ban":
		cmd.Op = chat.OpBan
		cmd.Name, missing = s.get(fieldTarget)
		cmd.Text, _ = s.get(fieldReason)
	case "unban":
		cmd.Op = chat.OpUnban
		cmd.Name, missing = s.get(fieldTarget)
	case "mute":
		cmd.Op = chat.OpMute
		cmd.Name, missing = s.get(fieldName)
	case "unmute":
		cmd.Op = chat.OpUnmute
		cmd.Name, missing = s.get(fieldName)
	case "bans":
		cmd.Op = chat.OpBans
	default:
		return chat.Command{Op: chat.OpInvalid, Ref: ref, Err: &chat.Error{Problem: chat.ProbUnknownOp, Arg: chat.Clean(string(s[fieldOp].b))}}
	}
	if missing != "" {
		return badRequest(ref, "missing "+missing)
	}
	if cmd.Op == chat.OpBan || cmd.Op == chat.OpMute {
		if d, missing := s.get(fieldDuration); missing == "" && d != "" {
			if cmd.Duration, _ = chat.ParseDuration(d); cmd.Duration == 0 {
				return badRequest(ref, "field duration: want a duration such as 90m, 1h30m or 7d")
			}
		}
	}
	return cmd
}

// stringField is a decoded string field; ok is false if it is absent or
// null. b may point into the line, so only a copy goes into the command.
type stringField struct {
	b  []byte
	ok bool
}

type stringFields [numStrings]stringField

// get returns the field's value, or its key if it is missing.
func (s *stringFields) get(i int) (string, string) {
	if !s[i].ok {
		return "", fieldKeys[i]
	}
	return string(s[i].b), ""
}

// unquote decodes raw, a valid JSON string, exactly as encoding/json does.
// Without a backslash the contents are the value: they hold no control
// character (raw is valid JSON) and no invalid UTF-8 (Parse replaced it).
func unquote(raw []byte) ([]byte, error) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// maxLimit is where a history limit stops growing: the hub caps it far lower
// (1000), and a bounded value is safe for its arithmetic on any platform.
const maxLimit = math.MaxInt32

// wholeNumber decodes an optional field that must be a whole number ≥ 0:
// absent or null is 0; a value above max is max. Any JSON number literal
// whose value is whole counts (7, 7.0, 0.7e1, 700e-2); the check is exact,
// on the decimal digits, so no float rounding can make 2.0000000000000001
// whole. It returns why the value is refused, or "".
func wholeNumber(raw json.RawMessage, max int64) (int64, string) {
	const want = "want a whole number, got "
	if len(raw) == 0 || string(raw) == "null" {
		return 0, ""
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		if c == '"' {
			return 0, want + "string"
		}
		return 0, want + kindOf(raw)
	}
	// raw is a valid JSON number: -?int(.frac)?([eE][+-]?exp)?
	s := string(raw)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	// Without its exponent the value is 0.digits × 10^point.
	point := len(digits) - len(frac)
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return 0, "" // zero, -0 and 0e99 alike
	}
	if neg {
		return 0, want + "a negative number"
	}
	// Add the exponent, saturating: far beyond ±10^8 the answer is known.
	e, eneg := 0, false
	if exp != "" {
		if exp[0] == '+' || exp[0] == '-' {
			eneg = exp[0] == '-'
			exp = exp[1:]
		}
		for i := 0; i < len(exp) && e < 1e8; i++ {
			e = e*10 + int(exp[i]-'0')
		}
		if eneg {
			e = -e
		}
	}
	point += e
	if point < len(digits) {
		return 0, want + "a fraction"
	}
	if point > 19 { // at least 10^19 > MaxInt64
		return max, ""
	}
	v, err := strconv.ParseInt(digits+strings.Repeat("0", point-len(digits)), 10, 64)
	if err != nil || v > max {
		return max, "" // out of int64 range: the only error left
	}
	return v, ""
}

// kindOf names the JSON type of a raw value that is not a string.
func kindOf(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

func badRequest(ref []byte, why string) chat.Command {
	return chat.Command{Op: chat.OpInvalid, Ref: ref, Err: &chat.Error{Problem: chat.ProbBadRequest, Arg: why}}
}

// validRef returns id as the ref to echo, if it is a JSON string or number.
func validRef(id json.RawMessage) ([]byte, bool) {
	if len(id) == 0 || string(id) == "null" {
		return nil, true
	}
	switch c := id[0]; {
	case c == '"', c == '-', c >= '0' && c <= '9':
		return bytes.Clone(id), true
	}
	return nil, false
}

func describe(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return "field " + e.Field + ": want " + e.Type.String() + ", got " + e.Value
		}
		return "want an object, got " + e.Value
	case *json.SyntaxError:
		return "not JSON: " + withoutChar(e.Error())
	}
	return "not a JSON object"
}

// withoutChar drops the quoted character from encoding/json's "invalid
// character 'X' ..." (X is a Go-quoted byte between single quotes, with a
// quote itself written backslash-quote): that character is a byte of the
// line, and the line may hold a password. Any other message is returned as
// it is.
func withoutChar(msg string) string {
	const p = "invalid character "
	rest, ok := strings.CutPrefix(msg, p)
	switch {
	case !ok:
		return msg
	case strings.HasPrefix(rest, `'\''`):
		rest = rest[len(`'\''`):]
	case strings.HasPrefix(rest, "'"):
		j := strings.IndexByte(rest[1:], '\'')
		if j < 0 {
			return "invalid character"
		}
		rest = rest[j+2:]
	}
	return "invalid character" + rest
}
