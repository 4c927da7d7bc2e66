package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMaxConns(t *testing.T) {
	s := start(t, func(c *Config) { c.MaxConns = 2 })
	a := dialText(t, s)
	b := dialText(t, s)
	over := dial(t, s.TCPAddr())
	over.closed("error: too many connections (max 2)")
	resp, err := http.Get("http://" + s.HTTPAddr() + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("WebSocket over the cap: status %d, want 503", resp.StatusCode)
	}
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	// Leaving frees a place, once the connection is closed.
	b.send("/quit")
	b.closed("bye")
	b.c.Close()
	a.expect("[" + b.addr + "]" + b.addr + ":offline")
	waitFor(t, "a free place", func() bool { return s.Hub().Metrics.ConnsOpen.Load() == 1 })
	dialText(t, s)
	if got := s.Hub().Metrics.Rejected[1].Load(); got != 2 {
		t.Errorf("rejected max_conns = %d, want 2", got)
	}
}

// TestFloodControl: lines beyond --rate are delayed, never dropped.
func TestFloodControl(t *testing.T) {
	s := start(t, func(c *Config) { c.Rate = 50 }) // burst 100
	c := dialText(t, s)
	var lines []string
	for i := range 150 {
		lines = append(lines, fmt.Sprint("line ", i))
	}
	c.send(lines...)
	for _, l := range lines {
		c.expect("[" + c.addr + "]" + c.addr + ":" + l)
	}
	c.quiet()
	if got := s.Hub().Metrics.RateLimited.Load(); got == 0 {
		t.Error("no line was counted as rate limited")
	}
}

// TestShutdownFlushes: at shutdown every session gets the rest of its
// queued output, then `server shutting down`, then the close.
func TestShutdownFlushes(t *testing.T) {
	s := start(t, nil)
	a := dialText(t, s)
	b := dialText(t, s)
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	ws := dialWS(t, s)
	b.expect("[" + ws.name + "]" + ws.name + ":online")
	a.expect("[" + ws.name + "]" + ws.name + ":online")
	for i := range 200 {
		a.send(fmt.Sprint("before shutdown ", i))
	}
	for i := range 200 { // every line was taken and queued for b, unread
		a.expect(fmt.Sprint("[", a.addr, "]", a.addr, ":before shutdown ", i))
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 200 {
		want = append(want, fmt.Sprint("[", a.addr, "]", a.addr, ":before shutdown ", i))
	}
	b.closed(append(want, "server shutting down")...)
	a.closed("server shutting down")
	for {
		m := ws.next()
		if m["type"] == "bye" {
			expectFields(t, "ws", m, map[string]any{"reason": "shutdown"})
			break
		}
	}
	if _, err := net.Dial("tcp", s.TCPAddr()); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

func TestTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	s := start(t, func(c *Config) { c.TLSListen = "127.0.0.1:0"; c.TLSCert = cert; c.TLSKey = key })
	plain := dialText(t, s)
	tc, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	c := &lineClient{t: t, c: tc, r: newReader(tc), addr: tc.LocalAddr().String()}
	c.expect("*** welcome "+c.addr+", you are in [lobby]; /help lists commands", "["+c.addr+"]"+c.addr+":online")
	plain.expect("[" + c.addr + "]" + c.addr + ":online")
	c.send("over tls")
	c.expect("[" + c.addr + "]" + c.addr + ":over tls")
	plain.expect("[" + c.addr + "]" + c.addr + ":over tls")
}

// selfSigned writes a certificate for localhost and its key to files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	parsed, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(parsed)
	return certFile, keyFile, pool
}

func TestHealthAndMetrics(t *testing.T) {
	s := start(t, nil)
	a := dialText(t, s)
	dialJSON(t, s)
	a.next() // the JSON client's online line
	a.send("hello")
	a.expect("[" + a.addr + "]" + a.addr + ":hello")

	body := get(t, "http://"+s.HTTPAddr()+"/healthz")
	if body != "ok\n" {
		t.Errorf("/healthz = %q", body)
	}
	metrics := get(t, "http://"+s.HTTPAddr()+"/metrics")
	for _, want := range []string{
		`parley_connections_open 2`,
		`parley_connections_total 2`,
		`parley_sessions{mode="text"} 1`,
		`parley_sessions{mode="json"} 1`,
		`parley_sessions{mode="websocket"} 0`,
		`parley_lines_in_total 2`,
		`parley_slow_consumer_disconnects_total 0`,
		`parley_rate_limited_lines_total 0`,
		`parley_rejected_connections_total{reason="max_conns"} 0`,
		`go_goroutines `,
		`process_open_fds `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, name := range []string{"parley_events_out_total", "parley_bytes_out_total"} {
		if !regexp.MustCompile(`(?m)^` + name + ` [1-9]`).MatchString(metrics) {
			t.Errorf("/metrics: %s is not positive", name)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestListeningRecord: the one record a program starting the server reads
// to learn its real ports.
func TestListeningRecord(t *testing.T) {
	var buf bytes.Buffer
	cfg := testConfig(t)
	cfg.Log = slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, nil))
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	want := fmt.Sprintf(" level=INFO msg=listening tcp=%s http=%s\n", s.TCPAddr(), s.HTTPAddr())
	if !strings.Contains(buf.String(), want) {
		t.Errorf("log %q lacks %q", buf.String(), want)
	}
}

// waitFor polls cond until it holds, failing the test after waitTime.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPprof: --pprof serves the profiler on its own address, and is named
// in the listening record.
func TestPprof(t *testing.T) {
	var buf bytes.Buffer
	cfg := testConfig(t)
	cfg.Pprof = "127.0.0.1:0"
	cfg.Log = slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, nil))
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	m := regexp.MustCompile(`msg=listening .* pprof=(\S+)`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatalf("no pprof address in %q", buf.String())
	}
	if body := get(t, "http://"+m[1]+"/debug/pprof/"); !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %.200q", body)
	}
	if body := get(t, "http://"+s.HTTPAddr()+"/debug/pprof/"); strings.Contains(body, "goroutine") {
		t.Error("the profiler is on the public HTTP address too")
	}
}
