package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"parley/internal/store"
	"parley/internal/store/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// flaky fails AppendMessages while broken is set; with ghost set, the
// next AppendMessages stores the messages and reports a failure anyway
// (as a commit whose acknowledgement was lost).
type flaky struct {
	store.Store
	broken, ghost atomic.Bool
}

var errDisk = errors.New("disk I/O error")

func (f *flaky) AppendMessages(ctx context.Context, msgs []store.Message) error {
	if f.broken.Load() {
		return errDisk
	}
	if f.ghost.CompareAndSwap(true, false) {
		if err := f.Store.AppendMessages(ctx, msgs); err != nil {
			return err
		}
		return errDisk
	}
	return f.Store.AppendMessages(ctx, msgs)
}

func newFlaky(t *testing.T) *flaky {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &flaky{Store: st}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func msg(id int64) store.Message {
	return store.Message{ID: id, Room: "lobby", RoomName: "lobby", From: "ann", Text: "line", TS: time.UnixMilli(1_700_000_000_000)}
}

// submit submits messages first…last and waits for their callbacks,
// returning how many reported an error.
func submit(t *testing.T, c *store.Committer, first, last int64) int {
	t.Helper()
	errs := make(chan error, last-first+1)
	for id := first; id <= last; id++ {
		if err := c.Submit(msg(id), func(err error) { errs <- err }); err != nil {
			t.Fatal(err)
		}
	}
	failed := 0
	for range last - first + 1 {
		if <-errs != nil {
			failed++
		}
	}
	return failed
}

// stored waits until the store holds want messages (or 10 s) and returns
// their IDs.
func stored(t *testing.T, s store.Store, want int) []int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := s.History(context.Background(), "lobby", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) >= want || time.Now().After(deadline) {
			ids := make([]int64, len(h))
			for i, m := range h {
				ids[i] = m.ID
			}
			return ids
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCommitterKeepsFailed: messages whose commit failed while the store
// was broken are told so, kept, and stored once it works again, in order;
// beyond keep the oldest are given up and counted.
func TestCommitterKeepsFailed(t *testing.T) {
	f := newFlaky(t)
	c := store.NewCommitter(f, quiet, 5)
	defer c.Close()
	f.broken.Store(true)
	if n := submit(t, c, 1, 8); n != 8 {
		t.Fatalf("%d of 8 callbacks saw the failure", n)
	}
	f.broken.Store(false)
	ids := stored(t, f, 5)
	if want := []int64{4, 5, 6, 7, 8}; !slices.Equal(ids, want) {
		t.Fatalf("stored %v after the store came back, want %v", ids, want)
	}
	if c.Retried.Load() != 5 || c.Lost.Load() != 3 {
		t.Errorf("retried %d, lost %d; want 5 and 3", c.Retried.Load(), c.Lost.Load())
	}
	if n := submit(t, c, 9, 9); n != 0 {
		t.Errorf("a commit after recovery failed")
	}
}

// TestCommitterRetryStoresOnce: a commit that stored its messages but
// reported a failure is tried again without storing them twice.
func TestCommitterRetryStoresOnce(t *testing.T) {
	f := newFlaky(t)
	c := store.NewCommitter(f, quiet, 100)
	defer c.Close()
	f.ghost.Store(true)
	// The first commit (however many of the three it holds) is written and
	// reported failed; the others go through.
	failed := submit(t, c, 1, 3)
	if failed == 0 {
		t.Fatal("no callback saw the failure")
	}
	submit(t, c, 4, 4)
	waitFor(t, func() bool { return c.Retried.Load() == int64(failed) })
	if ids := stored(t, f, 4); !slices.Equal(ids, []int64{1, 2, 3, 4}) {
		t.Errorf("stored %v, want 1…4 once each", ids)
	}
}

// TestCommitterWithoutKeep: with keep 0 a failed message is not tried
// again (strict durability did not deliver it).
func TestCommitterWithoutKeep(t *testing.T) {
	f := newFlaky(t)
	c := store.NewCommitter(f, quiet, 0)
	f.broken.Store(true)
	submit(t, c, 1, 2)
	f.broken.Store(false)
	submit(t, c, 3, 3)
	c.Close()
	if ids := stored(t, f, 1); !slices.Equal(ids, []int64{3}) {
		t.Errorf("stored %v, want only 3", ids)
	}
	if c.Retried.Load() != 0 || c.Lost.Load() != 0 {
		t.Errorf("retried %d, lost %d; want none", c.Retried.Load(), c.Lost.Load())
	}
}

// TestCommitterCloseWhileBroken: Close tries once more, then gives up and
// counts what it could not store.
func TestCommitterCloseWhileBroken(t *testing.T) {
	f := newFlaky(t)
	c := store.NewCommitter(f, quiet, 100)
	f.broken.Store(true)
	submit(t, c, 1, 4)
	c.Close()
	if c.Lost.Load() != 4 {
		t.Errorf("lost %d, want 4", c.Lost.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
