// Package keaconfig reads a Kea DHCPv4 configuration — a live server's
// config-get, or a rendered kea-dhcp4.json — back into the model, so that
// what runs and what is wanted are compared model to model: Kea fills in
// dozens of defaults, which a text diff would report as changes.
//
// It is also the start of importing an existing Kea into keaops. Fields
// keaops does not model are ignored; positions name the origin, e.g.
// "kea-primary (live)".
package keaconfig

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/keaops/keaops/internal/model"
)

// Parse reads a Dhcp4 configuration (the object inside "Dhcp4"). origin
// names where it came from, for positions.
func Parse(dhcp4 json.RawMessage, origin string) (*model.Site, error) {
	var c config
	if err := json.Unmarshal(dhcp4, &c); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", origin, err)
	}
	pos := model.Pos{File: origin}
	s := &model.Site{Pos: pos, HA: model.HA{Mode: model.HANone}, Recorded: c.Context.record()}
	s.Defaults = model.Defaults{Lifetimes: lifetimes(c.lifetimeFields, pos), Options: options(c.Options, pos)}
	for _, cc := range c.Classes {
		s.Classes = append(s.Classes, &model.ClientClass{
			Name: cc.Name, Test: cc.Test, OnlyIfRequired: cc.OnlyIfRequired || cc.OnlyInAdditional,
			Comment: cc.Context.Comment, Options: options(cc.Options, pos), Pos: pos,
		})
	}
	self := &model.Node{Interfaces: c.Interfaces.Interfaces, Pos: pos}
	// Node-local settings: this server's files and database.
	db := c.LeaseDB
	s.LeaseDB = model.LeaseDB{Type: db.Type, Persist: db.Persist, LFCInterval: intp(db.LFCInterval, pos), Host: db.Host, Port: db.Port, User: db.User, Pos: pos}
	if db.Type == "memfile" {
		self.Paths.LeaseFile = db.Name
	} else {
		s.LeaseDB.Name = db.Name
	}
	if c.ControlSocket != nil {
		self.Paths.ControlSocket = c.ControlSocket.Name
	}
	for _, sock := range c.ControlSockets {
		if sock.Type == "unix" {
			self.Paths.ControlSocket = sock.Name
		}
	}
	for _, l := range c.Loggers {
		if l.Name == "kea-dhcp4" {
			for _, o := range append(l.Output1, l.Output2...) {
				self.Paths.LogFile = o.Output
			}
		}
	}
	for i := range c.Subnets {
		sn, res, err := subnet(&c.Subnets[i], pos)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", origin, err)
		}
		s.Subnets = append(s.Subnets, sn)
		s.Reservations = append(s.Reservations, res...)
	}
	if err := hooks(s, self, c.Hooks, pos); err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	if len(s.Nodes) == 0 {
		s.Nodes = []*model.Node{self}
	}
	if s.HA.Mode == model.HALoadBalancing {
		for _, sn := range s.Subnets {
			sn.Pools = joinSplitPools(sn.Pools)
		}
	}
	return s, nil
}

// joinSplitPools undoes load-balancing's split: two adjacent pools reserved
// to different HA_ classes are one pool of the model.
func joinSplitPools(pools []*model.Pool) []*model.Pool {
	var out []*model.Pool
	for i := 0; i < len(pools); i++ {
		a := pools[i]
		if i+1 < len(pools) {
			b := pools[i+1]
			if strings.HasPrefix(a.ClientClass, "HA_") && strings.HasPrefix(b.ClientClass, "HA_") && a.ClientClass != b.ClientClass && a.To.Next() == b.From {
				out = append(out, &model.Pool{From: a.From, To: b.To, Comment: a.Comment, Options: a.Options, Pos: a.Pos})
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// ThisServer returns the name a configuration's HA section gives the server
// itself (this-server-name), or "" without HA.
func ThisServer(dhcp4 json.RawMessage) string {
	var c config
	if json.Unmarshal(dhcp4, &c) != nil {
		return ""
	}
	if ha := firstHA(c.Hooks); ha != nil {
		return ha.ThisServerName
	}
	return ""
}

// CheckIdentity refuses a kea-dhcp4 config (the Dhcp4 object) that is
// another node's: its HA this-server-name names a different server. A
// config copied between HA nodes is how a pair ends up with two servers
// that each think they are the other.
func CheckIdentity(dhcp4 json.RawMessage, node string) error {
	if self := ThisServer(dhcp4); self != "" && self != node {
		return fmt.Errorf("the config is %s's (this-server-name %q), not %s's", self, self, node)
	}
	return nil
}

// firstHA returns the HA relationship of a config (keaops renders one), or nil.
func firstHA(hooks []hookConfig) *haConfig {
	for _, h := range hooks {
		if len(h.Parameters.HA) > 0 {
			return &h.Parameters.HA[0]
		}
	}
	return nil
}

type lifetimeFields struct {
	Valid  *int64 `json:"valid-lifetime"`
	Renew  *int64 `json:"renew-timer"`
	Rebind *int64 `json:"rebind-timer"`
}

type optionData struct {
	Name       string `json:"name"`
	Code       int    `json:"code"`
	Space      string `json:"space"`
	Data       string `json:"data"`
	AlwaysSend bool   `json:"always-send"`
	NeverSend  bool   `json:"never-send"`
	CSVFormat  *bool  `json:"csv-format"`
}

type userContext struct {
	Name    string `json:"name"`
	VLAN    int    `json:"vlan"`
	Comment string `json:"comment"`
	Keaops  struct {
		Fingerprint string `json:"fingerprint"`
		Render      string `json:"render"`
	} `json:"keaops"`
}

func (u userContext) record() model.Record {
	return model.Record{Fingerprint: u.Keaops.Fingerprint, Render: u.Keaops.Render}
}

type socketConfig struct {
	Type string `json:"socket-type"`
	Name string `json:"socket-name"`
}

type config struct {
	lifetimeFields
	ControlSocket  *socketConfig  `json:"control-socket"`
	ControlSockets []socketConfig `json:"control-sockets"`
	LeaseDB        struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		Persist     *bool  `json:"persist"`
		LFCInterval *int64 `json:"lfc-interval"`
		Host        string `json:"host"`
		Port        int    `json:"port"`
		User        string `json:"user"`
	} `json:"lease-database"`
	Loggers []struct {
		Name    string `json:"name"`
		Output1 []struct {
			Output string `json:"output"`
		} `json:"output_options"`
		Output2 []struct {
			Output string `json:"output"`
		} `json:"output-options"`
	} `json:"loggers"`
	Context    userContext `json:"user-context"`
	Interfaces struct {
		Interfaces []string `json:"interfaces"`
	} `json:"interfaces-config"`
	Options []optionData `json:"option-data"`
	Classes []struct {
		Name             string       `json:"name"`
		Test             string       `json:"test"`
		OnlyIfRequired   bool         `json:"only-if-required"`
		OnlyInAdditional bool         `json:"only-in-additional-list"`
		Options          []optionData `json:"option-data"`
		Context          userContext  `json:"user-context"`
	} `json:"client-classes"`
	Subnets []subnetConfig `json:"subnet4"`
	Hooks   []hookConfig   `json:"hooks-libraries"`
}

type hookConfig struct {
	Library    string `json:"library"`
	Parameters struct {
		HA []haConfig `json:"high-availability"`
	} `json:"parameters"`
}

type subnetConfig struct {
	lifetimeFields
	ID          uint32       `json:"id"`
	Subnet      string       `json:"subnet"`
	Options     []optionData `json:"option-data"`
	ClientClass string       `json:"client-class"`
	Classes     []string     `json:"client-classes"`
	Interface   string       `json:"interface"`
	Relay       struct {
		IPs []string `json:"ip-addresses"`
	} `json:"relay"`
	Context userContext `json:"user-context"`
	Pools   []struct {
		Pool        string       `json:"pool"`
		ClientClass string       `json:"client-class"`
		Classes     []string     `json:"client-classes"`
		Options     []optionData `json:"option-data"`
		Context     userContext  `json:"user-context"`
	} `json:"pools"`
	Reservations []struct {
		HWAddress string       `json:"hw-address"`
		ClientID  string       `json:"client-id"`
		IP        string       `json:"ip-address"`
		Hostname  string       `json:"hostname"`
		Options   []optionData `json:"option-data"`
		Classes   []string     `json:"client-classes"`
		Context   userContext  `json:"user-context"`
	} `json:"reservations"`
}

type haConfig struct {
	ThisServerName      string `json:"this-server-name"`
	Mode                string `json:"mode"`
	HeartbeatDelay      *int64 `json:"heartbeat-delay"`
	MaxResponseDelay    *int64 `json:"max-response-delay"`
	MaxAckDelay         *int64 `json:"max-ack-delay"`
	MaxUnackedClients   *int64 `json:"max-unacked-clients"`
	SyncTimeout         *int64 `json:"sync-timeout"`
	SyncPageLimit       *int64 `json:"sync-page-limit"`
	DelayedUpdatesLimit *int64 `json:"delayed-updates-limit"`
	SyncLeases          *bool  `json:"sync-leases"`
	MT                  *struct {
		Enable    *bool  `json:"enable-multi-threading"`
		Dedicated *bool  `json:"http-dedicated-listener"`
		Listener  *int64 `json:"http-listener-threads"`
		Client    *int64 `json:"http-client-threads"`
	} `json:"multi-threading"`
	Peers []struct {
		Name         string `json:"name"`
		URL          string `json:"url"`
		Role         string `json:"role"`
		AutoFailover *bool  `json:"auto-failover"`
	} `json:"peers"`
}

func intp(v *int64, pos model.Pos) *model.Int {
	if v == nil {
		return nil
	}
	return &model.Int{Value: *v, Pos: pos}
}

func lifetimes(l lifetimeFields, pos model.Pos) model.Lifetimes {
	return model.Lifetimes{Valid: intp(l.Valid, pos), Renew: intp(l.Renew, pos), Rebind: intp(l.Rebind, pos)}
}

func options(list []optionData, pos model.Pos) []*model.Option {
	var out []*model.Option
	for _, o := range list {
		name := o.Name
		if name == "" {
			name = "option-" + strconv.Itoa(o.Code)
		}
		var values []string
		for _, v := range strings.Split(o.Data, ",") {
			values = append(values, strings.TrimSpace(v))
		}
		out = append(out, &model.Option{Name: name, Values: values, AlwaysSend: o.AlwaysSend, NeverSend: o.NeverSend, CSVFormat: o.CSVFormat, Pos: pos})
	}
	return out
}

func firstClass(single string, list []string) string {
	if single != "" {
		return single
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

func subnet(c *subnetConfig, pos model.Pos) (*model.Subnet, []*model.Reservation, error) {
	p, err := netip.ParsePrefix(c.Subnet)
	if err != nil {
		return nil, nil, fmt.Errorf("subnet %d: %w", c.ID, err)
	}
	name := c.Context.Name
	if name == "" {
		name = p.String()
	}
	sn := &model.Subnet{
		ID: c.ID, IDExplicit: true, Name: name, VLAN: c.Context.VLAN, Prefix: p,
		Interface: c.Interface, ClientClass: firstClass(c.ClientClass, c.Classes), Comment: c.Context.Comment,
		Lifetimes: lifetimes(c.lifetimeFields, pos), Options: options(c.Options, pos),
		Recorded: c.Context.record(), Pos: pos, PrefixPos: pos, IDPos: pos,
	}
	for _, r := range c.Relay.IPs {
		if a, err := netip.ParseAddr(r); err == nil {
			sn.Relay = append(sn.Relay, a)
		}
	}
	for _, pl := range c.Pools {
		from, to, err := poolRange(pl.Pool)
		if err != nil {
			return nil, nil, fmt.Errorf("subnet %s: %w", p, err)
		}
		sn.Pools = append(sn.Pools, &model.Pool{From: from, To: to, ClientClass: firstClass(pl.ClientClass, pl.Classes), Comment: pl.Context.Comment, Options: options(pl.Options, pos), Pos: pos})
	}
	var res []*model.Reservation
	for _, r := range c.Reservations {
		ip, err := netip.ParseAddr(r.IP)
		if err != nil {
			return nil, nil, fmt.Errorf("subnet %s: reservation %q: %w", p, r.IP, err)
		}
		rv := &model.Reservation{Hostname: r.Hostname, IP: ip, Subnet: p.String(), Options: options(r.Options, pos), ClientClasses: r.Classes, Comment: r.Context.Comment,
			Pos: pos, IPPos: pos, IDPos: pos, HostnamePos: pos, SubnetPos: pos}
		if r.HWAddress != "" {
			rv.HWAddress, err = model.ParseMAC(r.HWAddress)
		} else {
			rv.ClientID, err = model.ParseClientID(r.ClientID)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("subnet %s: reservation %s: %w", p, ip, err)
		}
		res = append(res, rv)
	}
	return sn, res, nil
}

// poolRange reads "a-b", "a - b" or a prefix.
func poolRange(s string) (netip.Addr, netip.Addr, error) {
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("pool %q is not a range", s)
		}
		return a, b, nil
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("pool %q: %w", s, err)
	}
	r := netipx.RangeOfPrefix(p.Masked())
	return r.From(), r.To(), nil
}

func hooks(s *model.Site, self *model.Node, hooks []hookConfig, pos model.Pos) error {
	for _, h := range hooks {
		for _, name := range []string{"host_cmds", "subnet_cmds"} {
			if strings.HasSuffix(h.Library, "/libdhcp_"+name+".so") {
				self.Hooks = append(self.Hooks, name)
			}
		}
	}
	ha := firstHA(hooks)
	if ha == nil {
		return nil
	}
	s.HA = model.HA{
		Mode: model.HAMode(ha.Mode), HeartbeatDelay: intp(ha.HeartbeatDelay, pos), MaxResponseDelay: intp(ha.MaxResponseDelay, pos),
		MaxAckDelay: intp(ha.MaxAckDelay, pos), MaxUnackedClients: intp(ha.MaxUnackedClients, pos), SyncTimeout: intp(ha.SyncTimeout, pos),
		SyncPageLimit: intp(ha.SyncPageLimit, pos), DelayedUpdatesLimit: intp(ha.DelayedUpdatesLimit, pos), SyncLeases: ha.SyncLeases, Pos: pos,
	}
	if ha.MT != nil {
		s.HA.MTEnable, s.HA.DedicatedListener = ha.MT.Enable, ha.MT.Dedicated
		s.HA.ListenerThreads, s.HA.ClientThreads = intp(ha.MT.Listener, pos), intp(ha.MT.Client, pos)
	}
	for _, p := range ha.Peers {
		u, err := url.Parse(p.URL)
		if err != nil {
			return fmt.Errorf("HA peer %s: url: %w", p.Name, err)
		}
		n := &model.Node{Name: p.Name, Role: model.Role(p.Role), HAURL: u, Pos: pos}
		if p.Name == ha.ThisServerName {
			n.Interfaces, n.Paths, n.Hooks = self.Interfaces, self.Paths, self.Hooks
		}
		if p.AutoFailover != nil {
			s.HA.AutoFailover = p.AutoFailover
		}
		s.Nodes = append(s.Nodes, n)
	}
	return nil
}

// Unwrap returns the object inside a whole kea-dhcp4 file's "Dhcp4" key.
func Unwrap(file []byte) (json.RawMessage, error) {
	var v struct {
		Dhcp4 json.RawMessage `json:"Dhcp4"`
	}
	if err := json.Unmarshal(file, &v); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if len(v.Dhcp4) == 0 {
		return nil, fmt.Errorf("no Dhcp4 configuration")
	}
	return v.Dhcp4, nil
}
