package validate

import (
	"slices"

	"github.com/keaops/keaops/internal/model"
)

// checkHooks: the optional hooks a node declares. Nodes of a pair load the
// same ones (their configs may differ only in node-local keys), and
// before Kea 2.7.7 host_cmds and subnet_cmds were ISC subscribers' only:
// Debian's 2.2 and 2.6 lack them, and a config naming them fails.
func checkHooks(s *model.Site, _ []int, report func(model.Finding)) {
	for _, n := range s.Nodes {
		seen := map[string]bool{}
		for _, h := range n.Hooks {
			if seen[h] {
				report(model.Errorf(n.HooksPos, "hooks", "node %s lists hook %s twice", n.Name, h))
			}
			seen[h] = true
		}
		if len(n.Hooks) > 0 && !s.KeaVersion.AtLeast(2, 7) {
			report(model.Warnf(n.HooksPos, "hooks", "Kea %s packages from distributions do not ship %v (open source from 2.7.7): list them only if this node has ISC's subscriber hooks, or config-test fails", s.KeaVersion, n.Hooks))
		}
		if len(s.Nodes) > 1 && n != s.Nodes[0] && !sameHooks(n.Hooks, s.Nodes[0].Hooks) {
			report(model.Errorf(n.HooksPos, "hooks", "node %s loads hooks %v but %s loads %v: the nodes of a pair load the same hooks", n.Name, n.Hooks, s.Nodes[0].Name, s.Nodes[0].Hooks))
		}
	}
}

func sameHooks(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
