package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkSlowConsumer measures 50 clients chatting in one room, with and
// without one more member that never reads. They chat in rounds: each sends
// one line, and sends its next when it has heard every line of the round,
// so the room goes as fast as its slowest reader (and no reading client can
// fall behind by more than a round, however the two cores are shared
// between the clients and the server). b.N is the number of lines sent in
// all. It reports lines delivered per second, the time from sending a line
// to hearing it back (p50, p99), the server's heap afterwards, and how many
// clients were cut off as slow consumers.
//
//	go test -run '^$' -bench SlowConsumer -benchtime 50000x -count 5 ./internal/server
func BenchmarkSlowConsumer(b *testing.B) {
	for _, stuck := range []bool{false, true} {
		b.Run(fmt.Sprintf("stuck=%v", stuck), func(b *testing.B) { benchRoom(b, 50, stuck) })
	}
}

func benchRoom(b *testing.B, clients int, stuck bool) {
	s := start(b, nil)
	// Each member is in the room (has its own online line) before the next
	// dials, so that nobody misses a line said in the first round.
	var members []net.Conn
	for range clients {
		c, err := net.Dial("tcp", s.TCPAddr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		members = append(members, c)
		online := []byte(c.LocalAddr().String() + ":online\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if bytes.HasSuffix(line, online) {
				break
			}
		}
	}
	if stuck {
		c, err := net.Dial("tcp", s.TCPAddr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(1024) // and never read
	}
	rounds := max(b.N/clients, 1)
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for i, c := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i] = chatter(b, c, clients, rounds)
		}()
	}
	wg.Wait()
	elapsed := b.Elapsed()
	b.StopTimer()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(rounds*clients*clients)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(s.Hub().Metrics.SlowConsumers.Load()), "slow")
}

// chatter chats for the given number of rounds in a room of clients
// chatters and returns how long each of its lines took to come back. It
// reads without allocating.
func chatter(b *testing.B, c net.Conn, clients, rounds int) []time.Duration {
	me := []byte("[" + c.LocalAddr().String() + "]")
	r := bufio.NewReaderSize(c, 64<<10)
	lat := make([]time.Duration, 0, rounds)
	heard := make([]int, rounds+1) // lines heard per round
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	var out []byte
	for round := range rounds {
		out = fmt.Appendf(out[:0], "line %d\n", round)
		sent := time.Now()
		if _, err := c.Write(out); err != nil {
			b.Error(err)
			return lat
		}
		for heard[round] < clients {
			line, err := r.ReadSlice('\n')
			if err != nil {
				b.Errorf("%s: in round %d of %d: %v", me, round, rounds, err)
				return lat
			}
			i := bytes.LastIndex(line, []byte(":line "))
			if i < 0 {
				continue // presence
			}
			n := 0
			for _, d := range line[i+len(":line ") : len(line)-1] {
				n = n*10 + int(d-'0')
			}
			heard[n]++
			if n == round && bytes.HasPrefix(line, me) {
				lat = append(lat, time.Since(sent))
			}
		}
	}
	// Done, but still a member: keep reading what the others say until the
	// connection is closed at the end of the run.
	go io.Copy(io.Discard, r)
	return lat
}
