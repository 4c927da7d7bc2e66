package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain lets the test binary stand in for parley itself: run with
// RUN_PARLEY_MAIN=1, it is `parley` with the given arguments.
func TestMain(m *testing.M) {
	if os.Getenv("RUN_PARLEY_MAIN") == "1" {
		if n, err := strconv.ParseUint(os.Getenv("RUN_PARLEY_NOFILE"), 10, 64); err == nil {
			// The open-file limit test: a low limit, soft and hard, after
			// the runtime raised the soft one at start.
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "setrlimit:", err)
				os.Exit(1)
			}
		}
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	goleak.VerifyTestMain(m)
}

// TestServeAndSIGTERM runs `parley serve` as a process: it reads the real
// port from the listening record, chats, and on SIGTERM tells the client
// the server is shutting down and exits 0.
func TestServeAndSIGTERM(t *testing.T) {
	cmd, addr := startServe(t, ":memory:")

	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	me := c.LocalAddr().String()
	expectLines(t, r, "*** welcome "+me+", you are in [lobby]; /help lists commands", "["+me+"]"+me+":online")
	c.Write([]byte("hello from a process\n"))
	expectLines(t, r, "["+me+"]"+me+":hello from a process")

	cmd.Process.Signal(syscall.SIGTERM)
	expectLines(t, r, "server shutting down")
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Errorf("after bye: %v, want EOF", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("parley serve exited with %v, want 0", err)
	}
}

func expectLines(t *testing.T, r *bufio.Reader, want ...string) {
	t.Helper()
	for _, w := range want {
		got, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for %q: %v", w, err)
		}
		if got = strings.TrimSuffix(got, "\n"); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}
