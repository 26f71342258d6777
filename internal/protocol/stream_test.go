package protocol

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewStreamConfig(t *testing.T) {
	send := func([]byte) error { return nil }
	for name, cfg := range map[string]Config{
		"no role":          {Send: send},
		"bad role":         {Role: 9, Send: send},
		"no send":          {Role: RoleClient},
		"negative window":  {Role: RoleClient, Send: send, SendWindow: -1},
		"chunk too large":  {Role: RoleClient, Send: send, ChunkSize: MaxPayloadSize + 1},
		"negative limit":   {Role: RoleAgent, Send: send, ResendLimit: -1},
		"negative receive": {Role: RoleAgent, Send: send, ReceiveBuffer: -1},
	} {
		if _, err := NewStream(cfg); err == nil {
			t.Errorf("%s: NewStream succeeded", name)
		}
	}
	s, err := NewStream(Config{Role: RoleClient, Send: send})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.cfg.ChunkSize != 1024 || s.cfg.SendWindow != DefaultSendWindow || s.cfg.ReceiveBuffer != DefaultReceiveBuffer {
		t.Errorf("defaults %+v", s.cfg)
	}
	if st := s.Stats(); st.RTO != InitialRTO || st.RTT != InitialRTT {
		t.Errorf("initial RTO %v RTT %v", st.RTO, st.RTT)
	}
}

func TestStreamWriteFrames(t *testing.T) {
	for _, tt := range []struct {
		role  Role
		typ   MessageType
		flag0 Flags
	}{
		{RoleClient, TypeInputStreamData, 0},
		{RoleAgent, TypeOutputStreamData, SYN},
	} {
		t.Run(tt.role.String(), func(t *testing.T) {
			s, c, _ := newTestStream(t, tt.role, nil)
			data := bytes.Repeat([]byte("0123456789"), 250) // 2500 bytes
			if n, err := s.Write(data); n != len(data) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			frames := c.take()
			if len(frames) != 3 {
				t.Fatalf("%d frames, want 3", len(frames))
			}
			var got []byte
			for i, f := range frames {
				m := decode(t, f)
				if m.MessageType != tt.typ || m.SequenceNumber != int64(i) || m.PayloadType != PayloadOutput ||
					m.SchemaVersion != 1 || m.CreatedDate != uint64(epoch.UnixMilli()) {
					t.Errorf("frame %d header %+v", i, m)
				}
				want := Flags(0)
				if i == 0 {
					want = tt.flag0
				}
				if m.Flags != want {
					t.Errorf("frame %d flags %s, want %s", i, m.Flags, want)
				}
				if len(m.Payload) > StreamDataPayloadSize {
					t.Errorf("frame %d payload %d bytes", i, len(m.Payload))
				}
				got = append(got, m.Payload...)
			}
			if !bytes.Equal(got, data) {
				t.Error("payloads do not add up to the data written")
			}
			if st := s.Stats(); st.Written != 3 || st.Unacked != 3 || st.NextSequence != 3 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestStreamWriteMessageTooLarge(t *testing.T) {
	s, _, _ := newTestStream(t, RoleClient, nil)
	err := s.WriteMessage(context.Background(), PayloadOutput, make([]byte, MaxPayloadSize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err %v, want ErrTooLarge", err)
	}
}

// TestStreamDeliversInOrderExactlyOnce feeds duplicates and gaps and
// checks delivery order, acknowledgements and counters.
func TestStreamDeliversInOrderExactlyOnce(t *testing.T) {
	s, c, _ := newTestStream(t, RoleAgent, nil)
	payload := func(seq int64) []byte { return []byte{'<', byte('0' + seq), '>'} }
	order := []int64{2, 0, 0, 1, 3, 2, 5, 5, 4}
	for _, seq := range order {
		if m, err := s.Receive(frame(t, TypeInputStreamData, seq, PayloadOutput, payload(seq))); m != nil || err != nil {
			t.Fatalf("Receive(seq %d) = %v, %v", seq, m, err)
		}
	}
	buf := make([]byte, 100)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "<0><1><2><3><4><5>" {
		t.Errorf("Read = %q, %v", buf[:n], err)
	}
	sent := c.take()
	if diff := cmp.Diff(order, acks(t, sent)); diff != "" {
		t.Errorf("every frame, duplicate or early, is acknowledged once (-want +got)\n%s", diff)
	}
	m := decode(t, sent[0])
	if m.MessageType != TypeAcknowledge || m.SequenceNumber != 0 || m.Flags != ControlFlags || m.PayloadType != PayloadNone {
		t.Errorf("ack header %+v", m)
	}
	var a Acknowledge
	if err := DecodePayload(&m, TypeAcknowledge, &a); err != nil {
		t.Fatal(err)
	}
	want := Acknowledge{MessageType: TypeInputStreamData, MessageID: UUID{2, 0, 0x42}.String(), SequenceNumber: 2, IsSequentialMessage: true}
	if a != want {
		t.Errorf("ack %+v, want %+v", a, want)
	}
	st := s.Stats()
	if st.Received != 9 || st.Delivered != 6 || st.Duplicates != 3 || st.OutOfOrder != 2 || st.ExpectedSequence != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestStreamReadMessageSeparatesPayloadTypes(t *testing.T) {
	s, _, _ := newTestStream(t, RoleAgent, nil)
	in := []Data{
		{PayloadOutput, []byte("ls")},
		{PayloadSize, []byte(`{"cols":80,"rows":24}`)},
		{PayloadOutput, []byte("\r")},
		{PayloadFlag, TerminateSession.Payload()},
		{PayloadOutput, nil},
	}
	for i, d := range in {
		if _, err := s.Receive(frame(t, TypeInputStreamData, int64(i), d.PayloadType, d.Payload)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 10)
	n, _ := s.Read(buf)
	if string(buf[:n]) != "ls\r" {
		t.Errorf("Read = %q", buf[:n])
	}
	ctx := context.Background()
	for _, want := range []Data{in[1], in[3]} {
		d, err := s.ReadMessage(ctx)
		if err != nil || d.PayloadType != want.PayloadType || !bytes.Equal(d.Payload, want.Payload) {
			t.Errorf("ReadMessage = %v, %v; want %v", d, err, want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ReadMessage(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadMessage on an empty queue = %v", err)
	}
}

// TestStreamRTT checks the estimator against AWS's formulas.
func TestStreamRTT(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		samples []time.Duration
		rtt     time.Duration
		rto     time.Duration
	}{
		// rttvar = ¼·|100−50| = 12.5; rtt = 87.5+6.25 = 93.75; rto = 93.75 + 50
		{[]time.Duration{50 * time.Millisecond}, ms(93.75), ms(143.75)},
		// rttvar = ¼·|100−100| = 0: the 10 ms granularity floor applies
		{[]time.Duration{100 * time.Millisecond}, ms(100), ms(110)},
		// a 5 s sample: rto capped at 1 s
		{[]time.Duration{5 * time.Second}, ms(712.5), time.Second},
		// rttvar = 12.5 then 0.75·12.5 + 0.25·|93.75−50| = 20.3125;
		// rtt = 93.75·7/8 + 50/8 = 88.28125; rto = 88.28125 + 81.25
		{[]time.Duration{50 * time.Millisecond, 50 * time.Millisecond}, ms(88.28125), ms(169.53125)},
	}
	for _, tt := range tests {
		s, c, clk := newTestStream(t, RoleClient, nil)
		for i, d := range tt.samples {
			if err := s.WriteMessage(context.Background(), PayloadOutput, []byte("x")); err != nil {
				t.Fatal(err)
			}
			clk.Advance(d)
			if _, err := s.Receive(peerAck(t, TypeInputStreamData, int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		c.take()
		st := s.Stats()
		if st.RTT != tt.rtt || st.RTO != tt.rto || st.Unacked != 0 || st.Acked != uint64(len(tt.samples)) {
			t.Errorf("samples %v: RTT %v RTO %v, want %v %v (stats %+v)", tt.samples, st.RTT, st.RTO, tt.rtt, tt.rto, st)
		}
	}
}

func TestStreamRetransmit(t *testing.T) {
	s, c, clk := newTestStream(t, RoleClient, nil)
	for i := 0; i < 3; i++ {
		s.WriteMessage(context.Background(), PayloadOutput, []byte{byte(i)})
	}
	orig := c.take()

	clk.Advance(InitialRTO) // not yet older than the RTO
	if err := s.Tick(); err != nil {
		t.Fatal(err)
	}
	if f := c.take(); len(f) != 0 {
		t.Fatalf("resent %d frames at exactly the RTO", len(f))
	}
	clk.Advance(time.Millisecond)
	s.Tick()
	again := c.take()
	if diff := cmp.Diff(orig, again); diff != "" {
		t.Errorf("resent frames differ from the originals (same id, same date): %s", diff)
	}

	s.Receive(peerAck(t, TypeInputStreamData, 1))
	clk.Advance(time.Second + time.Millisecond)
	s.Tick()
	if diff := cmp.Diff([]int64{0, 2}, seqs(t, c.take())); diff != "" {
		t.Errorf("after ack of 1, resent (-want +got)\n%s", diff)
	}
	if st := s.Stats(); st.Retransmits != 5 {
		t.Errorf("Retransmits %d, want 5", st.Retransmits)
	}
}

func TestStreamRetransmitBurst(t *testing.T) {
	s, c, clk := newTestStream(t, RoleClient, nil)
	for i := 0; i < 40; i++ {
		s.WriteMessage(context.Background(), PayloadOutput, []byte{byte(i)})
	}
	c.take()
	clk.Advance(time.Second)
	s.Tick()
	if got := seqs(t, c.take()); len(got) != resendBurst || got[0] != 0 || got[resendBurst-1] != resendBurst-1 {
		t.Errorf("first tick resent %v, want the oldest %d", got, resendBurst)
	}
	s.Tick()
	if got := seqs(t, c.take()); len(got) != resendBurst || got[0] != resendBurst {
		t.Errorf("second tick resent %v, want the next %d", got, resendBurst)
	}
}

// TestStreamStuckHead: the plugin never acknowledges a message twice, so
// a message whose acknowledgement was lost stays unacknowledged; later
// messages must still be resent, and the buffer must not grow.
func TestStreamStuckHead(t *testing.T) {
	s, c, clk := newTestStream(t, RoleAgent, nil)
	for i := 0; i < 500; i++ {
		s.WriteMessage(context.Background(), PayloadOutput, []byte{byte(i)})
	}
	for i := 1; i < 500; i++ {
		if i != 300 {
			s.Receive(peerAck(t, TypeOutputStreamData, int64(i)))
		}
	}
	c.take()
	if st := s.Stats(); st.Unacked != 2 {
		t.Fatalf("Unacked %d, want 2", st.Unacked)
	}
	if len(s.out) > 200 {
		t.Errorf("%d entries kept for 2 unacknowledged messages", len(s.out))
	}
	clk.Advance(time.Second + time.Millisecond)
	s.Tick()
	if diff := cmp.Diff([]int64{0, 300}, seqs(t, c.take())); diff != "" {
		t.Errorf("resent (-want +got)\n%s", diff)
	}
	s.Receive(peerAck(t, TypeOutputStreamData, 0))
	s.Receive(peerAck(t, TypeOutputStreamData, 300))
	s.Receive(peerAck(t, TypeOutputStreamData, 300)) // duplicate: ignored
	s.Receive(peerAck(t, TypeOutputStreamData, 9999))
	if st := s.Stats(); st.Unacked != 0 || len(s.out) != 0 || st.Acked != 500 {
		t.Errorf("Unacked %d, %d entries, Acked %d", st.Unacked, len(s.out), st.Acked)
	}
}

func TestStreamResume(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, nil)
	for i := 0; i < 5; i++ {
		s.WriteMessage(context.Background(), PayloadOutput, []byte{byte(i)})
	}
	orig := c.take()
	s.Receive(peerAck(t, TypeInputStreamData, 1))
	s.Receive(peerAck(t, TypeInputStreamData, 3))
	c.take()
	s.Resume()
	got := c.take()
	if diff := cmp.Diff([][]byte{orig[0], orig[2], orig[4]}, got); diff != "" {
		t.Errorf("Resume sent (-want +got)\n%s", diff)
	}
}

func TestStreamPausePublication(t *testing.T) {
	s, c, clk := newTestStream(t, RoleAgent, nil)
	s.WriteMessage(context.Background(), PayloadOutput, []byte("a")) // seq 0, sent
	c.take()
	if m, err := s.Receive(control(t, TypePausePublication, nil)); m != nil || err != nil {
		t.Fatalf("Receive(pause) = %v, %v", m, err)
	}
	if !s.Stats().Paused {
		t.Fatal("not paused")
	}
	s.WriteMessage(context.Background(), PayloadOutput, []byte("b")) // seq 1, held
	s.WriteMessage(context.Background(), PayloadOutput, []byte("c")) // seq 2, held
	clk.Advance(5 * time.Second)
	s.Tick()
	if f := c.take(); len(f) != 0 {
		t.Fatalf("sent %d frames while paused", len(f))
	}
	if err := s.Flush(canceled()); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush while paused = %v", err)
	}

	t.Run("start_publication sends everything unacknowledged", func(t *testing.T) {
		s.Receive(control(t, TypeStartPublication, nil))
		if diff := cmp.Diff([]int64{0, 1, 2}, seqs(t, c.take())); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
	})
	t.Run("stream data ends a pause and sends what was held", func(t *testing.T) {
		s.Receive(control(t, TypePausePublication, nil))
		s.WriteMessage(context.Background(), PayloadOutput, []byte("d")) // seq 3, held
		s.Receive(frame(t, TypeInputStreamData, 0, PayloadOutput, []byte("x")))
		var data []int64
		for _, f := range c.take() {
			if m := decode(t, f); m.MessageType == TypeOutputStreamData {
				data = append(data, m.SequenceNumber)
			}
		}
		if diff := cmp.Diff([]int64{3}, data); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
	})
	t.Run("an acknowledgement ends a pause", func(t *testing.T) {
		s.Receive(control(t, TypePausePublication, nil))
		s.WriteMessage(context.Background(), PayloadOutput, []byte("e")) // seq 4, held
		s.Receive(peerAck(t, TypeOutputStreamData, 0))
		if diff := cmp.Diff([]int64{4}, seqs(t, c.take())); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
	})
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestStreamSendWindow(t *testing.T) {
	s, _, _ := newTestStream(t, RoleClient, func(c *Config) { c.SendWindow = 2 })
	ctx := context.Background()
	s.WriteMessage(ctx, PayloadOutput, []byte("0"))
	s.WriteMessage(ctx, PayloadOutput, []byte("1"))
	if err := s.WriteMessage(canceled(), PayloadOutput, []byte("2")); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteMessage with a full window = %v, want it to wait", err)
	}
	s.Receive(peerAck(t, TypeInputStreamData, 1))
	if err := s.WriteMessage(canceled(), PayloadOutput, []byte("2")); err != nil {
		t.Fatalf("WriteMessage after an ack = %v", err)
	}

	done := make(chan error)
	go func() {
		_, err := s.Write([]byte("3"))
		done <- err
	}()
	s.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Write blocked on the window returned %v after Close, want ErrClosed", err)
	}
}

func TestStreamWriteUnblocksOnAck(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, func(c *Config) { c.SendWindow = 1 })
	done := make(chan error)
	go func() {
		_, err := s.Write(bytes.Repeat([]byte("x"), 3*1024)) // three messages through a window of one
		done <- err
	}()
	for seq := int64(0); seq < 3; {
		st := s.Stats()
		if st.Unacked > 1 {
			t.Fatalf("%d messages unacknowledged through a window of one", st.Unacked)
		}
		if st.NextSequence > seq {
			s.Receive(peerAck(t, TypeInputStreamData, seq))
			seq++
		} else {
			runtime.Gosched()
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(c.take()); n != 3 {
		t.Errorf("%d frames", n)
	}
}

func TestStreamReceiveBufferBackpressure(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, func(c *Config) { c.ReceiveBuffer = 2048 })
	kb := bytes.Repeat([]byte("k"), 1024)
	for seq := int64(0); seq < 3; seq++ {
		s.Receive(frame(t, TypeOutputStreamData, seq, PayloadOutput, kb))
	}
	if diff := cmp.Diff([]int64{0, 1}, acks(t, c.take())); diff != "" {
		t.Errorf("with a full buffer the third message is dropped unacknowledged (-want +got)\n%s", diff)
	}
	if st := s.Stats(); st.Dropped != 1 || st.Readable != 2048 {
		t.Errorf("stats %+v", st)
	}
	// Out of order messages need room too.
	s.Receive(frame(t, TypeOutputStreamData, 3, PayloadOutput, kb))
	if got := c.take(); len(got) != 0 {
		t.Errorf("early message acknowledged with a full buffer")
	}
	io.ReadFull(s, make([]byte, 2048))
	s.Receive(frame(t, TypeOutputStreamData, 2, PayloadOutput, kb)) // the retransmission
	s.Receive(frame(t, TypeOutputStreamData, 3, PayloadOutput, kb))
	if diff := cmp.Diff([]int64{2, 3}, acks(t, c.take())); diff != "" {
		t.Errorf("after reading (-want +got)\n%s", diff)
	}
	// A single message larger than the buffer still goes through when
	// nothing is waiting to be read.
	io.ReadFull(s, make([]byte, 2048))
	s.Receive(frame(t, TypeOutputStreamData, 4, PayloadOutput, make([]byte, 4096)))
	if diff := cmp.Diff([]int64{4}, acks(t, c.take())); diff != "" {
		t.Errorf("large message (-want +got)\n%s", diff)
	}
}

func TestStreamIncomingBufferCapacity(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, nil)
	for seq := int64(1); seq <= IncomingBufferCapacity+1; seq++ {
		s.Receive(frame(t, TypeOutputStreamData, seq, PayloadOutput, []byte{1}))
	}
	if n := len(c.take()); n != IncomingBufferCapacity {
		t.Errorf("%d early messages acknowledged, want %d", n, IncomingBufferCapacity)
	}
	s.Receive(frame(t, TypeOutputStreamData, 0, PayloadOutput, []byte{1}))
	if st := s.Stats(); st.ExpectedSequence != IncomingBufferCapacity+1 || st.Readable != IncomingBufferCapacity+1 {
		t.Errorf("stats %+v", st)
	}
}

func TestStreamOtherMessagesAreReturned(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, nil)
	cc := ChannelClosed{MessageID: "m", SessionID: "s", MessageType: TypeChannelClosed, SchemaVersion: 1, Output: "bye"}
	m, err := s.Receive(control(t, TypeChannelClosed, cc))
	if err != nil || m == nil {
		t.Fatalf("Receive(channel_closed) = %v, %v", m, err)
	}
	var got ChannelClosed
	if err := DecodePayload(m, TypeChannelClosed, &got); err != nil || got != cc {
		t.Errorf("payload %+v, %v", got, err)
	}
	// A client receiving input_stream_data (its own type) hands it over too.
	if m, _ := s.Receive(frame(t, TypeInputStreamData, 0, PayloadOutput, []byte("x"))); m == nil || m.MessageType != TypeInputStreamData {
		t.Errorf("own stream type not returned: %v", m)
	}
	if f := c.take(); len(f) != 0 {
		t.Errorf("sent %d frames for messages that are not stream data", len(f))
	}
}

func TestStreamRefusesBadFrames(t *testing.T) {
	s, c, _ := newTestStream(t, RoleClient, func(c *Config) { c.Strict = true })
	tests := []struct {
		name    string
		frame   []byte
		wantErr error
	}{
		{"garbage", []byte("hello"), ErrMalformed},
		{"wrong digest", mutate(func(b []byte) []byte { b[100] ^= 0xff; return b }), ErrDigest},
		{"strict PayloadLength", mutate(setU32(116, 0)), ErrMalformed},
		{"negative sequence", frame(t, TypeOutputStreamData, -1, PayloadOutput, []byte("x")), ErrMalformed},
		{"bad acknowledge", control(t, TypeAcknowledge, "not an object"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := s.Receive(tt.frame)
			if m != nil || err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("Receive = %v, %v; want %v", m, err, tt.wantErr)
			}
		})
	}
	if st := s.Stats(); st.Malformed != uint64(len(tests)) || st.Delivered != 0 || len(c.take()) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestStreamNegativeSequenceLenient(t *testing.T) {
	s, c, _ := newTestStream(t, RoleAgent, nil)
	if _, err := s.Receive(frame(t, TypeInputStreamData, -3, PayloadOutput, []byte("x"))); !errors.Is(err, ErrMalformed) {
		t.Errorf("err %v", err)
	}
	if len(c.take()) != 0 || s.Stats().Delivered != 0 {
		t.Error("negative sequence number acknowledged or delivered")
	}
}

func TestStreamCloseDrainsThenEOF(t *testing.T) {
	s, _, _ := newTestStream(t, RoleClient, nil)
	s.Receive(frame(t, TypeOutputStreamData, 0, PayloadOutput, []byte("last words")))
	s.Receive(frame(t, TypeOutputStreamData, 1, PayloadExitCode, ExitCodePayload(3)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	got, err := io.ReadAll(s)
	if err != nil || string(got) != "last words" {
		t.Errorf("ReadAll after Close = %q, %v", got, err)
	}
	d, err := s.ReadMessage(context.Background())
	if code, _ := ParseExitCode(d.Payload); err != nil || code != 3 {
		t.Errorf("ReadMessage after Close = %v, %v", d, err)
	}
	if _, err := s.ReadMessage(context.Background()); err != io.EOF {
		t.Errorf("ReadMessage when drained = %v, want EOF", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if _, err := s.Receive(frame(t, TypeOutputStreamData, 2, PayloadOutput, []byte("x"))); !errors.Is(err, ErrClosed) {
		t.Errorf("Receive after Close = %v", err)
	}
	if _, err := s.Receive(peerAck(t, TypeInputStreamData, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Receive(ack) after Close = %v", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v", err)
	}
	s.Resume()
	if err := s.Tick(); err != nil {
		t.Errorf("Tick after Close = %v", err)
	}
}

func TestStreamReadBlocksUntilData(t *testing.T) {
	s, _, _ := newTestStream(t, RoleClient, nil)
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(s)
		got <- string(b)
	}()
	s.Receive(frame(t, TypeOutputStreamData, 1, PayloadOutput, []byte("world")))
	s.Receive(frame(t, TypeOutputStreamData, 0, PayloadOutput, []byte("hello ")))
	s.Flush(context.Background()) // nothing written: returns at once
	s.Close()
	if g := <-got; g != "hello world" {
		t.Errorf("read %q", g)
	}
	if n, err := s.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) = %d, %v", n, err)
	}
}

func TestStreamFlush(t *testing.T) {
	s, _, _ := newTestStream(t, RoleAgent, nil)
	s.WriteMessage(context.Background(), PayloadOutput, []byte("x"))
	if err := s.Flush(canceled()); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with a message unacknowledged = %v", err)
	}
	done := make(chan error)
	go func() { done <- s.Flush(context.Background()) }()
	s.Receive(peerAck(t, TypeOutputStreamData, 0))
	if err := <-done; err != nil {
		t.Errorf("Flush = %v", err)
	}
	s.WriteMessage(context.Background(), PayloadOutput, []byte("y"))
	go func() { done <- s.Flush(context.Background()) }()
	s.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Flush at Close = %v", err)
	}
}

func TestStreamResendLimit(t *testing.T) {
	s, c, clk := newTestStream(t, RoleClient, func(c *Config) { c.ResendLimit = 3 })
	s.WriteMessage(context.Background(), PayloadOutput, []byte("x"))
	for i := 1; i <= 3; i++ {
		clk.Advance(MaxRTO + time.Millisecond)
		err := s.Tick()
		if (i < 3) != (err == nil) || (err != nil && !errors.Is(err, ErrResendLimit)) {
			t.Errorf("tick %d: %v", i, err)
		}
	}
	if n := len(c.take()); n != 4 {
		t.Errorf("%d frames, want 4", n)
	}
}

func TestStreamSendErrorsAreCounted(t *testing.T) {
	s, c, clk := newTestStream(t, RoleClient, nil)
	c.err = errors.New("transport down")
	if _, err := s.Write([]byte("kept")); err != nil {
		t.Fatalf("Write with the transport down = %v; the data must stay buffered", err)
	}
	clk.Advance(time.Second)
	s.Tick()
	if st := s.Stats(); st.SendErrors != 2 || st.Unacked != 1 {
		t.Errorf("stats %+v", st)
	}
	c.err = nil
	s.Resume()
	if f := c.take(); len(f) != 1 || string(decode(t, f[0]).Payload) != "kept" {
		t.Errorf("Resume sent %d frames", len(f))
	}
}

func TestStreamRunAndClose(t *testing.T) {
	s, _, _ := newTestStream(t, RoleClient, nil)
	ran := make(chan error)
	started := make(chan struct{})
	go func() {
		close(started)
		ran <- s.Run(context.Background())
	}()
	<-started
	s.Close() // waits for Run if it registered; Run returns nil or ErrClosed otherwise
	if err := <-ran; err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("Run = %v", err)
	}

	s2, _, _ := newTestStream(t, RoleClient, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { ran <- s2.Run(ctx) }()
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
}

func TestStreamRunStopsOnResendLimit(t *testing.T) {
	// A real clock: Run ticks every 100 ms, the message is resent once
	// its 200 ms RTO has passed, and the limit of 1 ends Run.
	s, err := NewStream(Config{Role: RoleClient, Send: func([]byte) error { return nil }, ResendLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("x"))
	if err := s.Run(context.Background()); !errors.Is(err, ErrResendLimit) || !strings.Contains(err.Error(), "message 0") {
		t.Errorf("Run = %v", err)
	}
}

func TestStreamRestart(t *testing.T) {
	s, c, clk := newTestStream(t, RoleAgent, nil)
	ctx := context.Background()
	for _, p := range []string{"a", "b", "c"} {
		s.WriteMessage(ctx, PayloadOutput, []byte(p)) // seq 0, 1, 2
	}
	s.Receive(peerAck(t, TypeOutputStreamData, 0))
	s.Receive(frame(t, TypeInputStreamData, 0, PayloadOutput, []byte("x")))
	s.Receive(frame(t, TypeInputStreamData, 2, PayloadOutput, []byte("z"))) // ahead of a gap
	s.Receive(control(t, TypePausePublication, nil))
	c.take()

	s.Restart()
	st := s.Stats()
	if st.NextSequence != 0 || st.ExpectedSequence != 0 || st.Unacked != 0 || !st.Paused {
		t.Fatalf("after Restart: %+v", st)
	}
	// What the previous peer did not acknowledge is not the new one's.
	s.Resume()
	clk.Advance(5 * time.Second)
	s.Tick()
	if f := c.take(); len(f) != 0 {
		t.Fatalf("sent %v after Restart, want nothing", seqs(t, f))
	}
	// What was delivered stays for the reader.
	buf := make([]byte, 8)
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "x" {
		t.Fatalf("Read = %q, %v; want the input delivered before Restart", buf[:n], err)
	}
	// The new peer's stream starts at 0 both ways; 2 is no longer held.
	s.WriteMessage(ctx, PayloadOutput, []byte("d"))
	for _, seq := range []int64{0, 1, 2} {
		s.Receive(frame(t, TypeInputStreamData, seq, PayloadOutput, []byte{'0' + byte(seq)}))
	}
	var data, acked []int64
	for _, f := range c.take() {
		m := decode(t, f)
		switch m.MessageType {
		case TypeOutputStreamData:
			data = append(data, m.SequenceNumber)
			if m.Flags != SYN {
				t.Errorf("first message of the new stream has flags %d, want SYN", m.Flags)
			}
		case TypeAcknowledge:
			acked = append(acked, acks(t, [][]byte{f})...)
		}
	}
	if diff := cmp.Diff([]int64{0}, data); diff != "" {
		t.Errorf("data sent (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]int64{0, 1, 2}, acked); diff != "" {
		t.Errorf("acknowledged (-want +got)\n%s", diff)
	}
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "012" {
		t.Errorf("Read = %q, %v; want the new peer's input", buf[:n], err)
	}
	// A frame made before a Restart is never sent after it.
	epoch := s.epoch.Load()
	s.Restart()
	s.transmit(epoch, []byte("stale"))
	if f := c.take(); len(f) != 0 {
		t.Errorf("a frame of before Restart was sent after it")
	}
}

// TestStreamRestartWhileWriting: a writer goes on while the Stream
// restarts; after each Restart the frames sent number from 0, none of
// them made before it.
func TestStreamRestartWhileWriting(t *testing.T) {
	var mu sync.Mutex
	var log []int64 // sequence numbers sent, -1 for a Restart
	s, err := NewStream(Config{Role: RoleAgent, Rand: seededRand(2), SendWindow: 1 << 20, Send: func(f []byte) error {
		var m Message
		if err := Unmarshal(f, &m); err != nil {
			return err
		}
		mu.Lock()
		log = append(log, m.SequenceNumber)
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20000; i++ {
			if err := s.WriteMessage(context.Background(), PayloadOutput, []byte{byte(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		s.Restart()
		mu.Lock()
		log = append(log, -1)
		mu.Unlock()
		runtime.Gosched()
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	next := int64(-1) // before the first Restart anything goes
	for i, seq := range log {
		switch {
		case seq == -1:
			next = 0
		case next < 0:
		case seq != next:
			t.Fatalf("entry %d: sequence number %d after a Restart, want %d", i, seq, next)
		default:
			next++
		}
	}
}
