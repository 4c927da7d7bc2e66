package store

import (
	"context"
	"errors"
	"log/slog"
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
type Committer struct {
	s   Store
	log *slog.Logger

	mu      sync.Mutex
	pending []submitted // guarded by mu
	closed  bool        // guarded by mu
	wake    chan struct{}
	done    chan struct{}

	// Counters for /metrics.
	Committed atomic.Int64 // messages committed
	Batches   atomic.Int64 // transactions committed
	Failed    atomic.Int64 // messages whose transaction failed
}

type submitted struct {
	m    Message
	done func(error)
}

// NewCommitter starts a committer writing to s; Close stops it.
func NewCommitter(s Store, log *slog.Logger) *Committer {
	c := &Committer{s: s, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
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

// Close commits what was submitted before it and stops the goroutine.
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
	var batch []submitted
	var msgs []Message
	for range c.wake {
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
				break
			}
			msgs = msgs[:0]
			for _, b := range batch {
				msgs = append(msgs, b.m)
			}
			err := c.commit(msgs)
			for _, b := range batch {
				if b.done != nil {
					b.done(err)
				}
			}
			clear(batch)
		}
	}
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
