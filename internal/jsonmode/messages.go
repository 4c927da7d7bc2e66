package jsonmode

import (
	"strconv"
	"time"

	"parley/internal/chat"
)

// errorMessage words an error for error.message; programs should act on
// error.code, people read this.
func errorMessage(e *chat.Error) string {
	switch e.Problem {
	case chat.ProbBadRequest:
		return "bad request: " + e.Arg
	case chat.ProbUnknownOp:
		return "unknown op: " + e.Arg
	case chat.ProbNameTaken:
		return "name taken: " + e.Arg
	case chat.ProbInvalidName:
		return "invalid name: " + nameReason(e.Name)
	case chat.ProbInvalidRoom:
		return "invalid room: " + nameReason(e.Name)
	case chat.ProbNoSuchUser:
		return "no such user: " + e.Arg
	case chat.ProbEmptyMessage:
		return "empty message"
	case chat.ProbLineTooLong:
		return "line too long (max " + strconv.Itoa(e.N) + " bytes)"
	case chat.ProbUsage:
		return "usage: " + e.Arg
	case chat.ProbUnknownCommand:
		return "unknown command " + e.Arg
	case chat.ProbTooManyConns:
		return "too many connections (max " + strconv.Itoa(e.N) + ")"
	case chat.ProbTooManyFromAddr:
		return "too many connections from your address (max " + strconv.Itoa(e.N) + ")"
	case chat.ProbShuttingDown:
		return "server shutting down"
	case chat.ProbNameRegistered:
		return "name registered: " + e.Arg
	case chat.ProbBadPassword:
		return "bad password"
	case chat.ProbRateLimited:
		return "too many attempts, wait " + e.Wait.String()
	case chat.ProbConnRate:
		return "too many new connections from your address, wait " + e.Wait.String()
	case chat.ProbStoreUnavailable:
		return "store unavailable"
	case chat.ProbUnauthorized:
		return "unauthorized"
	case chat.ProbBanned:
		return withReason("banned until "+until(e.Until), e.Arg)
	case chat.ProbMuted:
		return "muted until " + until(e.Until)
	case chat.ProbNotBanned:
		return "not banned: " + e.Arg
	case chat.ProbNotMuted:
		return "not muted: " + e.Arg
	}
	return "error"
}

func nameReason(n *chat.NameError) string {
	if n == nil {
		return "invalid"
	}
	switch n.Problem {
	case chat.NameEmpty:
		return "empty"
	case chat.NameTooLong:
		return "longer than " + strconv.Itoa(chat.MaxNameLen) + " characters"
	case chat.NameDefault:
		return "choose a name first"
	}
	return "character " + strconv.QuoteRune(n.Char) + " not allowed (use letters, digits, _ - .)"
}

func byeMessage(ev *chat.Event) string {
	switch ev.Reason {
	case chat.ByeQuit:
		return "bye"
	case chat.ByeIdle:
		return "idle for " + ev.Idle.String() + ": disconnected"
	case chat.ByeSlowConsumer:
		return "too slow: disconnected"
	case chat.ByeLineTimeout:
		return "line not finished within " + ev.Idle.String() + ": disconnected"
	case chat.ByeShutdown:
		return "server shutting down"
	case chat.ByeKicked:
		return withReason("kicked by "+ev.Name, ev.Text)
	}
	return ""
}

// withReason is s, then ": " and the reason if there is one.
func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + ": " + reason
}

// until words when a ban or mute ends: RFC 3339 in UTC, or "forever".
func until(t time.Time) string {
	if t.IsZero() {
		return "forever"
	}
	return t.UTC().Format(time.RFC3339)
}
