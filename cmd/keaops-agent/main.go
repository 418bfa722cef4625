// Command keaops-agent runs on a Kea node, pulls the artifacts keaops
// publishes, and applies this node's configuration safely.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keaops/keaops/internal/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
