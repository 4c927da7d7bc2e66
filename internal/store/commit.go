package store

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Committer.Submit after Close.
var ErrClosed = errors.New("store: committer closed")

// maxBatch bounds the messages committed in one transaction.
const maxBatch = 4096

// commitTimeout bounds one commit.
const commitTimeout = 10 * time.Second

// Committer is the one goroutine that writes chat messages: it takes every
// message submitted while the previous transaction was being committed and
// commits them together (group commit), so that many messages share one
// fsync. Callbacks run on its goroutine, in the order the messages were
// submitted, once their transaction has committed or failed.
//
// A Committer made with keep > 0 holds on to up to keep messages whose
// transaction failed (for a caller that delivered them already, as relaxed
// durability does) and commits them again, with back-off, until the store
// takes them: a store that fails for a while loses nothing it is given,
// once it works again. Beyond keep the oldest are given up, and so are
// those still failing at Close; both are logged and counted (Lost).
type Committer struct {
	s    Store
	log  *slog.Logger
	keep int

	mu      sync.Mutex
	pending []submitted // guarded by mu
	closed  bool        // guarded by mu
	wake    chan struct{}
	done    chan struct{}

	failed  []Message     // owned by run: to commit again, oldest first
	backoff time.Duration // owned by run: until the next try of failed

	// Counters for /metrics.
	Committed atomic.Int64 // messages committed
	Batches   atomic.Int64 // transactions committed
	Failed    atomic.Int64 // messages whose transaction failed
	Retried   atomic.Int64 // messages committed on a later try
	Lost      atomic.Int64 // messages given up after failing
}

type submitted struct {
	m    Message
	done func(error)
}

// The back-off between tries of messages whose commit failed.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// NewCommitter starts a committer writing to s; Close stops it. keep is how
// many messages that failed to commit it holds on to and tries again; 0
// keeps none.
func NewCommitter(s Store, log *slog.Logger, keep int) *Committer {
	c := &Committer{s: s, log: log, keep: keep, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// Submit queues m for the next commit, without waiting; done (if not nil)
// is called with the commit's result. Messages are committed, and their
// callbacks called, in the order of Submit.
func (c *Committer) Submit(m Message, done func(error)) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.pending = append(c.pending, submitted{m, done})
	select { // under mu, so that Close cannot close wake in between
	case c.wake <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return nil
}

// Close commits what was submitted before it, tries once more what failed,
// and stops the goroutine.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.wake)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	armed := false
	for {
		closing := false
		select {
		case _, ok := <-c.wake:
			closing = !ok
			c.drain()
		case <-retry.C:
			armed = false
			c.retry()
		}
		if closing {
			if len(c.failed) > 0 {
				c.retry()
			}
			if n := len(c.failed); n > 0 {
				c.Lost.Add(int64(n))
				c.log.Error("store: messages lost: the store still fails at shutdown", "count", n, "first_id", c.failed[0].ID)
			}
			return
		}
		if len(c.failed) > 0 && !armed {
			if c.backoff == 0 {
				c.backoff = minBackoff
			}
			retry.Reset(c.backoff)
			armed = true
		}
	}
}

// drain commits everything submitted, maxBatch at a time.
func (c *Committer) drain() {
	var batch []submitted
	var msgs []Message
	for {
		c.mu.Lock()
		n := min(len(c.pending), maxBatch)
		batch = append(batch[:0], c.pending[:n]...)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil // let a burst's backing array go
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		msgs = msgs[:0]
		for _, b := range batch {
			msgs = append(msgs, b.m)
		}
		err := c.commit(msgs)
		if err != nil && c.keep > 0 {
			c.hold(msgs)
		}
		for _, b := range batch {
			if b.done != nil {
				b.done(err)
			}
		}
		clear(batch)
	}
}

// hold keeps msgs to try again, giving up the oldest beyond keep.
func (c *Committer) hold(msgs []Message) {
	c.failed = append(c.failed, msgs...)
	if over := len(c.failed) - c.keep; over > 0 {
		c.Lost.Add(int64(over))
		c.log.Error("store: messages lost: too many wait for the store", "count", over, "first_id", c.failed[0].ID)
		c.failed = slices.Delete(c.failed, 0, over)
	}
}

// retry commits the failed messages again, maxBatch at a time, and stops
// at the first failure, to try again after twice the back-off. A message
// already stored (its transaction committed although it reported a
// failure) is not stored twice.
func (c *Committer) retry() {
	for len(c.failed) > 0 {
		chunk := c.failed[:min(len(c.failed), maxBatch)]
		n, err := len(chunk), c.commit(chunk)
		switch {
		case errors.Is(err, ErrExists):
			n, err = c.commitEach(chunk)
		case err != nil:
			n = 0
		}
		if n > 0 {
			c.Retried.Add(int64(n))
			c.log.Info("store: messages saved after a retry", "count", n, "first_id", chunk[0].ID)
			c.failed = c.failed[n:]
		}
		if err != nil {
			c.backoff = min(2*c.backoff, maxBackoff)
			return
		}
	}
	c.failed = nil
	c.backoff = 0
}

// commitEach commits msgs one by one, skipping those already stored, and
// reports how many are stored now, up to the first that failed.
func (c *Committer) commitEach(msgs []Message) (int, error) {
	for i, m := range msgs {
		if err := c.commit([]Message{m}); err != nil && !errors.Is(err, ErrExists) {
			return i, err
		}
	}
	return len(msgs), nil
}

func (c *Committer) commit(msgs []Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	err := c.s.AppendMessages(ctx, msgs)
	if err != nil {
		c.Failed.Add(int64(len(msgs)))
		c.log.Error("store: messages not saved", "count", len(msgs), "first_id", msgs[0].ID, "err", err)
		return err
	}
	c.Committed.Add(int64(len(msgs)))
	c.Batches.Add(1)
	return nil
}
