package storetest

import (
	"bytes"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
)

const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func testAccessKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("Alice")))
	k := store.AccessKey{ID: "AKIAALICE1", UserName: "alice", Secret: secret, CreatedAt: t0}
	must(t, s.CreateAccessKey(ctx, k))
	got, err := s.GetAccessKey(ctx, "AKIAALICE1")
	must(t, err)
	diff(t, "GetAccessKey", got, store.AccessKey{ID: "AKIAALICE1", UserName: "Alice", Secret: secret,
		Status: store.AccessKeyActive, CreatedAt: micro(t0)})

	wantErr(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE1", UserName: "alice", Secret: "x"}), store.ErrExists)
	wantErr(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIANOBODY", UserName: "nobody", Secret: "x"}), store.ErrNotFound)
	must(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE2", UserName: "alice", Secret: "second", Status: store.AccessKeyInactive, CreatedAt: t0}))
	wantErr(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE3", UserName: "alice", Secret: "x"}), store.ErrLimitExceeded)
	_, err = s.GetAccessKey(ctx, "AKIAALICE3")
	wantErr(t, err, store.ErrNotFound)

	list, n := pages(t, 1, func(o store.ListOptions) (store.Page[store.AccessKey], error) {
		return s.ListAccessKeys(ctx, "ALICE", o)
	})
	diff(t, "listed keys", list, []store.AccessKey{
		{ID: "AKIAALICE1", UserName: "Alice", Status: store.AccessKeyActive, CreatedAt: micro(t0)},
		{ID: "AKIAALICE2", UserName: "Alice", Status: store.AccessKeyInactive, CreatedAt: micro(t0)},
	})
	if n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	_, err = s.ListAccessKeys(ctx, "nobody", store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)

	must(t, s.SetAccessKeyStatus(ctx, "alice", "AKIAALICE1", store.AccessKeyInactive))
	wantErr(t, s.SetAccessKeyStatus(ctx, "alice", "AKIAALICE1", "Bogus"), store.ErrConflict)
	must(t, s.CreateUser(ctx, user("bob")))
	wantErr(t, s.SetAccessKeyStatus(ctx, "bob", "AKIAALICE1", store.AccessKeyActive), store.ErrNotFound)
	use := store.KeyUse{At: at(5), Service: "ssm", Region: "eu-west-1"}
	must(t, s.RecordAccessKeyUse(ctx, "AKIAALICE1", use))
	wantErr(t, s.RecordAccessKeyUse(ctx, "AKIANOPE", use), store.ErrNotFound)
	got, err = s.GetAccessKey(ctx, "AKIAALICE1")
	must(t, err)
	use.At = micro(use.At)
	if got.Status != store.AccessKeyInactive || got.LastUsed != use || got.Secret != secret {
		t.Errorf("after update: %+v", got)
	}

	wantErr(t, s.DeleteAccessKey(ctx, "bob", "AKIAALICE1"), store.ErrNotFound)
	must(t, s.DeleteAccessKey(ctx, "alice", "AKIAALICE1"))
	wantErr(t, s.DeleteAccessKey(ctx, "alice", "AKIAALICE1"), store.ErrNotFound)
	must(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE3", UserName: "alice", Secret: "third"}))
}

// testSecretsSealed reads the stored secret column: it must not hold the
// secret, and two keys with the same secret must not be stored alike.
func testSecretsSealed(t *testing.T, s store.Store) {
	raw, ok := s.(Raw)
	if !ok {
		t.Fatalf("%T does not implement storetest.Raw: the backend's test must add it", s)
	}
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("alice")))
	must(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIA1", UserName: "alice", Secret: secret}))
	must(t, s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIA2", UserName: "alice", Secret: secret}))
	one, err := raw.RawSecret(ctx, "AKIA1")
	must(t, err)
	two, err := raw.RawSecret(ctx, "AKIA2")
	must(t, err)
	for _, sealed := range [][]byte{one, two} {
		if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte(secret[:8])) {
			t.Fatalf("the secret is stored in plaintext: %q", sealed)
		}
		if len(sealed) < len(secret)+16 {
			t.Errorf("sealed secret is %d bytes: no room for nonce and tag", len(sealed))
		}
	}
	if bytes.Equal(one, two) {
		t.Error("two keys with one secret are sealed alike: the nonce is not fresh")
	}
	// A sealed value moved to another key's row does not open there.
	must(t, raw.RawExec(ctx, "UPDATE access_keys SET secret = ? WHERE id = ?", one, "AKIA2"))
	if _, err := s.GetAccessKey(ctx, "AKIA2"); err == nil {
		t.Error("a secret sealed for AKIA1 opened as AKIA2's")
	}
	got, err := s.GetAccessKey(ctx, "AKIA1")
	must(t, err)
	if got.Secret != secret {
		t.Errorf("secret %q, want %q", got.Secret, secret)
	}
}
