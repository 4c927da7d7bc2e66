package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chatWait bounds every wait in these tests.
const chatWait = 10 * time.Second

// chatWatcher is a raw text-mode client in the lobby that sees what a
// `parley chat` process does.
type chatWatcher struct {
	t    *testing.T
	c    net.Conn
	r    *bufio.Reader
	addr string
}

func newChatWatcher(t *testing.T, addr string) *chatWatcher {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, chatWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	w := &chatWatcher{t: t, c: c, r: bufio.NewReader(c), addr: c.LocalAddr().String()}
	w.expect("*** welcome " + w.addr + ", you are in [lobby]; /help lists commands")
	online := "[" + w.addr + "]" + w.addr + ":online"
	for line := w.next(); line != online; line = w.next() {
		if !historyLine.MatchString(line) {
			t.Fatalf("watcher: got %q, want a history line or %q", line, online)
		}
	}
	return w
}

// historyLine is a line of the lobby's history, replayed on connect.
var historyLine = regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] `)

func (w *chatWatcher) next() string {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(chatWait))
	line, err := w.r.ReadString('\n')
	if err != nil {
		w.t.Fatalf("watcher: waiting for a line: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

func (w *chatWatcher) expect(want ...string) {
	w.t.Helper()
	for _, l := range want {
		if got := w.next(); got != l {
			w.t.Fatalf("watcher: got %q, want %q", got, l)
		}
	}
}

var onlineLine = regexp.MustCompile(`^\[([^\]]+)\]([^:]+:\d+):online$`)

// newcomer waits for someone else's online line and returns their address.
func (w *chatWatcher) newcomer() string {
	w.t.Helper()
	for {
		line := w.next()
		if m := onlineLine.FindStringSubmatch(line); m != nil && m[1] == m[2] && m[1] != w.addr {
			return m[1]
		}
	}
}

// startChat starts `parley chat` with args; env is added to the
// environment.
func startChat(t *testing.T, stdin io.Reader, env []string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(os.Args[0], append([]string{"chat"}, args...)...)
	cmd.Env = append(append(os.Environ(), "RUN_PARLEY_MAIN=1"), env...)
	cmd.Stdin = stdin
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = chatWait // should a test leave stdin open
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, stdout, stderr
}

// exitCode waits for cmd and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("wait: %v", err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(chatWait):
		cmd.Process.Kill()
		<-done
		t.Fatal("parley chat did not exit")
		return -1
	}
}

// TestChatPlainPiped is the issue's acceptance: `printf 'hello\nEXIT\n' |
// parley chat --plain` delivers hello to another client and exits 0; and
// with stdin a pipe, plain mode is the default.
func TestChatPlainPiped(t *testing.T) {
	_, addr := startServe(t, ":memory:")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"--plain", []string{"--plain", "--addr", addr}},
		{"not a terminal", []string{"--addr", addr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newChatWatcher(t, addr)
			cmd, stdout, stderr := startChat(t, strings.NewReader("hello\nEXIT\n"), nil, tc.args...)
			them := w.newcomer()
			w.expect("["+them+"]"+them+":hello", "["+them+"]"+them+":offline")
			if code := exitCode(t, cmd); code != 0 {
				t.Errorf("exit status %d, want 0; stderr:\n%s", code, stderr)
			}
			out := stdout.String()
			for _, want := range []string{"*** welcome " + them + ", you are in [lobby]; /help lists commands\n", "[" + them + "]" + them + ":hello\n", "\nbye\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr: %s", stderr)
			}
		})
	}
}

// TestChatNameRoomFromEnv: --name and --room take effect, and PARLEY_ADDR
// stands in for --addr.
func TestChatNameRoomFromEnv(t *testing.T) {
	_, addr := startServe(t, ":memory:")
	w := newChatWatcher(t, addr)
	w.c.Write([]byte("/join den\n"))
	w.expect("joined [den]")
	cmd, _, stderr := startChat(t, strings.NewReader("hi there\n"), []string{"PARLEY_ADDR=" + addr}, "--name", "carol", "--room", "den")
	line := w.next()
	m := regexp.MustCompile(`^\[([^\]]+)\]carol:joined$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("watcher: got %q, want carol's joined line", line)
	}
	w.expect("["+m[1]+"]carol:hi there", "["+m[1]+"]carol:offline")
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d, want 0; stderr:\n%s", code, stderr)
	}
}

// TestChatSIGINT: Ctrl-C leaves at once, with the status of SIGINT.
func TestChatSIGINT(t *testing.T) {
	_, addr := startServe(t, ":memory:")
	w := newChatWatcher(t, addr)
	pr, pw, err := os.Pipe() // stdin stays open: nobody types
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd, _, stderr := startChat(t, pr, nil, "--addr", addr)
	pr.Close() // the child has its own copy
	them := w.newcomer()
	cmd.Process.Signal(os.Interrupt)
	w.expect("[" + them + "]" + them + ":offline")
	if code := exitCode(t, cmd); code != 130 {
		t.Errorf("exit status %d, want 130; stderr:\n%s", code, stderr)
	}
}

// TestChatServerEndsSession: when the server shuts down while the user is
// not typing, chat prints the notice and exits 1 at once. In the process,
// with a stdin that only a goroutine can read.
func TestChatServerEndsSession(t *testing.T) {
	srv, addr := startServe(t, ":memory:")
	w := newChatWatcher(t, addr)
	pr, pw := io.Pipe()
	defer pw.Close() // ends the goroutine reading pr
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- chat(nil, pr, &stdout, &stderr, func(k string) string {
			return map[string]string{"PARLEY_ADDR": addr}[k]
		})
	}()
	w.newcomer()
	srv.Process.Signal(syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
	case <-time.After(chatWait):
		t.Fatal("chat did not return")
	}
	if !strings.Contains(stdout.String(), "\nserver shutting down\n") {
		t.Errorf("stdout lacks the notice:\n%s", stdout.String())
	}
	if want := "parley chat: connection closed by the server\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

// TestChatRefusesTerminalWithoutPlain: the full-screen client does not
// exist yet; on a terminal, chat says so, without connecting.
// TestChatOnATerminalIsFullScreen: on a terminal, without --plain, chat is
// the full-screen client (which says so when it cannot connect); with
// --plain it is the line client.
func TestChatOnATerminalIsFullScreen(t *testing.T) {
	defer func(f func(any) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(any) bool { return true }
	var stdout, stderr bytes.Buffer
	addr := closedAddr(t)
	if code := chat([]string{"--addr", addr}, strings.NewReader(""), &stdout, &stderr, noEnv); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if want := "parley chat: connect to " + addr; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr = %q, want the full-screen client's %q", stderr.String(), want)
	}
	stderr.Reset()
	if code := chat([]string{"--plain", "--addr", addr}, strings.NewReader(""), &stdout, &stderr, noEnv); code != 1 {
		t.Errorf("--plain: exit status %d, want 1 (stderr %q)", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "connect to ") {
		t.Errorf("--plain: stderr %q is the full-screen client's", stderr.String())
	}
}

func noEnv(string) string { return "" }

// closedAddr is a loopback address where nobody listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestChatCommandLine(t *testing.T) {
	dead := closedAddr(t)
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"help", []string{"-h"}, 0, "usage: parley chat [--addr HOST:PORT]"},
		{"help lists flags", []string{"--help"}, 0, "-plain"},
		{"bad flag", []string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"argument", []string{"hello"}, 2, `parley chat: unexpected argument "hello"`},
		{"refused", []string{"--addr", dead}, 1, "parley chat: dial tcp " + dead + ": connect: connection refused\n"},
		{"bad address", []string{"--addr", "nowhere"}, 1, "parley chat: dial tcp: address nowhere: missing port in address\n"},
		{"tls bad address", []string{"--tls", "--addr", "nowhere"}, 1, "parley chat: address nowhere: missing port in address\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := chat(tc.args, strings.NewReader(""), &stdout, &stderr, noEnv)
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr = %q, want it to hold %q", stderr.String(), tc.wantStderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

var listeningTLS = regexp.MustCompile(`level=INFO msg=listening tcp=(\S+) tls=(\S+)`)

// TestChatTLS: --tls checks the server's certificate against the system's
// roots (here SSL_CERT_FILE, which Go reads on Unix) and chats over TLS.
func TestChatTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)

	srv := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--http", "", "--db", ":memory:",
		"--rate", "0", "--tls-listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	srv.Env = append(os.Environ(), "RUN_PARLEY_MAIN=1")
	logs, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	stop := time.AfterFunc(chatWait, func() { srv.Process.Kill() })
	r := bufio.NewReader(logs)
	var tcpAddr, tlsAddr string
	for tlsAddr == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no listening record before %v", err)
		}
		if m := listeningTLS.FindStringSubmatch(line); m != nil {
			tcpAddr, tlsAddr = m[1], m[2]
		}
	}
	stop.Stop()
	go io.Copy(io.Discard, r) // ends with the process

	t.Run("trusted", func(t *testing.T) {
		w := newChatWatcher(t, tcpAddr)
		cmd, _, stderr := startChat(t, strings.NewReader("over tls\n"), []string{"SSL_CERT_FILE=" + certFile, "SSL_CERT_DIR=" + dir},
			"--tls", "--addr", tlsAddr)
		them := w.newcomer()
		w.expect("[" + them + "]" + them + ":over tls")
		if code := exitCode(t, cmd); code != 0 {
			t.Errorf("exit status %d, want 0; stderr:\n%s", code, stderr)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.pem")
		os.WriteFile(empty, nil, 0o600)
		cmd, _, stderr := startChat(t, strings.NewReader("not sent\n"), []string{"SSL_CERT_FILE=" + empty, "SSL_CERT_DIR=" + t.TempDir()},
			"--tls", "--addr", tlsAddr)
		if code := exitCode(t, cmd); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		if !strings.HasPrefix(stderr.String(), "parley chat: ") || !strings.Contains(stderr.String(), "certificate") {
			t.Errorf("stderr = %q, want a certificate error", stderr)
		}
	})
	t.Run("not TLS", func(t *testing.T) {
		cmd, _, stderr := startChat(t, strings.NewReader("not sent\n"), nil, "--tls", "--addr", tcpAddr)
		if code := exitCode(t, cmd); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		if !strings.HasPrefix(stderr.String(), "parley chat: ") {
			t.Errorf("stderr = %q, want a parley chat error", stderr)
		}
	})
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and
// localhost, and its key, as PEM.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "parley test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAsyncReader: a deadline ends a pending Read while the source's Read
// goes on; cleared, the data comes through in order; the source's end comes
// through; release lets the goroutine end.
func TestAsyncReader(t *testing.T) {
	pr, pw := io.Pipe()
	a := newAsyncReader(pr)
	defer a.release()

	read := func() (string, error) {
		buf := make([]byte, 64)
		n, err := a.Read(buf)
		return string(buf[:n]), err
	}
	done := make(chan error, 1)
	go func() { _, err := read(); done <- err }()
	a.SetReadDeadline(time.Unix(1, 0))
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read after a past deadline: %v", err)
		}
	case <-time.After(chatWait):
		t.Fatal("a past deadline did not end the Read")
	}
	if _, err := read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with the deadline still past: %v", err)
	}

	a.SetReadDeadline(time.Time{})
	go func() { io.WriteString(pw, "one"); io.WriteString(pw, "two"); pw.Close() }()
	var got string
	for {
		s, err := read()
		got += s
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	if got != "onetwo" {
		t.Errorf("read %q, want %q", got, "onetwo")
	}

	// A future deadline passes on its own.
	pr2, pw2 := io.Pipe() // nobody writes: a terminal where nobody types
	defer pw2.Close()
	b := newAsyncReader(pr2)
	defer b.release()
	b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past a future deadline: %v", err)
	}
}
