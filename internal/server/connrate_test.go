package server

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// nonLoopbackIP returns an IPv4 address of this machine that is not
// loopback (the caps exempt loopback), or skips the test.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("skipped: no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("skipped: this machine has no non-loopback IPv4 address to connect from")
	return ""
}

// TestConnRate: an address that opens connections faster than --conn-rate
// (after a burst of twice that) is refused with one line saying how long
// to wait, then closed; its open sessions go on.
func TestConnRate(t *testing.T) {
	ip := nonLoopbackIP(t)
	s := start(t, func(c *Config) {
		c.Listen = net.JoinHostPort(ip, "0")
		c.ConnRate = 1 // a burst of 2
	})
	first := dialText(t, s)
	second := dialText(t, s)
	third := dial(t, s.TCPAddr())
	third.closed("error: too many new connections from your address, wait 1s")
	if m := get(t, "http://"+s.HTTPAddr()+"/metrics"); !strings.Contains(m, `parley_rejected_connections_total{reason="conn_rate"} 1`) {
		t.Errorf("/metrics does not count the refusal under reason conn_rate")
	}
	first.expect("[" + second.addr + "]" + second.addr + ":online")
	first.send("/who")
	names := []string{first.addr, second.addr}
	slices.Sort(names)
	first.expect("["+names[0]+"] is online", "["+names[1]+"] is online")
}

// TestMaxConnsPerIPAtDefault: at its default, 64, the per-address cap lets
// exactly 64 connections from one address in and refuses the 65th with one
// line, while every one of the 64 is served; one leaving lets one more in.
func TestMaxConnsPerIPAtDefault(t *testing.T) {
	ip := nonLoopbackIP(t)
	s := start(t, func(c *Config) {
		c.Listen = net.JoinHostPort(ip, "0")
		c.ConnRate = 0
		c.MaxConnsPerIP = DefaultConfig().MaxConnsPerIP
	})
	n := s.cfg.MaxConnsPerIP
	if n != 64 {
		t.Fatalf("default --max-conns-per-ip is %d; PROTOCOL.md says 64", n)
	}
	cs := make([]*lineClient, n)
	for i := range cs {
		cs[i] = dial(t, s.TCPAddr())
		cs[i].send("/join r" + strconv.Itoa(i)) // out of the lobby: no client hears n-1 onlines
		for line := cs[i].next(); line != "joined [r"+strconv.Itoa(i)+"]"; line = cs[i].next() {
		}
	}
	dial(t, s.TCPAddr()).closed("error: too many connections from your address (max 64)")
	for _, c := range cs {
		c.quiet() // served, and told nothing else
	}
	cs[0].send("/quit")
	cs[0].closed("bye")
	cs[0].c.Close()
	waitFor(t, "a free place", func() bool { return s.Hub().Metrics.ConnsOpen.Load() == int64(n-1) })
	dialText(t, s)
}
