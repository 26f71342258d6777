package protocol

import (
	"context"
	"io"
	"sync"
	"testing"
)

func benchMessage() Message {
	return Message{
		MessageType:    TypeOutputStreamData,
		SchemaVersion:  1,
		CreatedDate:    uint64(epoch.UnixMilli()),
		SequenceNumber: 12345,
		MessageID:      UUID{1, 2, 3},
		PayloadType:    PayloadOutput,
		Payload:        make([]byte, StreamDataPayloadSize),
	}
}

// BenchmarkMarshal appends a 1024-byte stream-data frame to a reused buffer.
func BenchmarkMarshal(b *testing.B) {
	m := benchMessage()
	buf := make([]byte, 0, HeaderSize+StreamDataPayloadSize)
	b.SetBytes(HeaderSize + StreamDataPayloadSize)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalBinary allocates the frame, as Stream does.
func BenchmarkMarshalBinary(b *testing.B) {
	m := benchMessage()
	b.SetBytes(HeaderSize + StreamDataPayloadSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, d := range []struct {
		name string
		dec  Decoder
	}{{"aws", Decoder{}}, {"strict", Decoder{Strict: true}}} {
		b.Run(d.name, func(b *testing.B) {
			m := benchMessage()
			frame, _ := m.MarshalBinary()
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			var out Message
			for b.Loop() {
				if err := d.dec.Unmarshal(frame, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStreamThroughput moves data from an agent Stream to a client
// Stream over a perfect in-memory transport: each direction is a queue
// drained by its own goroutine, like a WebSocket reader.
func BenchmarkStreamThroughput(b *testing.B) {
	for _, chunk := range []int{StreamDataPayloadSize, 16 << 10} {
		b.Run(byteSize(chunk), func(b *testing.B) {
			benchThroughput(b, chunk)
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// memLink is a perfect transport: an unbounded queue and a goroutine
// that hands each frame to the receiving Stream.
type memLink struct {
	mu     sync.Mutex
	frames [][]byte
	wake   chan struct{}
	closed bool
}

func newMemLink() *memLink { return &memLink{wake: make(chan struct{}, 1)} }

func (l *memLink) send(f []byte) error {
	l.mu.Lock()
	l.frames = append(l.frames, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

func (l *memLink) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *memLink) run(to *Stream) {
	for {
		l.mu.Lock()
		frames, closed := l.frames, l.closed
		l.frames = nil
		l.mu.Unlock()
		for _, f := range frames {
			to.Receive(f)
		}
		if closed {
			return
		}
		if len(frames) == 0 {
			<-l.wake
		}
	}
}

func benchThroughput(b *testing.B, chunk int) {
	toClient, toAgent := newMemLink(), newMemLink()
	agent, err := NewStream(Config{Role: RoleAgent, Send: toClient.send, ChunkSize: chunk})
	if err != nil {
		b.Fatal(err)
	}
	client, err := NewStream(Config{Role: RoleClient, Send: toAgent.send})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); toClient.run(client) }()
	go func() { defer wg.Done(); toAgent.run(agent) }()

	const total = 8 << 20
	data := make([]byte, 64<<10)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		done := make(chan error)
		go func() {
			_, err := io.CopyN(io.Discard, client, total)
			done <- err
		}()
		for sent := 0; sent < total; sent += len(data) {
			if _, err := agent.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	if err := agent.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	toClient.close()
	toAgent.close()
	wg.Wait()
	agent.Close()
	client.Close()
}
