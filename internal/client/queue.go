package client

import "sync"

// maxQueued is how many events may wait for the consumer before the reader
// stops reading the server.
const maxQueued = 4096

// eventQueue hands events to Events in order. push never blocks (so it may
// be called under locks); the reader waits when the queue is long.
type eventQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []Event
	stop  bool
}

func newEventQueue() *eventQueue {
	q := &eventQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *eventQueue) push(ev Event) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// long reports whether the consumer is far behind.
func (q *eventQueue) long() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) > maxQueued && !q.stop
}

// waitOnce waits for the queue to change, if it is still long; it reports
// whether it waited.
func (q *eventQueue) waitOnce() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) <= maxQueued || q.stop {
		return false
	}
	q.cond.Wait()
	return true
}

// pop returns the oldest event, waiting for one; false once the queue is
// stopped and empty.
func (q *eventQueue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.stop {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return nil, false // stopped, and nothing left
	}
	ev := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	q.cond.Broadcast()
	return ev, true
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.stop = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// dispatch feeds Events from the queue until the client stops and the
// queue is empty (Close drops what is left), then closes Events.
func (c *Client) dispatch() {
	defer c.wg.Done()
	defer close(c.events)
	for {
		ev, ok := c.q.pop()
		if !ok {
			return
		}
		select {
		case c.events <- ev:
		case <-c.done:
			return
		}
	}
}
