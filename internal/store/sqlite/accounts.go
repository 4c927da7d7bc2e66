package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/internal/store"
)

// CreateAccount adds a, or returns store.ErrExists if a.Key is registered.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO accounts (key, name, hash, created) VALUES (?, ?, ?, ?)`,
		a.Key, a.Name, a.Hash, a.Created.UnixMilli())
	return wrap(fmt.Sprintf("create account %q", a.Key), err)
}

// Account returns the account with key, or store.ErrNotFound.
func (s *Store) Account(ctx context.Context, key string) (store.Account, error) {
	a := store.Account{Key: key}
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT name, hash, created FROM accounts WHERE key = ?`, key).
		Scan(&a.Name, &a.Hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, wrap(fmt.Sprintf("account %q", key), err)
	}
	a.Created = fromMillis(created)
	return a, nil
}

// Accounts returns every account, sorted by key (bytewise, as Go compares
// strings).
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, name, hash, created FROM accounts ORDER BY key`)
	if err != nil {
		return nil, wrap("accounts", err)
	}
	defer rows.Close()
	as := []store.Account{}
	for rows.Next() {
		var a store.Account
		var created int64
		if err := rows.Scan(&a.Key, &a.Name, &a.Hash, &created); err != nil {
			return nil, wrap("accounts", err)
		}
		a.Created = fromMillis(created)
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("accounts", err)
	}
	return as, nil
}

// SetPassword replaces the hash of key's account, or returns
// store.ErrNotFound.
func (s *Store) SetPassword(ctx context.Context, key, hash string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE accounts SET hash = ? WHERE key = ?`, hash, key)
	if err == nil {
		err = mustHaveChanged(res)
	}
	return wrap(fmt.Sprintf("set password %q", key), err)
}

// DeleteAccount removes key's account and the DMs queued for it, or returns
// store.ErrNotFound (and removes nothing).
func (s *Store) DeleteAccount(ctx context.Context, key string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE key = ?`, key)
		if err == nil {
			err = mustHaveChanged(res)
		}
		if err != nil {
			return err
		}
		return dropDMs(ctx, tx, key)
	})
	return wrap(fmt.Sprintf("delete account %q", key), err)
}

// mustHaveChanged returns store.ErrNotFound if res touched no row.
func mustHaveChanged(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
