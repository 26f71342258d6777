package protocol

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// UUID is a message id. It is written in canonical form
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) in JSON payloads such as
// Acknowledge, and as 16 bytes in a frame's MessageId field with its
// halves swapped: bytes 8..15 of the UUID first, then bytes 0..7. AWS's
// Java-born serializer writes the "least significant" long first.
type UUID [16]byte

// NewUUID returns a random (version 4, RFC 4122 variant) UUID read from r.
func NewUUID(r io.Reader) (UUID, error) {
	var u UUID
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return UUID{}, fmt.Errorf("protocol: message id: %w", err)
	}
	return u.v4(), nil
}

// v4 sets the version (4, random) and variant (RFC 4122) bits.
func (u UUID) v4() UUID {
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// ParseUUID parses the canonical hyphenated form, in either case.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, errors.New("protocol: uuid " + quote(s) + ": not in canonical form")
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return UUID{}, errors.New("protocol: uuid " + quote(s) + ": not hexadecimal")
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

// String returns the canonical lowercase hyphenated form.
func (u UUID) String() string {
	return string(u.appendText(make([]byte, 0, 36)))
}

func (u UUID) appendText(b []byte) []byte {
	n := len(b)
	b = append(b, make([]byte, 36)...)
	d := b[n:]
	hex.Encode(d[0:8], u[0:4])
	d[8] = '-'
	hex.Encode(d[9:13], u[4:6])
	d[13] = '-'
	hex.Encode(d[14:18], u[6:8])
	d[18] = '-'
	hex.Encode(d[19:23], u[8:10])
	d[23] = '-'
	hex.Encode(d[24:], u[10:])
	return b
}

// putWire writes u in the frame's swapped-halves order.
func (u UUID) putWire(b []byte) {
	copy(b[0:8], u[8:16])
	copy(b[8:16], u[0:8])
}

// uuidFromWire reads a MessageId field.
func uuidFromWire(b []byte) UUID {
	var u UUID
	copy(u[8:16], b[0:8])
	copy(u[0:8], b[8:16])
	return u
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// quote bounds and quotes untrusted text for an error message.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
