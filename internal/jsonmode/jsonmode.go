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

// request is every field any op takes; pointers tell absent from empty.
type request struct {
	Op   *string         `json:"op"`
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
	To   *string         `json:"to"`
	Name *string         `json:"name"`
	Room *string         `json:"room"`
}

// Parse decodes one JSON line into a command.
func (*Codec) Parse(line []byte) chat.Command {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return chat.Command{Op: chat.OpNone}
	}
	if !utf8.Valid(line) {
		// Each run of invalid bytes becomes one U+FFFD, as in text mode.
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return badRequest(refOf(line), describe(err))
	}
	ref, ok := validRef(req.ID)
	if !ok {
		return badRequest(nil, "id must be a string or a number")
	}
	if req.Op == nil {
		return badRequest(ref, "missing op")
	}
	cmd := chat.Command{Ref: ref}
	var missing string
	switch *req.Op {
	case "say":
		cmd.Op = chat.OpSay
		cmd.Text, missing = field(req.Text, "text")
	case "dm":
		cmd.Op = chat.OpDM
		cmd.Name, missing = field(req.To, "to")
		if missing == "" {
			cmd.Text, missing = field(req.Text, "text")
		}
	case "nick":
		cmd.Op = chat.OpNick
		cmd.Name, missing = field(req.Name, "name")
	case "join":
		cmd.Op = chat.OpJoin
		cmd.Room, missing = field(req.Room, "room")
	case "who":
		cmd.Op = chat.OpWho
	case "rooms":
		cmd.Op = chat.OpRooms
	case "ping":
		cmd.Op = chat.OpPing
	case "quit":
		cmd.Op = chat.OpQuit
	default:
		return chat.Command{Op: chat.OpInvalid, Ref: ref, Err: &chat.Error{Problem: chat.ProbUnknownOp, Arg: chat.Clean(*req.Op)}}
	}
	if missing != "" {
		return badRequest(ref, "missing "+missing)
	}
	return cmd
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

// refOf digs the id out of an object that failed to decode (a field of the
// wrong type, say), so that even that error carries its ref.
func refOf(line []byte) []byte {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &v) != nil {
		return nil
	}
	ref, _ := validRef(v.ID)
	return ref
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
