package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"parley/internal/store"
)

// AppendMessages stores msgs in one transaction: all of them, or none if any
// fails (a repeated ID gives store.ErrExists).
func (s *Store) AppendMessages(ctx context.Context, msgs []store.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins := tx.StmtContext(ctx, s.insMsg)
		defer ins.Close()
		for _, m := range msgs {
			_, err := ins.ExecContext(ctx, m.ID, m.Room, m.RoomName, m.From, m.Addr, m.Text, m.TS.UnixMilli())
			if isDuplicate(err) {
				err = store.ErrExists
			}
			if err != nil {
				return fmt.Errorf("id %d: %w", m.ID, err)
			}
		}
		return nil
	})
	return wrap("append messages", err)
}

// LastID returns the highest ID stored, of a message or a DM, counting the
// DMs that were taken or dropped since (id_high_water).
func (s *Store) LastID(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT max(
		(SELECT id FROM id_high_water),
		coalesce((SELECT max(id) FROM messages), 0),
		coalesce((SELECT max(id) FROM offline_dms), 0))`).Scan(&id)
	if err != nil {
		return 0, wrap("last id", err)
	}
	return id, nil
}

// History returns up to limit messages of room with an ID below before (no
// bound if before <= 0): the newest such, oldest first. A limit of 0 or less
// asks for nothing.
func (s *Store) History(ctx context.Context, room string, before int64, limit int) ([]store.Message, error) {
	msgs := []store.Message{}
	if limit <= 0 {
		return msgs, nil
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.history.QueryContext(ctx, room, before, limit)
	if err != nil {
		return nil, wrap("history", err)
	}
	defer rows.Close()
	for rows.Next() {
		m := store.Message{Room: room}
		var ts int64
		if err := rows.Scan(&m.ID, &m.RoomName, &m.From, &m.Addr, &m.Text, &ts); err != nil {
			return nil, wrap("history", err)
		}
		m.TS = fromMillis(ts)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("history", err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// QueueDM keeps dm until its recipient takes it (a repeated ID gives
// store.ErrExists).
func (s *Store) QueueDM(ctx context.Context, dm store.DM) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO offline_dms
		(id, to_key, recipient, sender, addr, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		dm.ID, dm.ToKey, dm.To, dm.From, dm.Addr, dm.Text, dm.TS.UnixMilli())
	return wrap(fmt.Sprintf("queue dm %d", dm.ID), err)
}

// TakeDMs returns the DMs queued for key, oldest first, and deletes them in
// the same transaction; it returns an empty slice if there are none.
func (s *Store) TakeDMs(ctx context.Context, key string) ([]store.DM, error) {
	var dms []store.DM
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if dms, err = queuedDMs(ctx, tx, key); err != nil || len(dms) == 0 {
			return err
		}
		return dropDMs(ctx, tx, key)
	})
	if err != nil {
		return nil, wrap("take dms", err)
	}
	if dms == nil {
		dms = []store.DM{}
	}
	return dms, nil
}

// queuedDMs returns the DMs queued for key, oldest first.
func queuedDMs(ctx context.Context, tx *sql.Tx, key string) ([]store.DM, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, recipient, sender, addr, text, ts
		FROM offline_dms WHERE to_key = ? ORDER BY id`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var dms []store.DM
	for rows.Next() {
		dm := store.DM{ToKey: key}
		var ts int64
		if err := rows.Scan(&dm.ID, &dm.To, &dm.From, &dm.Addr, &dm.Text, &ts); err != nil {
			return nil, err
		}
		dm.TS = fromMillis(ts)
		dms = append(dms, dm)
	}
	return dms, rows.Err()
}

// dropDMs deletes the DMs queued for key, first raising the high-water mark
// to their highest ID so that LastID still counts them.
func dropDMs(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE id_high_water SET id = max(id,
		coalesce((SELECT max(id) FROM offline_dms WHERE to_key = ?), 0))`, key)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM offline_dms WHERE to_key = ?`, key)
	return err
}

// inTx runs fn in a write transaction and commits it, or rolls it back if fn
// or the commit fails.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// fromMillis is the time.Time of Unix milliseconds ms, in UTC.
func fromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}
