package server

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/store"
	"parley/internal/store/sqlite"
)

// faultyStore fails every call while broken is set, as a full or read-only
// disk would.
type faultyStore struct {
	store.Store
	broken atomic.Bool
}

var errDisk = errors.New("disk I/O error")

func (f *faultyStore) fail() error {
	if f.broken.Load() {
		return errDisk
	}
	return nil
}

func (f *faultyStore) AppendMessages(ctx context.Context, msgs []store.Message) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.AppendMessages(ctx, msgs)
}

func (f *faultyStore) History(ctx context.Context, room string, before int64, limit int) ([]store.Message, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.History(ctx, room, before, limit)
}

func (f *faultyStore) CreateAccount(ctx context.Context, a store.Account) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.CreateAccount(ctx, a)
}

func (f *faultyStore) PutSanction(ctx context.Context, sn store.Sanction) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.PutSanction(ctx, sn)
}

func (f *faultyStore) DeleteSanction(ctx context.Context, kind store.SanctionKind, key string) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.DeleteSanction(ctx, kind, key)
}

func startFaulty(t *testing.T, durability string) (*Server, *faultyStore) {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyStore{Store: st}
	return start(t, func(c *Config) { c.Store = f; c.Durability = durability }), f
}

// TestStoreFailureStrict: while the store fails, a chat line is neither
// delivered nor lost silently (its sender is told); the rest of the chat
// goes on; when the store works again, so does chat.
func TestStoreFailureStrict(t *testing.T) {
	s, f := startFaulty(t, "strict")
	a := dialText(t, s)
	b := dialText(t, s)
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	a.rename("ann", b)
	b.rename("ben", a)

	f.broken.Store(true)
	a.send("not kept")
	a.expect("error: store unavailable")
	b.quiet() // and not delivered
	a.send("to|ben|still here")
	a.expect("to [ben]: still here")
	b.expect("from [ann]: still here")
	a.send("/history")
	a.expect("error: store unavailable")
	a.send("/register pw")
	a.expect("error: store unavailable")
	if m := get(t, "http://"+s.HTTPAddr()+"/metrics"); !strings.Contains(m, "parley_store_errors_total 3") {
		t.Errorf("/metrics does not count the 3 failures")
	}

	f.broken.Store(false)
	a.send("kept")
	a.expect("[" + a.addr + "]ann:kept")
	b.expect("[" + a.addr + "]ann:kept")
	a.send("/history")
	if got := unstamp(t, a.next()); got != "["+a.addr+"]ann:kept" {
		t.Errorf("history after recovery: %q", got)
	}
	a.quiet()
}

// TestStoreFailureRelaxed: under relaxed durability the line is delivered
// at once; when its commit fails, its sender is told, and the line is kept
// and saved once the store works again: it is in the history then.
func TestStoreFailureRelaxed(t *testing.T) {
	s, f := startFaulty(t, "relaxed")
	a := dialText(t, s)
	f.broken.Store(true)
	a.send("delivered, saved later")
	a.expect("["+a.addr+"]"+a.addr+":delivered, saved later", "error: store unavailable")
	f.broken.Store(false)
	a.quiet()
	deadline := time.Now().Add(waitTime)
	for !strings.Contains(get(t, "http://"+s.HTTPAddr()+"/metrics"), "parley_messages_retried_total 1") {
		if time.Now().After(deadline) {
			t.Fatal("the line was not saved after the store came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.send("/history")
	if got := unstamp(t, a.next()); got != "["+a.addr+"]"+a.addr+":delivered, saved later" {
		t.Errorf("history after recovery: %q", got)
	}
	a.quiet()
}
