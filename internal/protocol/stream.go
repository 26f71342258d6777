package protocol

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Role says which end of a data channel a Stream is.
type Role uint8

const (
	// RoleClient sends input_stream_data and receives output_stream_data.
	RoleClient Role = iota + 1
	// RoleAgent sends output_stream_data and receives input_stream_data.
	RoleAgent
)

func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleAgent:
		return "agent"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Clock tells a Stream the time: the send time of each message, from
// which retransmission and round-trip times are computed.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Stream defaults and limits.
const (
	// DefaultSendWindow is the default number of unacknowledged messages
	// a Stream keeps before Write blocks.
	DefaultSendWindow = 4096
	// DefaultReceiveBuffer is the default number of bytes a Stream holds
	// for its reader (delivered and out of order) before it drops new
	// data unacknowledged, which makes the peer retransmit it later.
	DefaultReceiveBuffer = 8 << 20
	// IncomingBufferCapacity is the number of out-of-order messages a
	// Stream keeps, as the plugin does.
	IncomingBufferCapacity = 10000

	// resendBurst caps the retransmissions of one Tick. AWS resends only
	// the oldest message per tick; see the package documentation.
	resendBurst = 16
	// msgOverhead is what a buffered message costs beyond its payload.
	msgOverhead = 64
)

// Config configures a Stream. Send and Role are required.
type Config struct {
	// Role is the end of the channel the Stream is.
	Role Role
	// Send writes one frame to the transport (a binary WebSocket
	// message). The Stream calls it without holding its lock, from
	// Write, Receive (acknowledgements), Tick and Resume, possibly at the
	// same time: it must be safe for concurrent use. It must not call
	// Close. The Stream never modifies a frame after passing it to Send.
	// An error is counted and otherwise ignored: the frame stays
	// unacknowledged and is sent again by Tick or Resume, so Send may
	// fail while the transport is down.
	Send func(frame []byte) error
	// Clock defaults to the system clock.
	Clock Clock
	// Rand is the source of message ids; it defaults to crypto/rand. It
	// is only read with the Stream's lock held.
	Rand io.Reader
	// ChunkSize is the largest payload Write puts in a message:
	// StreamDataPayloadSize (1024) by default, as AWS's programs send.
	ChunkSize int
	// SendWindow is the number of unacknowledged messages after which
	// Write and WriteMessage block: DefaultSendWindow by default.
	SendWindow int
	// ReceiveBuffer bounds the bytes held for the reader:
	// DefaultReceiveBuffer by default.
	ReceiveBuffer int
	// ResendLimit, if positive, makes Tick return ErrResendLimit once a
	// message has been retransmitted that many times. The plugin gives
	// up after 3000 (five minutes); the agent never does.
	ResendLimit int
	// Strict decodes received frames with Decoder.Strict.
	Strict bool
}

func (c *Config) checkAndSetDefaults() error {
	if c.Role != RoleClient && c.Role != RoleAgent {
		return fmt.Errorf("protocol: stream config: role %d is neither client nor agent", c.Role)
	}
	if c.Send == nil {
		return errors.New("protocol: stream config: Send is required")
	}
	if c.ChunkSize < 0 || c.ChunkSize > MaxPayloadSize || c.SendWindow < 0 || c.ReceiveBuffer < 0 || c.ResendLimit < 0 {
		return errors.New("protocol: stream config: sizes and limits must not be negative, chunks must fit in a frame")
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = StreamDataPayloadSize
	}
	if c.SendWindow == 0 {
		c.SendWindow = DefaultSendWindow
	}
	if c.ReceiveBuffer == 0 {
		c.ReceiveBuffer = DefaultReceiveBuffer
	}
	return nil
}

// Data is one stream-data message as delivered to the reader.
type Data struct {
	PayloadType PayloadType
	Payload     []byte
}

// Stats are a Stream's counters.
type Stats struct {
	Written     uint64 // data messages written
	Retransmits uint64 // data messages sent again (Tick, Resume, start_publication)
	Acked       uint64 // data messages acknowledged by the peer
	Received    uint64 // data messages received, duplicates included
	Delivered   uint64 // data messages delivered in order
	Duplicates  uint64 // data messages received again (acknowledged again, not delivered)
	OutOfOrder  uint64 // data messages buffered ahead of a gap
	Dropped     uint64 // data messages dropped unacknowledged: buffers full
	Malformed   uint64 // frames refused by Receive
	SendErrors  uint64 // errors returned by Config.Send

	Unacked          int   // messages written and not yet acknowledged
	Readable         int   // Output bytes waiting for Read
	Pending          int   // other messages waiting for ReadMessage
	NextSequence     int64 // sequence number of the next message written
	ExpectedSequence int64 // sequence number of the next message to deliver
	RTT, RTO         time.Duration
	Paused           bool
}

// Stream is one end of a data channel's reliable, ordered stream of
// messages over a transport that may lose, repeat and reorder frames
// (a WebSocket that drops and reconnects; a relay that discards while a
// side is away). Create it with NewStream; feed it every frame read from
// the transport with Receive; call Tick every TickInterval (Run does);
// call Resume after the transport reconnects, and Restart when a new
// peer takes the other end over.
//
// Writing: Write sends bytes as PayloadOutput messages of at most
// ChunkSize bytes; WriteMessage sends one message of any payload type.
// Each gets the next sequence number, is sent, and is kept until the peer
// acknowledges it. Both block while SendWindow messages are
// unacknowledged.
//
// Reading: data messages are delivered exactly once and in sequence
// order. Read returns the bytes of PayloadOutput messages; ReadMessage
// returns the messages of every other payload type (Size, Flag, the
// handshake, StdErr, ExitCode), in order among themselves. A Stream's
// owner reads both: unread data counts against ReceiveBuffer.
//
// All methods are safe for concurrent use. A Stream starts no goroutine;
// Close makes Run return and waits for it.
type Stream struct {
	cfg      Config
	sendType MessageType
	recvType MessageType
	decoder  Decoder
	done     chan struct{} // closed by Close
	runs     sync.WaitGroup

	// txMu is held shared while frames are sent, and by Restart
	// exclusively: once Restart returns, no frame of before it is sent.
	txMu  sync.RWMutex
	epoch atomic.Uint64 // counts Restarts; changed with txMu and mu held

	mu     sync.Mutex // protects the following
	closed bool
	paused bool
	wake   chan struct{} // closed on a state change; nil when nobody waits

	nextSeq int64
	out     []*outEntry // written, not yet trimmed; sorted by seq
	unacked int
	tombs   int // acknowledged entries still in out
	rtt     rttEstimator

	expected   int64
	early      map[int64]Data // received ahead of expected
	earlyBytes int
	text       [][]byte // Output payloads for Read
	textOff    int      // read offset in text[0]
	textBytes  int
	msgs       []Data // other payloads for ReadMessage
	msgBytes   int

	idBuf [16]byte
	stats Stats
}

type outEntry struct {
	seq      int64
	frame    []byte // nil once acknowledged
	lastSent time.Time
	sent     bool // false while written during a pause
	acked    bool
	resends  int
}

// NewStream returns a Stream for cfg.
func NewStream(cfg Config) (*Stream, error) {
	if err := cfg.checkAndSetDefaults(); err != nil {
		return nil, err
	}
	s := &Stream{
		cfg:     cfg,
		decoder: Decoder{Strict: cfg.Strict},
		done:    make(chan struct{}),
		rtt:     newRTTEstimator(),
		early:   make(map[int64]Data),
	}
	s.sendType, s.recvType = TypeInputStreamData, TypeOutputStreamData
	if cfg.Role == RoleAgent {
		s.sendType, s.recvType = TypeOutputStreamData, TypeInputStreamData
	}
	return s, nil
}

// Write sends p as PayloadOutput messages of at most ChunkSize bytes. It
// returns once every message is sent (or buffered during a pause); it
// does not wait for acknowledgements.
func (s *Stream) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), s.cfg.ChunkSize)
		if err := s.WriteMessage(context.Background(), PayloadOutput, p[:c]); err != nil {
			return n, err
		}
		n += c
		p = p[c:]
	}
	return n, nil
}

// WriteMessage sends payload as one message of type pt. It blocks while
// the send window is full, until ctx is done or the Stream is closed.
// AWS's readers ignore empty payloads; so should callers.
func (s *Stream) WriteMessage(ctx context.Context, pt PayloadType, payload []byte) error {
	if len(payload) > MaxPayloadSize {
		return &FrameError{Field: "Payload", Err: ErrTooLarge,
			Detail: fmt.Sprintf("%d bytes, limit %d", len(payload), MaxPayloadSize)}
	}
	s.mu.Lock()
	for !s.closed && s.unacked >= s.cfg.SendWindow {
		if err := s.waitLocked(ctx); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	frame, err := s.enqueueLocked(pt, payload)
	send := err == nil && !s.paused
	epoch := s.epoch.Load()
	s.mu.Unlock()
	if send {
		s.transmit(epoch, frame)
	}
	return err
}

func (s *Stream) enqueueLocked(pt PayloadType, payload []byte) ([]byte, error) {
	id, err := s.newIDLocked()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	m := Message{
		MessageType:    s.sendType,
		SchemaVersion:  SchemaVersion,
		CreatedDate:    millis(now),
		SequenceNumber: s.nextSeq,
		MessageID:      id,
		PayloadType:    pt,
		Payload:        payload,
	}
	if s.cfg.Role == RoleAgent && s.nextSeq == 0 {
		m.Flags = SYN // as AWS's agent does
	}
	frame, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	s.out = append(s.out, &outEntry{seq: s.nextSeq, frame: frame, lastSent: now, sent: !s.paused})
	s.nextSeq++
	s.unacked++
	s.stats.Written++
	return frame, nil
}

// Receive handles one frame read from the transport; the Stream does
// not retain frame. Stream data of the peer's type is acknowledged and delivered,
// acknowledgements release written messages, and start_publication and
// pause_publication resume and pause sending; for these Receive returns
// a nil Message. Any other message (channel_closed, agent_session_state,
// ...) is returned for the caller to handle; its Payload aliases frame.
//
// An error means the frame was refused (a *FrameError, a bad
// acknowledgement) or the Stream is closed; the Stream is unaffected and
// the caller may log the error and carry on, as AWS's programs do.
func (s *Stream) Receive(frame []byte) (*Message, error) {
	var m Message
	if err := s.decoder.Unmarshal(frame, &m); err != nil {
		s.countMalformed()
		return nil, err
	}
	switch m.MessageType {
	case s.recvType:
		return nil, s.receiveData(&m)
	case TypeAcknowledge:
		return nil, s.receiveAck(&m)
	case TypePausePublication:
		s.mu.Lock()
		s.paused = true
		s.mu.Unlock()
		return nil, nil
	case TypeStartPublication:
		s.resend(true)
		return nil, nil
	}
	other := m
	return &other, nil
}

func (s *Stream) countMalformed() {
	s.mu.Lock()
	s.stats.Malformed++
	s.mu.Unlock()
}

func (s *Stream) receiveData(m *Message) error {
	seq := m.SequenceNumber
	if seq < 0 {
		s.countMalformed()
		return &FrameError{Field: "SequenceNumber", Err: ErrMalformed, Detail: fmt.Sprintf("%d is negative", seq)}
	}
	cost := len(m.Payload)
	if m.PayloadType != PayloadOutput {
		cost += msgOverhead
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.stats.Received++
	resends := s.unpauseLocked(false)
	held := s.textBytes + s.msgBytes + s.earlyBytes
	ack := true
	switch {
	case seq == s.expected:
		if s.textBytes+s.msgBytes > 0 && held+cost > s.cfg.ReceiveBuffer {
			s.stats.Dropped++ // the reader is behind: the peer will send it again
			ack = false
			break
		}
		s.deliverLocked(Data{m.PayloadType, bytes.Clone(m.Payload)})
		for {
			d, ok := s.early[s.expected]
			if !ok {
				break
			}
			delete(s.early, s.expected)
			s.earlyBytes -= costOf(d)
			s.deliverLocked(d)
		}
	case seq > s.expected:
		if _, dup := s.early[seq]; dup {
			s.stats.Duplicates++
			break
		}
		if len(s.early) >= IncomingBufferCapacity || held+len(m.Payload)+msgOverhead > s.cfg.ReceiveBuffer {
			s.stats.Dropped++
			ack = false
			break
		}
		d := Data{m.PayloadType, bytes.Clone(m.Payload)}
		s.early[seq] = d
		s.earlyBytes += costOf(d)
		s.stats.OutOfOrder++
	default:
		s.stats.Duplicates++ // acknowledged again: our acknowledgement was lost
	}
	var ackID UUID
	var ackTime time.Time
	var err error
	if ack {
		ackID, err = s.newIDLocked()
		ackTime = s.cfg.Clock.Now()
	}
	epoch := s.epoch.Load()
	s.mu.Unlock()

	s.transmit(epoch, resends...)
	if !ack || err != nil {
		return err
	}
	s.transmit(epoch, ackFrame(m, ackID, ackTime))
	return nil
}

// costOf is what an out-of-order message counts against ReceiveBuffer.
func costOf(d Data) int { return len(d.Payload) + msgOverhead }

func (s *Stream) deliverLocked(d Data) {
	s.expected++
	s.stats.Delivered++
	if d.PayloadType == PayloadOutput {
		if len(d.Payload) == 0 {
			return
		}
		s.text = append(s.text, d.Payload)
		s.textBytes += len(d.Payload)
	} else {
		s.msgs = append(s.msgs, d)
		s.msgBytes += len(d.Payload) + msgOverhead
	}
	s.broadcastLocked()
}

// ackFrame returns the acknowledgement of m as AWS's receivers write it.
func ackFrame(m *Message, id UUID, now time.Time) []byte {
	var buf [200]byte
	ack := Message{
		MessageType:   TypeAcknowledge,
		SchemaVersion: SchemaVersion,
		CreatedDate:   millis(now),
		Flags:         ControlFlags,
		MessageID:     id,
		Payload:       appendAck(buf[:0], m.MessageType, m.MessageID, m.SequenceNumber),
	}
	frame, err := ack.AppendBinary(make([]byte, 0, HeaderSize+len(ack.Payload)))
	if err != nil {
		panic("protocol: acknowledge does not marshal: " + err.Error()) // the type is a constant
	}
	return frame
}

// newIDLocked returns a random message id.
func (s *Stream) newIDLocked() (UUID, error) {
	if _, err := io.ReadFull(s.cfg.Rand, s.idBuf[:]); err != nil {
		return UUID{}, fmt.Errorf("protocol: message id: %w", err)
	}
	return UUID(s.idBuf).v4(), nil
}

func (s *Stream) receiveAck(m *Message) error {
	seq, err := ackSequence(m.Payload)
	if err != nil {
		s.countMalformed()
		return fmt.Errorf("protocol: acknowledge payload: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	resends := s.unpauseLocked(false)
	i := sort.Search(len(s.out), func(i int) bool { return s.out[i].seq >= seq })
	if i < len(s.out) && s.out[i].seq == seq && !s.out[i].acked {
		e := s.out[i]
		s.rtt.sample(s.cfg.Clock.Now().Sub(e.lastSent))
		e.acked, e.frame = true, nil
		s.unacked--
		s.tombs++
		s.stats.Acked++
		s.trimLocked()
		s.broadcastLocked()
	}
	epoch := s.epoch.Load()
	s.mu.Unlock()
	s.transmit(epoch, resends...)
	return nil
}

// trimLocked drops acknowledged entries from the front of out, and
// compacts out when acknowledged entries behind an unacknowledged one
// (the plugin never acknowledges a message twice) make up half of it.
func (s *Stream) trimLocked() {
	i := 0
	for i < len(s.out) && s.out[i].acked {
		s.out[i] = nil
		i++
	}
	s.out = s.out[i:]
	s.tombs -= i
	if s.tombs > 64 && 2*s.tombs > len(s.out) {
		live := s.out[:0]
		for _, e := range s.out {
			if !e.acked {
				live = append(live, e)
			}
		}
		clear(s.out[len(live):])
		s.out = live
		s.tombs = 0
	}
}

// unpauseLocked clears a pause and returns the frames to send: those
// written during the pause, or, with all, every unacknowledged one.
func (s *Stream) unpauseLocked(all bool) [][]byte {
	if !s.paused && !all {
		return nil
	}
	s.paused = false
	now := s.cfg.Clock.Now()
	var frames [][]byte
	for _, e := range s.out {
		if e.acked || (e.sent && !all) {
			continue
		}
		if e.sent {
			s.stats.Retransmits++
			e.resends++
		}
		e.sent, e.lastSent = true, now
		frames = append(frames, e.frame)
	}
	return frames
}

// resend clears a pause and sends what it held back, or with all every
// unacknowledged message.
func (s *Stream) resend(all bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	frames := s.unpauseLocked(all)
	epoch := s.epoch.Load()
	s.mu.Unlock()
	s.transmit(epoch, frames...)
}

// Resume sends every unacknowledged message again, oldest first, and
// clears a pause. Call it when the transport has reconnected: nothing
// the peer has not acknowledged is lost, and the peer drops what it
// already has.
func (s *Stream) Resume() { s.resend(true) }

// Tick retransmits unacknowledged messages last sent more than the
// retransmission timeout ago, oldest first, at most 16 per call; it does
// nothing while paused. Call it every TickInterval (Run does). It returns
// ErrResendLimit (wrapped) when a message reaches Config.ResendLimit.
func (s *Stream) Tick() error {
	s.mu.Lock()
	if s.closed || s.paused {
		s.mu.Unlock()
		return nil
	}
	now := s.cfg.Clock.Now()
	var frames [][]byte
	var err error
	for _, e := range s.out {
		if e.acked || !e.sent || now.Sub(e.lastSent) <= s.rtt.rto {
			continue
		}
		e.lastSent = now
		e.resends++
		s.stats.Retransmits++
		frames = append(frames, e.frame)
		if s.cfg.ResendLimit > 0 && e.resends >= s.cfg.ResendLimit && err == nil {
			err = fmt.Errorf("%w: message %d resent %d times", ErrResendLimit, e.seq, e.resends)
		}
		if len(frames) == resendBurst {
			break
		}
	}
	epoch := s.epoch.Load()
	s.mu.Unlock()
	s.transmit(epoch, frames...)
	return err
}

// transmit sends frames made in epoch, unless the Stream has restarted
// since.
func (s *Stream) transmit(epoch uint64, frames ...[]byte) {
	if len(frames) == 0 {
		return
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	if s.epoch.Load() != epoch {
		return
	}
	for _, f := range frames {
		if err := s.cfg.Send(f); err != nil {
			s.mu.Lock()
			s.stats.SendErrors++
			s.mu.Unlock()
		}
	}
}

// Restart makes the Stream the start of a new stream, for a new peer
// (another client of the same session; see ClientStream): sequence
// numbers start from 0 again in both directions, the messages written
// and not acknowledged are dropped (writers blocked on the send window
// go on), and so are those received out of order. What was delivered
// stays for the reader, and a pause stays. Once Restart returns, no
// frame made before it is sent; it waits for the sends in progress.
func (s *Stream) Restart() {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.epoch.Add(1)
	clear(s.out)
	s.out, s.unacked, s.tombs, s.nextSeq = nil, 0, 0, 0
	clear(s.early)
	s.earlyBytes, s.expected = 0, 0
	s.rtt = newRTTEstimator()
	s.broadcastLocked()
}

// Run calls Tick every TickInterval until ctx is done, the Stream is
// closed, or Tick fails. Close waits for it to return.
func (s *Stream) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.runs.Add(1)
	s.mu.Unlock()
	defer s.runs.Done()

	t := time.NewTicker(TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return nil
		case <-t.C:
			if err := s.Tick(); err != nil {
				return err
			}
		}
	}
}

// Read reads the bytes of delivered PayloadOutput messages. It blocks
// until some are there; after Close it returns what was delivered, then
// io.EOF.
func (s *Stream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.text) == 0 {
		if s.closed {
			return 0, io.EOF
		}
		_ = s.waitLocked(context.Background())
	}
	n := 0
	for n < len(p) && len(s.text) > 0 {
		c := copy(p[n:], s.text[0][s.textOff:])
		n += c
		s.textOff += c
		if s.textOff == len(s.text[0]) {
			s.text[0] = nil
			s.text = s.text[1:]
			s.textOff = 0
		}
	}
	s.textBytes -= n
	return n, nil
}

// ReadMessage returns the next delivered message whose payload type is
// not PayloadOutput. It blocks until there is one or ctx is done; after
// Close it returns what was delivered, then io.EOF.
func (s *Stream) ReadMessage(ctx context.Context) (Data, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.msgs) == 0 {
		if s.closed {
			return Data{}, io.EOF
		}
		if err := s.waitLocked(ctx); err != nil {
			return Data{}, err
		}
	}
	d := s.msgs[0]
	s.msgs[0] = Data{}
	s.msgs = s.msgs[1:]
	s.msgBytes -= len(d.Payload) + msgOverhead
	return d, nil
}

// Flush waits until the peer has acknowledged every message written, ctx
// is done, or the Stream is closed. AWS's agent waits up to two seconds
// for this before it closes a session; give ctx a deadline too, since the
// plugin never acknowledges a message twice and a lost acknowledgement
// (a dropped connection) leaves that message unacknowledged for good.
func (s *Stream) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.unacked > 0 {
		if s.closed {
			return ErrClosed
		}
		if err := s.waitLocked(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the Stream: writes fail with ErrClosed, received frames are
// refused, reads return what was delivered and then io.EOF. It waits for
// Run to return. Close is idempotent; it must not be called from Send.
func (s *Stream) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		s.broadcastLocked()
	}
	s.mu.Unlock()
	s.runs.Wait()
	return nil
}

// Stats returns the Stream's counters.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Unacked = s.unacked
	st.Readable = s.textBytes
	st.Pending = len(s.msgs)
	st.NextSequence = s.nextSeq
	st.ExpectedSequence = s.expected
	st.RTT = time.Duration(s.rtt.rtt)
	st.RTO = s.rtt.rto
	st.Paused = s.paused
	return st
}

// waitLocked releases s.mu until the Stream's state changes or ctx is
// done, then takes it again.
func (s *Stream) waitLocked(ctx context.Context) error {
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	wake := s.wake
	s.mu.Unlock()
	defer s.mu.Lock()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Stream) broadcastLocked() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// millis is a frame's CreatedDate for t. Readers refuse 0, so a clock
// at or before the epoch still gives 1.
func millis(t time.Time) uint64 {
	return uint64(max(t.UnixMilli(), 1))
}
