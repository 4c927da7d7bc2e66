package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkDurability measures chat lines committed to a SQLite file per
// second, and the time from sending a line to hearing it back, under strict
// durability (delivered once committed) and relaxed (delivered at once) in
// one run. 64 clients each chat alone in a room of their own (so that
// fan-out does not dominate). With 8 lines in flight per client it measures
// throughput; with 1, the latency strict durability adds. b.N is the
// number of lines in all.
//
//	go test -run '^$' -bench Durability -benchtime 100000x -count 5 ./internal/server
func BenchmarkDurability(b *testing.B) {
	for _, inflight := range []int{8, 1} {
		for _, mode := range []string{"strict", "relaxed"} {
			b.Run(fmt.Sprintf("%s/inflight=%d", mode, inflight), func(b *testing.B) { benchDurability(b, mode, 64, inflight) })
		}
	}
}

func benchDurability(b *testing.B, mode string, clients, inflight int) {
	s := start(b, func(c *Config) {
		c.DB = filepath.Join(b.TempDir(), "parley.db")
		c.Durability = mode
	})
	conns := make([]net.Conn, clients)
	readers := make([]*bufio.Reader, clients)
	for i := range conns {
		c, err := net.Dial("tcp", s.TCPAddr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReaderSize(c, 64<<10)
		fmt.Fprintf(c, "/join r%d\n", i)
		want := []byte(fmt.Sprintf("joined [r%d]\n", i))
		for {
			line, err := readers[i].ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if bytes.Equal(line, want) {
				break
			}
		}
	}
	per := max(b.N/clients, 1)
	lat := make([][]time.Duration, clients)
	committed := s.Hub().Committer().Committed.Load()
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i] = pipelined(b, conns[i], readers[i], per, inflight)
		}()
	}
	wg.Wait()
	// Relaxed durability delivers before it commits: the run ends when
	// everything is committed.
	want := committed + int64(per*clients)
	for s.Hub().Committer().Committed.Load() < want {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := b.Elapsed()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	c := s.Hub().Committer()
	b.ReportMetric(float64(per*clients)/elapsed.Seconds(), "committed/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(c.Committed.Load())/float64(max(c.Batches.Load(), 1)), "lines/commit")
}

// pipelined sends n numbered lines on c, keeping up to inflight unanswered,
// and returns the time each took to come back.
func pipelined(b *testing.B, c net.Conn, r *bufio.Reader, n, inflight int) []time.Duration {
	sent := make([]time.Time, n)
	lat := make([]time.Duration, 0, n)
	var out []byte
	next := 0
	for len(lat) < n {
		for next < n && next-len(lat) < inflight {
			out = strconv.AppendInt(out[:0], int64(next), 10)
			out = append(out, '\n')
			sent[next] = time.Now()
			if _, err := c.Write(out); err != nil {
				b.Error(err)
				return lat
			}
			next++
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			b.Error(err)
			return lat
		}
		i := bytes.LastIndexByte(line, ':')
		seq, err := strconv.Atoi(string(line[i+1 : len(line)-1]))
		if err != nil || seq != len(lat) {
			b.Errorf("got %q, want line %d", line, len(lat))
			return lat
		}
		lat = append(lat, time.Since(sent[seq]))
	}
	return lat
}
