package protocol

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// simNet is a deterministic lossy network between two Streams, driven by
// one goroutine: every frame a Stream sends is lost, duplicated or
// delayed by a random latency (which reorders frames) drawn from a
// seeded generator, and now and then the connection drops, losing every
// frame in flight, and comes back after a while, when both ends Resume.
type simNet struct {
	t     testing.TB
	rng   *rand.Rand
	clk   *fakeClock
	peers [2]*Stream

	loss, dup      float64
	minLat, maxLat time.Duration
	outage         float64 // chance per step that the connection drops
	downUntil      time.Time
	queue          []simFrame
}

type simFrame struct {
	at    time.Time
	to    int
	frame []byte
}

func (n *simNet) down() bool { return n.clk.Now().Before(n.downUntil) }

// sendTo is Config.Send for the Stream whose peer is peers[to].
func (n *simNet) sendTo(to int) func([]byte) error {
	return func(f []byte) error {
		if n.down() {
			return errors.New("connection down")
		}
		if n.rng.Float64() < n.loss {
			return nil
		}
		copies := 1
		if n.rng.Float64() < n.dup {
			copies = 2
		}
		for range copies {
			lat := n.minLat + time.Duration(n.rng.Int64N(int64(n.maxLat-n.minLat)+1))
			n.queue = append(n.queue, simFrame{at: n.clk.Now().Add(lat), to: to, frame: f})
		}
		return nil
	}
}

// step delivers the frames that are due, in random order.
func (n *simNet) step() {
	now := n.clk.Now()
	var due []simFrame
	kept := n.queue[:0]
	for _, f := range n.queue {
		if f.at.After(now) {
			kept = append(kept, f)
		} else {
			due = append(due, f)
		}
	}
	clear(n.queue[len(kept):])
	n.queue = kept
	n.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	for _, f := range due {
		if m, err := n.peers[f.to].Receive(f.frame); m != nil || err != nil {
			n.t.Fatalf("Receive = %v, %v", m, err)
		}
	}
}

// simEnd writes one direction's data and checks what the other end reads.
type simEnd struct {
	s       *Stream
	out     []byte // to write
	written int
	in      []byte // expected to read
	read    int
}

func (e *simEnd) write(t testing.TB, rng *rand.Rand) {
	window := e.s.cfg.SendWindow
	for e.written < len(e.out) {
		n := min(1+rng.IntN(8192), len(e.out)-e.written)
		if e.s.Stats().Unacked+(n+StreamDataPayloadSize-1)/StreamDataPayloadSize > window {
			return // Write would block: the single-goroutine simulation must not
		}
		if _, err := e.s.Write(e.out[e.written : e.written+n]); err != nil {
			t.Fatal(err)
		}
		e.written += n
	}
}

func (e *simEnd) readAvailable(t testing.TB, buf []byte) {
	for e.s.Stats().Readable > 0 {
		n, err := e.s.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if e.read+n > len(e.in) || !bytes.Equal(buf[:n], e.in[e.read:e.read+n]) {
			t.Fatalf("byte %d: read data that differs from what was written", e.read)
		}
		e.read += n
	}
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	seededRand(seed).Read(b)
	return b
}

// TestStreamLossyNetwork sends 10 MB from agent to client and 1 MB back
// over a network that loses 5% of frames, duplicates 3%, reorders
// everything (1-40 ms latency) and drops the connection from time to
// time. Everything must arrive byte-exact, in order, exactly once.
func TestStreamLossyNetwork(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run("seed"+string(rune('0'+seed)), func(t *testing.T) {
			if testing.Short() && seed > 1 {
				t.Skip("short")
			}
			runLossy(t, seed, 10<<20, 1<<20)
		})
	}
}

func runLossy(t *testing.T, seed uint64, down, up int) {
	clk := newFakeClock()
	n := &simNet{
		t: t, rng: rand.New(seededRand(seed)), clk: clk,
		loss: 0.05, dup: 0.03, minLat: time.Millisecond, maxLat: 40 * time.Millisecond,
		outage: 0.002,
	}
	newEnd := func(role Role, to int) *Stream {
		s, err := NewStream(Config{Role: role, Send: n.sendTo(to), Clock: clk, Rand: seededRand(seed + uint64(role))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	client, agent := newEnd(RoleClient, 1), newEnd(RoleAgent, 0)
	n.peers = [2]*Stream{client, agent}
	toClient, toAgent := randomBytes(seed*10, down), randomBytes(seed*10+1, up)
	a := &simEnd{s: agent, out: toClient, in: toAgent}
	c := &simEnd{s: client, out: toAgent, in: toClient}

	const stepTime = 5 * time.Millisecond
	buf := make([]byte, 32<<10)
	outages, wasDown := 0, false
	for step := 0; ; step++ {
		if step > 200_000 {
			t.Fatalf("no progress: agent read %d of %d, client read %d of %d", a.read, len(a.in), c.read, len(c.in))
		}
		a.write(t, n.rng)
		c.write(t, n.rng)
		n.step()
		a.readAvailable(t, buf)
		c.readAvailable(t, buf)
		if a.read == len(a.in) && c.read == len(c.in) && agent.Stats().Unacked == 0 && client.Stats().Unacked == 0 {
			break
		}

		clk.Advance(stepTime)
		if step%int(TickInterval/stepTime) == 0 {
			for _, s := range n.peers {
				if err := s.Tick(); err != nil {
					t.Fatal(err)
				}
			}
		}
		switch {
		case !n.down() && n.rng.Float64() < n.outage:
			n.queue = nil // the connection drops with everything in flight
			n.downUntil = clk.Now().Add(time.Duration(100+n.rng.IntN(400)) * time.Millisecond)
			wasDown = true
			outages++
		case wasDown && !n.down():
			wasDown = false
			agent.Resume() // both ends reconnected
			client.Resume()
		}
	}
	sa, sc := agent.Stats(), client.Stats()
	t.Logf("fake time %v, %d outages; agent %+v; client %+v", clk.Now().Sub(epoch), outages, sa, sc)
	if sc.Duplicates == 0 || sc.OutOfOrder == 0 || sa.Retransmits == 0 || outages == 0 {
		t.Error("the network did not exercise duplicates, reordering, retransmission and outages")
	}
	if sc.Delivered != sa.Written || sa.Delivered != sc.Written {
		t.Errorf("delivered %d/%d messages, written %d/%d", sc.Delivered, sa.Delivered, sa.Written, sc.Written)
	}
}

// TestStreamConcurrentLossy runs both ends with their own writer and
// reader goroutines, a network goroutine that loses, duplicates and
// reorders frames and drops the connection, and checks the bytes; it is
// here for the race detector.
func TestStreamConcurrentLossy(t *testing.T) {
	clk := newFakeClock()
	var (
		mu     sync.Mutex // protects queue
		queue  []simFrame
		notify = make(chan struct{}, 1)
	)
	sendTo := func(to int) func([]byte) error {
		return func(f []byte) error {
			mu.Lock()
			queue = append(queue, simFrame{to: to, frame: f})
			mu.Unlock()
			select {
			case notify <- struct{}{}:
			default:
			}
			return nil
		}
	}
	var peers [2]*Stream
	for i, role := range []Role{RoleClient, RoleAgent} {
		s, err := NewStream(Config{Role: role, Send: sendTo(1 - i), Clock: clk, SendWindow: 256})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		peers[i] = s
	}
	client, agent := peers[0], peers[1]
	toClient, toAgent := randomBytes(7, 4<<20), randomBytes(8, 1<<20)

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the network
		defer wg.Done()
		rng := rand.New(seededRand(9))
		var pool []simFrame
		for {
			mu.Lock()
			for _, f := range queue {
				if rng.Float64() < 0.05 {
					continue
				}
				pool = append(pool, f)
				if rng.Float64() < 0.03 {
					pool = append(pool, f)
				}
			}
			queue = queue[:0]
			mu.Unlock()

			if len(pool) > 0 {
				i := rng.IntN(len(pool))
				f := pool[i]
				pool[i] = pool[len(pool)-1]
				pool = pool[:len(pool)-1]
				if _, err := peers[f.to].Receive(f.frame); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
				if rng.Float64() < 0.0005 {
					pool = nil // connection lost
					client.Resume()
					agent.Resume()
				}
				continue
			}
			// Idle: let time pass so unacknowledged messages are resent.
			clk.Advance(50 * time.Millisecond)
			client.Tick()
			agent.Tick()
			if client.Stats().Unacked+agent.Stats().Unacked > 0 {
				continue
			}
			select {
			case <-done:
				return
			case <-notify:
			}
		}
	}()
	check := func(name string, w io.Writer, data []byte, r io.Reader) {
		var rw sync.WaitGroup
		rw.Add(1)
		go func() {
			defer rw.Done()
			if _, err := w.Write(data); err != nil {
				t.Errorf("%s: write: %v", name, err)
			}
		}()
		got := make([]byte, len(data))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Errorf("%s: read: %v", name, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: data differs", name)
		}
		rw.Wait()
	}
	var ends sync.WaitGroup
	ends.Add(2)
	go func() { defer ends.Done(); check("agent→client", agent, toClient, client) }()
	go func() { defer ends.Done(); check("client→agent", client, toAgent, agent) }()
	ends.Wait()
	close(done)
	select {
	case notify <- struct{}{}:
	default:
	}
	wg.Wait()
}
