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
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
