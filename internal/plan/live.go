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

func decodeRaw(dhcp4 json.RawMessage) (rawConfig, error) {
	var c struct {
		Subnets []map[string]json.RawMessage `json:"subnet4"`
	}
	if err := json.Unmarshal(dhcp4, &c); err != nil {
		return rawConfig{}, err
	}
	rc := rawConfig{subnets: map[uint32]map[string]json.RawMessage{}, prefix: map[uint32]string{}, hosts: map[hostKey]host{}}
	for _, sn := range c.Subnets {
		var id uint32
		var prefix string
		if err := json.Unmarshal(sn["id"], &id); err != nil {
			return rawConfig{}, fmt.Errorf("subnet id: %w", err)
		}
		_ = json.Unmarshal(sn["subnet"], &prefix)
		var list []map[string]json.RawMessage
		if r, ok := sn["reservations"]; ok {
			if err := json.Unmarshal(r, &list); err != nil {
				return rawConfig{}, fmt.Errorf("subnet %d: reservations: %w", id, err)
			}
		}
		obj := maps.Clone(sn)
		delete(obj, "reservations")
		rc.subnets[id], rc.prefix[id] = obj, prefix
		for _, h := range list {
			var f struct {
				HW       string `json:"hw-address"`
				ClientID string `json:"client-id"`
				IP       string `json:"ip-address"`
				Hostname string `json:"hostname"`
			}
			b, _ := json.Marshal(h)
			if err := json.Unmarshal(b, &f); err != nil {
				return rawConfig{}, fmt.Errorf("subnet %d: reservation: %w", id, err)
			}
			k := hostKey{Subnet: id}
			var err error
			if f.HW != "" {
				k.Type = "hw-address"
				k.ID, err = model.ParseMAC(f.HW)
			} else {
				k.Type = "client-id"
				k.ID, err = model.ParseClientID(f.ClientID)
			}
			if err != nil {
				return rawConfig{}, fmt.Errorf("subnet %d: reservation %s: %w", id, f.IP, err)
			}
			obj := maps.Clone(h)
			obj["subnet-id"] = json.RawMessage(fmt.Sprint(id))
			rc.hosts[k] = host{IP: f.IP, Hostname: f.Hostname, Object: obj}
		}
	}
	return rc, nil
}

// meanings indexes a site's reservations by host key, with what each
// means (model.ReservationMeaning), and its subnets' records by id.
func meanings(s *model.Site) (map[hostKey]string, map[uint32]model.Record) {
	byPrefix := map[string]*model.Subnet{}
	records := map[uint32]model.Record{}
	for _, sn := range s.Subnets {
		byPrefix[sn.Prefix.String()] = sn
		records[sn.ID] = sn.Recorded
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
	return out, records
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
	have, err := decodeRaw(in.Have)
	if err != nil {
		return nil, fmt.Errorf("reading the running config: %w", err)
	}
	want, err := decodeRaw(in.Want)
	if err != nil {
		return nil, fmt.Errorf("reading the rendered config: %w", err)
	}
	hm, hrec := meanings(in.HaveSite)
	wm, wrec := meanings(in.WantSite)

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
		if hrec[id] == wrec[id] {
			continue
		}
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
