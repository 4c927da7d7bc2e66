// Package plainchat is the line-by-line client of `parley chat --plain`: the
// first seed tutorial's client done right. It speaks the text mode of
// PROTOCOL.md: it sends the lines it reads, one per line, and prints the
// lines the server sends, cleaned of terminal escapes. It suits scripts and
// pipes as well as a terminal:
//
//	printf 'hello\nEXIT\n' | parley chat --plain
package plainchat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
	"unicode"

	"parley/internal/chat"
)

// Options are what Run does on connect.
type Options struct {
	// Name, if set, is taken with `rename|NAME` once connected.
	Name string
	// Room, if set, is entered with `/join ROOM` once connected (after the
	// rename).
	Room string
	// QuitWait bounds the wait for the server to close the connection after
	// the client has quit; 0 means DefaultQuitWait.
	QuitWait time.Duration
}

// DefaultQuitWait is how long Run waits, after sending /quit, for the server
// to say bye and close the connection before it closes it itself.
const DefaultQuitWait = 5 * time.Second

// ErrClosedByServer is what Run returns when the server ended the session
// before the user quit: an idle kick, a shutdown, an operator's kick, a
// slow-consumer disconnect. What the server said about it has been printed.
var ErrClosedByServer = errors.New("connection closed by the server")

// maxServerLine bounds the memory a server line may take; a longer line is
// printed in pieces of about this size.
const maxServerLine = 1 << 20

// Run chats over conn until the user quits, the server ends the session or
// ctx is done, and closes conn before it returns.
//
// On start it sends an empty line, which keeps the connection in text mode
// whatever the user types first, then `rename|NAME` and `/join ROOM` as opts
// ask. Then it sends every line read from in (of any length; a CR before the
// LF is dropped) and writes every line the server sends to out, cleaned with
// chat.Clean so that a server cannot drive the terminal, each followed by
// "\n". Out is written from a single goroutine of Run's.
//
// A line equal to EXIT (any case, trailing white space ignored) or the end
// of in quits: Run sends /quit and waits, at most opts.QuitWait, for the
// server to say bye and close the connection. A /quit the user types quits
// the same way. Then Run returns nil.
//
// Otherwise Run returns ErrClosedByServer when the server closed the
// connection first, ctx.Err() when ctx was done first, and an error that
// says what failed when the connection, in or out fails.
//
// In is read on the caller's goroutine. When the session ends while that
// read is pending, Run ends it by setting a read deadline in the past if in
// has a SetReadDeadline method (as *os.File for pipes and terminals, and
// net.Conn, have), and clears the deadline again before it returns; for any
// other reader Run returns once the pending read does. Every goroutine Run
// starts has ended when it returns.
func Run(ctx context.Context, conn net.Conn, in io.Reader, out io.Writer, opts Options) error {
	defer conn.Close()
	for _, v := range []struct{ what, s string }{{"name", opts.Name}, {"room", opts.Room}} {
		if strings.ContainsAny(v.s, "\r\n") {
			return fmt.Errorf("the %s %q spans more than one line", v.what, v.s)
		}
	}
	wait := opts.QuitWait
	if wait <= 0 {
		wait = DefaultQuitWait
	}

	// The server's lines, to out.
	gone := make(chan struct{}) // closed when the receiver has ended
	var recvErr error
	go func() {
		defer close(gone)
		recvErr = receive(conn, out)
	}()

	// Ends a pending read of in once the server is gone or ctx is done.
	talked := make(chan struct{})
	watched := make(chan struct{})
	deadlineSet := false
	go func() {
		defer close(watched)
		select {
		case <-talked:
			return
		case <-gone:
		case <-ctx.Done():
			conn.Close() // ends the receiver and any write to conn
		}
		if d, ok := in.(deadliner); ok && d.SetReadDeadline(time.Unix(1, 0)) == nil {
			deadlineSet = true
		}
	}()

	end, err := talk(ctx, conn, in, opts, gone)
	close(talked)
	<-watched
	if deadlineSet {
		in.(deadliner).SetReadDeadline(time.Time{})
	}

	quitting := end == quit || end == userQuit || end == inputFailed
	if end == quit || end == inputFailed {
		// If this fails the connection is broken and the receiver ends
		// on its own: the wait below is short.
		send(conn, "/quit")
	}
	if end == sendFailed && isClosedBy(err) {
		// Conn was closed under the write: by the watcher for ctx.
		err = nil
	}

	// Wait for the server to close the connection: it does so after bye,
	// and has done so or soon will when the session ended otherwise.
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-gone:
	case <-timer.C:
	case <-ctx.Done():
	}
	conn.Close()
	<-gone

	var outErr outputError
	switch {
	case errors.As(recvErr, &outErr):
		return outErr
	case end == inputFailed:
		return fmt.Errorf("reading input: %w", err)
	case quitting:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(recvErr, io.EOF):
		return ErrClosedByServer
	case recvErr != nil && !isClosedBy(recvErr):
		return fmt.Errorf("connection lost: %w", recvErr)
	case err != nil:
		return fmt.Errorf("connection lost: %w", err)
	}
	return ErrClosedByServer
}

type deadliner interface {
	SetReadDeadline(time.Time) error
}

// ending is how talk ended.
type ending int

const (
	quit        ending = iota // EXIT or the end of in: /quit is still to send
	userQuit                  // the user typed /quit, which has been sent
	inputFailed               // reading in failed (not at its end)
	sendFailed                // writing to conn failed
	interrupted               // the server is gone or ctx is done
)

// talk sends the opening lines, then the lines of in until one of the
// endings.
func talk(ctx context.Context, conn net.Conn, in io.Reader, opts Options, gone <-chan struct{}) (ending, error) {
	opening := "" // an empty first line keeps the connection in text mode
	if opts.Name != "" {
		opening += "\nrename|" + opts.Name
	}
	if opts.Room != "" {
		opening += "\n/join " + opts.Room
	}
	if err := send(conn, opening); err != nil {
		return sendFailed, err
	}
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, rerr := r.ReadString('\n')
		select {
		case <-gone:
			return interrupted, nil
		case <-ctx.Done():
			return interrupted, nil
		default:
		}
		if line != "" {
			line = strings.TrimSuffix(line, "\n")
			line = strings.TrimSuffix(line, "\r")
			if isExit(line) {
				return quit, nil
			}
			if err := send(conn, line); err != nil {
				return sendFailed, err
			}
			if isQuitCommand(line) {
				return userQuit, nil
			}
		}
		switch {
		case rerr == io.EOF:
			return quit, nil
		case rerr != nil:
			return inputFailed, rerr
		}
	}
}

// isExit reports whether line is the seed client's EXIT.
func isExit(line string) bool {
	return strings.EqualFold(strings.TrimRightFunc(line, unicode.IsSpace), "EXIT")
}

// isQuitCommand reports whether the server takes line for /quit, which it
// answers with bye and a close (textmode.Parse: the first word, cleaned,
// trailing white space removed, any case).
func isQuitCommand(line string) bool {
	t := strings.TrimRightFunc(chat.Clean(line), unicode.IsSpace)
	word, _, _ := strings.Cut(t, " ")
	return strings.EqualFold(word, "/quit")
}

func send(conn net.Conn, line string) error {
	_, err := io.WriteString(conn, line+"\n")
	return err
}

// outputError is a failed write to out.
type outputError struct{ err error }

func (e outputError) Error() string { return "writing output: " + e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// receive writes the server's lines to out until conn fails or ends (io.EOF
// when the server closed it) or a write to out fails (an outputError). A last
// line without its LF is written too.
func receive(conn net.Conn, out io.Writer) error {
	r := bufio.NewReaderSize(conn, 64<<10)
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull && len(line) < maxServerLine {
			continue
		}
		if len(line) > 0 {
			if werr := writeLine(out, line); werr != nil {
				return outputError{werr}
			}
			line = line[:0]
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
}

func writeLine(out io.Writer, line []byte) error {
	s := strings.TrimSuffix(string(line), "\n")
	s = strings.TrimSuffix(s, "\r")
	_, err := io.WriteString(out, chat.Clean(s)+"\n")
	return err
}

// isClosedBy reports whether err comes from using a conn that Run closed.
func isClosedBy(err error) bool {
	return errors.Is(err, net.ErrClosed)
}
