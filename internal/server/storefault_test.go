//go:build linux

package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real server on a real SQLite file whose file system really fails
// (faultfs_test.go): full, failing its writes, or gone read-only. Two users
// on real sockets must see chat go on during the fault, their chat lines
// refused (strict) or delivered all the same (relaxed), with an error;
// /metrics must count the failures; and once the fault clears, with
// nothing restarted, chat lines must be stored again, nothing said before
// the fault lost, and under relaxed durability the lines said during it
// saved too (store.Committer keeps and retries them).
//
// storefail_test.go checks the same behaviour with a store that fails on
// demand; these tests check that real failures reach it that way.

// TestStoreFaultDiskFull: the database's file system fills up (a tmpfs;
// SQLite says "database or disk is full"), then has room again.
func TestStoreFaultDiskFull(t *testing.T) {
	eachDurability(t, func(t *testing.T, durability string) {
		dir := mountTmpfs(t, 2<<20)
		c := startFaultChat(t, filepath.Join(dir, "parley.db"), durability)
		mend := fillDisk(t, dir)
		c.duringFault()
		c.expectLogged("database or disk is full (13)") // SQLITE_FULL
		mend()
		c.afterFault()
	})
}

// TestStoreFaultIOError: the disk under the database's file system fails
// its writes (an ext4 on a loop device whose image cannot grow; the kernel
// logs I/O errors, fsync fails, SQLite says "disk I/O error"), then works
// again. Last, a restart on the file system mounted again (its page cache
// gone) shows that what the history showed is on the disk.
func TestStoreFaultIOError(t *testing.T) {
	eachDurability(t, func(t *testing.T, durability string) {
		fs := mountLoopExt4(t)
		db := filepath.Join(fs.dir, "parley.db")
		c := startFaultChat(t, db, durability)
		mend := fs.failWrites()
		c.duringFault()
		c.expectLogged("disk I/O error (1034)") // SQLITE_IOERR_FSYNC
		mend()
		c.afterFault()
		if err := c.shutdown(); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		fs.remount()
		startFaultChat(t, db, durability, c.history...)
	})
}

// TestStoreFaultReadOnly: the database's file system goes read-only under
// the server, as ext4 does when it finds an error (SQLite says "disk I/O
// error" from write). Linux does not let a file system be remounted
// read-only while a file on it is open for writing (EBUSY), and keeps one
// that went read-only on an error so until it is unmounted, so this fault
// does not clear while the server runs: the test checks that chat goes on,
// then that after a restart on the mounted-again file system nothing said
// before the fault is lost and chat lines are stored again. Under relaxed
// durability the line said during the fault was delivered and, the store
// still failing at shutdown, is counted lost.
func TestStoreFaultReadOnly(t *testing.T) {
	eachDurability(t, func(t *testing.T, durability string) {
		fs := mountLoopExt4(t)
		db := filepath.Join(fs.dir, "parley.db")
		c := startFaultChat(t, db, durability)
		fs.goReadOnly()
		c.duringFault()
		c.expectLogged("disk I/O error (778)") // SQLITE_IOERR_WRITE
		if err := c.shutdown(); err != nil {
			t.Errorf("shutdown on a read-only file system: %v", err)
		}
		lost := int64(0)
		if c.relaxed {
			lost = 1
		}
		if n := c.s.Hub().Committer().Lost.Load(); n != lost {
			t.Errorf("%d lines lost at shutdown, want %d", n, lost)
		}

		fs.remount()
		c2 := startFaultChat(t, db, durability, c.said("before the fault"))
		c2.afterFault()
	})
}

func eachDurability(t *testing.T, f func(t *testing.T, durability string)) {
	for _, d := range []string{"strict", "relaxed"} {
		t.Run(d, func(t *testing.T) { f(t, d) })
	}
}

// faultChat is a server on a database a test breaks, with two users in the
// lobby, ann and ben.
type faultChat struct {
	t       *testing.T
	s       *Server
	a, b    *lineClient
	relaxed bool
	errs    int64         // parley_store_errors_total before the fault
	history []string      // the lobby's history, as /history shows it
	log     *lockedWriter // the server's log (warnings and errors)
}

// startFaultChat starts a server on db with two users, and ann says a line
// that the store keeps. stored is what an earlier server on db kept: the
// lobby's history, as /history shows it.
func startFaultChat(t *testing.T, db, durability string, stored ...string) *faultChat {
	t.Helper()
	log := &lockedWriter{w: new(bytes.Buffer)}
	s := start(t, func(c *Config) {
		c.DB = db
		c.Durability = durability
		c.Log = slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), log), &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	a := dialText(t, s)
	b := dialText(t, s)
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	a.rename("ann", b)
	b.rename("ben", a)
	c := &faultChat{t: t, s: s, a: a, b: b, relaxed: durability == "relaxed", log: log}
	c.history = append(stored, c.said("before the fault"))
	c.say("before the fault")
	c.expectHistory()
	c.errs = metric(t, s, "parley_store_errors_total")
	return c
}

// shutdown shuts the server down once its users have gone (the server
// would wait a moment for each to close).
func (c *faultChat) shutdown() error {
	c.a.c.Close()
	c.b.c.Close()
	return c.s.Shutdown(c.t.Context())
}

// said is ann's line text as everyone sees it.
func (c *faultChat) said(text string) string { return "[" + c.a.addr + "]ann:" + text }

// say has ann say text, which both users get.
func (c *faultChat) say(text string) {
	c.t.Helper()
	c.a.send(text)
	c.a.expect(c.said(text))
	c.b.expect(c.said(text))
}

// duringFault checks what the users see while the store fails: ann's chat
// line refused (strict) or delivered and not kept (relaxed), with an
// error for her; who, private messages and renames as ever; the history
// still readable; the failure counted.
func (c *faultChat) duringFault() {
	c.t.Helper()
	a, b := c.a, c.b
	a.send("during the fault")
	if c.relaxed {
		a.expect(c.said("during the fault"), "error: store unavailable")
		b.expect(c.said("during the fault"))
	} else {
		a.expect("error: store unavailable")
	}
	b.quiet()
	a.send("who")
	a.expect("[ann] is online", "[ben] is online")
	a.send("to|ben|still here")
	a.expect("to [ben]: still here")
	b.expect("from [ann]: still here")
	b.send("rename|benny", "rename|ben")
	b.expect("renamed: [ben]->[benny]", "renamed: [benny]->[ben]")
	a.expect("["+b.addr+"]ben:renamed to benny", "["+b.addr+"]benny:renamed to ben")
	c.expectHistory() // reads go on
	if n := metric(c.t, c.s, "parley_store_errors_total"); n <= c.errs {
		c.t.Errorf("parley_store_errors_total is %d during the fault, want more than %d", n, c.errs)
	}
	if c.relaxed {
		c.waitRetryFailed()
		c.history = append(c.history, c.said("during the fault"))
	}
	a.quiet()
	b.quiet()
}

// expectLogged checks that the server logged a chat line not saved for
// the error want, to show that the fault is the one the test meant.
func (c *faultChat) expectLogged(want string) {
	c.t.Helper()
	c.log.mu.Lock()
	log := c.log.w.(*bytes.Buffer).String()
	c.log.mu.Unlock()
	for line := range strings.Lines(log) {
		if strings.Contains(line, `msg="store: messages not saved"`) && strings.Contains(line, want) {
			return
		}
	}
	c.t.Errorf("the server did not log a chat line not saved for %q", want)
}

// waitRetryFailed waits until the committer has tried again, and failed,
// to save the line relaxed durability delivered.
func (c *faultChat) waitRetryFailed() {
	c.t.Helper()
	cm := c.s.Hub().Committer()
	deadline := time.Now().Add(waitTime)
	for cm.Failed.Load() < 2 {
		if time.Now().After(deadline) {
			c.t.Fatalf("the committer failed %d times in %v, want a retry that failed too", cm.Failed.Load(), waitTime)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// afterFault checks that once the store works again chat lines are
// delivered and stored, and the history has everything it should: what
// was said before the fault, and under relaxed durability the line said
// during it, saved by a retry within its back-off (at most 5s).
func (c *faultChat) afterFault() {
	c.t.Helper()
	c.say("after the fault")
	c.history = append(c.history, c.said("after the fault"))
	c.expectHistory()
	if n := metric(c.t, c.s, "parley_messages_lost_total"); n != 0 {
		c.t.Errorf("parley_messages_lost_total is %d, want 0", n)
	}
	retried := int64(0)
	if slices.Contains(c.history, c.said("during the fault")) {
		retried = 1 // relaxed: saved by a retry
	}
	if n := metric(c.t, c.s, "parley_messages_retried_total"); n != retried {
		c.t.Errorf("parley_messages_retried_total is %d, want %d", n, retried)
	}
	c.a.quiet()
	c.b.quiet()
}

// expectHistory checks that /history shows c.history, waiting (up to the
// committer's longest back-off and then some) for lines saved late.
func (c *faultChat) expectHistory() {
	c.t.Helper()
	deadline := time.Now().Add(5*time.Second + waitTime)
	for got := history(c.a); !slices.Equal(got, c.history); got = history(c.a) {
		if time.Now().After(deadline) {
			c.t.Fatalf("history: got %q, want %q", got, c.history)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// history returns what /history shows c, time stamps cut off.
func history(c *lineClient) []string {
	c.t.Helper()
	n := c.sync.Add(1)
	c.send("/history", fmt.Sprintf("/sync-%d", n))
	end := fmt.Sprintf("error: unknown command /sync-%d (try /help)", n)
	var got []string
	for line := c.next(); line != end; line = c.next() {
		got = append(got, stamp.ReplaceAllString(line, ""))
	}
	return got
}

// metric returns the value of a counter in s's /metrics.
func metric(t *testing.T, s *Server, name string) int64 {
	t.Helper()
	for line := range strings.Lines(get(t, "http://"+s.HTTPAddr()+"/metrics")) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s: %v", name, err)
			}
			return int64(f)
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}
