package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashLosesNothingSeen runs `parley serve` with strict durability,
// has four clients send as fast as the server takes their lines while a
// fifth records every message it receives, and kills the server with
// SIGKILL mid-stream. Restarted on the same file, the server's history
// holds every message the receiver got, in the same order, with the same
// IDs.
func TestCrashLosesNothingSeen(t *testing.T) {
	loseNothingSeen(t, "strict", syscall.SIGKILL)
}

// TestSIGTERMUnderLoadLosesNothing: the same load, stopped with SIGTERM
// instead, under either durability: the server exits 0 and its history
// holds every message anyone received (under relaxed durability, the
// lines delivered and not yet committed are committed on the way out).
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	for _, d := range []string{"strict", "relaxed"} {
		t.Run(d, func(t *testing.T) { loseNothingSeen(t, d, syscall.SIGTERM) })
	}
}

func loseNothingSeen(t *testing.T, durability string, sig syscall.Signal) {
	db := filepath.Join(t.TempDir(), "parley.db")
	srv, addr := startServeLogging(t, io.Discard, nil, "--db", db, "--rate", "0", "--durability", durability)

	recv := dialJSONLines(t, addr)
	type seen struct {
		id   int64
		text string
	}
	var got []seen
	const senders = 4
	var wg sync.WaitGroup
	for i := range senders {
		c := dialJSONLines(t, addr)
		wg.Add(1)
		go func() { // ends when the server dies
			defer wg.Done()
			defer c.Close()
			w := bufio.NewWriter(c)
			for j := 0; ; j++ {
				fmt.Fprintf(w, `{"op":"say","text":"%d-%d"}`+"\n", i, j)
				if j%16 == 15 && w.Flush() != nil {
					return
				}
			}
		}()
	}
	r := bufio.NewReader(recv)
	for len(got) < 2000 {
		m, err := readEvent(r)
		if err != nil {
			t.Fatalf("receiver, after %d messages: %v", len(got), err)
		}
		if m.Type == "msg" {
			got = append(got, seen{m.ID, m.Text})
		}
	}
	srv.Process.Signal(sig) // mid-stream
	exitErr := srv.Wait()
	// Whatever was in flight to the receiver still counts: read it all.
	for {
		m, err := readEvent(r)
		if err != nil {
			break
		}
		if m.Type == "msg" {
			got = append(got, seen{m.ID, m.Text})
		}
	}
	wg.Wait()
	if sig == syscall.SIGTERM && exitErr != nil {
		t.Errorf("the server's exit after SIGTERM: %v, want status 0", exitErr)
	}

	_, addr = startServe(t, db)
	c := dialJSONLines(t, addr)
	cr := bufio.NewReader(c)
	history := map[int64]string{}
	var order []int64
	before := int64(0)
	for len(order) == 0 || order[0] > got[0].id {
		fmt.Fprintf(c, `{"op":"history","limit":1000,"before":%d,"id":"h"}`+"\n", before)
		var h event
		for h.Type != "history" || h.Ref != "h" {
			var err error
			if h, err = readEvent(cr); err != nil {
				t.Fatal(err)
			}
		}
		if len(h.Messages) == 0 {
			break
		}
		var page []int64
		for _, m := range h.Messages {
			history[m.ID] = m.Text
			page = append(page, m.ID)
		}
		order = append(page, order...)
		before = page[0]
	}
	for i, g := range got {
		if text, ok := history[g.id]; !ok || text != g.text {
			t.Fatalf("message %d of %d the receiver got (id %d, %q) is not in the history (found %q)", i+1, len(got), g.id, g.text, text)
		}
		if i > 0 && g.id <= got[i-1].id {
			t.Fatalf("the receiver got id %d after %d", g.id, got[i-1].id)
		}
	}
	t.Logf("%d messages received before and after the signal (%v); all in the history, in order", len(got), sig)
}

// event is what the test reads of a JSON event.
type event struct {
	Type     string `json:"type"`
	Ref      any    `json:"ref"`
	ID       int64  `json:"id"`
	Text     string `json:"text"`
	Messages []struct {
		ID   int64  `json:"id"`
		Text string `json:"text"`
	} `json:"messages"`
}

// readEvent reads the next JSON event, skipping the text mode's lines from
// before the switch to JSON.
func readEvent(r *bufio.Reader) (event, error) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return event{}, err
		}
		if line[0] != '{' {
			continue
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return event{}, fmt.Errorf("%q: %v", line, err)
		}
		return e, nil
	}
}

var listeningTCP = regexp.MustCompile(`level=INFO msg=listening tcp=(\S+)`)

// startServe runs `parley serve` on db, as a process killed at the end of
// the test, and returns it with its TCP address.
func startServe(t *testing.T, db string) (*exec.Cmd, string) {
	t.Helper()
	cmd, addr := startServeLogging(t, io.Discard, nil, "--db", db, "--rate", "0")
	return cmd, addr
}

// startServeLogging is startServe with more flags and variables, copying the
// server's log after its listening record to logs.
func startServeLogging(t *testing.T, logs io.Writer, env []string, flags ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0", "--http", ""}, flags...)...)
	cmd.Env = append(append(os.Environ(), "RUN_PARLEY_MAIN=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stop := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	r := bufio.NewReader(stderr)
	var addr string
	for addr == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no listening record before %v", err)
		}
		if m := listeningTCP.FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
	}
	stop.Stop()
	go io.Copy(logs, r) // ends with the process
	return cmd, addr
}

// dialJSONLines connects in JSON mode; the connection closes with the test.
func dialJSONLines(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintln(c, `{"op":"ping"}`)
	return c
}
