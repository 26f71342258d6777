package server

import (
	"encoding/hex"
	"io"
	"strings"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns an AWS-shaped unique id: prefix (AIDA, AROA, AKIA, ASIA,
// ANPA, AGPA) and random characters up to length n (21 for entity ids, 20
// for access key ids).
func (s *Server) newID(prefix string, n int) string {
	buf := make([]byte, n-len(prefix))
	if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
		panic("server: random source failed: " + err.Error())
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range buf {
		b.WriteByte(idAlphabet[int(c)%len(idAlphabet)])
	}
	return b.String()
}

// newHex returns n random lowercase hex characters (session id suffixes,
// managed instance ids).
func (s *Server) newHex(n int) string {
	buf := make([]byte, (n+1)/2)
	if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
		panic("server: random source failed: " + err.Error())
	}
	return hex.EncodeToString(buf)[:n]
}

// newSecret returns a 40-character secret access key.
func (s *Server) newSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	buf := make([]byte, 40)
	if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
		panic("server: random source failed: " + err.Error())
	}
	for i, c := range buf {
		buf[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(buf)
}
