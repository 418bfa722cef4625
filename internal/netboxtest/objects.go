package netboxtest

import (
	"fmt"
	"net/netip"
)

// The constructors build objects the way NetBox 4.3 serialises them
// (reference/go-libraries.md §2.5). base is the API's origin, so URLs point
// back at the server as NetBox's do.

const stamp = "2025-03-01T10:00:00.000000Z"

func (s *Server) url(path string, id int) string {
	return fmt.Sprintf("%s/api/%s/%d/", s.origin(), path, id)
}

func (s *Server) origin() string {
	if s.URL != "" {
		return s.URL
	}
	return "http://127.0.0.1"
}

func (s *Server) brief(path string, id int, name string, extra Obj) Obj {
	o := Obj{"id": id, "url": s.url(path, id), "display": name, "name": name, "description": ""}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// Tags makes a tags list.
func (s *Server) Tags(slugs ...string) []any {
	out := []any{}
	for i, t := range slugs {
		out = append(out, Obj{"id": 100 + i, "url": s.url("extras/tags", 100+i), "display_url": s.url("extras/tags", 100+i),
			"display": t, "name": t, "slug": t, "color": "9e9e9e"})
	}
	return out
}

// PrefixSpec describes a prefix; zero fields are null in the JSON.
type PrefixSpec struct {
	ID           int
	Prefix       string
	Status       string // default active
	VLAN         int    // vid; 0 for none
	VLANName     string
	Site         string
	Role         string
	VRF          string // rd
	Tags         []string
	Description  string
	CustomFields Obj
}

var statusLabels = map[string]string{
	"active": "Active", "reserved": "Reserved", "deprecated": "Deprecated", "container": "Container", "dhcp": "DHCP", "slaac": "SLAAC",
}

func status(v string) Obj {
	if v == "" {
		v = "active"
	}
	l, ok := statusLabels[v]
	if !ok {
		l = v // a custom choice: its label is whatever the admin wrote
	}
	return Obj{"value": v, "label": l}
}

func (s *Server) vrf(rd string) any {
	if rd == "" {
		return nil
	}
	return s.brief("ipam/vrfs", len(rd), "vrf-"+rd, Obj{"rd": rd})
}

// Prefix builds a prefix object.
func (s *Server) Prefix(p PrefixSpec) Obj {
	cf := Obj{"kea_subnet_id": nil, "dhcp_gateway": nil, "dhcp_dns": nil, "dhcp_options": nil, "owner_team": "netops"}
	for k, v := range p.CustomFields {
		cf[k] = v
	}
	o := Obj{
		"id": p.ID, "url": s.url("ipam/prefixes", p.ID), "display_url": s.url("ipam/prefixes", p.ID), "display": p.Prefix,
		"family": Obj{"value": 4, "label": "IPv4"}, "prefix": p.Prefix, "vrf": s.vrf(p.VRF),
		"scope_type": nil, "scope_id": nil, "scope": nil, "tenant": nil, "vlan": nil,
		"status": status(p.Status), "role": nil, "is_pool": false, "mark_utilized": false,
		"description": p.Description, "comments": "", "tags": s.Tags(p.Tags...), "custom_fields": cf,
		"created": stamp, "last_updated": stamp, "children": 0, "_depth": 0,
	}
	if p.Site != "" {
		o["scope_type"], o["scope_id"] = "dcim.site", 1
		o["scope"] = Obj{"id": 1, "url": s.url("dcim/sites", 1), "display": p.Site, "name": p.Site, "slug": p.Site, "description": ""}
	}
	if p.VLAN != 0 {
		o["vlan"] = Obj{"id": 1000 + p.VLAN, "url": s.url("ipam/vlans", 1000+p.VLAN), "display": fmt.Sprintf("%s (%d)", p.VLANName, p.VLAN),
			"vid": p.VLAN, "name": p.VLANName, "description": ""}
	}
	if p.Role != "" {
		o["role"] = Obj{"id": 3, "url": s.url("ipam/roles", 3), "display": p.Role, "name": p.Role, "slug": p.Role, "description": ""}
	}
	return o
}

// RangeSpec describes an IP range.
type RangeSpec struct {
	ID          int
	Start, End  string // with mask, as NetBox writes them
	Status      string
	Role        string
	VRF         string
	Tags        []string
	Description string
}

// Range builds an IP range object.
func (s *Server) Range(r RangeSpec) Obj {
	from, _ := netip.ParsePrefix(r.Start)
	to, _ := netip.ParsePrefix(r.End)
	size := 0
	if from.IsValid() && to.IsValid() {
		a, b := from.Addr().As4(), to.Addr().As4()
		size = int(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) - int(uint32(a[0])<<24|uint32(a[1])<<16|uint32(a[2])<<8|uint32(a[3])) + 1
	}
	o := Obj{
		"id": r.ID, "url": s.url("ipam/ip-ranges", r.ID), "display_url": s.url("ipam/ip-ranges", r.ID),
		"display": fmt.Sprintf("%s-%s", r.Start, r.End), "family": Obj{"value": 4, "label": "IPv4"},
		"start_address": r.Start, "end_address": r.End, "size": size, "vrf": s.vrf(r.VRF), "tenant": nil,
		"status": status(r.Status), "role": nil, "description": r.Description, "comments": "",
		"tags": s.Tags(r.Tags...), "custom_fields": Obj{}, "created": stamp, "last_updated": stamp,
		"mark_populated": false, "mark_utilized": false,
	}
	if r.Role != "" {
		o["role"] = Obj{"id": 4, "url": s.url("ipam/roles", 4), "display": r.Role, "name": r.Role, "slug": r.Role, "description": ""}
	}
	return o
}

// AddressSpec describes an IP address and, optionally, the interface it is
// assigned to.
type AddressSpec struct {
	ID      int
	Address string // with mask
	Status  string // default dhcp
	DNSName string
	VRF     string
	Tags    []string
	// Interface: a dcim interface id, or a VM interface id when VM is set.
	Interface    int
	IfName       string
	Device       string
	VM           bool
	Description  string
	CustomFields Obj
}

// Address builds an IP address object.
func (s *Server) Address(a AddressSpec) Obj {
	if a.Status == "" {
		a.Status = "dhcp"
	}
	o := Obj{
		"id": a.ID, "url": s.url("ipam/ip-addresses", a.ID), "display_url": s.url("ipam/ip-addresses", a.ID), "display": a.Address,
		"family": Obj{"value": 4, "label": "IPv4"}, "address": a.Address, "vrf": s.vrf(a.VRF), "tenant": nil,
		"status": status(a.Status), "role": nil, "assigned_object_type": nil, "assigned_object_id": nil, "assigned_object": nil,
		"nat_inside": nil, "nat_outside": []any{}, "dns_name": a.DNSName, "description": a.Description, "comments": "",
		"tags": s.Tags(a.Tags...), "custom_fields": a.CustomFields, "created": stamp, "last_updated": stamp,
	}
	if o["custom_fields"] == nil {
		o["custom_fields"] = Obj{}
	}
	if a.Interface != 0 {
		o["assigned_object_type"], o["assigned_object_id"], o["assigned_object"] = s.assigned(a.Interface, a.IfName, a.Device, a.VM)
	}
	return o
}

func (s *Server) assigned(id int, name, parent string, vm bool) (string, int, Obj) {
	if vm {
		return "virtualization.vminterface", id, Obj{"id": id, "url": s.url("virtualization/interfaces", id), "display": name,
			"virtual_machine": s.brief("virtualization/virtual-machines", id, parent, nil), "name": name, "description": ""}
	}
	return "dcim.interface", id, Obj{"id": id, "url": s.url("dcim/interfaces", id), "display": name,
		"device": s.brief("dcim/devices", id, parent, nil), "name": name, "description": "", "cable": nil, "_occupied": false}
}

// MAC builds a MAC address object on an interface (NetBox 4.2+). NetBox
// writes MACs in upper case.
func (s *Server) MAC(id int, mac string, iface int, ifName, parent string, vm bool) Obj {
	typ, aid, obj := s.assigned(iface, ifName, parent, vm)
	return Obj{"id": id, "url": s.url("dcim/mac-addresses", id), "display_url": s.url("dcim/mac-addresses", id), "display": mac,
		"mac_address": mac, "assigned_object_type": typ, "assigned_object_id": aid, "assigned_object": obj,
		"description": "", "comments": "", "tags": []any{}, "custom_fields": Obj{}, "created": stamp, "last_updated": stamp}
}

// Interface builds a device interface whose primary MAC is primaryMAC
// (with the MAC object's id), for interfaces with several MACs.
func (s *Server) Interface(id int, name, device string, primaryID int, primaryMAC string, macs ...Obj) Obj {
	var briefs []any
	for _, m := range macs {
		briefs = append(briefs, Obj{"id": m["id"], "url": m["url"], "display": m["display"], "mac_address": m["mac_address"], "description": ""})
	}
	return Obj{
		"id": id, "url": s.url("dcim/interfaces", id), "display_url": s.url("dcim/interfaces", id), "display": name,
		"device": s.brief("dcim/devices", id, device, nil), "vdcs": []any{}, "module": nil, "name": name, "label": "",
		"type": Obj{"value": "1000base-t", "label": "1000BASE-T (1GE)"}, "enabled": true, "parent": nil, "bridge": nil, "lag": nil,
		"mtu": nil, "mac_address": primaryMAC,
		"primary_mac_address": Obj{"id": primaryID, "url": s.url("dcim/mac-addresses", primaryID), "display": primaryMAC, "mac_address": primaryMAC, "description": ""},
		"mac_addresses":       briefs, "speed": nil, "duplex": nil, "wwn": nil, "mgmt_only": false, "description": "", "mode": nil,
		"rf_role": nil, "rf_channel": nil, "poe_mode": nil, "poe_type": nil, "rf_channel_frequency": nil, "rf_channel_width": nil,
		"tx_power": nil, "untagged_vlan": nil, "tagged_vlans": []any{}, "qinq_svlan": nil, "vlan_translation_policy": nil,
		"mark_connected": false, "cable": nil, "cable_end": "", "wireless_link": nil, "link_peers": []any{}, "link_peers_type": nil,
		"wireless_lans": []any{}, "vrf": nil, "l2vpn_termination": nil, "connected_endpoints": nil, "connected_endpoints_type": nil,
		"connected_endpoints_reachable": false, "owner": nil, "tags": []any{}, "custom_fields": Obj{}, "created": stamp, "last_updated": stamp,
		"count_ipaddresses": 1, "count_fhrp_groups": 0, "_occupied": false,
	}
}
