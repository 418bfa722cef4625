// Command keaops compiles, checks and deploys ISC Kea DHCP configuration.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keaops/keaops/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels the command, which then winds down (a
	// deploy rolls back); once it has, a second one kills at once, so a
	// command stuck anywhere never ignores the user.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
