package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Backup copies a store that is being written: the copy opens as a store
// and holds a consistent snapshot (whole batches, IDs 1..n without holes),
// at least everything stored before Backup was called.
func TestBackup(t *testing.T) {
	for _, path := range []string{"file", Memory} {
		t.Run(path, func(t *testing.T) {
			if path == "file" {
				path = filepath.Join(t.TempDir(), "parley.db")
			}
			s := openClosed(t, path)
			const batch = 10
			mustAppend(t, s, lines(1, 100))

			ctx, stop := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			wg.Go(func() { // the hub, writing on during the backup
				for next := int64(101); ctx.Err() == nil; next += batch {
					if err := s.AppendMessages(ctx, lines(next, next+batch-1)); err != nil && ctx.Err() == nil {
						t.Errorf("AppendMessages during backup: %v", err)
						return
					}
				}
			})
			dest := filepath.Join(t.TempDir(), "backup.db")
			err := s.Backup(t.Context(), dest)
			stop()
			wg.Wait()
			if err != nil {
				t.Fatalf("Backup: %v", err)
			}

			c := openClosed(t, dest)
			n, err := c.LastID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n < 100 || n%batch != 0 {
				t.Fatalf("backup: LastID %d, want a whole number of batches from 100 up", n)
			}
			checkIDs(t, c, n)
			t.Logf("backup holds messages 1..%d", n)

			err = s.Backup(t.Context(), dest)
			if err == nil || !strings.Contains(err.Error(), "exists") {
				t.Fatalf("Backup over an existing file = %v, want an error", err)
			}
		})
	}
}
