package chat

import "time"

// Command is one request from a client, decoded by a codec from one line.
type Command struct {
	Op   Op
	Ref  []byte // the request's id (raw JSON string or number); nil in text mode
	Name string // OpNick: the new name; OpDM: the recipient
	Room string // OpJoin
	Text string // OpSay, OpDM
	// AddrDM marks a text line of the form ADDR#TEXT: when the part before
	// the first '#' is a connected user's address, it is a private message,
	// otherwise an ordinary chat line.
	AddrDM bool
	Err    *Error // OpInvalid: what was wrong with the line
	// OpHistory: how many messages (0 for the default, 20) and before which
	// message ID (0 for the latest).
	Limit  int
	Before int64
	// OpBan, OpMute: how long (0 until lifted). OpBan's Name is its target
	// (a name or an address), Text its reason; OpKick's Text is its reason.
	Duration time.Duration
}

// Op is what a Command asks for.
type Op uint8

// The operations of PROTOCOL.md.
const (
	OpNone     Op = iota // an empty line: activity, nothing else
	OpSay                // chat to your room
	OpDM                 // private message
	OpNick               // rename
	OpWho                // list users
	OpJoin               // change room
	OpRooms              // list rooms
	OpHelp               // list commands
	OpPing               // keep-alive
	OpQuit               // leave
	OpInvalid            // a line the codec could not make sense of; Err says why
	OpRegister           // register your current name; Text is the password
	OpLogin              // take a registered name; Name, Text is the password
	OpHistory            // a room's past messages: Room ("" for yours), Limit, Before
	OpKick               // operator: end Name's session; Text is the reason
	OpBan                // operator: refuse Name (a name or an address) for Duration; Text is the reason
	OpUnban              // operator: lift the ban on Name
	OpMute               // operator: refuse Name's chat lines and private messages for Duration
	OpUnmute             // operator: lift the mute on Name
	OpBans               // operator: list the bans
)

// Codec is one wire mode: it turns a client's lines into Commands and Events
// into lines. A codec is shared by all sessions that use it and must be safe
// for concurrent use.
type Codec interface {
	// Parse decodes one line (without its LF). It must not keep line.
	Parse(line []byte) Command
	// Append appends ev's wire form, one or more LF-terminated lines, to dst.
	Append(dst []byte, ev *Event) []byte
	// Slot is the codec's index into Event's encoding cache (SlotText, SlotJSON).
	Slot() int
}

// Conn is one client connection as a transport offers it: message-oriented,
// one reader goroutine and one writer goroutine.
type Conn interface {
	// ReadLine returns the next line without its newline; the slice is valid
	// until the next call. A line over the limit yields ErrLineTooLong and is
	// discarded up to its newline; a line begun and not finished within the
	// transport's line timeout yields ErrLineTimeout. (The idle kick is the hub's timer, not a
	// read deadline: it must still be able to write its bye.)
	ReadLine() ([]byte, error)
	// WriteEvents writes evs, each encoded by c, in as few writes as it can,
	// giving up at the write deadline.
	WriteEvents(evs []*Event, c Codec) error
	SetWriteDeadline(t time.Time) error
	// CloseWrite ends the output (the peer reads EOF after everything
	// written) and makes a blocked ReadLine return within d, so that the
	// reader can drain the peer's input before Close: closing a TCP socket
	// with unread input would reset it and lose the output not yet read.
	CloseWrite(d time.Duration) error
	// Close closes the connection; it may be called from any goroutine, more
	// than once, and unblocks ReadLine and WriteEvents.
	Close() error
	// RemoteAddr is the peer's address as Go prints it ("127.0.0.1:51234").
	RemoteAddr() string
}
