package e2e

import (
	"bufio"
	"bytes"
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
// data channel alone.
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex // protects links
	links map[*link]bool
}

// link is one forwarded connection.
type link struct {
	down, up net.Conn
	data     bool // a data channel
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, links: map[*link]bool{}}
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
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	// An end of stream travels on as one (FIN); an error resets both.
	pipe := func(dst net.Conn, src io.Reader) {
		if _, err := io.Copy(dst, src); err == nil {
			_ = dst.(*net.TCPConn).CloseWrite()
		} else {
			reset(c)
			reset(up)
		}
		done <- struct{}{}
	}
	go pipe(up, br)
	go pipe(c, up)
	<-done
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
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
	return n
}

// reset closes c with a TCP reset rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
