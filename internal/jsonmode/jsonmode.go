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
//
// Server to client, every object has "type": welcome, msg, dm, presence,
// who, rooms, ok, pong, history, error {code, message}, bye {reason,
// message}. Timestamps are RFC 3339 UTC with milliseconds. A malformed
// object gets error bad_request and the connection stays; unknown fields are
// ignored; an empty line is ignored.
package jsonmode

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"parley/internal/chat"
)

// Codec is the JSON mode. It is stateless and safe for concurrent use.
type Codec struct{}

// New returns the JSON codec.
func New() *Codec { return &Codec{} }

// Slot is the JSON mode's slot in an event's encoding cache.
func (*Codec) Slot() int { return chat.SlotJSON }

// Parse decodes one JSON line into a command. The object is decoded into a
// map first so that keys match exactly: encoding/json matches struct fields
// case-insensitively, and "Text" or "ID" are unknown fields, to be ignored.
func (*Codec) Parse(line []byte) chat.Command {
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
	var op, text, to, name, room *string
	for _, f := range [...]struct {
		key string
		p   **string
	}{{"op", &op}, {"text", &text}, {"to", &to}, {"name", &name}, {"room", &room}} {
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
		cmd.Text, missing = field(text, "text")
	case "dm":
		cmd.Op = chat.OpDM
		cmd.Name, missing = field(to, "to")
		if missing == "" {
			cmd.Text, missing = field(text, "text")
		}
	case "nick":
		cmd.Op = chat.OpNick
		cmd.Name, missing = field(name, "name")
	case "join":
		cmd.Op = chat.OpJoin
		cmd.Room, missing = field(room, "room")
	case "who":
		cmd.Op = chat.OpWho
	case "rooms":
		cmd.Op = chat.OpRooms
	case "ping":
		cmd.Op = chat.OpPing
	case "quit":
		cmd.Op = chat.OpQuit
	default:
		return chat.Command{Op: chat.OpInvalid, Ref: ref, Err: &chat.Error{Problem: chat.ProbUnknownOp, Arg: chat.Clean(*op)}}
	}
	if missing != "" {
		return badRequest(ref, "missing "+missing)
	}
	return cmd
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

func field(v *string, name string) (string, string) {
	if v == nil {
		return "", name
	}
	return *v, ""
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
		return "not JSON: " + e.Error()
	}
	return "not a JSON object"
}
