package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/deploy"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
)

// D2Targets are the kea-dhcp-ddns configs of a site with DDNS, resolved,
// each with the node's daemon behind its Control Agent; none without DDNS.
func D2Targets(site *model.Site, conn ConnArgs) ([]deploy.D2Target, error) {
	if site.DDNS == nil {
		return nil, nil
	}
	if site.KeaVersion.AtLeast(3, 2) {
		return nil, fmt.Errorf("kea-dhcp-ddns of Kea %s has no Control Agent in front of it, and keaops does not reach its own HTTP socket yet: apply %s with keaops-agent or by hand", site.KeaVersion, kea.D2File)
	}
	set, err := Artifacts(site)
	if err != nil {
		return nil, err
	}
	clients, err := connect(site, conn)
	if err != nil {
		return nil, err
	}
	var out []deploy.D2Target
	for _, n := range site.Nodes {
		data, err := set.Manifest.Resolve(n.Name, kea.D2File, set.Files[n.Name+"/"+kea.D2File], artifact.EnvFileResolver)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		obj, err := keaconfig.UnwrapAs(data, "DhcpDdns")
		if err != nil {
			return nil, fmt.Errorf("node %s: %s: %w", n.Name, kea.D2File, err)
		}
		out = append(out, deploy.D2Target{Name: n.Name, API: clients[n.Name].ForD2(), Config: obj})
	}
	return out, nil
}

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
