package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
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
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	goleak.VerifyTestMain(m)
}

// TestServeAndSIGTERM runs `parley serve` as a process: it reads the real
// port from the listening record, chats, and on SIGTERM tells the client
// the server is shutting down and exits 0.
func TestServeAndSIGTERM(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db", ":memory:")
	cmd.Env = append(os.Environ(), "RUN_PARLEY_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// If the server never says it listens, end it rather than wait forever.
	stop := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	logs := bufio.NewReader(stderr)
	addr := waitListening(t, logs)
	stop.Stop()
	go io.Copy(io.Discard, logs) // keep the pipe drained; ends with the process

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

var (
	listeningRE  = regexp.MustCompile(`level=INFO msg=listening tcp=(\S+) http=(\S+)`)
	listeningTCP = regexp.MustCompile(`level=INFO msg=listening tcp=(\S+)`)
)

func waitListening(t *testing.T, logs *bufio.Reader) string {
	t.Helper()
	for {
		line, err := logs.ReadString('\n')
		if err != nil {
			t.Fatalf("no listening record before %v", err)
		}
		if m := listeningRE.FindStringSubmatch(line); m != nil {
			return m[1]
		}
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
