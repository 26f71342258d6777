package sqldb

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
)

func TestSeal(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := newSealer(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.seal([]byte("secret"), []byte("AKIA1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(sealed, []byte("AKIA1")); err != nil || string(got) != "secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{8}, 32), rand.Reader)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	versioned := bytes.Clone(sealed)
	versioned[0] = 2
	tests := []struct {
		name   string
		s      *sealer
		sealed []byte
		ad     string
	}{
		{"wrong id", s, sealed, "AKIA2"},
		{"wrong key", other, sealed, "AKIA1"},
		{"tampered", s, tampered, "AKIA1"},
		{"unknown version", s, versioned, "AKIA1"},
		{"short", s, sealed[:5], "AKIA1"},
		{"empty", s, nil, "AKIA1"},
	}
	for _, tt := range tests {
		if _, err := tt.s.open(tt.sealed, []byte(tt.ad)); err == nil {
			t.Errorf("%s: opened", tt.name)
		}
	}
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := newSealer(make([]byte, n), rand.Reader); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
}

func TestToken(t *testing.T) {
	tok := encodeToken("123", "alice-0")
	got, err := decodeToken(tok, 2)
	if err != nil || len(got) != 2 || got[0] != "123" || got[1] != "alice-0" {
		t.Fatalf("decode = %q, %v", got, err)
	}
	if got, err := decodeToken("", 2); got != nil || err != nil {
		t.Errorf("empty token: %q, %v", got, err)
	}
	for _, bad := range []string{"!!", encodeToken("only-one")} {
		if _, err := decodeToken(bad, 2); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("decodeToken(%q): %v", bad, err)
		}
	}
}

func TestFail(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{ErrNoRows, store.ErrNotFound},
		{&Error{Kind: Unique}, store.ErrExists},
		{&Error{Kind: ForeignKey}, store.ErrConflict},
		{&Error{Kind: Check}, store.ErrConflict},
		{fmt.Errorf("x: %w", store.ErrLimitExceeded), store.ErrLimitExceeded},
	}
	for _, tt := range tests {
		if err := fail(tt.err, "user %q", "a"); !errors.Is(err, tt.want) {
			t.Errorf("fail(%v) = %v, want %v", tt.err, err, tt.want)
		}
	}
	if fail(nil, "x") != nil {
		t.Error("fail(nil) is not nil")
	}
	// A driver's error keeps its message and loses its type.
	type driverError struct{ error }
	err := fail(driverError{errors.New("disk I/O error")}, "user %q", "a")
	var de driverError
	if errors.As(err, &de) || err.Error() != `user "a": disk I/O error` {
		t.Errorf("driver error leaked: %#v", err)
	}
}

func TestLower(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "AbC-Ä": "abc-Ä", "ALICE@X": "alice@x"} {
		if got := lower(in); got != want {
			t.Errorf("lower(%q) = %q, want %q", in, got, want)
		}
	}
	if placeholders(3) != "?, ?, ?" || placeholders(0) != "" {
		t.Error("placeholders")
	}
}
