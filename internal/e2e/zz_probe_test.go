package e2e

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZProbe(t *testing.T) {
	var want bytes.Buffer
	for i := 0; want.Len() < 5<<20; i++ {
		fmt.Fprintf(&want, "%07d\n", i)
	}
	file := writeFile(t, testDir(t, "data"), "lines.txt", want.Bytes())
	c := startCluster(t, serverOptions{})
	kind := cutClient
	if os.Getenv("PROBE_AGENT") != "" {
		kind = cutAgent
	}
	cmd := c.session("--target", c.node.id, "--document-name", "AWS-StartNonInteractiveCommand", "--parameters", "command=cat "+file)
	start := time.Now()
	p := startProc(t, "client", cmd)
	p.out.waitLen(t, 100<<10, time.Minute)
	t.Logf("cut %s at %v: %d", kind, time.Since(start), c.cut(kind))
	for {
		n, _, ended := p.out.state()
		as := c.agentProxy.state()
		t.Logf("%v out=%d agentUp=%d", time.Since(start).Round(time.Millisecond), n, as.dataUp)
		if ended {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.exitCode(time.Minute)
	if !bytes.Equal([]byte(p.out.String()), want.Bytes()) {
		t.Error("differs")
	}
}
