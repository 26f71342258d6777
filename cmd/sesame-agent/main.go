// Command sesame-agent is sesame's host agent: it registers a host with
// a sesame server and runs the sessions users open on it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sesame-sh/sesame/internal/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
