// Package password hashes and checks account passwords with argon2id.
//
// Parameters (OWASP's recommended minimum for argon2id, 2023): 2 passes over
// 19 MiB of memory with 1 lane, a 16-byte random salt and a 32-byte key.
// Hashes are stored in the PHC string format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<key, base64>
//
// so the parameters travel with each hash and can be raised later without
// breaking old ones. Passwords are never logged or stored in the clear.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The parameters of new hashes.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// ErrMalformed is returned by Check for a stored hash it cannot read.
var ErrMalformed = errors.New("password: malformed hash")

var b64 = base64.RawStdEncoding

// Hasher hashes and checks passwords, at most a fixed number at a time:
// each costs 19 MiB and tens of milliseconds of CPU, so a crowd logging in
// at once queues instead of exhausting the machine.
type Hasher struct {
	slots chan struct{}
	dummy string // a hash to check against when there is no account
}

// NewHasher returns a Hasher running at most n hashes at once.
func NewHasher(n int) *Hasher {
	h := &Hasher{slots: make(chan struct{}, max(n, 1))}
	h.dummy = encode(memoryKiB, passes, lanes, make([]byte, saltLen), make([]byte, keyLen))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the encoded argon2id hash of pw with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	return encode(memoryKiB, passes, lanes, salt, key), nil
}

// Check reports whether pw matches the encoded hash, comparing in constant
// time. An empty encoded checks against a dummy hash and reports false, so
// that a login for a name with no account takes as long as a wrong password.
func (h *Hasher) Check(ctx context.Context, encoded, pw string) (bool, error) {
	if encoded == "" {
		encoded = h.dummy
		pw = "\x00" + pw // can never match the dummy's all-zero key
	}
	m, t, p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1 && encoded != h.dummy, nil
}

func encode(m uint32, t uint32, p uint8, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(s string) (m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return 0, 0, 0, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return 0, 0, 0, nil, nil, ErrMalformed
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return 0, 0, 0, nil, nil, ErrMalformed
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return 0, 0, 0, nil, nil, ErrMalformed
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return 0, 0, 0, nil, nil, ErrMalformed
	}
	return m, t, p, salt, key, nil
}
