package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenHex is a 2-byte output_stream_data frame written by hand from the
// layout table, independently of Marshal.
var goldenHex = "" +
	"00000074" + // HeaderLength 116
	hexOf("output_stream_data") + strings.Repeat("20", 14) + // MessageType, space-padded to 32
	"00000001" + // SchemaVersion
	"0000018bcfe5687b" + // CreatedDate 1700000000123 ms
	"0000000000000005" + // SequenceNumber 5
	"0000000000000001" + // Flags SYN
	"80b400c04fd430c8" + "6ba7b8109dad11d1" + // MessageId 6ba7b810-9dad-11d1-80b4-00c04fd430c8, halves swapped
	"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4" + // SHA-256("hi")
	"00000001" + // PayloadType Output
	"00000002" + // PayloadLength
	"6869" // "hi"

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func goldenMessage(t testing.TB) Message {
	id, err := ParseUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err != nil {
		t.Fatal(err)
	}
	return Message{
		MessageType:    TypeOutputStreamData,
		SchemaVersion:  1,
		CreatedDate:    1700000000123,
		SequenceNumber: 5,
		Flags:          SYN,
		MessageID:      id,
		PayloadType:    PayloadOutput,
		Payload:        []byte("hi"),
	}
}

func TestMarshalGolden(t *testing.T) {
	m := goldenMessage(t)
	got, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 122 {
		t.Errorf("a 2-byte payload makes a %d-byte frame, want 122", len(got))
	}
	if h := hex.EncodeToString(got); h != goldenHex {
		t.Errorf("frame mismatch\n got %s\nwant %s", h, goldenHex)
	}
}

func TestUnmarshalGolden(t *testing.T) {
	b, _ := hex.DecodeString(goldenHex)
	for _, strict := range []bool{false, true} {
		var m Message
		if err := (Decoder{Strict: strict}).Unmarshal(b, &m); err != nil {
			t.Fatalf("strict=%v: %v", strict, err)
		}
		want := goldenMessage(t)
		want.HeaderLength = 116
		want.PayloadLength = 2
		want.PayloadDigest = sha256.Sum256([]byte("hi"))
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("strict=%v: -want +got\n%s", strict, diff)
		}
	}
}

func TestMarshalEmptyPayloadHasDigest(t *testing.T) {
	m := Message{MessageType: TypeAcknowledge, CreatedDate: 1}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != HeaderSize {
		t.Errorf("len %d, want %d", len(b), HeaderSize)
	}
	if got, want := hex.EncodeToString(b[80:112]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("digest of the empty payload %s, want %s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	types := []MessageType{
		TypeInputStreamData, TypeOutputStreamData, TypeAcknowledge, TypeChannelClosed,
		TypeStartPublication, TypePausePublication, TypeAgentSessionState,
		TypeInteractiveShell, TypeAgentTaskComplete, TypeAgentJobReplyAck,
		"sesame_future_type_32_bytes_long",
	}
	sizes := []int{0, 1, StreamDataPayloadSize, 65536, MaxPayloadSize}
	for _, typ := range types {
		for _, n := range sizes {
			m := Message{
				MessageType:    typ,
				SchemaVersion:  1,
				CreatedDate:    1775044800000,
				SequenceNumber: 1<<62 + 3,
				Flags:          ControlFlags,
				MessageID:      UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
				PayloadType:    PayloadExitCode,
				Payload:        bytes.Repeat([]byte{0xa5}, n),
			}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatalf("%s/%d: %v", typ, n, err)
			}
			var got Message
			if err := (Decoder{Strict: true}).Unmarshal(b, &got); err != nil {
				t.Fatalf("%s/%d: %v", typ, n, err)
			}
			m.HeaderLength, m.PayloadLength, m.PayloadDigest = HeaderLength, uint32(n), sha256.Sum256(m.Payload)
			if !bytes.Equal(m.Payload, got.Payload) {
				t.Errorf("%s/%d: payload differs", typ, n)
			}
			m.Payload, got.Payload = nil, nil // cmp is slow on large slices
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("%s/%d: -want +got\n%s", typ, n, diff)
			}
			got.Payload = b[HeaderSize:]
			again, _ := got.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Errorf("%s/%d: re-marshalled frame differs", typ, n)
			}
		}
	}
}

func TestAppendBinaryAppends(t *testing.T) {
	m := goldenMessage(t)
	b, err := m.AppendBinary([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:6]) != "prefix" || hex.EncodeToString(b[6:]) != goldenHex {
		t.Errorf("AppendBinary did not append the golden frame")
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name    string
		m       Message
		wantErr error
		field   string
	}{
		{"empty type", Message{}, ErrMalformed, "MessageType"},
		{"type too long", Message{MessageType: MessageType(strings.Repeat("x", 33))}, ErrMalformed, "MessageType"},
		{"type with space", Message{MessageType: "a b"}, ErrMalformed, "MessageType"},
		{"type with NUL", Message{MessageType: "a\x00"}, ErrMalformed, "MessageType"},
		{"type not ASCII", Message{MessageType: "acknowledgé"}, ErrMalformed, "MessageType"},
		{"payload too large", Message{MessageType: TypeOutputStreamData, Payload: make([]byte, MaxPayloadSize+1)}, ErrTooLarge, "Payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m.MarshalBinary()
			var fe *FrameError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err %v, want %v in field %s", err, tt.wantErr, tt.field)
			}
		})
	}
}

// mutate returns the golden frame changed by f.
func mutate(f func(b []byte) []byte) []byte {
	b, _ := hex.DecodeString(goldenHex)
	return f(b)
}

func setU32(off int, v uint32) func([]byte) []byte {
	return func(b []byte) []byte { be.PutUint32(b[off:], v); return b }
}

func setU64(off int, v uint64) func([]byte) []byte {
	return func(b []byte) []byte { be.PutUint64(b[off:], v); return b }
}

func setType(s string) func([]byte) []byte {
	return func(b []byte) []byte {
		copy(b[4:36], bytes.Repeat([]byte{' '}, 32))
		copy(b[4:36], s)
		return b
	}
}

// redigest recomputes the digest over the payload HeaderLength points at.
func redigest(b []byte) []byte {
	sum := sha256.Sum256(b[be.Uint32(b)+4:])
	copy(b[80:112], sum[:])
	return b
}

func chain(fs ...func([]byte) []byte) func([]byte) []byte {
	return func(b []byte) []byte {
		for _, f := range fs {
			b = f(b)
		}
		return b
	}
}

func TestUnmarshalMalformed(t *testing.T) {
	const lenient, strict = 1, 2
	tests := []struct {
		name    string
		frame   []byte
		modes   int // decoders that refuse it
		wantErr error
		field   string
	}{
		{"empty", nil, lenient | strict, ErrMalformed, "frame"},
		{"header only, short", make([]byte, 119), lenient | strict, ErrMalformed, "frame"},
		{"too large", make([]byte, MaxFrameSize+1), lenient | strict, ErrTooLarge, "frame"},
		{"HeaderLength 0", mutate(setU32(0, 0)), lenient | strict, ErrMalformed, "HeaderLength"},
		{"HeaderLength inside header", mutate(setU32(0, 20)), lenient | strict, ErrMalformed, "HeaderLength"},
		{"HeaderLength beyond frame", mutate(setU32(0, 119)), lenient | strict, ErrMalformed, "HeaderLength"},
		{"HeaderLength huge", mutate(setU32(0, 0xffffffff)), lenient | strict, ErrMalformed, "HeaderLength"},
		{"HeaderLength 117", mutate(chain(setU32(0, 117), redigest)), strict, ErrMalformed, "HeaderLength"},
		{"type missing", mutate(setType("")), lenient | strict, ErrMalformed, "MessageType"},
		{"type all NUL", mutate(func(b []byte) []byte { clear(b[4:36]); return b }), lenient | strict, ErrMalformed, "MessageType"},
		{"type NUL padded", mutate(func(b []byte) []byte { clear(b[4+18 : 36]); return b }), strict, ErrMalformed, "MessageType"},
		{"type right-aligned", mutate(setType("              output_stream_data")), strict, ErrMalformed, "MessageType"},
		{"type with inner space", mutate(setType("output stream")), strict, ErrMalformed, "MessageType"},
		{"CreatedDate 0", mutate(setU64(40, 0)), lenient | strict, ErrMalformed, "CreatedDate"},
		{"negative sequence", mutate(setU64(48, 1<<63)), strict, ErrMalformed, "SequenceNumber"},
		{"digest wrong", mutate(func(b []byte) []byte { b[80] ^= 1; return b }), lenient | strict, ErrDigest, "PayloadDigest"},
		{"payload changed", mutate(func(b []byte) []byte { b[121] = 'o'; return b }), lenient | strict, ErrDigest, "PayloadDigest"},
		{"PayloadLength 0, digest wrong", mutate(chain(setU32(116, 0), func(b []byte) []byte { b[80] ^= 1; return b })), strict, ErrMalformed, "PayloadLength"},
		{"PayloadLength too large", mutate(setU32(116, 3)), strict, ErrMalformed, "PayloadLength"},
		{"PayloadLength oversized", mutate(setU32(116, 0xffffffff)), strict, ErrMalformed, "PayloadLength"},
		{"pause_publication, no date, bad digest", mutate(chain(setType("pause_publication"), setU64(40, 0), func(b []byte) []byte { b[80] ^= 1; return b })), strict, ErrMalformed, "CreatedDate"},
		{"start_publication, HeaderLength 118", mutate(chain(setType("start_publication"), setU32(0, 118))), strict, ErrMalformed, "HeaderLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for mode, d := range map[int]Decoder{lenient: {}, strict: {Strict: true}} {
				var m Message
				err := d.Unmarshal(tt.frame, &m)
				if tt.modes&mode == 0 {
					if err != nil {
						t.Errorf("strict=%v refused it: %v", d.Strict, err)
					}
					continue
				}
				var fe *FrameError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) || fe.Field != tt.field {
					t.Errorf("strict=%v: err %v, want %v in field %s", d.Strict, err, tt.wantErr, tt.field)
				}
				if err != nil && !strings.HasPrefix(err.Error(), "protocol: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
			}
		})
	}
}

// TestUnmarshalAWSQuirks covers what AWS's readers accept and so does
// the lenient decoder.
func TestUnmarshalAWSQuirks(t *testing.T) {
	t.Run("NUL padding and surrounding blanks are trimmed", func(t *testing.T) {
		b := mutate(func(b []byte) []byte {
			clear(b[4:36])
			copy(b[4:], "\x00 acknowledge\t")
			return b
		})
		var m Message
		if err := Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.MessageType != TypeAcknowledge {
			t.Errorf("type %q", m.MessageType)
		}
	})
	t.Run("a longer header is skipped", func(t *testing.T) {
		b := mutate(chain(setU32(0, 118), redigest)) // payload starts at 122: empty
		var m Message
		if err := Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Payload) != 0 || m.HeaderLength != 118 {
			t.Errorf("payload %q, HeaderLength %d", m.Payload, m.HeaderLength)
		}
	})
	t.Run("PayloadLength 0 skips the digest", func(t *testing.T) {
		b := mutate(chain(setU32(116, 0), func(b []byte) []byte { b[80] ^= 1; return b }))
		var m Message
		if err := Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if string(m.Payload) != "hi" {
			t.Errorf("payload %q: PayloadLength must not delimit it", m.Payload)
		}
	})
	t.Run("publication messages are not validated", func(t *testing.T) {
		for _, typ := range []string{"start_publication", "pause_publication"} {
			b := mutate(chain(setType(typ), setU64(40, 0), func(b []byte) []byte { b[80] ^= 1; return b }))
			var m Message
			if err := Unmarshal(b, &m); err != nil {
				t.Errorf("%s: %v", typ, err)
			}
		}
	})
	t.Run("unknown types pass, Known tells", func(t *testing.T) {
		b := mutate(setType("sesame_unknown"))
		var m Message
		if err := (Decoder{Strict: true}).Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.MessageType.Known() || !TypeOutputStreamData.Known() {
			t.Error("Known is wrong")
		}
	})
	t.Run("a lower frame limit", func(t *testing.T) {
		b, _ := hex.DecodeString(goldenHex)
		var m Message
		if err := (Decoder{MaxFrameSize: 121}).Unmarshal(b, &m); !errors.Is(err, ErrTooLarge) {
			t.Errorf("err %v, want ErrTooLarge", err)
		}
	})
}

func TestUnmarshalAliasesUnmarshalBinaryCopies(t *testing.T) {
	b, _ := hex.DecodeString(goldenHex)
	var alias, owned Message
	if err := Unmarshal(b, &alias); err != nil {
		t.Fatal(err)
	}
	if err := owned.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b[120] = 'H'
	if string(alias.Payload) != "Hi" || string(owned.Payload) != "hi" {
		t.Errorf("alias %q, copy %q", alias.Payload, owned.Payload)
	}
}

func TestUnmarshalDoesNotAllocate(t *testing.T) {
	b, _ := hex.DecodeString(goldenHex)
	var m Message
	if n := testing.AllocsPerRun(100, func() { _ = Unmarshal(b, &m) }); n != 0 {
		t.Errorf("Unmarshal allocates %v times per known-type frame", n)
	}
}

func TestNamesAndFlags(t *testing.T) {
	for pt := PayloadNone; pt <= PayloadExitCode; pt++ {
		if strings.HasPrefix(pt.String(), "PayloadType(") {
			t.Errorf("payload type %d has no name", pt)
		}
	}
	for _, c := range []struct{ got, want string }{
		{PayloadType(13).String(), "PayloadType(13)"},
		{PayloadHandshakeRequest.String(), "HandshakeRequest"},
		{Flags(0).String(), "0"},
		{ControlFlags.String(), "SYN|FIN"},
		{(FIN | 8).String(), "FIN|0x8"},
		{TerminateSession.String(), "TerminateSession"},
		{Flag(9).String(), "Flag(9)"},
		{RoleAgent.String(), "agent"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
