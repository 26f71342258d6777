package loadtest

import (
	"context"
	"time"

	"github.com/sesame-sh/sesame/internal/store"
)

// heartbeatPeriod is how often each node pings: the server asks agents
// for a heartbeat every 30 s.
const heartbeatPeriod = 30 * time.Second

// pinger records the fleet's heartbeats in the store, as the server does
// for its agents: each node every heartbeatPeriod, spread evenly, so the
// store sees len(nodes)/30 writes a second.
type pinger struct {
	st     store.NodeUpdater
	f      *fleet
	pings  int
	errors int
}

// run pings until ctx ends. It is run by one goroutine, and its counts
// are read after it returns.
func (p *pinger) run(ctx context.Context) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start, cursor := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			// Every node once per period: the pings due by now.
			due := int(float64(len(p.f.nodes)) * now.Sub(start).Seconds() / heartbeatPeriod.Seconds())
			for ; cursor < due && ctx.Err() == nil; cursor++ {
				n := &p.f.nodes[cursor%len(p.f.nodes)]
				if err := p.st.RecordPing(ctx, n.id, store.PingOnline, time.Now()); err != nil && ctx.Err() == nil {
					p.errors++
				}
				p.pings++
			}
		}
	}
}
