// Package store is Parley's persistence contract: room history, accounts and
// private messages kept for offline users. Every backend (sqlite now,
// postgres for the cluster) implements Store and passes the shared suite in
// store/storetest unchanged.
//
// The contract, for every backend:
//   - A method that returns nil has made its change durable: it survives the
//     process being killed right after. A method that returns an error has
//     changed nothing (each write is one transaction).
//   - Message and private-message IDs are the caller's (the hub assigns them
//     before delivery, so that one ID reaches every client and the store);
//     they are unique across both kinds and only ever grow.
//   - Names and rooms are looked up by key (the hub's key: case-folded, then its look-alike skeleton); the
//     spelling a user chose is kept beside it for display.
//   - Methods are safe for concurrent use. ctx bounds each call.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns; compare with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
)

// Message is one chat line said in a room.
type Message struct {
	ID       int64
	Room     string // the room's key
	RoomName string // the room's name as spelled when the line was said
	From     string // the sender's name
	Addr     string // the sender's address as clients saw it ("" under --hide-addrs)
	Text     string
	TS       time.Time // UTC, millisecond precision
}

// DM is a private message kept for a registered user who was offline.
type DM struct {
	ID    int64
	ToKey string // the recipient's key
	To    string // the recipient's name
	From  string
	Addr  string // the sender's address as clients saw it
	Text  string
	TS    time.Time // UTC, millisecond precision
}

// Account is a registered name.
type Account struct {
	Key     string // the name's key
	Name    string // as registered
	Hash    string // the password's hash, encoded (see internal/password)
	Created time.Time
}

// SanctionKind is what a Sanction does.
type SanctionKind uint8

// The sanctions an operator can impose.
const (
	// Ban refuses connections from Addr, and logins to the account with
	// key Key if there is one, until Until.
	Ban SanctionKind = iota + 1
	// Mute refuses the chat lines and private messages of the name with
	// key Key until Until.
	Mute
)

// Sanction is a ban or a mute an operator imposed. One of each kind may
// exist per key.
type Sanction struct {
	Kind SanctionKind
	// Key is what the sanction is found by: a name's key, or for a ban by
	// address "addr:" and the address (an IPv4 address or an IPv6 /64).
	Key     string
	Target  string    // the name or address as the operator gave it
	Addr    string    // Ban: the address refused ("" for none)
	Until   time.Time // UTC, millisecond precision; the zero time is until lifted
	Reason  string
	By      string // the operator's name
	Created time.Time
}

// Store keeps what Parley must not forget.
type Store interface {
	// AppendMessages stores msgs, all or none, in one transaction (the
	// group commit). IDs are new and ascending. An empty msgs is a no-op.
	AppendMessages(ctx context.Context, msgs []Message) error
	// LastID returns the highest message or DM ID ever stored (queued DMs
	// that were since taken included), or 0.
	LastID(ctx context.Context) (int64, error)
	// History returns up to limit messages of the room with key room whose
	// ID is below before (no bound if before <= 0), oldest first.
	History(ctx context.Context, room string, before int64, limit int) ([]Message, error)

	// QueueDM keeps dm until its recipient takes it.
	QueueDM(ctx context.Context, dm DM) error
	// TakeDMs returns the DMs queued for key, oldest first, and forgets them.
	TakeDMs(ctx context.Context, key string) ([]DM, error)

	// CreateAccount adds a, or returns ErrExists if a.Key is registered.
	CreateAccount(ctx context.Context, a Account) error
	// Account returns the account with key, or ErrNotFound.
	Account(ctx context.Context, key string) (Account, error)
	// Accounts returns every account, sorted by key.
	Accounts(ctx context.Context) ([]Account, error)
	// SetPassword replaces the hash of key's account, or returns ErrNotFound.
	SetPassword(ctx context.Context, key, hash string) error
	// DeleteAccount removes key's account (its queued DMs too), or returns
	// ErrNotFound.
	DeleteAccount(ctx context.Context, key string) error

	// PutSanction stores sn, replacing the one of the same kind and key.
	PutSanction(ctx context.Context, sn Sanction) error
	// DeleteSanction removes the sanction of kind with key, or returns
	// ErrNotFound.
	DeleteSanction(ctx context.Context, kind SanctionKind, key string) error
	// Sanctions returns every sanction, ended ones too, sorted by kind
	// then key.
	Sanctions(ctx context.Context) ([]Sanction, error)

	// Close releases the store; no method may be called after.
	Close() error
}
