package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestUUIDWireOrder(t *testing.T) {
	u, err := ParseUUID("00112233-4455-6677-8899-AABBCCDDEEFF")
	if err != nil {
		t.Fatal(err)
	}
	var b [16]byte
	u.putWire(b[:])
	if got, want := hex.EncodeToString(b[:]), "8899aabbccddeeff0011223344556677"; got != want {
		t.Errorf("wire %s, want %s (halves swapped)", got, want)
	}
	if back := uuidFromWire(b[:]); back != u {
		t.Errorf("uuidFromWire = %s, want %s", back, u)
	}
	if s := u.String(); s != "00112233-4455-6677-8899-aabbccddeeff" {
		t.Errorf("String = %s", s)
	}
}

func TestNewUUID(t *testing.T) {
	u, err := NewUUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if s := u.String(); s != "ffffffff-ffff-4fff-bfff-ffffffffffff" {
		t.Errorf("version and variant bits: %s", s)
	}
	if _, err := NewUUID(bytes.NewReader(nil)); err == nil {
		t.Error("NewUUID from an empty reader succeeded")
	}
	if _, err := NewUUID(errReader{}); !errors.Is(err, errBroken) {
		t.Errorf("err %v does not wrap the reader's error", err)
	}
}

var errBroken = errors.New("broken")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func TestParseUUIDErrors(t *testing.T) {
	for _, s := range []string{
		"",
		"00112233445566778899aabbccddeeff",
		"00112233-4455-6677-8899-aabbccddeef",
		"00112233-4455-6677-8899_aabbccddeeff",
		"0011223g-4455-6677-8899-aabbccddeeff",
		"00112233-4455-6677-8899-aabbccddeefff",
	} {
		if _, err := ParseUUID(s); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", s)
		}
	}
}
