package chat

import (
	"sync"
	"time"
)

// Kind says what an Event is.
type Kind uint8

// The events a session can receive. Codecs word each one; see PROTOCOL.md
// "Text mode: what the server sends" and "JSON mode".
const (
	EvWelcome    Kind = iota + 1 // you are connected: Name, Addr, Room, Server
	EvHistory                    // Room, Messages (oldest first)
	EvMsg                        // chat line: ID, TS, Room, Name, Addr, Text
	EvDMIn                       // private message received: ID, TS, Name (from), To, Addr, Text
	EvDMOut                      // private message sent: ID, TS, Name (from), To, Addr, Text
	EvPresence                   // Presence, Name, Old, Room, Addr
	EvWho                        // Users
	EvRooms                      // Rooms
	EvNickOK                     // your rename worked: Old, Name
	EvJoinOK                     // you entered Room
	EvPong                       // reply to ping
	EvHelp                       // the list of commands
	EvError                      // Err
	EvBye                        // Reason; the connection closes after it
	EvRegistered                 // your current name is now registered: Name
	EvLoggedIn                   // you logged in and have the name: Name
	EvDone                       // an operator command was carried out: Did, Name (its target), Text (reason), Until
	EvBans                       // the bans: Bans
	evSwitchJSON                 // queue marker: the writer switches to the JSON codec here
)

// PresenceKind is what happened to a user.
type PresenceKind uint8

// The presence events.
const (
	Online PresenceKind = iota + 1
	Offline
	Joined
	Left
	Renamed
)

var presenceNames = [...]string{Online: "online", Offline: "offline", Joined: "joined", Left: "left", Renamed: "renamed"}

func (p PresenceKind) String() string { return presenceNames[p] }

// ByeReason is why a session ended; the JSON mode sends it as bye.reason.
type ByeReason uint8

// The close reasons.
const (
	ByeQuit ByeReason = iota + 1
	ByeIdle
	ByeSlowConsumer
	ByeKicked
	ByeShutdown
	ByeLineTimeout // a line not finished within Config.LineTimeout
)

var byeNames = [...]string{ByeQuit: "quit", ByeIdle: "idle", ByeSlowConsumer: "slow_consumer", ByeKicked: "kicked", ByeShutdown: "shutdown", ByeLineTimeout: "line_timeout"}

func (b ByeReason) String() string { return byeNames[b] }

// UserInfo is one row of a who listing.
type UserInfo struct{ Name, Room string }

// BanInfo is one row of a bans listing.
type BanInfo struct {
	Target string
	Until  time.Time // zero: until lifted
	Reason string
}

// RoomInfo is one row of a rooms listing.
type RoomInfo struct {
	Name  string
	Users int
}

// Event is something a session is told. An Event is immutable once it is
// queued: the same *Event goes to every recipient, and each codec encodes it
// at most once (Bytes), however many sessions receive it.
type Event struct {
	Kind     Kind
	Ref      []byte // the request's id, raw JSON; only on direct replies
	ID       int64  // message ID (EvMsg, EvDMIn, EvDMOut)
	TS       time.Time
	Room     string
	Name     string // the user the event is about: sender, subject, your name; EvBye kicked: the operator
	Old      string // previous name (Renamed, EvNickOK)
	To       string // private message recipient
	Addr     string // Name's address; empty under --hide-addrs
	Text     string // EvBye kicked, EvDone: the reason
	Server   string // EvWelcome: server software and version
	Queued   bool   // EvDMOut: stored for an offline recipient
	Stored   bool   // EvDMIn: kept while you were offline; the text mode shows its time
	Empty    bool   // EvHistory answering /history: the text mode says when there is none
	Presence PresenceKind
	Reason   ByeReason
	Idle     time.Duration // EvBye with ByeIdle or ByeLineTimeout: the timeout
	Err      *Error
	Users    []UserInfo
	Rooms    []RoomInfo
	Messages []*Event
	Did      Op        // EvDone: the command carried out
	Until    time.Time // EvDone for a ban or mute: when it ends; zero for until lifted
	Bans     []BanInfo

	enc [numSlots]encoding
}

type encoding struct {
	once sync.Once
	b    []byte
}

// Codec slots: each codec has its own slot in an Event's encoding cache.
const (
	SlotText = iota
	SlotJSON
	numSlots
)

// Bytes returns ev encoded by c: one or more LF-terminated lines. The result
// is cached per codec slot and shared by every recipient; callers must not
// modify it.
func (ev *Event) Bytes(c Codec) []byte {
	e := &ev.enc[c.Slot()]
	e.once.Do(func() { e.b = c.Append(nil, ev) })
	return e.b
}
