package plan

// Building a live plan: the commands, their order, and their inverses.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/keaops/keaops/internal/model"
)

// hostKey is a host's identity as Kea keys it.
type hostKey struct {
	Subnet   uint32
	Type, ID string
}

func (k hostKey) compare(o hostKey) int {
	return cmp.Or(cmp.Compare(k.Subnet, o.Subnet), cmp.Compare(k.Type, o.Type), cmp.Compare(k.ID, o.ID))
}

// host is one reservation as JSON, with what the plan needs of it.
type host struct {
	IP, Hostname string
	// Object is the reservation with its subnet-id, as reservation-add
	// and reservation-update take it.
	Object map[string]json.RawMessage
}

// rawConfig is the part of a Dhcp4 object a live plan sends back.
type rawConfig struct {
	// subnets: id → the subnet without its reservations (subnet4-update
	// takes none; Kea keeps a subnet's hosts across the update).
	subnets map[uint32]map[string]json.RawMessage
	prefix  map[uint32]string
	hosts   map[hostKey]host
}

// decodeRaw reads the subnets named in ids out of a Dhcp4 object that
// site was parsed from (keaconfig.Parse keeps subnet4's order). Only they
// are decoded: a one-host change to a 10,000-host config reads one subnet.
func decodeRaw(dhcp4 json.RawMessage, site *model.Site, ids map[uint32]bool) (rawConfig, error) {
	var c struct {
		Subnets  []json.RawMessage `json:"subnet4"`
		Networks []struct {
			Subnets []json.RawMessage `json:"subnet4"`
		} `json:"shared-networks"`
	}
	if err := json.Unmarshal(dhcp4, &c); err != nil {
		return rawConfig{}, err
	}
	// keaconfig.Parse's order: top-level subnets, then each network's.
	for _, n := range c.Networks {
		c.Subnets = append(c.Subnets, n.Subnets...)
	}
	if len(c.Subnets) != len(site.Subnets) {
		return rawConfig{}, fmt.Errorf("%d subnets in the JSON, %d parsed", len(c.Subnets), len(site.Subnets))
	}
	rc := rawConfig{subnets: map[uint32]map[string]json.RawMessage{}, prefix: map[uint32]string{}, hosts: map[hostKey]host{}}
	for i, raw := range c.Subnets {
		id := site.Subnets[i].ID
		if !ids[id] {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return rawConfig{}, fmt.Errorf("subnet %d: %w", id, err)
		}
		var list []json.RawMessage
		if r, ok := obj["reservations"]; ok {
			if err := json.Unmarshal(r, &list); err != nil {
				return rawConfig{}, fmt.Errorf("subnet %d: reservations: %w", id, err)
			}
		}
		delete(obj, "reservations")
		rc.subnets[id], rc.prefix[id] = obj, site.Subnets[i].Prefix.String()
		for _, h := range list {
			k, hv, err := decodeHost(id, h)
			if err != nil {
				return rawConfig{}, fmt.Errorf("subnet %d: %w", id, err)
			}
			rc.hosts[k] = hv
		}
	}
	return rc, nil
}

func decodeHost(subnet uint32, raw json.RawMessage) (hostKey, host, error) {
	var f struct {
		HW       string `json:"hw-address"`
		ClientID string `json:"client-id"`
		IP       string `json:"ip-address"`
		Hostname string `json:"hostname"`
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		return hostKey{}, host{}, fmt.Errorf("reservation: %w", err)
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return hostKey{}, host{}, fmt.Errorf("reservation: %w", err)
	}
	k := hostKey{Subnet: subnet}
	var err error
	if f.HW != "" {
		k.Type = "hw-address"
		k.ID, err = model.ParseMAC(f.HW)
	} else {
		k.Type = "client-id"
		k.ID, err = model.ParseClientID(f.ClientID)
	}
	if err != nil {
		return hostKey{}, host{}, fmt.Errorf("reservation %s: %w", f.IP, err)
	}
	obj["subnet-id"] = json.RawMessage(fmt.Sprint(subnet))
	return k, host{IP: f.IP, Hostname: f.Hostname, Object: obj}, nil
}

// changedSubnets are the ids whose records differ between have and want.
func changedSubnets(have, want *model.Site) map[uint32]bool {
	rec := map[uint32]model.Record{}
	for _, sn := range have.Subnets {
		rec[sn.ID] = sn.Recorded
	}
	out := map[uint32]bool{}
	for _, sn := range want.Subnets {
		if rec[sn.ID] != sn.Recorded {
			out[sn.ID] = true
		}
	}
	return out
}

// meanings indexes the reservations of the subnets in ids by host key,
// with what each means (model.ReservationMeaning).
func meanings(s *model.Site, ids map[uint32]bool) map[hostKey]string {
	byPrefix := map[string]*model.Subnet{}
	for _, sn := range s.Subnets {
		if ids[sn.ID] {
			byPrefix[sn.Prefix.String()] = sn
		}
	}
	out := map[hostKey]string{}
	for _, r := range s.Reservations {
		sn := byPrefix[r.Subnet]
		if sn == nil {
			continue
		}
		kind, id := r.Identifier()
		out[hostKey{sn.ID, kind, id}] = model.ReservationMeaning(sn, r)
	}
	return out
}

func sortedKeys[V any](m map[hostKey]V) []hostKey {
	return slices.SortedFunc(maps.Keys(m), hostKey.compare)
}

// liveSteps: deletions first, then subnet updates, then changed hosts,
// then new ones — so no command ever meets an address another host still
// holds. A changed host whose new address is still held when its turn
// comes (two hosts swapping addresses) is deleted with the deletions and
// added with the additions instead of updated: Kea deletes a host whose
// update it rejects for a duplicate address.
func liveSteps(in Input) ([]Step, error) {
	changed := changedSubnets(in.HaveSite, in.WantSite)
	have, err := decodeRaw(in.Have, in.HaveSite, changed)
	if err != nil {
		return nil, fmt.Errorf("reading the running config: %w", err)
	}
	want, err := decodeRaw(in.Want, in.WantSite, changed)
	if err != nil {
		return nil, fmt.Errorf("reading the rendered config: %w", err)
	}
	hm, wm := meanings(in.HaveSite, changed), meanings(in.WantSite, changed)

	holder := map[uint32]map[string]hostKey{}
	for k, h := range have.hosts {
		if holder[k.Subnet] == nil {
			holder[k.Subnet] = map[string]hostKey{}
		}
		holder[k.Subnet][h.IP] = k
	}
	var dels, subnets, updates, adds []Step
	for _, k := range sortedKeys(have.hosts) {
		if _, ok := want.hosts[k]; !ok {
			dels = append(dels, del(k, have))
			delete(holder[k.Subnet], have.hosts[k].IP)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want.subnets)) {
		subnets = append(subnets, Step{
			Command: "subnet4-update", Args: map[string]any{"subnet4": []any{want.subnets[id]}},
			What: fmt.Sprintf("subnet4-update %s (id %d): its settings, pools, options and record", want.prefix[id], id),
			Undo: &Step{Command: "subnet4-update", Args: map[string]any{"subnet4": []any{have.subnets[id]}},
				What: fmt.Sprintf("subnet4-update %s (id %d) back to what ran", have.prefix[id], id)},
		})
	}
	var deferred []hostKey
	for _, k := range sortedKeys(want.hosts) {
		old, ok := have.hosts[k]
		if !ok {
			deferred = append(deferred, k)
			continue
		}
		if hm[k] == wm[k] {
			continue
		}
		nw := want.hosts[k]
		if h, held := holder[k.Subnet][nw.IP]; held && h != k {
			dels = append(dels, del(k, have))
			delete(holder[k.Subnet], old.IP)
			deferred = append(deferred, k)
			continue
		}
		delete(holder[k.Subnet], old.IP)
		holder[k.Subnet][nw.IP] = k
		updates = append(updates, Step{
			Command: "reservation-update", Args: hostArgs(nw), Key: k,
			What:   fmt.Sprintf("reservation-update %s: %s → %s", label(k, nw, want), old.IP, nw.IP),
			Undo:   &Step{Command: "reservation-update", Args: hostArgs(old), Key: k, What: "reservation-update " + label(k, old, have) + " back"},
			IfGone: &Step{Command: "reservation-add", Args: hostArgs(old), Key: k, What: "reservation-add " + label(k, old, have) + " (Kea deleted it when it rejected the update)"},
		})
	}
	slices.SortFunc(deferred, hostKey.compare)
	for _, k := range deferred {
		h := want.hosts[k]
		adds = append(adds, Step{
			Command: "reservation-add", Args: hostArgs(h), Key: k,
			What: "reservation-add " + label(k, h, want),
			Undo: &Step{Command: "reservation-del", Args: delArgs(k), Key: k, What: "reservation-del " + label(k, h, want)},
		})
	}
	return slices.Concat(dels, subnets, updates, adds), nil
}

func del(k hostKey, have rawConfig) Step {
	h := have.hosts[k]
	return Step{
		Command: "reservation-del", Args: delArgs(k), Key: k,
		What: "reservation-del " + label(k, h, have),
		Undo: &Step{Command: "reservation-add", Args: hostArgs(h), Key: k, What: "reservation-add " + label(k, h, have) + " back"},
	}
}

// Hosts are changed in memory only: keaops's config-write, once every
// command on the node succeeded, is what persists them.
func hostArgs(h host) map[string]any {
	return map[string]any{"reservation": h.Object, "operation-target": "memory"}
}

func delArgs(k hostKey) map[string]any {
	return map[string]any{"subnet-id": k.Subnet, "identifier-type": k.Type, "identifier": k.ID, "operation-target": "memory"}
}

func label(k hostKey, h host, c rawConfig) string {
	name := h.Hostname
	if name == "" {
		name = k.ID
	}
	return fmt.Sprintf("%s %s (%s %s) in %s", h.IP, name, k.Type, k.ID, c.prefix[k.Subnet])
}
