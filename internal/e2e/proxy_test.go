package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// dataChannelRequest starts the HTTP request that opens a data channel
// (the client's or the agent's end of a session).
const dataChannelRequest = "GET /v1/data-channel/"

// proxy forwards TCP connections to a server and cuts them on demand,
// with a reset, as a network failure would. Over plain HTTP it tells
// data channels from other connections (API calls, the agent's control
// channel) by their request line, so that a test can cut a session's
// data channel alone, and tells when one is up with its stream flowing.
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu      sync.Mutex // protects the following
	links   map[*link]bool
	changed chan struct{} // closed and replaced when any of the above change
	trap    *trap         // see cutOn
}

// trap cuts the data channel that is about to carry a pattern in one
// direction: to the client (in the server's unmasked frames), or to the
// server (in the payload of a WebSocket frame the agent or the client
// masked), before the frame is complete.
type trap struct {
	pattern  []byte
	toServer bool
	fired    chan struct{}
}

// link is one forwarded connection.
type link struct {
	down, up net.Conn
	data     bool         // a data channel
	answered bool         // the server has sent something (the upgrade)
	carried  int64        // bytes both ways
	frames   frameScanner // what it sent to the server, for a trap
}

// flowing is how much a data channel carries before the proxy counts
// it as up: the upgrade, the open frame and some of the stream, so that
// a cut hits a stream that flows rather than a reconnection.
const flowing = 16 << 10

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, links: map[*link]bool{}, changed: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.cut(cutAll)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) forward(c net.Conn) {
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	head, err := br.Peek(len(dataChannelRequest))
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close() // the server is down (restarting): the caller retries
		return
	}
	l := &link{down: c, up: up, data: bytes.Equal(head, []byte(dataChannelRequest))}
	p.mu.Lock()
	p.links[l] = true
	p.wakeLocked()
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() {
		p.copy(l, up, br, true)
		done <- struct{}{}
	}()
	go func() {
		p.copy(l, c, up, false)
		done <- struct{}{}
	}()
	<-done
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	if p.links[l] {
		delete(p.links, l)
		p.wakeLocked()
	}
	p.mu.Unlock()
}

// copy copies one direction of l, noting what the test waits on. An end
// of stream travels on as one (FIN); an error resets both connections.
func (p *proxy) copy(l *link, dst net.Conn, src io.Reader, toServer bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && l.data && p.sprung(l, buf[:n], toServer) {
			reset(l.down)
			reset(l.up)
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			} else {
				p.note(l, n, toServer)
			}
		}
		if err == io.EOF {
			_ = dst.(*net.TCPConn).CloseWrite()
			return
		}
		if err != nil {
			reset(l.down)
			reset(l.up)
			return
		}
	}
}

func (p *proxy) note(l *link, n int, toServer bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := false
	if !toServer && !l.answered {
		l.answered, changed = true, true
	}
	if l.data {
		l.carried += int64(n)
		changed = changed || l.carried-int64(n) < flowing && l.carried >= flowing
	}
	if changed {
		p.wakeLocked()
	}
}

// cutOn arms a trap: the next data channel to carry pattern towards the
// client (or, with toServer, towards the server) is cut instead, and the
// returned channel closed.
func (p *proxy) cutOn(pattern string, toServer bool) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trap = &trap{pattern: []byte(pattern), toServer: toServer, fired: make(chan struct{})}
	return p.trap.fired
}

// sprung reports whether b, read from l in one direction, sets off the
// trap, which then goes.
func (p *proxy) sprung(l *link, b []byte, toServer bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trap == nil || p.trap.toServer != toServer {
		return false
	}
	hit := false
	if toServer {
		for _, payload := range l.frames.feed(b) {
			hit = hit || bytes.Contains(payload, p.trap.pattern)
		}
	} else {
		hit = bytes.Contains(b, p.trap.pattern)
	}
	if hit {
		close(p.trap.fired)
		p.trap = nil
	}
	return hit
}

// frameScanner reads what a WebSocket client sends: the HTTP upgrade
// request, then frames, whose payloads it unmasks (RFC 6455 §5.2).
type frameScanner struct {
	buf      []byte
	upgraded bool // the request is behind
}

// feed takes the next bytes and returns the payloads of the frames they
// complete.
func (f *frameScanner) feed(b []byte) [][]byte {
	f.buf = append(f.buf, b...)
	if !f.upgraded {
		i := bytes.Index(f.buf, []byte("\r\n\r\n"))
		if i < 0 {
			return nil
		}
		f.buf, f.upgraded = f.buf[i+4:], true
	}
	var payloads [][]byte
	for len(f.buf) >= 2 {
		n, at := uint64(f.buf[1]&0x7f), 2
		switch n {
		case 126:
			if len(f.buf) < 4 {
				return payloads
			}
			n, at = uint64(binary.BigEndian.Uint16(f.buf[2:])), 4
		case 127:
			if len(f.buf) < 10 {
				return payloads
			}
			n, at = binary.BigEndian.Uint64(f.buf[2:]), 10
		}
		var key []byte
		if f.buf[1]&0x80 != 0 {
			if len(f.buf) < at+4 {
				return payloads
			}
			key, at = f.buf[at:at+4], at+4
		}
		if uint64(len(f.buf)-at) < n {
			return payloads
		}
		payload := bytes.Clone(f.buf[at : at+int(n)])
		for i := range payload {
			if key != nil {
				payload[i] ^= key[i%4]
			}
		}
		payloads = append(payloads, payload)
		f.buf = f.buf[at+int(n):]
	}
	return payloads
}

func (p *proxy) wakeLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// proxyState is what a proxy carries at a time.
type proxyState struct {
	open    int // data channels the server answered (upgraded)
	data    int // of them, those with their stream flowing (see flowing)
	other   int // other connections the server answered (the agent's control channel)
	changed <-chan struct{}
}

// state returns what the proxy carries and a channel closed at the next
// change.
func (p *proxy) state() proxyState {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := proxyState{changed: p.changed}
	for l := range p.links {
		switch {
		case l.data && l.answered:
			s.open++
			if l.carried >= flowing {
				s.data++
			}
		case l.answered:
			s.other++
		}
	}
	return s
}

// awaitDataChannel waits until a data channel through the proxy is
// open: the client or the agent has reconnected after a cut.
func (p *proxy) awaitDataChannel(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s := p.state()
		if s.open > 0 {
			return
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			t.Fatalf("no data channel through the proxy after %v", timeout)
		}
	}
}

// cutKind says which connections a cut ends.
type cutKind int

const (
	cutAll  cutKind = iota // every connection
	cutData                // data channels only (plain HTTP)
)

// cut resets the connections of the kind and returns how many it cut.
func (p *proxy) cut(kind cutKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for l := range p.links {
		if kind == cutData && !l.data {
			continue
		}
		reset(l.down)
		reset(l.up)
		delete(p.links, l)
		n++
	}
	if n > 0 {
		p.wakeLocked()
	}
	return n
}

// reset closes c with a TCP reset rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
