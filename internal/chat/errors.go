package chat

import (
	"errors"
	"time"
)

// Code is a protocol error: the JSON mode sends it as error.code, the text
// mode words it from its catalogue. Keep this list in step with PROTOCOL.md.
type Code uint8

// The protocol's error codes.
const (
	CodeBadRequest Code = iota + 1
	CodeUnknownOp
	CodeNameTaken
	CodeInvalidName
	CodeNoSuchUser
	CodeEmptyMessage
	CodeLineTooLong
	CodeRateLimited
	CodeUnauthorized
	CodeBadPassword
	CodeNameRegistered
	CodeStoreUnavailable
)

var codeNames = [...]string{
	CodeBadRequest:       "bad_request",
	CodeUnknownOp:        "unknown_op",
	CodeNameTaken:        "name_taken",
	CodeInvalidName:      "invalid_name",
	CodeNoSuchUser:       "no_such_user",
	CodeEmptyMessage:     "empty_message",
	CodeLineTooLong:      "line_too_long",
	CodeRateLimited:      "rate_limited",
	CodeUnauthorized:     "unauthorized",
	CodeBadPassword:      "bad_password",
	CodeNameRegistered:   "name_registered",
	CodeStoreUnavailable: "store_unavailable",
}

// String returns the code as the JSON mode spells it.
func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return "bad_request"
}

// Problem says which error a client made; several problems share a code
// (a usage error and a malformed JSON object are both bad_request) but are
// worded differently.
type Problem uint8

// The problems a client can be told about.
const (
	ProbBadRequest     Problem = iota + 1 // JSON: malformed object; Arg says what
	ProbUnknownOp                         // JSON: Arg is the op
	ProbUnknownCommand                    // text: Arg is the command, "/x"
	ProbUsage                             // text: Arg is the usage, "to|NAME|TEXT"
	ProbNameTaken                         // Arg is the name
	ProbInvalidName                       // Name says why
	ProbInvalidRoom                       // Name says why
	ProbNoSuchUser                        // Arg is the name
	ProbEmptyMessage
	ProbLineTooLong     // N is the limit
	ProbTooManyConns    // refused: --max-conns reached; N is the cap
	ProbTooManyFromAddr // refused: --max-conns-per-ip reached; N is the cap
	ProbShuttingDown    // refused: the server is shutting down
	ProbNameRegistered  // Arg is the name: someone else\'s registered name
	ProbBadPassword     // wrong password, or no such account
	ProbRateLimited     // too many failed logins; Wait says for how long
	ProbStoreUnavailable
	ProbConnRate     // refused: --conn-rate exceeded for the address; Wait says for how long
	ProbUnauthorized // an operator command from someone who is not a logged-in operator
	ProbBanned       // refused: a ban; Until (zero: until lifted), Arg is the reason
	ProbMuted        // a chat line or private message from a muted user; Until
	ProbNotBanned    // unban of a target without a ban; Arg is the target
	ProbNotMuted     // unmute of a name without a mute; Arg is the name
)

// Error is one error reply to a client.
type Error struct {
	Problem Problem
	Arg     string
	N       int
	Name    *NameError
	Wait    time.Duration // ProbRateLimited, ProbConnRate: whole seconds
	Until   time.Time     // ProbBanned, ProbMuted: when it ends; zero for until lifted
}

// Code returns the JSON error code of e.
func (e *Error) Code() Code {
	switch e.Problem {
	case ProbUnknownOp:
		return CodeUnknownOp
	case ProbNameTaken:
		return CodeNameTaken
	case ProbInvalidName, ProbInvalidRoom:
		return CodeInvalidName
	case ProbNoSuchUser:
		return CodeNoSuchUser
	case ProbEmptyMessage:
		return CodeEmptyMessage
	case ProbLineTooLong:
		return CodeLineTooLong
	case ProbNameRegistered:
		return CodeNameRegistered
	case ProbBadPassword:
		return CodeBadPassword
	case ProbRateLimited, ProbConnRate:
		return CodeRateLimited
	case ProbStoreUnavailable:
		return CodeStoreUnavailable
	case ProbUnauthorized, ProbBanned, ProbMuted:
		// The contract's codes have none for a ban or a mute; both are
		// something the client is not allowed to do, and the message
		// says which and until when.
		return CodeUnauthorized
	default:
		return CodeBadRequest
	}
}

// ErrLineTooLong is returned by Conn.ReadLine for a line over the limit; the
// rest of that line is discarded by the Conn and the session goes on.
var ErrLineTooLong = errors.New("line too long")

// ErrLineTimeout is returned by Conn.ReadLine when a line was begun and not
// finished within Config.LineTimeout (a slowloris client); the session ends.
var ErrLineTimeout = errors.New("line not finished in time")
