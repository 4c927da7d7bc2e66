package chat

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memConn is a Conn without a network: ReadLine returns what is put on
// lines; WriteEvents encodes each event, as a real writer would, and counts
// it.
type memConn struct {
	lines   chan []byte
	written *atomic.Int64
	closed  chan struct{}
	once    sync.Once
	addr    string
}

func (c *memConn) ReadLine() ([]byte, error) {
	select {
	case l, ok := <-c.lines:
		if !ok {
			return nil, io.EOF
		}
		return l, nil
	case <-c.closed:
		return nil, net.ErrClosed
	}
}

func (c *memConn) WriteEvents(evs []*Event, codec Codec) error {
	for _, ev := range evs {
		ev.Bytes(codec)
	}
	c.written.Add(int64(len(evs)))
	return nil
}

func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
func (c *memConn) CloseWrite(time.Duration) error   { c.Close(); return nil }
func (c *memConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *memConn) RemoteAddr() string               { return c.addr }

// lineCodec is a minimal text codec for benchmarks: chat lines in, the
// chat line "NAME:TEXT" out.
type lineCodec struct{}

func (lineCodec) Parse(line []byte) Command {
	return Command{Op: OpSay, Text: string(line)}
}

func (lineCodec) Append(dst []byte, ev *Event) []byte {
	if ev.Kind != EvMsg {
		return dst
	}
	dst = append(dst, ev.Name...)
	dst = append(dst, ':')
	dst = append(dst, ev.Text...)
	return append(dst, '\n')
}

func (lineCodec) Slot() int { return SlotText }

// BenchmarkFanout1000 fans chat lines out to 1,000 sessions in one room,
// without a network: the hub, the queues, the writers and one encoding per
// line. ns/op is per line said (1,000 deliveries).
//
//	go test -run '^$' -bench Fanout1000 -benchmem -count 5 ./internal/chat
func BenchmarkFanout1000(b *testing.B) {
	const members = 1000
	h, err := NewHub(Config{Queue: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	var written atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*memConn, members)
	for i := range conns {
		conns[i] = &memConn{lines: make(chan []byte, 64), written: &written, closed: make(chan struct{}), addr: "10.0.0.1:" + strconv.Itoa(i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Serve(conns[i], lineCodec{}, nil, ModeText)
		}()
	}
	defer func() {
		h.Shutdown(context.Background())
		wg.Wait()
	}()
	for h.Metrics.Sessions[ModeText].Load() < members || h.lobby.size() < members {
		time.Sleep(time.Millisecond)
	}
	line := []byte("a line of chat, sixty-four bytes long, as the benchmarks use..")
	b.ReportAllocs()
	b.ResetTimer()
	start := written.Load()
	for range b.N {
		conns[0].lines <- line
	}
	want := start + int64(b.N)*members
	for written.Load() < want {
		time.Sleep(20 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*members/b.Elapsed().Seconds(), "deliveries/s")
}

func (r *room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}
