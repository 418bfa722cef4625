package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keaops/keaops/sources/keaconfig"
)

// D2Target is one node's kea-dhcp-ddns and the configuration it should
// run (the DhcpDdns object, secrets resolved).
type D2Target struct {
	Name   string
	API    API
	Config json.RawMessage
}

// D2Result is what RunD2 did, per node in target order.
type D2Result struct {
	Nodes []D2Node `json:"nodes"`
}

// D2Node is one node's kea-dhcp-ddns outcome.
type D2Node struct {
	Name     string `json:"name"`
	Changed  bool   `json:"changed"`
	Applied  bool   `json:"applied"`
	Restored bool   `json:"restored"`
	Error    string `json:"error,omitempty"`
}

// Changed reports whether any node's kea-dhcp-ddns needs (or got) a new
// configuration.
func (r D2Result) Changed() bool {
	for _, n := range r.Nodes {
		if n.Changed {
			return true
		}
	}
	return false
}

// RunD2 brings every node's kea-dhcp-ddns to its target. It runs before
// the DHCP rollout and does not interrupt DHCP service: kea-dhcp4 queues
// its name change requests while D2 reconfigures. A node whose running
// config means the same is left alone; the others are config-tested
// first, all of them, then set one by one. A failed set puts every node
// already set back on the config it ran; config-write only once all are
// set.
func RunD2(ctx context.Context, targets []D2Target, o Options) (D2Result, error) {
	if o.Progress == nil {
		o.Progress = func(string, string) {}
	}
	res := D2Result{Nodes: make([]D2Node, len(targets))}
	prev := make([]json.RawMessage, len(targets))
	var changed []int
	for i, t := range targets {
		res.Nodes[i].Name = t.Name
		cur, err := t.API.ConfigGet(ctx)
		if err != nil {
			res.Nodes[i].Error = err.Error()
			return res, fmt.Errorf("%s: reading kea-dhcp-ddns: %w", t.Name, err)
		}
		same, err := keaconfig.SameD2(cur.Dhcp4, t.Config)
		if err != nil {
			return res, fmt.Errorf("%s: %w", t.Name, err)
		}
		if !same {
			prev[i] = cur.Dhcp4
			res.Nodes[i].Changed = true
			changed = append(changed, i)
		}
	}
	if o.DryRun || len(changed) == 0 {
		return res, nil
	}
	for _, i := range changed {
		o.Progress(targets[i].Name, "kea-dhcp-ddns config-test")
		if err := targets[i].API.ConfigTest(ctx, targets[i].Config); err != nil {
			res.Nodes[i].Error = err.Error()
			return res, fmt.Errorf("%s: kea-dhcp-ddns refused the config in config-test: %w", targets[i].Name, err)
		}
	}
	var set []int
	for _, i := range changed {
		o.Progress(targets[i].Name, "kea-dhcp-ddns config-set")
		if _, err := targets[i].API.ConfigSet(ctx, targets[i].Config); err != nil {
			res.Nodes[i].Error = err.Error()
			// The failed node too: a failed config-set may leave it with
			// nothing.
			errs := []error{fmt.Errorf("%s: kea-dhcp-ddns config-set: %w", targets[i].Name, err)}
			for _, j := range append(set, i) {
				o.Progress(targets[j].Name, "kea-dhcp-ddns: restoring its previous config")
				if _, rerr := targets[j].API.ConfigSet(ctx, prev[j]); rerr != nil {
					errs = append(errs, fmt.Errorf("%s: restoring kea-dhcp-ddns: %w", targets[j].Name, rerr))
					continue
				}
				res.Nodes[j].Restored = true
			}
			return res, errors.Join(errs...)
		}
		set = append(set, i)
		res.Nodes[i].Applied = true
	}
	for _, i := range set {
		if err := targets[i].API.ConfigWrite(ctx); err != nil {
			return res, fmt.Errorf("%s: kea-dhcp-ddns config-write: %w", targets[i].Name, err)
		}
	}
	return res, nil
}
