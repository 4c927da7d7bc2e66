package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"parley/internal/chat"
)

// TestConcurrentClients runs 200 clients that rename (two contending for
// each name), join rooms, send private messages to each other and chat, all
// at once. Afterwards every name is unique, every private message reached
// exactly its recipient, every chat line reached every member of its room,
// and (TestMain) no goroutine is left.
func TestConcurrentClients(t *testing.T) {
	const (
		n     = 200
		rooms = 5
		dms   = 5 // each client sends to the next dms clients
		says  = 5 // chat lines each client sends to its room
	)
	s := start(t, func(c *Config) { c.Queue = 4096 })
	actors := dialActors(t, s, n)
	if t.Failed() {
		return
	}

	// Clients 2k and 2k+1 both want the name uK (spelled differently);
	// exactly one may win, and the loser takes uK-b.
	names := make([]string, n)
	won := make([]bool, n)
	parallel(t, n, func(i int) error {
		a := actors[i]
		want := fmt.Sprintf("u%d", i/2)
		if i%2 == 1 {
			want = strings.ToUpper(want)
		}
		a.send(fmt.Sprintf(`{"op":"nick","name":%q,"id":"nick"}`, want))
		m, err := a.waitFor(isRef("nick"))
		if err != nil {
			return err
		}
		switch {
		case m["type"] == "ok":
			names[i], won[i] = want, true
			return nil
		case m["code"] != "name_taken":
			return fmt.Errorf("nick %s: %v", want, m)
		}
		names[i] = want + "-b"
		a.send(fmt.Sprintf(`{"op":"nick","name":%q,"id":"nick2"}`, names[i]))
		if m, err = a.waitFor(isRef("nick2")); err == nil && m["type"] != "ok" {
			err = fmt.Errorf("nick %s: %v", names[i], m)
		}
		return err
	})
	for k := 0; k < n; k += 2 {
		if won[k] == won[k+1] {
			t.Errorf("u%d: both or neither of clients %d and %d got it", k/2, k, k+1)
		}
	}

	parallel(t, n, func(i int) error {
		a := actors[i]
		a.send(fmt.Sprintf(`{"op":"join","room":"r%d","id":"join"}`, i%rooms))
		m, err := a.waitFor(isRef("join"))
		if err == nil && m["type"] != "ok" {
			err = fmt.Errorf("join: %v", m)
		}
		return err
	})
	if t.Failed() {
		return
	}

	// Everyone sends its DMs and chat lines at once, while reading
	// everything that comes; each then checks it got exactly what was
	// meant for it.
	parallel(t, n, func(i int) error {
		a := actors[i]
		for j := 1; j <= dms; j++ {
			to := names[(i+j)%n]
			a.send(fmt.Sprintf(`{"op":"dm","to":%q,"text":"dm %d>%d"}`, to, i, (i+j)%n))
		}
		for j := 0; j < says; j++ {
			a.send(fmt.Sprintf(`{"op":"say","text":"say %d.%d"}`, i, j))
		}
		dmsIn := map[string]int{}
		msgs := map[string]int{}
		wantMsgs := (n / rooms) * says
		for len(dmsIn) < dms || len(msgs) < wantMsgs {
			m, err := a.waitFor(func(m map[string]any) bool {
				return m["type"] == "msg" || m["type"] == "dm" && m["from"] != names[i]
			})
			if err != nil {
				return fmt.Errorf("%s: got %d DMs and %d chat lines: %v", names[i], len(dmsIn), len(msgs), err)
			}
			text := m["text"].(string)
			if m["type"] == "dm" {
				if m["to"] != names[i] || !strings.HasSuffix(text, fmt.Sprintf(">%d", i)) {
					return fmt.Errorf("%s got a DM meant for someone else: %v", names[i], m)
				}
				dmsIn[text]++
				continue
			}
			var from, seq int
			fmt.Sscanf(text, "say %d.%d", &from, &seq)
			if from%rooms != i%rooms {
				return fmt.Errorf("%s in r%d got a line from r%d: %v", names[i], i%rooms, from%rooms, m)
			}
			msgs[text]++
		}
		for text, c := range dmsIn {
			if c != 1 {
				return fmt.Errorf("%s got %q %d times", names[i], text, c)
			}
		}
		return nil
	})

	// Names are unique, ignoring case, and who lists everyone.
	a := actors[0]
	a.send(`{"op":"who","id":"who"}`)
	m, err := a.waitFor(isRef("who"))
	if err != nil {
		t.Fatal(err)
	}
	users := m["users"].([]any)
	if len(users) != n {
		t.Errorf("who lists %d users, want %d", len(users), n)
	}
	seen := map[string]bool{}
	for _, u := range users {
		key := chat.Fold(u.(map[string]any)["name"].(string))
		if seen[key] {
			t.Errorf("name %q is listed twice", key)
		}
		seen[key] = true
	}
	if got := s.Hub().Metrics.SlowConsumers.Load(); got != 0 {
		t.Errorf("%d slow consumers, want none", got)
	}
}

// parallel runs f(0..n-1) in n goroutines and reports their errors.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
}

// dialActors connects n JSON clients at once; they are closed when the test
// ends.
func dialActors(t *testing.T, s *Server, n int) []*actor {
	t.Helper()
	actors := make([]*actor, n)
	parallel(t, n, func(i int) error {
		a, err := dialActor(t, s.TCPAddr())
		actors[i] = a
		return err
	})
	t.Cleanup(func() {
		for _, a := range actors {
			if a != nil {
				a.close()
			}
		}
	})
	return actors
}
