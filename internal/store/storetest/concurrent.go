package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"parley/internal/store"
)

// testConcurrent has several goroutines use one store at once, as the hub's
// writer and many sessions' readers do, then checks that everything is
// there exactly once. Run it under -race.
//
// Each worker appends batches with IDs from its own range, to its own room
// and to one room they all share, and reads back after every batch: its own
// room must hold exactly what it appended so far (a nil return means
// stored). The workers' batches commit in no particular order, so IDs do not
// reach the store ascending across workers; no backend may depend on that.
// Each also queues and takes its own DMs, and all race to register one
// shared name, which exactly one must win.
func testConcurrent(t *testing.T, s store.Store) {
	const (
		workers = 8
		batches = 20
		perRoom = 5 // messages per batch to a worker's own room, plus 1 to "all"
	)
	ctx := t.Context()
	var won atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			key := fmt.Sprintf("user%d", w)
			room := fmt.Sprintf("room%d", w)
			base := int64(w+1) * 1_000_000
			if err := s.CreateAccount(ctx, acct(key)); err != nil {
				t.Errorf("worker %d: CreateAccount: %v", w, err)
				return
			}
			switch err := s.CreateAccount(ctx, acct("shared")); {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, store.ErrExists):
				t.Errorf("worker %d: CreateAccount(shared) = %v, want nil or ErrExists", w, err)
			}
			var mine []store.Message
			var queued []store.DM
			next := base
			for b := range batches {
				var batch []store.Message
				for range perRoom {
					next++
					batch = append(batch, msg(next, room, "mine"))
				}
				next++
				batch = append(batch, msg(next, "all", room))
				if err := s.AppendMessages(ctx, batch); err != nil {
					t.Errorf("worker %d: AppendMessages: %v", w, err)
					return
				}
				mine = append(mine, batch[:perRoom]...)

				got, err := s.History(ctx, room, 0, len(mine)+10)
				if err != nil || !slices.Equal(ids(got), ids(mine)) {
					t.Errorf("worker %d: History(%s) = %v, %v; want %v", w, room, ids(got), err, ids(mine))
					return
				}
				if _, err := s.History(ctx, "all", 0, 7); err != nil {
					t.Errorf("worker %d: History(all): %v", w, err)
					return
				}
				if id, err := s.LastID(ctx); err != nil || id < next {
					t.Errorf("worker %d: LastID = %d, %v; want at least %d", w, id, err, next)
					return
				}

				d := dm(base+900_000+int64(b), key)
				if err := s.QueueDM(ctx, d); err != nil {
					t.Errorf("worker %d: QueueDM: %v", w, err)
					return
				}
				queued = append(queued, d)
				if b%5 == 4 {
					got, err := s.TakeDMs(ctx, key)
					if err != nil || len(got) != len(queued) {
						t.Errorf("worker %d: TakeDMs = %d DMs, %v; want %d", w, len(got), err, len(queued))
						return
					}
					for i := range got {
						if got[i].ID != queued[i].ID {
							t.Errorf("worker %d: TakeDMs[%d].ID = %d, want %d", w, i, got[i].ID, queued[i].ID)
							return
						}
					}
					queued = nil
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	if n := won.Load(); n != 1 {
		t.Errorf("CreateAccount(shared) succeeded %d times, want once", n)
	}
	var all []store.Message
	for w := range workers {
		room := fmt.Sprintf("room%d", w)
		base := int64(w+1) * 1_000_000
		var want []store.Message
		next := base
		for range batches {
			for range perRoom {
				next++
				want = append(want, msg(next, room, "mine"))
			}
			next++
			all = append(all, msg(next, "all", room))
		}
		checkMessages(t, "History("+room+")", history(t, s, room, 0, batches*perRoom+1), want)
		checkDMs(t, "TakeDMs after the workers", takeDMs(t, s, fmt.Sprintf("user%d", w)), nil)
	}
	slices.SortFunc(all, func(a, b store.Message) int { return cmp.Compare(a.ID, b.ID) })
	checkMessages(t, "History(all)", history(t, s, "all", 0, len(all)+1), all)
	if n := len(accounts(t, s)); n != workers+1 {
		t.Errorf("Accounts: %d, want %d", n, workers+1)
	}
	checkLastID(t, s, workers*1_000_000+900_000+batches-1)
}
