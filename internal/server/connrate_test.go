package server

import (
	"net"
	"slices"
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
