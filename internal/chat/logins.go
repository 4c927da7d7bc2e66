package chat

import (
	"sync"
	"time"
)

// After loginFailures failed logins for one name, or from one address,
// within loginWindow, further attempts are refused until the window has
// passed (PROTOCOL.md "Persistence").
const (
	loginFailures = 5
	loginWindow   = 10 * time.Minute
)

// loginLimiter remembers recent failed logins per name key and per address.
type loginLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time // "n:"+key or "a:"+host → times, oldest first
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{failures: make(map[string][]time.Time)}
}

// wait returns how long a login for key from host must wait, or 0.
func (l *loginLimiter) wait(key, host string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.waitLocked("n:"+key, now), l.waitLocked("a:"+host, now))
}

func (l *loginLimiter) waitLocked(k string, now time.Time) time.Duration {
	times := l.recentLocked(k, now)
	if len(times) < loginFailures {
		return 0
	}
	return times[len(times)-loginFailures].Add(loginWindow).Sub(now)
}

// recentLocked drops k's failures older than the window and returns the rest.
func (l *loginLimiter) recentLocked(k string, now time.Time) []time.Time {
	times := l.failures[k]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= loginWindow {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.failures, k)
	} else {
		l.failures[k] = times
	}
	return times
}

// fail records a failed login for key from host.
func (l *loginLimiter) fail(key, host string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{"n:" + key, "a:" + host} {
		times := l.recentLocked(k, now)
		if len(times) >= loginFailures { // keep only what the rule needs
			times = times[1:]
		}
		l.failures[k] = append(times, now)
	}
	if len(l.failures) > 100_000 { // many names or addresses: forget the stale ones
		for k := range l.failures {
			l.recentLocked(k, now)
		}
	}
}
