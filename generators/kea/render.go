package kea

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
)

// File names of the rendered configs, per node.
const (
	Dhcp4File = "kea-dhcp4.json"
	AgentFile = "kea-ctrl-agent.json"
)

// File is one rendered file.
type File struct {
	Name string
	Data []byte
	// Secrets are the placeholders the renderer put in Data.
	Secrets []SecretAt
}

// NodeConfig is what one node runs.
type NodeConfig struct {
	Node  *model.Node
	Files []File
}

// Render renders the files of every node of a site that passed validation.
// An error means the site was not valid for rendering (run Check first) or
// the renderer broke its own pair invariant.
func Render(s *model.Site) ([]NodeConfig, error) {
	r, err := rulesFor(s.KeaVersion)
	if err != nil {
		return nil, err
	}
	shared := sharedParts(s, r)
	out := make([]NodeConfig, len(s.Nodes))
	dhcp4 := make([]map[string]any, len(s.Nodes))
	d2 := make([]map[string]any, len(s.Nodes))
	for i, n := range s.Nodes {
		dhcp4[i] = dhcp4Config(s, r, n, shared)
		if s.DDNS != nil {
			d2[i] = d2Config(shared.clash, s, r, n)
		}
	}
	if len(shared.clash.out) > 0 {
		return nil, &ClashError{Findings: shared.clash.out}
	}
	// Encoding is most of a large render; the nodes' files are independent.
	errs := make([]error, len(s.Nodes))
	var wg sync.WaitGroup
	for i, n := range s.Nodes {
		wg.Go(func() {
			data, secrets, err := encode(map[string]any{"Dhcp4": dhcp4[i]})
			if err != nil {
				errs[i] = fmt.Errorf("encoding %s for %s: %w", Dhcp4File, n.Name, err)
				return
			}
			nc := NodeConfig{Node: n, Files: []File{{Name: Dhcp4File, Data: data, Secrets: secrets}}}
			if s.DDNS != nil {
				data, secrets, err := encode(map[string]any{"DhcpDdns": d2[i]})
				if err != nil {
					errs[i] = fmt.Errorf("encoding %s for %s: %w", D2File, n.Name, err)
					return
				}
				nc.Files = append(nc.Files, File{Name: D2File, Data: data, Secrets: secrets})
			}
			if r.controlAgent {
				data, secrets, err := encode(map[string]any{"Control-agent": agentConfig(s, r, n)})
				if err != nil {
					errs[i] = fmt.Errorf("encoding %s for %s: %w", AgentFile, n.Name, err)
					return
				}
				nc.Files = append(nc.Files, File{Name: AgentFile, Data: data, Secrets: secrets})
			}
			out[i] = nc
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The two nodes of a pair must differ only in node-local keys; this
	// guards the renderer itself against the copy-a-config class of bug.
	for i := 1; i < len(dhcp4); i++ {
		if diffs := PairDiff(dhcp4[0], dhcp4[i]); len(diffs) > 0 {
			return nil, fmt.Errorf("rendered configs of %s and %s differ outside node-local keys: %s", s.Nodes[0].Name, s.Nodes[i].Name, strings.Join(diffs, "; "))
		}
	}
	return out, nil
}

// shared are the parts identical on every node, built once.
type shared struct {
	fingerprint string // the global one
	subnets     []any
	networks    []any
	classes     []any
	globals     map[string]any // lifetimes, settings, option-data, reservations
	clash       *clashes
}

func sharedParts(s *model.Site, r rules) shared {
	global, subnetPrints := model.Fingerprints(s)
	sh := shared{globals: map[string]any{}, fingerprint: global, clash: &clashes{}}
	lifetimes(sh.globals, s.Defaults.Lifetimes)
	settings(sh.globals, s.Settings)
	if d := optionDefs(s.OptionDefs); d != nil {
		sh.globals["option-def"] = d
	}
	if o := optionData(s.Defaults.Options); o != nil {
		sh.globals["option-data"] = o
	}
	for _, c := range s.Classes {
		m := map[string]any{"name": c.Name}
		lifetimes(m, c.Lifetimes)
		settings(m, c.Settings)
		if c.Test != "" {
			m["test"] = c.Test
		}
		if o := optionData(c.Options); o != nil {
			m["option-data"] = o
		}
		if c.OnlyIfRequired {
			if r.additionalList {
				m["only-in-additional-list"] = true
			} else {
				m["only-if-required"] = true
			}
		}
		if c.Comment != "" {
			m["user-context"] = map[string]any{"comment": c.Comment}
		}
		sh.clash.mergeRaw(m, c.Raw, "client class "+c.Name)
		sh.classes = append(sh.classes, m)
	}

	// Reservations go to the subnet model.Place chose, sorted by address.
	placed := model.Place(s)
	bySubnet := make([][]*model.Reservation, len(s.Subnets))
	var globalRes []*model.Reservation
	for i, j := range placed {
		switch r := s.Reservations[i]; {
		case r.Global:
			globalRes = append(globalRes, r)
		case j >= 0:
			bySubnet[j] = append(bySubnet[j], r)
		}
	}
	if len(globalRes) > 0 {
		sh.globals["reservations"] = reservations(sh.clash, globalRes)
	}
	order := make([]int, len(s.Subnets))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.Subnets[a].ID, s.Subnets[b].ID) })
	var lbNames [2]string
	if s.HA.Mode == model.HALoadBalancing {
		lbNames = loadBalancingServers(s)
	}
	inNetwork := map[string][]any{}
	for _, i := range order {
		sn := s.Subnets[i]
		m := subnet(s, r, sh.clash, globalRes, sn, bySubnet[i], lbNames)
		record(m, subnetPrints[i], "reservations")
		if sn.Network != "" {
			inNetwork[sn.Network] = append(inNetwork[sn.Network], m)
			continue
		}
		sh.subnets = append(sh.subnets, m)
	}
	for _, n := range s.Networks {
		sh.networks = append(sh.networks, network(r, sh.clash, n, inNetwork[n.Name]))
	}
	return sh
}

// loadBalancingServers names the primary and the secondary, whose HA_
// classes split the pools.
func loadBalancingServers(s *model.Site) (names [2]string) {
	for _, n := range s.Nodes {
		switch n.Role {
		case model.RolePrimary:
			names[0] = n.Name
		case model.RoleSecondary:
			names[1] = n.Name
		}
	}
	return names
}

func lifetimes(m map[string]any, l model.Lifetimes) {
	for _, f := range []struct {
		key string
		v   *model.Int
	}{{"valid-lifetime", l.Valid}, {"renew-timer", l.Renew}, {"rebind-timer", l.Rebind}} {
		if f.v != nil {
			m[f.key] = f.v.Value
		}
	}
}

// optionData renders options sorted by name; nil when there are none.
func optionData(opts []*model.Option) []any {
	if len(opts) == 0 {
		return nil
	}
	sorted := slices.Clone(opts)
	slices.SortStableFunc(sorted, func(a, b *model.Option) int { return strings.Compare(a.Key(), b.Key()) })
	out := make([]any, 0, len(sorted))
	for _, o := range sorted {
		values := make([]string, len(o.Values))
		for i, v := range o.Values {
			values[i] = strings.TrimSpace(v)
		}
		m := map[string]any{"data": strings.Join(values, ", ")}
		if o.Name != "" {
			m["name"] = o.Name
		} else {
			m["code"] = o.Code
		}
		if o.Space != "" {
			m["space"] = o.Space
		}
		if o.AlwaysSend {
			m["always-send"] = true
		}
		if o.NeverSend {
			m["never-send"] = true
		}
		if o.CSVFormat != nil {
			m["csv-format"] = *o.CSVFormat
		}
		out = append(out, m)
	}
	return out
}

// classKey renders the classes a scope is restricted to: 3.0's list, or
// the one class earlier versions take (check refuses more there).
func classKey(r rules, m map[string]any, classes []string) {
	if len(classes) == 0 {
		return
	}
	if r.classList {
		l := make([]any, len(classes))
		for i, c := range classes {
			l[i] = c
		}
		m["client-classes"] = l
	} else if len(classes) == 1 {
		m["client-class"] = classes[0]
	} else {
		m["client-class"] = classes // as written, for Kea to refuse too
	}
}

func subnet(s *model.Site, r rules, c *clashes, globals []*model.Reservation, sn *model.Subnet, res []*model.Reservation, lb [2]string) map[string]any {
	m := map[string]any{
		"id":     sn.ID,
		"subnet": sn.Prefix.Masked().String(),
	}
	// The reservation flags keaops derives, where no enclosing scope sets
	// them: Kea then looks only where reservations are.
	enclosing := []model.Settings{s.Settings, sn.Settings}
	if n := s.Network(sn.Network); n != nil {
		enclosing = append(enclosing, n.Settings)
	}
	for k, v := range model.ReservationFlags(s, globals, sn, res) {
		if !slices.ContainsFunc(enclosing, func(set model.Settings) bool { _, ok := set[k]; return ok }) {
			m[k] = v
		}
	}
	lifetimes(m, sn.Lifetimes)
	settings(m, sn.Settings)
	if o := optionData(sn.Options); o != nil {
		m["option-data"] = o
	}
	classKey(r, m, sn.ClientClasses)
	link(m, sn.Interface, sn.Relay)
	uc := map[string]any{"name": sn.Name}
	if sn.VLAN != 0 {
		uc["vlan"] = sn.VLAN
	}
	if sn.Comment != "" {
		uc["comment"] = sn.Comment
	}
	m["user-context"] = uc

	pools := make([]any, 0, len(sn.Pools))
	for _, p := range sn.Pools {
		// Pools are written as Kea prints them ("a-b"), so a raw diff
		// against a live config-get shows no spelling differences.
		if lb[0] != "" {
			// Load balancing: each server serves its half of every pool,
			// selected by the HA_<server> class Kea assigns to clients.
			a, b := p.Range().From(), p.Range().To()
			mid := midpoint(a.As4(), b.As4())
			pools = append(pools, pool(r, c, p, a.String()+"-"+mid.lo, []string{"HA_" + lb[0]}))
			pools = append(pools, pool(r, c, p, mid.hi+"-"+b.String(), []string{"HA_" + lb[1]}))
			continue
		}
		pools = append(pools, pool(r, c, p, p.From.String()+"-"+p.To.String(), p.ClientClasses))
	}
	if len(pools) > 0 {
		m["pools"] = pools
	}
	if len(res) > 0 {
		m["reservations"] = reservations(c, res)
	}
	c.mergeRaw(m, sn.Raw, "subnet "+sn.Prefix.String())
	return m
}

type halves struct{ lo, hi string }

func midpoint(a, b [4]byte) halves {
	from := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	to := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	lo := from + (to-from)/2
	ip := func(u uint32) string {
		return strconv.Itoa(int(u>>24)) + "." + strconv.Itoa(int(u>>16&255)) + "." + strconv.Itoa(int(u>>8&255)) + "." + strconv.Itoa(int(u&255))
	}
	return halves{ip(lo), ip(lo + 1)}
}

func pool(r rules, c *clashes, p *model.Pool, rng string, classes []string) map[string]any {
	m := map[string]any{"pool": rng}
	classKey(r, m, classes)
	settings(m, p.Settings)
	if o := optionData(p.Options); o != nil {
		m["option-data"] = o
	}
	if p.Comment != "" {
		m["user-context"] = map[string]any{"comment": p.Comment}
	}
	c.mergeRaw(m, p.Raw, "pool "+rng)
	return m
}

func dhcp4Config(s *model.Site, r rules, n *model.Node, sh shared) map[string]any {
	p := paths(n)
	ifaces := make([]any, len(n.Interfaces))
	for i, name := range n.Interfaces {
		ifaces[i] = name
	}
	m := map[string]any{
		"interfaces-config": map[string]any{"interfaces": ifaces},
		"lease-database":    leaseDB(sh.clash, s, p),
		"subnet4":           sh.subnets,
		"multi-threading":   coreMT(s),
		// Re-check leases against their subnet on load and fix what an id
		// change broke, instead of only warning.
		"sanity-checks": map[string]any{"lease-checks": "fix"},
	}
	for k, v := range sh.globals {
		m[k] = v
	}
	if len(sh.networks) > 0 {
		m["shared-networks"] = sh.networks
	}
	m["loggers"] = loggers(s, r, p)
	if dbs := hostsDBs(sh.clash, s); dbs != nil {
		m["hosts-databases"] = dbs
	}
	if len(sh.classes) > 0 {
		m["client-classes"] = sh.classes
	}
	// The control socket is always present: a pushed config without it
	// closes the socket for good (kea-facts §1.5).
	unix := map[string]any{"socket-type": "unix", "socket-name": p.ControlSocket}
	if r.controlSockets {
		socks := []any{unix}
		if r.httpControlSocket {
			socks = append(socks, httpSocket(s, n))
		}
		m["control-sockets"] = socks
	} else {
		m["control-socket"] = unix
	}
	if hooks := hooksLibraries(s, r, n, p); len(hooks) > 0 {
		m["hooks-libraries"] = hooks
	}
	sh.clash.mergeRaw(m, s.Raw, "global")
	// Last: the record digests everything above but the subnets, which
	// carry records of their own.
	record(m, sh.fingerprint, "subnet4")
	return m
}

func coreMT(s *model.Site) map[string]any {
	m := map[string]any{"enable-multi-threading": validate.CoreMultiThreading(s)}
	if mt := s.MultiThreading; mt != nil {
		if mt.ThreadPoolSize > 0 {
			m["thread-pool-size"] = mt.ThreadPoolSize
		}
		if mt.PacketQueueSize > 0 {
			m["packet-queue-size"] = mt.PacketQueueSize
		}
	}
	return m
}
