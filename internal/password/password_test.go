package password

import (
	"context"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: not argon2id with the documented parameters", enc)
	}
	if strings.Contains(enc, "correct horse") {
		t.Error("the hash contains the password")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horse ", false}, {"", false}, {"Correct horse", false}} {
		ok, err := h.Check(ctx, enc, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("Check(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestCheckWithoutAccount(t *testing.T) {
	h := NewHasher(1)
	for _, pw := range []string{"", "x", "\x00"} {
		if ok, err := h.Check(context.Background(), "", pw); ok || err != nil {
			t.Errorf("Check(no account, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	h := NewHasher(1)
	for _, enc := range []string{
		"plain", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=8,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if _, err := h.Check(context.Background(), enc, "x"); err != ErrMalformed {
			t.Errorf("Check(%q): %v, want ErrMalformed", enc, err)
		}
	}
}

func TestHashWaitsForASlot(t *testing.T) {
	h := NewHasher(1)
	h.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "x"); err != context.Canceled {
		t.Errorf("Hash with no free slot and a cancelled context: %v", err)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	for b.Loop() {
		h.Hash(context.Background(), "correct horse battery staple")
	}
}
