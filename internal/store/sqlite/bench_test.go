package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/store"
)

// BenchmarkAppendMessages measures group commit into a file: each
// AppendMessages is one transaction, so commits/s is how many fsyncs a
// second the disk gives, and msgs/s shows how big a batch must be for a
// given rate. sync=NORMAL is for comparison only (see the package doc for
// why the store uses FULL).
func BenchmarkAppendMessages(b *testing.B) {
	text := strings.Repeat("x", 64)
	for _, sync := range []string{"FULL", "NORMAL"} {
		for _, n := range []int{1, 10, 100, 1000} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", sync, n), func(b *testing.B) {
				s, err := Open(filepath.Join(b.TempDir(), "parley.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if _, err := s.w.Exec("PRAGMA synchronous = " + sync); err != nil {
					b.Fatal(err)
				}
				batch := make([]store.Message, n)
				ts := time.Now()
				var id int64
				commits := 0
				for b.Loop() {
					for i := range batch {
						id++
						batch[i] = store.Message{ID: id, Room: "lobby", RoomName: "Lobby",
							From: "bench", Addr: "127.0.0.1:40000", Text: text, TS: ts}
					}
					if err := s.AppendMessages(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					commits++
				}
				sec := b.Elapsed().Seconds()
				b.ReportMetric(float64(commits*n)/sec, "msgs/s")
				b.ReportMetric(float64(commits)/sec, "commits/s")
			})
		}
	}
}
