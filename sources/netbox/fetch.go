package netbox

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	nb "github.com/netbox-community/go-netbox/v4"

	"github.com/keaops/keaops/internal/model"
)

// Batch sizes for filters that take many values: NetBox ORs repeated
// parameters, and 50 prefixes or 100 ids keep a request line near 2 KB,
// under what NetBox's servers accept (gunicorn: 4,094 bytes; nginx: 8 KB).
const (
	prefixBatch = 50
	idBatch     = 100
)

// SelectionOf is the site's selection with keaops' defaults: active
// prefixes and ranges, addresses with status dhcp or reserved.
func SelectionOf(cfg *model.NetBox) Selection {
	withStatus := func(f model.NetBoxFilter, def ...string) Filter {
		out := Filter{Tag: f.Tag, Role: f.Role, Site: f.Site, VRF: f.VRF, Status: f.Status}
		if len(out.Status) == 0 {
			out.Status = def
		}
		return out
	}
	s := Selection{
		Prefixes: withStatus(cfg.Prefixes, "active"),
		IPRanges: withStatus(cfg.Ranges, "active"),
	}
	if cfg.Addresses != nil {
		a := withStatus(*cfg.Addresses, "dhcp", "reserved")
		s.Addresses = &a
	}
	for _, f := range model.NetBoxFields {
		if f.Setting == "hw-address" && cfg.Addresses == nil {
			continue
		}
		s.Fields = append(s.Fields, cfg.Field(f.Setting))
	}
	slices.Sort(s.Fields)
	s.Fields = slices.Compact(s.Fields)
	return s
}

// OptionsFor are the client options a site's NetBox source asks for.
func OptionsFor(cfg *model.NetBox, token string) Options {
	return Options{URL: cfg.URL, Token: token, CAFile: cfg.CAFile, Timeout: cfg.Timeout, PageSize: cfg.PageSize, Concurrency: cfg.Concurrency, Retries: retries(cfg)}
}

func retries(cfg *model.NetBox) int {
	if cfg.Retries == nil {
		return DefaultRetries
	}
	return *cfg.Retries
}

// Fetch reads the site's selection from NetBox: the prefixes, the IP
// ranges and IP addresses inside them, and the MAC addresses of the
// addresses' interfaces. Every filter is applied by NetBox, so objects the
// site does not select never reach go-netbox's strict decoder.
func Fetch(ctx context.Context, cfg *model.NetBox, o Options) (*Snapshot, error) {
	c, err := newClient(o)
	if err != nil {
		return nil, err
	}
	sel := SelectionOf(cfg)
	origin := *c.base
	origin.User = nil // credentials in the URL stay out of the file
	snap := &Snapshot{Format: SnapshotFormat, NetBox: origin.String(), Selection: sel}
	keep := map[string]bool{}
	for _, f := range sel.Fields {
		keep[f] = true
	}

	f := sel.Prefixes
	snap.Prefixes, err = list(ctx, c, "ipam/prefixes", func(ctx context.Context, limit, offset int32) (page[nb.Prefix], *http.Response, error) {
		r := filtered(c.api.IpamAPI.IpamPrefixesList(ctx).Family(4).Status(f.Status).Ordering("id").Limit(limit).Offset(offset), f)
		if len(f.Role) > 0 {
			r = r.Role(f.Role)
		}
		if len(f.Site) > 0 {
			r = r.Site(f.Site)
		}
		p, resp, err := r.Execute()
		return pageOf(p, err, func(p *nb.PaginatedPrefixList) (int32, []nb.Prefix) { return p.Count, p.Results }), resp, err
	}, func(p nb.Prefix) Prefix { return prefixOf(p, keep) })
	if err != nil {
		return nil, err
	}

	var batches [][]string
	for b := range slices.Chunk(snap.Prefixes, prefixBatch) {
		ps := make([]string, len(b))
		for i, p := range b {
			ps[i] = p.Prefix
		}
		batches = append(batches, ps)
	}
	ranges := make([][]IPRange, len(batches))
	var addrs [][]IPAddress
	if sel.Addresses != nil {
		addrs = make([][]IPAddress, len(batches))
	}
	err = parallel(ctx, 2*len(batches), func(ctx context.Context, i int) error {
		var err error
		if i%2 == 0 {
			ranges[i/2], err = listRanges(ctx, c, sel.IPRanges, batches[i/2])
		} else if addrs != nil {
			addrs[i/2], err = listAddresses(ctx, c, *sel.Addresses, batches[i/2], keep)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// A range or address inside two selected prefixes (a parent and a
	// child) comes back for both batches.
	snap.IPRanges = dedupe(slices.Concat(ranges...), func(r IPRange) int32 { return r.ID })
	snap.Addresses = dedupe(slices.Concat(addrs...), func(a IPAddress) int32 { return a.ID })
	if err := addMACs(ctx, c, snap.Addresses); err != nil {
		return nil, err
	}
	snap.sort()
	return snap, nil
}

func listRanges(ctx context.Context, c *client, f Filter, parents []string) ([]IPRange, error) {
	return list(ctx, c, "ipam/ip-ranges", func(ctx context.Context, limit, offset int32) (page[nb.IPRange], *http.Response, error) {
		r := filtered(c.api.IpamAPI.IpamIpRangesList(ctx).Family(4).Parent(parents).Status(f.Status).Ordering("id").Limit(limit).Offset(offset), f)
		if len(f.Role) > 0 {
			r = r.Role(f.Role)
		}
		p, resp, err := r.Execute()
		return pageOf(p, err, func(p *nb.PaginatedIPRangeList) (int32, []nb.IPRange) { return p.Count, p.Results }), resp, err
	}, func(r nb.IPRange) IPRange {
		return IPRange{ID: r.Id, Display: r.Display, Start: addrOnly(r.StartAddress), End: addrOnly(r.EndAddress), VRF: vrfOf(r.Vrf), Description: r.GetDescription()}
	})
}

func listAddresses(ctx context.Context, c *client, f Filter, parents []string, keep map[string]bool) ([]IPAddress, error) {
	return list(ctx, c, "ipam/ip-addresses", func(ctx context.Context, limit, offset int32) (page[nb.IPAddress], *http.Response, error) {
		r := filtered(c.api.IpamAPI.IpamIpAddressesList(ctx).Family(4).Parent(parents).Status(f.Status).Ordering("id").Limit(limit).Offset(offset), f)
		p, resp, err := r.Execute()
		return pageOf(p, err, func(p *nb.PaginatedIPAddressList) (int32, []nb.IPAddress) { return p.Count, p.Results }), resp, err
	}, func(a nb.IPAddress) IPAddress { return addressOf(a, keep) })
}

// addMACs fills in each address's interface MAC from NetBox's MAC address
// objects (NetBox 4.2+ keeps MACs apart from interfaces). An interface with
// several MACs uses its primary one, read from the interface itself.
func addMACs(ctx context.Context, c *client, addrs []IPAddress) error {
	type key struct {
		typ string
		id  int32
	}
	// MAC objects are reduced as their pages arrive, not kept whole.
	type assignedMAC struct {
		on  key
		mac string
	}
	ids := map[string][]int32{}
	seen := map[key]bool{}
	for _, a := range addrs {
		if i := a.Interface; i != nil && !seen[key{i.Type, i.ID}] {
			seen[key{i.Type, i.ID}] = true
			ids[i.Type] = append(ids[i.Type], i.ID)
		}
	}
	var mu sync.Mutex
	macs := map[key][]string{}
	primary := map[key]string{}
	var jobs []func(context.Context) error
	for typ, all := range ids {
		slices.Sort(all)
		for b := range slices.Chunk(all, idBatch) {
			jobs = append(jobs, func(ctx context.Context) error {
				found, err := list(ctx, c, "dcim/mac-addresses", func(ctx context.Context, limit, offset int32) (page[nb.MACAddress], *http.Response, error) {
					r := c.api.DcimAPI.DcimMacAddressesList(ctx).Ordering("id").Limit(limit).Offset(offset)
					if typ == vmInterface {
						r = r.VminterfaceId(b)
					} else {
						r = r.InterfaceId(b)
					}
					p, resp, err := r.Execute()
					return pageOf(p, err, func(p *nb.PaginatedMACAddressList) (int32, []nb.MACAddress) { return p.Count, p.Results }), resp, err
				}, func(m nb.MACAddress) assignedMAC {
					return assignedMAC{key{m.GetAssignedObjectType(), int32(m.GetAssignedObjectId())}, normalMAC(m.MacAddress)}
				})
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, m := range found {
					if m.on.typ == typ {
						macs[m.on] = append(macs[m.on], m.mac)
					}
				}
				return nil
			})
		}
	}
	if err := parallel(ctx, len(jobs), func(ctx context.Context, i int) error { return jobs[i](ctx) }); err != nil {
		return err
	}
	multi := map[string][]int32{}
	for k, ms := range macs {
		slices.Sort(ms)
		if len(ms) > 1 {
			multi[k.typ] = append(multi[k.typ], k.id)
		}
	}
	jobs = jobs[:0]
	for typ, all := range multi {
		slices.Sort(all)
		for b := range slices.Chunk(all, idBatch) {
			jobs = append(jobs, func(ctx context.Context) error {
				found, err := primaryMACs(ctx, c, typ, b)
				mu.Lock()
				defer mu.Unlock()
				for id, mac := range found {
					primary[key{typ, id}] = mac
				}
				return err
			})
		}
	}
	if err := parallel(ctx, len(jobs), func(ctx context.Context, i int) error { return jobs[i](ctx) }); err != nil {
		return err
	}
	for i := range addrs {
		ifc := addrs[i].Interface
		if ifc == nil {
			continue
		}
		k := key{ifc.Type, ifc.ID}
		ifc.MACs = macs[k]
		switch {
		case len(ifc.MACs) == 1:
			ifc.MAC = ifc.MACs[0]
		case primary[k] != "":
			ifc.MAC = primary[k]
		}
	}
	return nil
}

// primaryMACs reads the primary MAC of interfaces that have several.
func primaryMACs(ctx context.Context, c *client, typ string, ids []int32) (map[int32]string, error) {
	type primary struct {
		id  int32
		mac *nb.BriefMACAddress
	}
	var found []primary
	var err error
	if typ == vmInterface {
		found, err = list(ctx, c, "virtualization/interfaces", func(ctx context.Context, limit, offset int32) (page[nb.VMInterface], *http.Response, error) {
			p, resp, err := c.api.VirtualizationAPI.VirtualizationInterfacesList(ctx).Id(ids).Ordering("id").Limit(limit).Offset(offset).Execute()
			return pageOf(p, err, func(p *nb.PaginatedVMInterfaceList) (int32, []nb.VMInterface) { return p.Count, p.Results }), resp, err
		}, func(i nb.VMInterface) primary { return primary{i.Id, i.PrimaryMacAddress.Get()} })
	} else {
		found, err = list(ctx, c, "dcim/interfaces", func(ctx context.Context, limit, offset int32) (page[nb.Interface], *http.Response, error) {
			p, resp, err := c.api.DcimAPI.DcimInterfacesList(ctx).Id(ids).Ordering("id").Limit(limit).Offset(offset).Execute()
			return pageOf(p, err, func(p *nb.PaginatedInterfaceList) (int32, []nb.Interface) { return p.Count, p.Results }), resp, err
		}, func(i nb.Interface) primary { return primary{i.Id, i.PrimaryMacAddress.Get()} })
	}
	out := map[int32]string{}
	for _, p := range found {
		if p.mac != nil {
			out[p.id] = normalMAC(p.mac.MacAddress)
		}
	}
	return out, err
}

const (
	dcimInterface = "dcim.interface"
	vmInterface   = "virtualization.vminterface"
)

func prefixOf(p nb.Prefix, keep map[string]bool) Prefix {
	out := Prefix{ID: p.Id, Display: p.Display, Prefix: p.Prefix, VRF: vrfOf(p.Vrf), Description: p.GetDescription(), CustomFields: fields(p.CustomFields, keep)}
	if v := p.Vlan.Get(); v != nil {
		out.VLAN = &VLAN{ID: v.Id, VID: v.Vid, Name: v.Name}
	}
	return out
}

func addressOf(a nb.IPAddress, keep map[string]bool) IPAddress {
	out := IPAddress{ID: a.Id, Display: a.Display, Address: a.Address, VRF: vrfOf(a.Vrf), DNSName: a.GetDnsName(), Description: a.GetDescription(), CustomFields: fields(a.CustomFields, keep)}
	typ := a.GetAssignedObjectType()
	obj, _ := a.AssignedObject.(map[string]any)
	if (typ != dcimInterface && typ != vmInterface) || obj == nil {
		return out
	}
	ifc := &Interface{Type: typ, Name: str(obj["name"])}
	if id, ok := obj["id"].(float64); ok {
		ifc.ID = int32(id)
	} else {
		ifc.ID = int32(a.GetAssignedObjectId())
	}
	for _, parent := range []string{"device", "virtual_machine"} {
		if p, ok := obj[parent].(map[string]any); ok {
			ifc.Parent = str(p["name"])
		}
	}
	out.Interface = ifc
	return out
}

// fields keeps the custom fields keaops maps, and only those with a value:
// NetBox lists every field defined for the object type, mostly null.
func fields(cf map[string]any, keep map[string]bool) map[string]any {
	var out map[string]any
	for k, v := range cf {
		if keep[k] && v != nil && v != "" {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

func vrfOf(v nb.NullableBriefVRF) *VRF {
	if r := v.Get(); r != nil {
		return &VRF{ID: r.Id, Name: r.Name, RD: r.GetRd()}
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

// addrOnly drops the mask NetBox writes after every address.
func addrOnly(s string) string { a, _, _ := strings.Cut(s, "/"); return a }

// normalMAC lower-cases NetBox's upper-case MACs.
func normalMAC(s string) string { return strings.ToLower(s) }

// filtered adds the tag and VRF filters every listing shares; go-netbox's
// request builders are distinct types with the same methods.
func filtered[R interface {
	Tag([]string) R
	Vrf([]*string) R
}](r R, f Filter) R {
	if len(f.Tag) > 0 {
		r = r.Tag(f.Tag)
	}
	if len(f.VRF) > 0 {
		r = r.Vrf(ptrs(f.VRF))
	}
	return r
}

func ptrs(ss []string) []*string {
	out := make([]*string, len(ss))
	for i := range ss {
		out[i] = &ss[i]
	}
	return out
}

// pageOf adapts go-netbox's Paginated*List types. go-netbox returns no
// list and no error for an empty body; that page has count -1, which
// getPage reports.
func pageOf[P, T any](p *P, err error, parts func(*P) (int32, []T)) page[T] {
	if err != nil {
		return page[T]{}
	}
	if p == nil {
		return page[T]{count: -1}
	}
	n, r := parts(p)
	return page[T]{count: int(n), results: r}
}

func dedupe[T any](xs []T, id func(T) int32) []T {
	seen := make(map[int32]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		if !seen[id(x)] {
			seen[id(x)] = true
			out = append(out, x)
		}
	}
	return out
}

// parallel runs fn for 0..n-1 at once (requests are bounded by the client's
// semaphore, not here) and returns the first error, cancelling the rest.
func parallel(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if errs[i] = fn(ctx, i); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	return firstReal(errs)
}
