package dhcpd

import (
	"net/netip"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Failover is dhcpd's failover peer: the pair keaops makes a Kea HA pair
// of. dhcpd's split of 128 halves the clients, as Kea's load-balancing
// does; a split of 255 lets the primary serve them all, as Kea's
// hot-standby does (its partner's role is then standby).
type Failover struct {
	Name string
	// Primary: this dhcpd.conf is the primary's.
	Primary              bool
	Address, PeerAddress netip.Addr
	Port, PeerPort       int
	Mode                 model.HAMode
	// MaxResponseDelay in seconds, 0 when unset.
	MaxResponseDelay int64
	Pos              Pos
}

func (c *conv) failover(st *stmt) {
	if len(st.words) != 3 || !strings.EqualFold(st.arg(1), "peer") {
		c.notConverted(st.pos, "%s not converted: want failover peer NAME { … }", st.text())
		return
	}
	if c.conf.Failover != nil {
		c.notConverted(st.pos, "%s not converted: keaops makes one HA pair, of failover peer %s", st.text(), c.conf.Failover.Name)
		return
	}
	f := &Failover{Name: st.arg(2), Pos: st.pos}
	split := -1
	for _, in := range st.block {
		kw, args := in.keyword(), in.words[1:]
		switch {
		case kw == "primary":
			f.Primary = true
		case kw == "secondary":
			f.Primary = false
		case kw == "address" && len(args) == 1:
			f.Address, _ = addr(args[0])
		case kw == "port" && len(args) == 1:
			n, _ := number(args[0])
			f.Port = int(n)
		case kw == "peer" && len(args) == 2 && strings.EqualFold(args[0].text, "address"):
			f.PeerAddress, _ = addr(args[1])
		case kw == "peer" && len(args) == 2 && strings.EqualFold(args[0].text, "port"):
			n, _ := number(args[1])
			f.PeerPort = int(n)
		case kw == "max-response-delay" && len(args) == 1:
			f.MaxResponseDelay, _ = number(args[0])
		case kw == "split" && len(args) == 1:
			n, ok := number(args[0])
			if !ok || n > 256 {
				c.wrong(in.pos, "split %s: want 0 to 256", args[0].text)
				continue
			}
			split = int(n)
		case kw == "mclt", kw == "max-unacked-updates", kw == "load", kw == "max-lease-misbalance", kw == "max-lease-ownership",
			kw == "min-balance", kw == "max-balance", kw == "auto-partner-down", kw == "hba", kw == "max-transmit-idle", kw == "max-update-idle":
			c.notConverted(in.pos, "failover peer %s: %s not converted: Kea's HA has no such setting (it updates the partner on every lease, and its own timers are heartbeat-delay, max-response-delay, max-ack-delay and max-unacked-clients)", f.Name, in.text())
		default:
			c.notConverted(in.pos, "failover peer %s: %s not converted", f.Name, in.text())
		}
	}
	if !f.Address.IsValid() || !f.PeerAddress.IsValid() {
		c.wrong(st.pos, "failover peer %s: want address and peer address, as IPv4 addresses", f.Name)
		return
	}
	switch {
	case !f.Primary:
		// The secondary's file has no split: the primary's decides. The
		// import says what it assumed.
		f.Mode = model.HALoadBalancing
		if split >= 0 {
			c.wrong(st.pos, "failover peer %s: split is the primary's setting, and this is the secondary", f.Name)
		}
		c.conf.Notes = append(c.conf.Notes, "failover peer "+f.Name+": this is the secondary's file; the primary's split decides the mode, load-balancing assumed (import the primary's file to know)")
	case split == 128, split == -1:
		f.Mode = model.HALoadBalancing
	case split == 255 || split == 256:
		f.Mode = model.HAHotStandby
	default:
		f.Mode = model.HALoadBalancing
		c.notConverted(st.pos, "failover peer %s: split %d not converted exactly: Kea's load-balancing halves the clients (split 128), hot-standby lets the primary serve all (255); load-balancing is used", f.Name, split)
	}
	c.conf.Failover = f
}
