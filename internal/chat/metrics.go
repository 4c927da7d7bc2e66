package chat

import "sync/atomic"

// Metrics are the hub's counters, read by the server's /metrics endpoint.
// They are plain atomics so that counting costs nothing on the hot path.
type Metrics struct {
	ConnsOpen     atomic.Int64 // connections admitted and not yet closed
	ConnsTotal    atomic.Int64 // connections admitted since start
	Rejected      [NumRejects]atomic.Int64
	Sessions      [numModes]atomic.Int64 // open sessions by mode
	LinesIn       atomic.Int64           // lines (or WebSocket messages) read
	EventsOut     atomic.Int64           // events written to clients
	BytesOut      atomic.Int64           // bytes written to clients
	SlowConsumers atomic.Int64           // sessions ended because their queue overflowed
	RateLimited   atomic.Int64           // lines whose handling flood control delayed
	StoreErrors   atomic.Int64           // store operations that failed
	Panics        atomic.Int64           // sessions ended by a panic in their handling
}

// Mode is how a session speaks, for metrics.
type Mode int32

// The session modes.
const (
	ModeText Mode = iota // text lines over TCP
	ModeJSON             // JSON lines over TCP
	ModeWS               // JSON over WebSocket
	numModes
)

var modeNames = [...]string{ModeText: "text", ModeJSON: "json", ModeWS: "websocket"}

func (m Mode) String() string { return modeNames[m] }

// Reject is why a connection was refused.
type Reject int

// The reasons a connection is refused.
const (
	RejectNone     Reject = iota
	RejectMaxConns        // --max-conns reached
	RejectPerIP           // --max-conns-per-ip reached for the address
	RejectClosing         // the server is shutting down
	RejectConnRate        // --conn-rate exceeded for the address
	RejectBanned          // an operator banned the address
	NumRejects            // how many Reject values there are
)

var rejectNames = [...]string{RejectNone: "none", RejectMaxConns: "max_conns", RejectPerIP: "max_conns_per_ip", RejectClosing: "shutting_down", RejectConnRate: "conn_rate", RejectBanned: "banned"}

func (r Reject) String() string { return rejectNames[r] }
