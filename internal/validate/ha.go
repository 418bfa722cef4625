package validate

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// rolesFor lists the roles a mode allows, the one role that must appear once
// besides the primary (none for passive-backup), and whether backups may join.
var rolesFor = map[model.HAMode]struct {
	partner model.Role
	allowed []model.Role
}{
	model.HAHotStandby:    {model.RoleStandby, []model.Role{model.RolePrimary, model.RoleStandby, model.RoleBackup}},
	model.HALoadBalancing: {model.RoleSecondary, []model.Role{model.RolePrimary, model.RoleSecondary, model.RoleBackup}},
	model.HAPassiveBackup: {"", []model.Role{model.RolePrimary, model.RoleBackup}},
}

// maxHATimer is the largest heartbeat-delay, max-response-delay and
// max-ack-delay Kea accepts: it parses them as uint16 up to and including
// 3.2 (fixed in 3.3.0). Larger values pass config-test and then fail
// config-set, which leaves the node serving nobody.
const maxHATimer = 65535

// checkHA: node names, roles for the mode, peer URLs, listener ports,
// multi-threading consistency and timer ranges.
func checkHA(s *model.Site, _ []int, report func(model.Finding)) {
	names := map[string]*model.Node{}
	for _, n := range s.Nodes {
		if prev, dup := names[n.Name]; dup {
			report(model.Errorf(n.Pos, "ha-node", "node name %q is already used at %s", n.Name, prev.Pos))
		}
		names[n.Name] = n
	}
	if len(s.Nodes) == 0 {
		report(model.Errorf(s.Pos, "ha-node", "the site has no nodes: list the Kea servers under nodes"))
		return
	}
	mode := s.HA.Mode
	if mode == model.HANone {
		if len(s.Nodes) > 1 {
			report(model.Errorf(s.Nodes[1].Pos, "ha-mode", "%d nodes without HA would each serve the same pools and hand out the same addresses twice: set ha.mode", len(s.Nodes)))
		}
		return
	}
	checkRoles(s, report)
	checkEndpoints(s, report)
	checkTimers(s, report)
}

func checkRoles(s *model.Site, report func(model.Finding)) {
	mode := s.HA.Mode
	rules := rolesFor[mode]
	count := map[model.Role]int{}
	for _, n := range s.Nodes {
		if n.Role == "" {
			report(model.Errorf(n.Pos, "ha-role", "node %s has no role: %s needs one of %s", n.Name, mode, roleList(rules.allowed)))
			continue
		}
		if !slices.Contains(rules.allowed, n.Role) {
			report(model.Errorf(n.RolePos, "ha-role", "role %s is not valid in %s mode: use one of %s", n.Role, mode, roleList(rules.allowed)))
			continue
		}
		count[n.Role]++
	}
	if count[model.RolePrimary] != 1 {
		report(model.Errorf(s.HA.Pos, "ha-role", "%s needs exactly one primary node, found %d", mode, count[model.RolePrimary]))
	}
	if rules.partner != "" && count[rules.partner] != 1 {
		report(model.Errorf(s.HA.Pos, "ha-role", "%s needs exactly one %s node, found %d", mode, rules.partner, count[rules.partner]))
	}
	if mode == model.HAPassiveBackup && count[model.RoleBackup] == 0 {
		report(model.Errorf(s.HA.Pos, "ha-role", "passive-backup needs at least one backup node"))
	}
}

func roleList(rs []model.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// DedicatedListener reports whether HA traffic goes to a listener in
// kea-dhcp4 itself rather than to the Control Agent. keaops writes the HA
// multi-threading block explicitly; when the site does not choose, it follows
// the default of the target version (off in 2.2, on from 2.4) so that a
// site written for 2.4 means the same thing there.
func DedicatedListener(s *model.Site) bool {
	if s.HA.DedicatedListener != nil {
		return *s.HA.DedicatedListener
	}
	if s.HA.MTEnable != nil && !*s.HA.MTEnable {
		return false
	}
	return s.KeaVersion.AtLeast(2, 4)
}

// CoreMultiThreading reports whether kea-dhcp4 runs multi-threaded, by the
// same rule: the site's choice, else the target version's default.
func CoreMultiThreading(s *model.Site) bool {
	if s.MultiThreading != nil {
		return s.MultiThreading.Enable
	}
	return s.KeaVersion.AtLeast(2, 4)
}

type endpoint struct {
	host netip.Addr
	port string
}

func checkEndpoints(s *model.Site, report func(model.Finding)) {
	dedicated := DedicatedListener(s)
	haMT := s.HA.MTEnable == nil && dedicated || s.HA.MTEnable != nil && *s.HA.MTEnable
	if (dedicated || haMT) && !CoreMultiThreading(s) {
		report(model.Errorf(s.HA.Pos, "ha-multi-threading", "HA multi-threading (needed for the dedicated HA listener) requires multi-threading.enable: true for kea-dhcp4 itself"))
	}
	if s.HA.DedicatedListener != nil && *s.HA.DedicatedListener && s.HA.MTEnable != nil && !*s.HA.MTEnable {
		report(model.Errorf(s.HA.Pos, "ha-multi-threading", "ha.multi-threading.dedicated-listener needs ha.multi-threading.enable: true"))
	}
	used := map[endpoint]string{}
	claim := func(n *model.Node, u *url.URL, what string, pos model.Pos) {
		ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]"))
		if err != nil {
			return
		}
		e := endpoint{ip, port(u)}
		if prev, dup := used[e]; dup {
			report(model.Errorf(pos, "ha-endpoint", "node %s: %s %s is already used by %s", n.Name, what, net.JoinHostPort(ip.String(), e.port), prev))
			return
		}
		used[e] = fmt.Sprintf("the %s of node %s", what, n.Name)
	}
	for _, n := range s.Nodes {
		if n.ControlURL != nil {
			claim(n, n.ControlURL, "control URL", n.ControlURLPos)
		}
		if n.HAURL == nil {
			report(model.Errorf(n.Pos, "ha-url", "node %s has no ha-url: in %s mode its partner must know where to reach it", n.Name, s.HA.Mode))
			continue
		}
		host := n.HAURL.Hostname()
		if _, err := netip.ParseAddr(host); err != nil {
			report(model.Errorf(n.HAURLPos, "ha-url", "ha-url host %q must be an IP address: Kea does not resolve names for HA peers", host))
			continue
		}
		if n.HAURL.Path != "" && n.HAURL.Path != "/" {
			report(model.Errorf(n.HAURLPos, "ha-url", "ha-url must not have a path (got %q)", n.HAURL.Path))
		}
		sameAsControl := n.ControlURL != nil && n.ControlURL.Hostname() == host && port(n.ControlURL) == port(n.HAURL)
		switch {
		case dedicated && sameAsControl:
			report(model.Errorf(n.HAURLPos, "ha-endpoint", "node %s: ha-url %s is the control URL, but with the dedicated HA listener kea-dhcp4 binds it itself: give it its own port", n.Name, n.HAURL.Host))
		case dedicated:
			claim(n, n.HAURL, "HA listener", n.HAURLPos)
			checkListenerExposure(s, n, report)
		case !sameAsControl:
			report(model.Errorf(n.HAURLPos, "ha-endpoint", "node %s: without the dedicated HA listener its partner reaches it through the Control Agent, so ha-url must equal control-url (%s)", n.Name, n.ControlURL))
		}
	}
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func checkTimers(s *model.Site, report func(model.Finding)) {
	for _, t := range []struct {
		name string
		v    *model.Int
	}{{"heartbeat-delay", s.HA.HeartbeatDelay}, {"max-response-delay", s.HA.MaxResponseDelay}, {"max-ack-delay", s.HA.MaxAckDelay}} {
		if t.v != nil && t.v.Value > maxHATimer {
			report(model.Errorf(t.v.Pos, "ha-timer", "%s %d is over %d ms, the most Kea %s accepts (config-test passes it, config-set then fails and stops DHCP)", t.name, t.v.Value, maxHATimer, s.KeaVersion))
		}
		if t.v != nil && t.v.Value == 0 && t.name != "max-ack-delay" {
			report(model.Errorf(t.v.Pos, "ha-timer", "%s must be more than 0 ms", t.name))
		}
	}
	// Found by loading the hook on Kea 2.2: config-test and kea-dhcp4 -t
	// pass it, the HA hook then refuses to load.
	if d := s.HA.DelayedUpdatesLimit; d != nil && d.Value > 0 && s.HA.Mode != model.HALoadBalancing {
		report(model.Errorf(d.Pos, "ha-timer", "delayed-updates-limit must be 0 in %s mode (Kea refuses to load HA otherwise): it applies to load-balancing only", s.HA.Mode))
	}
	hb, mr := s.HA.HeartbeatDelay, s.HA.MaxResponseDelay
	if hb != nil && mr != nil && mr.Value <= hb.Value {
		report(model.Warnf(mr.Pos, "ha-timer", "max-response-delay %d should be greater than heartbeat-delay %d, or a single late heartbeat declares the partner down", mr.Value, hb.Value))
	}
}

func isLoopback(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err == nil && !a.Is4() {
		err = fmt.Errorf("%s is not IPv4", s)
	}
	return a, err
}

// checkListenerExposure: kea-dhcp4's dedicated HA listener enforces no
// basic auth in any Kea up to 3.2 (kea-facts §1.4): whoever reaches it is
// only kept out by restrict-commands (HA commands only) and TLS client
// certificates. Without restrict-commands it answers config-get, with the
// control password in it, to anyone.
func checkListenerExposure(s *model.Site, n *model.Node, report func(model.Finding)) {
	mtls := n.HAURL.Scheme == "https" && n.TLS != nil && n.TLS.CertRequired
	if mtls || isLoopback(n.HAURL.Hostname()) {
		return
	}
	if s.HA.RestrictCommands != nil && !*s.HA.RestrictCommands {
		report(model.Warnf(n.HAURLPos, "ha-listener", "node %s: the HA listener %s takes every command without authentication (restrict-commands: false, no TLS client certificates): anyone who reaches it can read the config, passwords included, and change it", n.Name, n.HAURL.Host))
		return
	}
	report(model.Warnf(n.HAURLPos, "ha-listener", "node %s: the HA listener %s checks no credentials (Kea ignores basic auth there): anyone who reaches it can send HA commands (lease updates, maintenance); use https with cert-required: true, or keep it on a network only the partner reaches", n.Name, n.HAURL.Host))
}
