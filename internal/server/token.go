package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// sessionToken is what an STS session token carries. The token is sealed
// (AES-256-GCM with the server's token key), so the server keeps no state
// for temporary credentials: the secret key is derived from the access
// key id, and the token proves the rest.
type sessionToken struct {
	AccessKeyID string            `json:"k"`
	RoleName    string            `json:"r"`
	SessionName string            `json:"s"`
	Policy      string            `json:"p,omitempty"`
	Tags        map[string]string `json:"t,omitempty"`
	Issued      time.Time         `json:"i"`
	Expires     time.Time         `json:"e"`
}

type tokenSealer struct {
	aead cipher.AEAD
	key  []byte
	rand io.Reader
}

func newTokenSealer(key []byte, rnd io.Reader) (*tokenSealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("TokenKey must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &tokenSealer{aead: aead, key: key, rand: rnd}, nil
}

// seal returns the token text for st.
func (t *tokenSealer) seal(st *sessionToken) (string, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, t.aead.NonceSize())
	if _, err := io.ReadFull(t.rand, nonce); err != nil {
		return "", err
	}
	return "IQoJ" + base64.RawURLEncoding.EncodeToString(t.aead.Seal(nonce, nonce, plain, []byte("sesame sts"))), nil
}

var errBadToken = errors.New("invalid session token")

// open checks and reads a token.
func (t *tokenSealer) open(token string) (*sessionToken, error) {
	if len(token) < 4 || token[:4] != "IQoJ" {
		return nil, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token[4:])
	if err != nil || len(raw) < t.aead.NonceSize() {
		return nil, errBadToken
	}
	n := t.aead.NonceSize()
	plain, err := t.aead.Open(nil, raw[:n], raw[n:], []byte("sesame sts"))
	if err != nil {
		return nil, errBadToken
	}
	var st sessionToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, errBadToken
	}
	return &st, nil
}

// secret derives the secret access key of temporary credentials.
func (t *tokenSealer) secret(accessKeyID string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("sesame sts secret\x00" + accessKeyID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:40]
}
