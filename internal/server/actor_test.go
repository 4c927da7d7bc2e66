package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"
)

// actor is a JSON-lines client whose reader goroutine decodes every event
// into a channel, so that a test can drive many clients at once. Its
// methods may be called from a goroutine other than the test's; they
// report failures with t.Errorf and return false.
type actor struct {
	t      testing.TB
	c      net.Conn
	events chan map[string]any
	addr   string
}

// dialActor connects, switches to JSON and waits for the welcome.
func dialActor(t testing.TB, addr string) (*actor, error) {
	c, err := net.DialTimeout("tcp", addr, waitTime)
	if err != nil {
		return nil, err
	}
	a := &actor{t: t, c: c, events: make(chan map[string]any, 1<<14), addr: c.LocalAddr().String()}
	go a.read()
	if err := a.send(`{"op":"ping"}`); err != nil {
		return nil, err
	}
	if _, err := a.waitFor(func(m map[string]any) bool { return m["type"] == "welcome" }); err != nil {
		return nil, err
	}
	return a, nil
}

// read decodes lines until the connection ends, then closes events. It is
// owned by the actor and ends when the connection is closed.
func (a *actor) read() {
	defer close(a.events)
	r := bufio.NewReaderSize(a.c, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		if line[0] != '{' {
			continue // text before the switch to JSON
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			a.t.Errorf("%s: bad JSON %q", a.addr, line)
			continue
		}
		a.events <- m
	}
}

func (a *actor) send(line string) error {
	a.c.SetWriteDeadline(time.Now().Add(waitTime))
	_, err := a.c.Write([]byte(line + "\n"))
	return err
}

// waitFor returns the first event that matches, dropping the others, or
// an error if none comes within the deadline or the connection ends.
func (a *actor) waitFor(match func(map[string]any) bool) (map[string]any, error) {
	deadline := time.NewTimer(4 * waitTime)
	defer deadline.Stop()
	for {
		select {
		case m, ok := <-a.events:
			if !ok {
				return nil, fmt.Errorf("%s: connection ended", a.addr)
			}
			if match(m) {
				return m, nil
			}
		case <-deadline.C:
			return nil, fmt.Errorf("%s: timed out", a.addr)
		}
	}
}

func (a *actor) close() {
	a.c.Close()
	for range a.events {
	}
}

func isRef(ref string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["ref"] == ref }
}
