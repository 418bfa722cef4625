package validate

import (
	"slices"

	"github.com/keaops/keaops/internal/model"
)

// checkNetworks: shared network names are unique, every subnet's network
// exists, and a subnet's interface and relay agree with its network's —
// kea-dhcp4 refuses a subnet whose interface differs from its network's.
func checkNetworks(s *model.Site, _ []int, report func(model.Finding)) {
	byName := map[string]*model.SharedNetwork{}
	for _, n := range s.Networks {
		if prev, dup := byName[n.Name]; dup {
			report(model.Errorf(n.Pos, "shared-network", "shared network %q is also defined at %s", n.Name, prev.Pos.Short()))
			continue
		}
		byName[n.Name] = n
	}
	members := map[string]int{}
	for _, sn := range s.Subnets {
		if sn.Network == "" {
			continue
		}
		n, ok := byName[sn.Network]
		if !ok {
			report(model.Errorf(sn.NetworkPos, "shared-network", "subnet %s: shared network %q does not exist", sn.Name, sn.Network))
			continue
		}
		members[n.Name]++
		if n.Interface != "" && sn.Interface != "" && n.Interface != sn.Interface {
			report(model.Errorf(sn.Pos, "shared-network", "subnet %s is on interface %s, its shared network %s on %s: Kea takes one interface per shared network", sn.Name, sn.Interface, n.Name, n.Interface))
		}
		if len(n.Relay) > 0 && len(sn.Relay) > 0 && !slices.Equal(n.Relay, sn.Relay) {
			report(model.Warnf(sn.Pos, "shared-network", "subnet %s names relays of its own beside its shared network %s's: the subnet's win for it", sn.Name, n.Name))
		}
	}
	for _, n := range s.Networks {
		if members[n.Name] == 0 && byName[n.Name] == n {
			report(model.Warnf(n.Pos, "shared-network", "shared network %s has no subnets (a subnet joins it with shared-network: %s)", n.Name, n.Name))
		}
	}
}
