package chat

import (
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range loginFailures {
		if w := l.wait("bob", "192.0.2.1", t0); w != 0 {
			t.Fatalf("attempt %d: wait %v, want none", i+1, w)
		}
		l.fail("bob", "192.0.2.1", t0.Add(time.Duration(i)*time.Second))
	}
	now := t0.Add(10 * time.Second)
	// Five failures: the name is refused from anywhere, the address for any name.
	if w := l.wait("bob", "198.51.100.9", now); w != loginWindow-10*time.Second {
		t.Errorf("same name, other address: wait %v, want %v", w, loginWindow-10*time.Second)
	}
	if w := l.wait("alice", "192.0.2.1", now); w <= 0 {
		t.Errorf("same address, other name: wait %v, want some", w)
	}
	if w := l.wait("alice", "198.51.100.9", now); w != 0 {
		t.Errorf("other name and address: wait %v, want none", w)
	}
	// Once the window has passed since the first failure, one more try.
	if w := l.wait("bob", "198.51.100.9", t0.Add(loginWindow)); w != 0 {
		t.Errorf("after the window: wait %v, want none", w)
	}
}

// TestWholeSeconds: a client is told to wait whole seconds, rounded up, and
// never less than one.
func TestWholeSeconds(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{0, time.Second},
		{time.Nanosecond, time.Second},
		{400 * time.Millisecond, time.Second},
		{30 * time.Second, 30 * time.Second},
		{29*time.Second + 999999999, 30 * time.Second},
		{9*time.Minute + 58*time.Second + time.Millisecond, 9*time.Minute + 59*time.Second},
		{10 * time.Minute, 10 * time.Minute},
	} {
		if got := wholeSeconds(tc.in); got != tc.want {
			t.Errorf("wholeSeconds(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
