package protocol

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fuzzSeeds(f *testing.F) {
	golden, _ := hex.DecodeString(goldenHex)
	f.Add(golden)
	f.Add(peerAck(f, TypeOutputStreamData, 3))
	f.Add(control(f, TypeChannelClosed, ChannelClosed{SessionID: "s", Output: "bye"}))
	f.Add(control(f, TypePausePublication, nil))
	f.Add(frame(f, TypeInputStreamData, 0, PayloadSize, []byte(`{"cols":80,"rows":24}`)))
	f.Add(frame(f, TypeInputStreamData, 1<<40, PayloadFlag, TerminateSession.Payload()))
	f.Add(mutate(func(b []byte) []byte { clear(b[4+18 : 36]); return b })) // NUL padding
	f.Add(mutate(chain(setU32(0, 118), redigest)))                         // longer header
	f.Add(mutate(setU32(116, 0)))                                          // PayloadLength 0
	f.Add(mutate(chain(setType("pause_publication"), setU64(40, 0))))      // unvalidated type
	f.Add(mutate(setU32(0, 0xfffffff0)))                                   // HeaderLength beyond
	f.Add(mutate(setType("a b\x01")))                                      // type Marshal refuses
	f.Add(golden[:119])
	f.Add([]byte{})
}

// FuzzUnmarshal: decoding never panics, errors are FrameErrors, strict
// acceptance implies lenient acceptance, and a decoded frame marshals to
// a frame that decodes to the same message; a strictly valid
// frame marshals back to itself byte for byte.
func FuzzUnmarshal(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var lenientErr error
		for _, strict := range []bool{false, true} {
			var m Message
			err := Decoder{Strict: strict}.Unmarshal(b, &m)
			if !strict {
				lenientErr = err
			} else if err == nil && lenientErr != nil {
				t.Fatalf("strict accepts what lenient refuses: %v", lenientErr)
			}
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrDigest) || errors.Is(err, ErrTooLarge)) {
					t.Fatalf("error %v (%T) is not a FrameError with a sentinel", err, err)
				}
				continue
			}
			out, err := m.MarshalBinary()
			if err != nil {
				if strict {
					t.Fatalf("strictly valid frame does not marshal: %v", err)
				}
				continue // a type AWS's readers accept but writers never produce
			}
			if strict && !bytes.Equal(out, b) {
				t.Fatalf("strict frame does not round trip\n in %x\nout %x", b, out)
			}
			var back Message
			if err := (Decoder{Strict: strict}).Unmarshal(out, &back); err != nil {
				t.Fatalf("marshalled frame does not decode: %v", err)
			}
			m.HeaderLength, m.PayloadLength, m.PayloadDigest = HeaderLength, uint32(len(m.Payload)), sha256.Sum256(m.Payload)
			if !bytes.Equal(m.Payload, back.Payload) {
				t.Fatal("payload changed")
			}
			m.Payload, back.Payload = nil, nil
			if !cmp.Equal(m, back) {
				t.Fatalf("round trip\n got %+v\nwant %+v", back, m)
			}
		}
	})
}

// fuzzContent is what the fuzzed peer sends as message seq: the same
// every time, so duplicates agree.
func fuzzContent(seq int64) (PayloadType, []byte) {
	if seq%4 == 3 {
		return PayloadSize, []byte("{" + strconv.FormatInt(seq, 10) + "}")
	}
	return PayloadOutput, []byte("[" + strconv.FormatInt(seq, 10) + "]")
}

// FuzzStreamReceive drives an agent Stream with a script of received
// frames (in any order, repeated, corrupted), acknowledgements, pauses,
// writes, ticks and reads, with a small receive buffer, and checks that
// what it delivers is exactly the peer's messages 0..n-1 in order.
func FuzzStreamReceive(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 2, 0, 0, 1, 0, 7, 255, 0})
	f.Add([]byte{0, 5, 0, 0, 4, 0, 0, 3, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 7, 10, 0})
	f.Add([]byte{5, 200, 0, 4, 0, 0, 5, 10, 0, 3, 0, 0, 6, 0, 120, 4, 1, 0, 6, 0, 200})
	f.Add([]byte{1, 0, 81, 2, 0, 130, 0, 0, 0, 7, 1, 0})
	f.Add(bytes.Repeat([]byte{0, 9, 0, 1, 31, 0, 2, 17, 0}, 20))
	f.Fuzz(fuzzStream)
}

func fuzzStream(t *testing.T, script []byte) {
	{
		s, c, clk := newTestStream(t, RoleAgent, func(c *Config) { c.ReceiveBuffer = 256; c.SendWindow = 8 })
		s.Receive(script) // the script itself as a frame: must not panic
		var text []byte
		var msgs [][]byte
		read := func() {
			buf := make([]byte, 7)
			for s.Stats().Readable > 0 {
				n, _ := s.Read(buf)
				text = append(text, buf[:n]...)
			}
			for s.Stats().Pending > 0 {
				d, _ := s.ReadMessage(context.Background())
				msgs = append(msgs, d.Payload)
			}
		}
		for i := 0; i+2 < len(script); i += 3 {
			op, a, b := script[i], script[i+1], script[i+2]
			switch op % 8 {
			case 0, 1: // a stream-data frame from the peer
				seq := int64(a % 32)
				pt, p := fuzzContent(seq)
				fr := frame(t, TypeInputStreamData, seq, pt, p)
				if op%8 == 1 && b != 0 { // corrupt the digest or the payload
					pos := 80 + int(b)%(32+len(p))
					if pos >= 112 {
						pos += 8 // skip PayloadType and PayloadLength
					}
					fr[pos] ^= 0x5a
					if _, err := s.Receive(fr); !errors.Is(err, ErrDigest) {
						t.Fatalf("corrupted frame: %v", err)
					}
					continue
				}
				if m, err := s.Receive(fr); m != nil || err != nil {
					t.Fatalf("Receive = %v, %v", m, err)
				}
			case 2: // an acknowledgement of one of our messages
				s.Receive(peerAck(t, TypeOutputStreamData, int64(a%16)))
			case 3:
				s.Receive(control(t, TypePausePublication, nil))
			case 4:
				s.Receive(control(t, TypeStartPublication, nil))
			case 5:
				if s.Stats().Unacked < 8 {
					s.WriteMessage(context.Background(), PayloadOutput, bytes.Repeat([]byte{b}, int(a)))
				}
			case 6:
				clk.Advance(10 * time.Duration(b) * time.Millisecond)
				s.Tick()
			case 7:
				read()
			}
			c.take()
		}
		read()
		var wantText []byte
		var wantMsgs [][]byte
		for seq := int64(0); seq < s.Stats().ExpectedSequence; seq++ {
			pt, p := fuzzContent(seq)
			if pt == PayloadOutput {
				wantText = append(wantText, p...)
			} else {
				wantMsgs = append(wantMsgs, p)
			}
		}
		if !bytes.Equal(text, wantText) {
			t.Fatalf("read %q, want %q", text, wantText)
		}
		if len(msgs) != len(wantMsgs) {
			t.Fatalf("%d messages, want %d", len(msgs), len(wantMsgs))
		}
		for i := range msgs {
			if !bytes.Equal(msgs[i], wantMsgs[i]) {
				t.Fatalf("message %d is %q, want %q", i, msgs[i], wantMsgs[i])
			}
		}
	}
}

// FuzzAckSequence: the reflection-free reader of acknowledgements agrees
// with encoding/json whenever it accepts a payload.
func FuzzAckSequence(f *testing.F) {
	f.Add(appendAck(nil, TypeOutputStreamData, UUID{1}, 42))
	f.Add([]byte(`{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":-0,"IsSequentialMessage":false}`))
	f.Add([]byte(`{"AcknowledgedMessageSequenceNumber":12}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		seq, ok := ackSequenceFast(p)
		if !ok {
			return
		}
		var a Acknowledge
		if err := json.Unmarshal(p, &a); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses: %v", err)
		}
		if a.SequenceNumber != seq {
			t.Fatalf("fast path read %d, encoding/json %d", seq, a.SequenceNumber)
		}
	})
}
