package sqlite

import (
	"context"
	"fmt"
	"time"

	"parley/internal/store"
)

// PutSanction stores sn, replacing the one of the same kind and key.
func (s *Store) PutSanction(ctx context.Context, sn store.Sanction) error {
	_, err := s.w.ExecContext(ctx, `INSERT OR REPLACE INTO sanctions
		(kind, key, target, addr, until, reason, by, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		int(sn.Kind), sn.Key, sn.Target, sn.Addr, untilMillis(sn.Until), sn.Reason, sn.By, sn.Created.UnixMilli())
	return wrap(fmt.Sprintf("put sanction %q", sn.Key), err)
}

// DeleteSanction removes the sanction of kind with key, or returns
// store.ErrNotFound.
func (s *Store) DeleteSanction(ctx context.Context, kind store.SanctionKind, key string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sanctions WHERE kind = ? AND key = ?`, int(kind), key)
	if err == nil {
		err = mustHaveChanged(res)
	}
	return wrap(fmt.Sprintf("delete sanction %q", key), err)
}

// Sanctions returns every sanction, sorted by kind then key (bytewise).
func (s *Store) Sanctions(ctx context.Context) ([]store.Sanction, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, key, target, addr, until, reason, by, created
		FROM sanctions ORDER BY kind, key`)
	if err != nil {
		return nil, wrap("sanctions", err)
	}
	defer rows.Close()
	sns := []store.Sanction{}
	for rows.Next() {
		var sn store.Sanction
		var until, created int64
		if err := rows.Scan(&sn.Kind, &sn.Key, &sn.Target, &sn.Addr, &until, &sn.Reason, &sn.By, &created); err != nil {
			return nil, wrap("sanctions", err)
		}
		if until != 0 {
			sn.Until = fromMillis(until)
		}
		sn.Created = fromMillis(created)
		sns = append(sns, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sanctions", err)
	}
	return sns, nil
}

// untilMillis is t in Unix milliseconds, 0 for the zero time (until lifted).
func untilMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
