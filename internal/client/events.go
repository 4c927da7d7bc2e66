package client

import "time"

// Event is something the server (or the connection) tells the client; the
// concrete types are below. Events arrive on Client.Events in order.
type Event interface{ isEvent() }

// Welcome: the server greets a new connection.
type Welcome struct {
	Name, Addr, Room, Server string
}

// Message is a chat line said in a room.
type Message struct {
	ID   int64
	Room string
	From string
	Addr string // "" when the server hides addresses
	Text string
	TS   time.Time
}

// History is a room's recent lines, oldest first: sent on entering a room.
type History struct {
	Room     string
	Messages []Message
}

// DirectMessage is a private message, received or sent (From is you).
type DirectMessage struct {
	ID       int64
	From, To string
	Text     string
	TS       time.Time
	Queued   bool // sent to a registered user who is away: kept for them
}

// Presence is someone coming, going, moving or renaming.
type Presence struct {
	Event string // online, offline, joined, left or renamed
	Name  string
	Old   string // renamed: the previous name
	Room  string
	Addr  string
}

// Renamed is your own name changing: by your request, or because your
// account was logged in to from elsewhere.
type Renamed struct{ Old, New string }

// ServerError is an error the server sent that answers no request of this
// client's (a chat line it could not store, say). Code "refused" is the
// server refusing a reconnect (Message says why: a ban, too many
// connections); it is said once, and the client keeps trying, seldom.
type ServerError struct{ Code, Message string }

// Bye is the server's last word before it closes the connection.
type Bye struct{ Reason, Message string }

// Disconnected: the connection was lost. If Reconnecting, the client is
// trying again (Config.Reconnect, and the server did not kick it);
// otherwise Events is closed next.
type Disconnected struct {
	Err          error
	Reconnecting bool
}

// Reconnected: the client is connected again, back in its room under its
// name, and the lines it missed have been delivered (as Message events).
type Reconnected struct{ Missed int }

func (Welcome) isEvent()       {}
func (Message) isEvent()       {}
func (History) isEvent()       {}
func (DirectMessage) isEvent() {}
func (Presence) isEvent()      {}
func (Renamed) isEvent()       {}
func (ServerError) isEvent()   {}
func (Bye) isEvent()           {}
func (Disconnected) isEvent()  {}
func (Reconnected) isEvent()   {}

// User is one row of Who.
type User struct{ Name, Room string }

// Room is one row of Rooms.
type Room struct {
	Name  string
	Users int
}

// Error is the server's answer to a request that failed; Code is one of
// PROTOCOL.md's error codes (name_taken, bad_password, …).
type Error struct{ Code, Message string }

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// RefusedError is Dial's error when the server refuses the connection
// before its welcome; Message is what it said, as "banned until
// 2026-11-21T13:00:00Z: spam" or "too many connections (max 1000)".
type RefusedError struct{ Message string }

func (e *RefusedError) Error() string { return "client: refused by the server: " + e.Message }
