// Command sesame is sesame's server, developer mode and command-line client.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sesame-sh/sesame/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
