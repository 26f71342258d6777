package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

var be = binary.BigEndian

// MarshalBinary returns m as a frame. See AppendBinary.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, HeaderSize+len(m.Payload)))
}

// AppendBinary appends m as a frame to b, as AWS's writers produce it:
// HeaderLength 116, MessageType padded with spaces, the SHA-256 of the
// payload (also for an empty payload) and PayloadLength len(Payload).
// The HeaderLength, PayloadDigest and PayloadLength fields of m are not
// used. MessageType must be 1 to 32 printable ASCII characters without
// spaces, and the frame must fit in MaxFrameSize.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if err := checkType(m.MessageType); err != nil {
		return b, err
	}
	if len(m.Payload) > MaxPayloadSize {
		return b, &FrameError{Field: "Payload", Err: ErrTooLarge,
			Detail: fmt.Sprintf("%d bytes, limit %d", len(m.Payload), MaxPayloadSize)}
	}
	n := len(b)
	b = append(b, make([]byte, HeaderSize)...)
	h := b[n:]
	be.PutUint32(h[offHeaderLength:], HeaderLength)
	t := h[offMessageType : offMessageType+lenMessageType]
	copy(t, m.MessageType)
	for i := len(m.MessageType); i < lenMessageType; i++ {
		t[i] = ' '
	}
	be.PutUint32(h[offSchemaVersion:], m.SchemaVersion)
	be.PutUint64(h[offCreatedDate:], m.CreatedDate)
	be.PutUint64(h[offSequenceNumber:], uint64(m.SequenceNumber))
	be.PutUint64(h[offFlags:], uint64(m.Flags))
	m.MessageID.putWire(h[offMessageID:])
	sum := sha256.Sum256(m.Payload)
	copy(h[offPayloadDigest:], sum[:])
	be.PutUint32(h[offPayloadType:], uint32(m.PayloadType))
	be.PutUint32(h[offPayloadLength:], uint32(len(m.Payload)))
	return append(b, m.Payload...), nil
}

func checkType(t MessageType) error {
	if len(t) == 0 || len(t) > lenMessageType {
		return &FrameError{Field: "MessageType", Err: ErrMalformed,
			Detail: fmt.Sprintf("%s has %d bytes, want 1 to %d", quote(string(t)), len(t), lenMessageType)}
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return &FrameError{Field: "MessageType", Err: ErrMalformed,
				Detail: fmt.Sprintf("%s: byte %d is not printable ASCII", quote(string(t)), i)}
		}
	}
	return nil
}

// Unmarshal decodes frame into m the way AWS's readers do (see Decoder).
// m.Payload aliases frame.
func Unmarshal(frame []byte, m *Message) error {
	return Decoder{}.Unmarshal(frame, m)
}

// UnmarshalBinary decodes frame into m like Unmarshal, but copies the
// payload, as encoding.BinaryUnmarshaler requires.
func (m *Message) UnmarshalBinary(frame []byte) error {
	if err := Unmarshal(frame, m); err != nil {
		return err
	}
	m.Payload = bytes.Clone(m.Payload)
	return nil
}

// Decoder decodes frames. The zero value decodes as AWS's readers do.
//
// Every decode checks the structure: the frame is at least 120 bytes and
// at most MaxFrameSize, and HeaderLength is at least 116 and leaves room
// for PayloadLength. The payload is everything from HeaderLength+4 to the
// end of the frame; PayloadLength is not used to find it. AWS's readers
// accept a HeaderLength below 116 (and read the payload from inside the
// header) and crash on one beyond the frame; sesame refuses both.
//
// Then the plugin's validation: for every type but start_publication and
// pause_publication, HeaderLength, MessageType and CreatedDate must be
// non-zero, and if PayloadLength is not zero the digest must match.
//
// Strict adds: HeaderLength is exactly 116, MessageType is printable
// ASCII padded with spaces, PayloadLength equals the payload's length,
// the digest matches for every frame, and SequenceNumber is not
// negative. A frame that passes Strict is
// exactly what Marshal writes for the decoded Message.
type Decoder struct {
	Strict       bool
	MaxFrameSize int // 0 means MaxFrameSize
}

// Unmarshal decodes frame into m. m.Payload aliases frame. Errors are
// *FrameError values wrapping ErrMalformed, ErrDigest or ErrTooLarge.
func (d Decoder) Unmarshal(frame []byte, m *Message) error {
	limit := d.MaxFrameSize
	if limit <= 0 {
		limit = MaxFrameSize
	}
	if len(frame) > limit {
		return &FrameError{Field: "frame", Err: ErrTooLarge,
			Detail: fmt.Sprintf("%d bytes, limit %d", len(frame), limit)}
	}
	if len(frame) < HeaderSize {
		return &FrameError{Field: "frame", Err: ErrMalformed,
			Detail: fmt.Sprintf("%d bytes, shorter than the %d-byte header", len(frame), HeaderSize)}
	}
	hl := be.Uint32(frame[offHeaderLength:])
	if hl < HeaderLength || uint64(hl)+4 > uint64(len(frame)) {
		return &FrameError{Field: "HeaderLength", Err: ErrMalformed,
			Detail: fmt.Sprintf("%d in a %d-byte frame, want %d to %d", hl, len(frame), HeaderLength, len(frame)-4)}
	}
	rawType := frame[offMessageType : offMessageType+lenMessageType]
	*m = Message{
		HeaderLength:   hl,
		MessageType:    internType(bytes.TrimSpace(bytes.Trim(rawType, "\x00"))),
		SchemaVersion:  be.Uint32(frame[offSchemaVersion:]),
		CreatedDate:    be.Uint64(frame[offCreatedDate:]),
		SequenceNumber: int64(be.Uint64(frame[offSequenceNumber:])),
		Flags:          Flags(be.Uint64(frame[offFlags:])),
		MessageID:      uuidFromWire(frame[offMessageID:]),
		PayloadType:    PayloadType(be.Uint32(frame[offPayloadType:])),
		PayloadLength:  be.Uint32(frame[offPayloadLength:]),
		Payload:        frame[hl+4:],
	}
	copy(m.PayloadDigest[:], frame[offPayloadDigest:offPayloadDigest+lenPayloadDigest])
	if d.Strict {
		return m.checkStrict(rawType)
	}
	return m.checkAWS()
}

// checkAWS is the plugin's Validate.
func (m *Message) checkAWS() error {
	if m.MessageType == TypeStartPublication || m.MessageType == TypePausePublication {
		return nil
	}
	if err := m.checkRequired(); err != nil {
		return err
	}
	if m.PayloadLength != 0 {
		return m.checkDigest()
	}
	return nil
}

func (m *Message) checkStrict(rawType []byte) error {
	if m.HeaderLength != HeaderLength {
		return &FrameError{Field: "HeaderLength", Err: ErrMalformed,
			Detail: fmt.Sprintf("%d, want %d", m.HeaderLength, HeaderLength)}
	}
	if err := m.checkRequired(); err != nil {
		return err
	}
	if err := checkType(m.MessageType); err != nil {
		return err
	}
	if !bytes.HasPrefix(rawType, []byte(m.MessageType)) ||
		len(bytes.TrimRight(rawType[len(m.MessageType):], " ")) != 0 {
		return &FrameError{Field: "MessageType", Err: ErrMalformed,
			Detail: fmt.Sprintf("%q is not left-aligned and padded with spaces", rawType)}
	}
	if m.SequenceNumber < 0 {
		return &FrameError{Field: "SequenceNumber", Err: ErrMalformed,
			Detail: fmt.Sprintf("%d is negative", m.SequenceNumber)}
	}
	if uint64(m.PayloadLength) != uint64(len(m.Payload)) {
		return &FrameError{Field: "PayloadLength", Err: ErrMalformed,
			Detail: fmt.Sprintf("%d, but the payload has %d bytes", m.PayloadLength, len(m.Payload))}
	}
	return m.checkDigest()
}

func (m *Message) checkRequired() error {
	if m.MessageType == "" {
		return &FrameError{Field: "MessageType", Err: ErrMalformed, Detail: "missing"}
	}
	if m.CreatedDate == 0 {
		return &FrameError{Field: "CreatedDate", Err: ErrMalformed, Detail: "missing"}
	}
	return nil
}

func (m *Message) checkDigest() error {
	if sha256.Sum256(m.Payload) != m.PayloadDigest {
		return &FrameError{Field: "PayloadDigest", Err: ErrDigest,
			Detail: fmt.Sprintf("does not match the %d-byte payload", len(m.Payload))}
	}
	return nil
}
