package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/keaops/keaops/internal/deploy"
)

// printD2 says what happened to each node's kea-dhcp-ddns.
func printD2(out io.Writer, res deploy.D2Result, dryRun bool, err error) {
	for _, n := range res.Nodes {
		state := "unchanged"
		switch {
		case n.Restored:
			state = "RESTORED to its previous config"
		case n.Applied:
			state = "deployed"
		case n.Changed && dryRun && err == nil:
			state = "changes pending"
		case n.Changed:
			state = "not changed (still on its previous config)"
		}
		if n.Error != "" {
			state += ": " + n.Error
		}
		fmt.Fprintf(out, "%s kea-dhcp-ddns: %s\n", n.Name, state)
	}
	if err != nil {
		fmt.Fprintf(out, "kea-dhcp-ddns deploy FAILED, DHCP left as it was: %v\n", err)
	}
}

// deployD2 runs the kea-dhcp-ddns part of a deploy; a failure stops the
// deploy before DHCP is touched.
func deployD2(ctx context.Context, targets []deploy.D2Target, opts deploy.Options, out io.Writer) (deploy.D2Result, error) {
	if len(targets) == 0 {
		return deploy.D2Result{}, nil
	}
	res, err := deploy.RunD2(ctx, targets, opts)
	printD2(out, res, opts.DryRun, err)
	return res, err
}
