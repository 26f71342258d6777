package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Simulated agents. StartSession needs the target's agent on its control
// channel (it sends start_session there), so a node without one answers
// TargetNotConnected. Each simulated agent is a control channel as
// sesame-agent keeps one: it says hello with the node's information,
// heartbeats at the interval the server's hello asks for, and reads what
// the server sends. It opens no data channel: a session it is told to
// start stays Connecting, as with an agent slow to answer.
//
// Heartbeats are spread evenly over the interval, as a fleet's are, so
// the store records nodes/interval pings a second from the start (333
// for 10,000 nodes every 30 s).

// nodeToken returns node i's credentials. The server keeps only
// nodeTokenHash of them, so the seeding can store the hash directly.
func nodeToken(id string, rnd *rand.Rand) string {
	var b [32]byte
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return id + "." + base64.RawURLEncoding.EncodeToString(b[:])
}

// nodeTokenHash is what the server stores of a node token (it must stay
// the server's internal/server nodeTokenHash).
func nodeTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("sesame node token\x00" + token))
	return h[:]
}

// agents are the fleet's simulated agents.
type agents struct {
	f      *fleet
	conns  []*websocket.Conn // by node, the first len(conns) nodes
	every  time.Duration     // the heartbeat interval the server asked for
	wg     sync.WaitGroup    // the readers and the heartbeat loop
	starts atomic.Int64      // start_session messages received
	errs   atomic.Int64      // failed heartbeats and error messages received
	beats  atomic.Int64
}

// connectAgents opens the control channels of the first n nodes on
// workers goroutines.
func connectAgents(ctx context.Context, base string, f *fleet, n, workers int, progress io.Writer) (*agents, error) {
	a := &agents{f: f, conns: make([]*websocket.Conn, n), every: protocol.DefaultHeartbeatSeconds * time.Second}
	client := &http.Client{Transport: &http.Transport{
		DialContext:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:    -1, // upgraded connections are not reused
		IdleConnTimeout: time.Second,
	}}
	var mu sync.Mutex // protects a.every
	err := parallel(ctx, "agents", n, workers, progress, func(ctx context.Context, i int) error {
		conn, every, err := a.dial(ctx, client, base, i)
		if err != nil {
			return fmt.Errorf("agent of %s: %w", f.nodes[i].id, err)
		}
		a.conns[i] = conn
		if every > 0 {
			mu.Lock()
			a.every = every
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		a.close()
		return nil, err
	}
	for _, c := range a.conns {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.read(c)
		}()
	}
	return a, nil
}

// dial opens node i's control channel and says hello; it returns the
// heartbeat interval the server answered with.
func (a *agents) dial(ctx context.Context, client *http.Client, base string, i int) (*websocket.Conn, time.Duration, error) {
	n := &a.f.nodes[i]
	conn, _, err := websocket.Dial(ctx, base+"/agent/v1/control", &websocket.DialOptions{
		HTTPClient: client,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + n.token}},
	})
	if err != nil {
		return nil, 0, err
	}
	conn.SetReadLimit(1 << 20)
	hello := &protocol.ControlMessage{Type: protocol.ControlHello, Info: &n.info}
	if err := writeControl(ctx, conn, hello); err != nil {
		conn.CloseNow()
		return nil, 0, err
	}
	_, data, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, 0, fmt.Errorf("hello: %w", err)
	}
	m, err := protocol.DecodeControl(data)
	if err != nil || m.Type != protocol.ControlHello {
		conn.CloseNow()
		return nil, 0, fmt.Errorf("hello answered with %s", data)
	}
	return conn, time.Duration(m.HeartbeatSeconds) * time.Second, nil
}

func writeControl(ctx context.Context, c *websocket.Conn, m *protocol.ControlMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, b)
}

// read counts what the server sends until the channel closes.
func (a *agents) read(c *websocket.Conn) {
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		m, err := protocol.DecodeControl(data)
		switch {
		case err != nil || m.Type == protocol.ControlError:
			a.errs.Add(1)
		case m.Type == protocol.ControlStartSession:
			a.starts.Add(1)
		}
	}
}

// heartbeat sends each agent's heartbeats, spread evenly over the
// interval, until ctx ends. The caller runs it on a goroutine of a.wg.
func (a *agents) heartbeat(ctx context.Context) {
	if len(a.conns) == 0 {
		return
	}
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due := int(float64(len(a.conns)) * now.Sub(start).Seconds() / a.every.Seconds())
			for ; sent < due && ctx.Err() == nil; sent++ {
				c := a.conns[sent%len(a.conns)]
				err := writeControl(ctx, c, &protocol.ControlMessage{Type: protocol.ControlHeartbeat})
				if err != nil && !errors.Is(err, context.Canceled) {
					a.errs.Add(1)
				}
				a.beats.Add(1)
			}
		}
	}
}

// close closes every channel at once and waits for the readers.
func (a *agents) close() {
	for _, c := range a.conns {
		if c != nil {
			c.CloseNow()
		}
	}
	a.wg.Wait()
}
