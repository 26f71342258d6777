package protocol

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// epoch is a fixed, realistic start time for fake clocks.
var epoch = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// capture records the frames a Stream sends.
type capture struct {
	mu     sync.Mutex
	frames [][]byte
	err    error // returned by send when set
}

func (c *capture) send(f []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.frames = append(c.frames, f)
	return nil
}

// take returns and forgets the frames sent so far.
func (c *capture) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.frames
	c.frames = nil
	return f
}

// seededRand is a deterministic Config.Rand.
func seededRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (8 * (i % 8)))
	}
	return rand.NewChaCha8(s)
}

// newTestStream returns a stream with a fake clock that records its frames.
func newTestStream(t testing.TB, role Role, mod func(*Config)) (*Stream, *capture, *fakeClock) {
	t.Helper()
	c, clk := &capture{}, newFakeClock()
	cfg := Config{Role: role, Send: c.send, Clock: clk, Rand: seededRand(1)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewStream(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, clk
}

// frame marshals a stream-data message as a peer would.
func frame(t testing.TB, typ MessageType, seq int64, pt PayloadType, payload []byte) []byte {
	t.Helper()
	m := Message{
		MessageType:    typ,
		SchemaVersion:  1,
		CreatedDate:    uint64(epoch.UnixMilli()),
		SequenceNumber: seq,
		MessageID:      UUID{byte(seq), byte(seq >> 8), 0x42},
		PayloadType:    pt,
		Payload:        payload,
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peerAck acknowledges sequence number seq of type typ.
func peerAck(t testing.TB, typ MessageType, seq int64) []byte {
	t.Helper()
	m, err := NewControl(TypeAcknowledge, UUID{0xac}, epoch, Acknowledge{
		MessageType: typ, MessageID: "00000000-0000-0000-0000-000000000000",
		SequenceNumber: seq, IsSequentialMessage: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// control marshals a control message of type typ with a JSON payload.
func control(t testing.TB, typ MessageType, v any) []byte {
	t.Helper()
	m, err := NewControl(typ, UUID{0xcc}, epoch, v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode strictly decodes a frame the Stream sent.
func decode(t testing.TB, f []byte) Message {
	t.Helper()
	var m Message
	if err := (Decoder{Strict: true}).Unmarshal(f, &m); err != nil {
		t.Fatalf("stream sent a frame that fails strict decoding: %v", err)
	}
	return m
}

// seqs returns the sequence numbers of stream-data frames.
func seqs(t testing.TB, frames [][]byte) []int64 {
	t.Helper()
	var out []int64
	for _, f := range frames {
		out = append(out, decode(t, f).SequenceNumber)
	}
	return out
}

// acks returns the sequence numbers acknowledged by acknowledge frames.
func acks(t testing.TB, frames [][]byte) []int64 {
	t.Helper()
	var out []int64
	for _, f := range frames {
		m := decode(t, f)
		var a Acknowledge
		if err := DecodePayload(&m, TypeAcknowledge, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a.SequenceNumber)
	}
	return out
}
