package client

import (
	"encoding/json"
	"time"
)

// wire is every field of every server object.
type wire struct {
	Type     string          `json:"type"`
	Ref      json.RawMessage `json:"ref"`
	ID       int64           `json:"id"`
	Room     string          `json:"room"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Addr     string          `json:"addr"`
	Text     string          `json:"text"`
	TS       string          `json:"ts"`
	Queued   bool            `json:"queued"`
	Name     string          `json:"name"`
	Old      string          `json:"old"`
	Event    string          `json:"event"`
	Server   string          `json:"server"`
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Reason   string          `json:"reason"`
	Users    []User          `json:"users"`
	Rooms    []Room          `json:"rooms"`
	Messages []wire          `json:"messages"`
	Bans     []wireBan       `json:"bans"`
}

// wireBan is one ban of a bans reply.
type wireBan struct {
	Target string `json:"target"`
	Until  string `json:"until"` // RFC 3339 UTC, or "forever"
	Reason string `json:"reason"`
}

func (w *wire) ts() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, w.TS)
	return t
}

func (w *wire) message() Message {
	return Message{ID: w.ID, Room: w.Room, From: w.From, Addr: w.Addr, Text: w.Text, TS: w.ts()}
}

func (w *wire) messages() []Message {
	ms := make([]Message, len(w.Messages))
	for i := range w.Messages {
		ms[i] = w.Messages[i].message()
	}
	return ms
}

// event turns an object that answers no request into an Event, or nil.
func (w *wire) event() Event {
	switch w.Type {
	case "welcome":
		return Welcome{Name: w.Name, Addr: w.Addr, Room: w.Room, Server: w.Server}
	case "msg":
		return w.message()
	case "history":
		return History{Room: w.Room, Messages: w.messages()}
	case "dm":
		return DirectMessage{ID: w.ID, From: w.From, To: w.To, Text: w.Text, TS: w.ts(), Queued: w.Queued}
	case "presence":
		return Presence{Event: w.Event, Name: w.Name, Old: w.Old, Room: w.Room, Addr: w.Addr}
	case "ok":
		if w.Name != "" { // someone logged in to our account: our name went back
			return Renamed{New: w.Name}
		}
	case "error":
		return ServerError{Code: w.Code, Message: w.Message}
	case "bye":
		return Bye{Reason: w.Reason, Message: w.Message}
	}
	return nil
}
