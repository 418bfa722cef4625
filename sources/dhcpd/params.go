package dhcpd

import (
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Parameters: the statements every scope takes (lease times, boot
// fields, options), and those dhcpd has that Kea does not.

// reportOnly are dhcpd parameters Kea has no equivalent for, with why.
var reportOnly = map[string]string{
	"get-lease-hostnames":              "Kea does not look up host names in DNS",
	"one-lease-per-client":             "Kea keeps one lease per client and subnet anyway",
	"ping-check":                       "Kea pings before offering only with its ping_check hook (Kea 2.7.7+ open source)",
	"ping-timeout":                     "Kea pings before offering only with its ping_check hook",
	"log-facility":                     "Kea's loggers go in the loggers: section of keaops.yaml",
	"lease-file-name":                  "the lease file is each node's paths.lease-file",
	"pid-file-name":                    "Kea's pid file is its own",
	"local-address":                    "Kea listens on the interfaces each node names",
	"local-port":                       "Kea listens on port 67",
	"omapi-port":                       "Kea's control API is keaops's control-url",
	"omapi-key":                        "Kea's control API is keaops's control-url",
	"ddns-updates":                     "DNS updates are kea-dhcp-ddns's (the ddns: section and the ddns-* settings)",
	"ddns-domainname":                  "use the ddns-qualifying-suffix setting",
	"ddns-rev-domainname":              "kea-dhcp-ddns finds the reverse zone itself",
	"ddns-hostname":                    "a reservation's hostname is what Kea sends to DNS",
	"update-static-leases":             "Kea updates DNS for reservations as for any lease",
	"update-conflict-detection":        "use the ddns-conflict-resolution-mode setting",
	"update-optimization":              "Kea has no equivalent",
	"stash-agent-options":              "Kea keeps relay options with store-extended-info",
	"always-broadcast":                 "Kea answers as RFC 2131 says",
	"always-reply-rfc1048":             "Kea answers BOOTP only with its bootp hook",
	"boot-unknown-clients":             "a pool's client class KNOWN does this in Kea",
	"dynamic-bootp-lease-length":       "Kea answers BOOTP only with its bootp hook",
	"dynamic-bootp-lease-cutoff":       "Kea answers BOOTP only with its bootp hook",
	"server-identifier":                "Kea uses the address of the interface it answers on",
	"server-duid":                      "a DHCPv6 setting",
	"db-time-format":                   "a dhcpd.leases setting",
	"site-option-space":                "Kea puts site options in dhcp4 with option-def",
	"min-secs":                         "Kea has no equivalent",
	"filename-prefix":                  "Kea has no equivalent",
	"infinite-is-reserved":             "Kea has no equivalent",
	"lease limit":                      "Kea limits leases per class with its limits hook",
	"abandon-lease-time":               "Kea uses decline-probation-period for declined addresses",
	"adaptive-lease-time-threshold":    "Kea has no equivalent",
	"limit-addrs-per-ia":               "a DHCPv6 setting",
	"preferred-lifetime":               "a DHCPv6 setting",
	"dhcp-cache-threshold":             "use the cache-threshold setting",
	"use-lease-addr-for-default-route": "Kea has no equivalent",
	"vendor-class-identifier":          "an option; write it as option vendor-class-identifier",
	"ignore-client-uids":               "use the match-client-id setting (false)",
}

// param converts a parameter statement of any scope, reporting false when
// st is not one.
func (c *conv) param(st *stmt, sc *scope) bool {
	kw := st.keyword()
	args := st.words[1:]
	switch kw {
	case "option":
		c.conf.Counts["option"]++
		c.option(st, sc)
	case "default-lease-time", "max-lease-time", "min-lease-time":
		if len(args) != 1 {
			c.wrong(st.pos, "%s takes one number of seconds", kw)
			return true
		}
		n, ok := number(args[0])
		if !ok {
			c.wrong(args[0].pos, "%s %q is not a number of seconds", kw, args[0].text)
			return true
		}
		switch {
		case sc.kind == "pool":
			c.notConverted(st.pos, "%s not converted: Kea's pools have no lifetimes (the subnet's, or a client class's, apply)", st.text())
		case sc.kind == "host":
			c.notConverted(st.pos, "%s not converted: Kea's reservations have no lifetimes (a client class's can: make one for the host)", st.text())
		case kw == "default-lease-time":
			sc.life.Valid = &model.Int{Value: n, Pos: st.pos}
		case kw == "max-lease-time":
			c.setting(sc, "max-valid-lifetime", n, st.pos)
		default:
			c.setting(sc, "min-valid-lifetime", n, st.pos)
		}
	case "next-server":
		a, ok := oneAddr(st)
		if !ok {
			c.notConverted(st.pos, "%s not converted: Kea takes next-server as an IPv4 address, and keaops never resolves names", st.text())
			return true
		}
		c.setting(sc, "next-server", a, st.pos)
	case "filename":
		if len(args) != 1 || args[0].kind != tString {
			c.wrong(st.pos, `filename takes one quoted file name`)
			return true
		}
		c.setting(sc, "boot-file-name", args[0].text, st.pos)
	case "server-name":
		if len(args) != 1 {
			c.wrong(st.pos, `server-name takes one quoted name`)
			return true
		}
		c.setting(sc, "server-hostname", args[0].text, st.pos)
	case "authoritative":
		c.setting(sc, "authoritative", true, st.pos)
	case "not":
		if strings.EqualFold(st.arg(1), "authoritative") && len(st.words) == 2 {
			c.setting(sc, "authoritative", false, st.pos)
			return true
		}
		return false
	case "use-host-decl-names":
		c.useHostDeclNames = onOff(st.arg(1))
	case "ddns-update-style":
		if !strings.EqualFold(st.arg(1), "none") {
			c.notConverted(st.pos, "%s not converted: DNS updates are kea-dhcp-ddns's (the ddns: section of keaops.yaml and the ddns-* settings)", st.text())
		}
	case "vendor-option-space":
		c.vendorOptionSpace(st, sc)
	default:
		if why, ok := reportOnly[kw]; ok {
			c.notConverted(st.pos, "%s not converted: %s", st.text(), why)
			return true
		}
		return false
	}
	return true
}

// setting sets a Kea setting of the scope, reporting a scope Kea does not
// take it in.
func (c *conv) setting(sc *scope, key string, v any, pos Pos) {
	d, _ := model.SettingDefOf(key)
	kea := map[string]model.Scope{"global": model.ScopeGlobal, "shared-network": model.ScopeNetwork, "subnet": model.ScopeSubnet,
		"pool": model.ScopePool, "host": model.ScopeReservation, "class": model.ScopeClass, "group": d.Scopes}[sc.kind]
	if d.Scopes&kea == 0 {
		c.notConverted(pos, "%s in a %s not converted: Kea takes %s only in a %s", key, sc.kind, key, d.Scopes)
		return
	}
	if sc.settings == nil {
		sc.settings = model.Settings{}
	}
	sc.settings[key] = model.Setting{Value: v, Pos: pos}
}

func oneAddr(st *stmt) (string, bool) {
	if len(st.words) != 2 {
		return "", false
	}
	a, ok := addr(st.words[1])
	if !ok {
		return "", false
	}
	return a.String(), true
}

func onOff(v string) bool {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1", "enable":
		return true
	}
	return false
}
