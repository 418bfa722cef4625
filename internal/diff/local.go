package diff

import (
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Local lists differences in one node's own settings — interfaces, control
// socket, lease file or database, log file — between two configurations of
// that node read back with keaconfig (a live one and a rendered one, where
// every default is explicit). Sites does not see these: they are not part
// of what the site means, but a node must still get them.
func Local(have, want *model.Site, node string) []Change {
	h, w := self(have, node), self(want, node)
	if h == nil || w == nil {
		return nil
	}
	d := &differ{}
	base := Change{Kind: "node", What: "node " + node}
	d.field(base, "interfaces", strings.Join(h.Interfaces, ", "), strings.Join(w.Interfaces, ", "), model.Pos{})
	d.field(base, "hooks", strings.Join(slices.Sorted(slices.Values(h.Hooks)), ", "), strings.Join(slices.Sorted(slices.Values(w.Hooks)), ", "), w.HooksPos)
	d.field(base, "control-socket", h.Paths.ControlSocket, w.Paths.ControlSocket, model.Pos{})
	d.field(base, "lease-file", h.Paths.LeaseFile, w.Paths.LeaseFile, model.Pos{})
	d.field(base, "log-file", h.Paths.LogFile, w.Paths.LogFile, model.Pos{})
	hd, wd := have.LeaseDB, want.LeaseDB
	d.field(base, "lease-database type", hd.Type, wd.Type, model.Pos{})
	d.field(base, "lease-database name", hd.Name, wd.Name, model.Pos{})
	d.field(base, "lease-database host", hd.Host, wd.Host, model.Pos{})
	d.field(base, "lease-database port", itoaZero(hd.Port), itoaZero(wd.Port), model.Pos{})
	d.field(base, "lease-database user", hd.User, wd.User, model.Pos{})
	d.field(base, "lease-database persist", boolStr(hd.Persist), boolStr(wd.Persist), model.Pos{})
	d.field(base, "lease-database lfc-interval", intStr(hd.LFCInterval), intStr(wd.LFCInterval), model.Pos{})
	d.raw(Change{Kind: "node", What: "node " + node + " lease-database"}, hd.Raw, wd.Raw)
	return d.out
}

// self is the node a configuration belongs to: the HA peer with paths (its
// own), or the only node.
func self(s *model.Site, node string) *model.Node {
	for _, n := range s.Nodes {
		if n.Name == node || len(s.Nodes) == 1 {
			return n
		}
	}
	return nil
}

func boolStr(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}
