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
	for i, n := range s.Nodes {
		dhcp4[i] = dhcp4Config(s, r, n, shared)
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
	classes     []any
	globals     map[string]any // lifetimes and option-data
}

func sharedParts(s *model.Site, r rules) shared {
	global, subnetPrints := model.Fingerprints(s)
	sh := shared{globals: map[string]any{}, fingerprint: global}
	lifetimes(sh.globals, s.Defaults.Lifetimes)
	if o := optionData(s.Defaults.Options); o != nil {
		sh.globals["option-data"] = o
	}
	for _, c := range s.Classes {
		m := map[string]any{"name": c.Name}
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
		sh.classes = append(sh.classes, m)
	}

	// Reservations go to the subnet model.Place chose, sorted by address.
	placed := model.Place(s)
	bySubnet := make([][]*model.Reservation, len(s.Subnets))
	for i, j := range placed {
		if j >= 0 {
			bySubnet[j] = append(bySubnet[j], s.Reservations[i])
		}
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
	for _, i := range order {
		m := subnet(s, r, s.Subnets[i], bySubnet[i], lbNames)
		record(m, subnetPrints[i], "reservations")
		sh.subnets = append(sh.subnets, m)
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
	slices.SortStableFunc(sorted, func(a, b *model.Option) int { return strings.Compare(a.Name, b.Name) })
	out := make([]any, 0, len(sorted))
	for _, o := range sorted {
		values := make([]string, len(o.Values))
		for i, v := range o.Values {
			values[i] = strings.TrimSpace(v)
		}
		m := map[string]any{"name": o.Name, "data": strings.Join(values, ", ")}
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

func classKey(r rules, m map[string]any, class string) {
	if class == "" {
		return
	}
	if r.classList {
		m["client-classes"] = []any{class}
	} else {
		m["client-class"] = class
	}
}

func subnet(s *model.Site, r rules, sn *model.Subnet, res []*model.Reservation, lb [2]string) map[string]any {
	m := map[string]any{
		"id":     sn.ID,
		"subnet": sn.Prefix.Masked().String(),
		// Reservations live in subnets only; keaops never renders global
		// ones, so Kea need not look there.
		"reservations-global":    false,
		"reservations-in-subnet": true,
	}
	lifetimes(m, sn.Lifetimes)
	if o := optionData(sn.Options); o != nil {
		m["option-data"] = o
	}
	classKey(r, m, sn.ClientClass)
	if sn.Interface != "" {
		m["interface"] = sn.Interface
	}
	if len(sn.Relay) > 0 {
		ips := make([]any, len(sn.Relay))
		for i, a := range sn.Relay {
			ips[i] = a.String()
		}
		m["relay"] = map[string]any{"ip-addresses": ips}
	}
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
			pools = append(pools, pool(r, p, a.String()+"-"+mid.lo, "HA_"+lb[0]))
			pools = append(pools, pool(r, p, mid.hi+"-"+b.String(), "HA_"+lb[1]))
			continue
		}
		pools = append(pools, pool(r, p, p.From.String()+"-"+p.To.String(), p.ClientClass))
	}
	if len(pools) > 0 {
		m["pools"] = pools
	}
	outOfPool := true
	if len(res) > 0 {
		slices.SortFunc(res, func(a, b *model.Reservation) int { return a.IP.Compare(b.IP) })
		list := make([]any, len(res))
		for i, rv := range res {
			list[i] = reservation(rv)
			for _, p := range sn.Pools {
				if p.Range().Contains(rv.IP) {
					outOfPool = false
				}
			}
		}
		m["reservations"] = list
	}
	// Faster, and no conflict with dynamic leases, when it is true to say.
	m["reservations-out-of-pool"] = outOfPool
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

func pool(r rules, p *model.Pool, rng, class string) map[string]any {
	m := map[string]any{"pool": rng}
	classKey(r, m, class)
	if o := optionData(p.Options); o != nil {
		m["option-data"] = o
	}
	if p.Comment != "" {
		m["user-context"] = map[string]any{"comment": p.Comment}
	}
	return m
}

func reservation(rv *model.Reservation) map[string]any {
	kind, id := rv.Identifier()
	m := map[string]any{kind: id, "ip-address": rv.IP.String()}
	if rv.Hostname != "" {
		m["hostname"] = rv.Hostname
	}
	if o := optionData(rv.Options); o != nil {
		m["option-data"] = o
	}
	if len(rv.ClientClasses) > 0 {
		cl := make([]any, len(rv.ClientClasses))
		for i, c := range rv.ClientClasses {
			cl[i] = c
		}
		m["client-classes"] = cl
	}
	if rv.Comment != "" {
		m["user-context"] = map[string]any{"comment": rv.Comment}
	}
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
		"lease-database":    leaseDB(s, p),
		"subnet4":           sh.subnets,
		"loggers": []any{map[string]any{
			"name": "kea-dhcp4", "severity": "INFO",
			r.outputOptions: []any{map[string]any{"output": p.LogFile}},
		}},
		"multi-threading": coreMT(s),
		// Re-check leases against their subnet on load and fix what an id
		// change broke, instead of only warning.
		"sanity-checks": map[string]any{"lease-checks": "fix"},
	}
	for k, v := range sh.globals {
		m[k] = v
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

func leaseDB(s *model.Site, p model.NodePaths) map[string]any {
	db := s.LeaseDB
	if db.Type == "" || db.Type == "memfile" {
		m := map[string]any{"type": "memfile", "persist": true, "name": p.LeaseFile}
		if db.Persist != nil {
			m["persist"] = *db.Persist
		}
		if db.LFCInterval != nil {
			m["lfc-interval"] = db.LFCInterval.Value
		}
		return m
	}
	m := map[string]any{"type": db.Type, "name": db.Name, "host": db.Host, "user": db.User}
	if db.Port != 0 {
		m["port"] = db.Port
	}
	if db.Password != nil {
		m["password"] = secretOf(db.Password)
	}
	return m
}
