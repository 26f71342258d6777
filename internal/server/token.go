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
	"strings"
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
	return t.sealJSON("IQoJ", "sesame sts", st)
}

var errBadToken = errors.New("invalid session token")

// open checks and reads a token.
func (t *tokenSealer) open(token string) (*sessionToken, error) {
	var st sessionToken
	if !t.openJSON(token, "IQoJ", "sesame sts", &st) {
		return nil, errBadToken
	}
	return &st, nil
}

// sealJSON returns prefix and claims, as JSON sealed with ad as the
// additional data (which keeps kinds of tokens apart), in URL-safe
// base64.
func (t *tokenSealer) sealJSON(prefix, ad string, claims any) (string, error) {
	plain, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, t.aead.NonceSize())
	if _, err := io.ReadFull(t.rand, nonce); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(t.aead.Seal(nonce, nonce, plain, []byte(ad))), nil
}

// openJSON reads into claims a token that sealJSON made with prefix and
// ad, and reports whether it was one.
func (t *tokenSealer) openJSON(token, prefix, ad string, claims any) bool {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	n := t.aead.NonceSize()
	if err != nil || len(raw) < n {
		return false
	}
	plain, err := t.aead.Open(nil, raw[:n], raw[n:], []byte(ad))
	return err == nil && json.Unmarshal(plain, claims) == nil
}

// secret derives the secret access key of temporary credentials.
func (t *tokenSealer) secret(accessKeyID string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("sesame sts secret\x00" + accessKeyID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:40]
}
