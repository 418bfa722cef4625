package validate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/suggest"
)

// optType is the data type Kea parses an option's value as.
type optType int

const (
	tIPv4 optType = iota
	tString
	tFQDN
	tBool
	tUint8
	tUint16
	tUint32
	tInt32
	tBinary
	tRecord // several typed fields; keaops passes the text through
)

type optDef struct {
	code  int
	typ   optType
	array bool
}

// dhcp4Options are Kea's standard DHCPv4 option definitions (Kea
// src/lib/dhcp/std_option_defs.h), by the names Kea's option-data takes.
var dhcp4Options = map[string]optDef{
	"subnet-mask": {1, tIPv4, false}, "time-offset": {2, tInt32, false},
	"routers": {3, tIPv4, true}, "time-servers": {4, tIPv4, true},
	"name-servers": {5, tIPv4, true}, "domain-name-servers": {6, tIPv4, true},
	"log-servers": {7, tIPv4, true}, "cookie-servers": {8, tIPv4, true},
	"lpr-servers": {9, tIPv4, true}, "impress-servers": {10, tIPv4, true},
	"resource-location-servers": {11, tIPv4, true}, "host-name": {12, tString, false},
	"boot-size": {13, tUint16, false}, "merit-dump": {14, tString, false},
	"domain-name": {15, tString, false}, "swap-server": {16, tIPv4, false},
	"root-path": {17, tString, false}, "extensions-path": {18, tString, false},
	"ip-forwarding": {19, tBool, false}, "non-local-source-routing": {20, tBool, false},
	"policy-filter": {21, tIPv4, true}, "max-dgram-reassembly": {22, tUint16, false},
	"default-ip-ttl": {23, tUint8, false}, "path-mtu-aging-timeout": {24, tUint32, false},
	"path-mtu-plateau-table": {25, tUint16, true}, "interface-mtu": {26, tUint16, false},
	"all-subnets-local": {27, tBool, false}, "broadcast-address": {28, tIPv4, false},
	"perform-mask-discovery": {29, tBool, false}, "mask-supplier": {30, tBool, false},
	"router-discovery": {31, tBool, false}, "router-solicitation-address": {32, tIPv4, false},
	"static-routes": {33, tIPv4, true}, "trailer-encapsulation": {34, tBool, false},
	"arp-cache-timeout": {35, tUint32, false}, "ieee802-3-encapsulation": {36, tBool, false},
	"default-tcp-ttl": {37, tUint8, false}, "tcp-keepalive-interval": {38, tUint32, false},
	"tcp-keepalive-garbage": {39, tBool, false}, "nis-domain": {40, tString, false},
	"nis-servers": {41, tIPv4, true}, "ntp-servers": {42, tIPv4, true},
	"vendor-encapsulated-options": {43, tBinary, false},
	"netbios-name-servers":        {44, tIPv4, true}, "netbios-dd-server": {45, tIPv4, true},
	"netbios-node-type": {46, tUint8, false}, "netbios-scope": {47, tString, false},
	"font-servers": {48, tIPv4, true}, "x-display-manager": {49, tIPv4, true},
	"dhcp-lease-time": {51, tUint32, false}, "dhcp-server-identifier": {54, tIPv4, false},
	"dhcp-message": {56, tString, false}, "dhcp-max-message-size": {57, tUint16, false},
	"dhcp-renewal-time": {58, tUint32, false}, "dhcp-rebinding-time": {59, tUint32, false},
	"vendor-class-identifier": {60, tString, false}, "nwip-domain-name": {62, tString, false},
	"nwip-suboptions": {63, tBinary, false}, "nisplus-domain-name": {64, tString, false},
	"nisplus-servers": {65, tIPv4, true}, "tftp-server-name": {66, tString, false},
	"boot-file-name": {67, tString, false}, "mobile-ip-home-agent": {68, tIPv4, true},
	"smtp-server": {69, tIPv4, true}, "pop-server": {70, tIPv4, true},
	"nntp-server": {71, tIPv4, true}, "www-server": {72, tIPv4, true},
	"finger-server": {73, tIPv4, true}, "irc-server": {74, tIPv4, true},
	"streettalk-server": {75, tIPv4, true}, "streettalk-directory-assistance-server": {76, tIPv4, true},
	"user-class": {77, tBinary, false}, "slp-directory-agent": {78, tRecord, true},
	"slp-service-scope": {79, tRecord, false}, "nds-servers": {85, tIPv4, true},
	"nds-tree-name": {86, tString, false}, "nds-context": {87, tString, false},
	"bcms-controller-names": {88, tFQDN, true}, "bcms-controller-address": {89, tIPv4, true},
	"client-last-transaction-time": {91, tUint32, false}, "associated-ip": {92, tIPv4, true},
	"client-system": {93, tUint16, true}, "client-ndi": {94, tRecord, false},
	"uuid-guid": {97, tRecord, false}, "uap-servers": {98, tString, false},
	"geoconf-civic": {99, tBinary, false}, "pcode": {100, tString, false},
	"tcode": {101, tString, false}, "v6-only-preferred": {108, tUint32, false},
	"netinfo-server-address": {112, tIPv4, true}, "netinfo-server-tag": {113, tString, false},
	"v4-captive-portal": {114, tString, false}, "auto-config": {116, tUint8, false},
	"name-service-search": {117, tUint16, true}, "subnet-selection": {118, tIPv4, false},
	"domain-search": {119, tFQDN, true}, "classless-static-route": {121, tRecord, true},
	"vivco-suboptions": {124, tRecord, false},
	"vivso-suboptions": {125, tUint32, false}, "pana-agent": {136, tIPv4, true},
	"v4-lost": {137, tFQDN, false}, "capwap-ac-v4": {138, tIPv4, true},
	"sip-ua-cs-domains": {141, tFQDN, true}, "rdnss-selection": {146, tRecord, true},
	"v4-portparams": {159, tRecord, false}, "option-6rd": {212, tRecord, true},
	"v4-access-domain": {213, tFQDN, false},
}

// Options that Kea computes itself; setting them in option-data is a mistake.
var computedOptions = map[string]string{
	"dhcp-lease-time":        "set valid-lifetime instead",
	"dhcp-renewal-time":      "set renew-timer instead",
	"dhcp-rebinding-time":    "set rebind-timer instead",
	"subnet-mask":            "Kea sends the subnet's own mask",
	"dhcp-server-identifier": "Kea sets the server identifier per interface",
}

// checkOption reports an option Kea does not know (by the site's
// definitions and the target version's standard table) or a value that
// Kea would not parse as the option's type.
func checkOption(o *model.Option, set optionSet, report func(model.Finding)) {
	def, name, err := set.lookup(o)
	if err != nil {
		report(model.Errorf(o.Pos, "option", "%v", err))
		return
	}
	label := o.Label()
	if hint, ok := computedOptions[name]; ok && o.Space == "" {
		report(model.Warnf(o.Pos, "option", "option %q is computed by Kea: %s", label, hint))
	}
	if len(o.Values) == 0 || len(o.Values) == 1 && strings.TrimSpace(o.Values[0]) == "" {
		if def.typ != tBinary && def.typ != tRecord || o.Space == "" && o.Name != "vendor-encapsulated-options" {
			report(model.Errorf(o.Pos, "option", "option %q has no value", label))
		}
		return
	}
	if o.CSVFormat != nil && !*o.CSVFormat {
		// Raw bytes whatever the type, in hex.
		if err := checkHex(strings.Join(o.Values, ",")); err != nil {
			report(model.Errorf(o.Pos, "option", "option %q (csv-format: false): %v", label, err))
		}
		return
	}
	if len(o.Values) > 1 && !def.array && def.typ != tRecord {
		report(model.Errorf(o.Pos, "option", "option %q takes one value, not a list of %d", label, len(o.Values)))
		return
	}
	for _, v := range o.Values {
		if err := checkValue(def.typ, strings.TrimSpace(v)); err != nil {
			report(model.Errorf(o.Pos, "option", "option %q: value %q %v", label, v, err))
			return
		}
	}
}

func checkValue(t optType, v string) error {
	switch t {
	case tIPv4:
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return fmt.Errorf("is not an IPv4 address")
		}
	case tBool:
		switch strings.ToLower(v) {
		case "true", "false", "1", "0":
		default:
			return fmt.Errorf("is not true or false")
		}
	case tUint8, tUint16, tUint32:
		bits := map[optType]int{tUint8: 8, tUint16: 16, tUint32: 32}[t]
		if _, err := strconv.ParseUint(v, 0, bits); err != nil {
			return fmt.Errorf("is not an unsigned %d-bit integer", bits)
		}
	case tInt32:
		if _, err := strconv.ParseInt(v, 0, 32); err != nil {
			return fmt.Errorf("is not a signed 32-bit integer")
		}
	case tFQDN:
		return checkFQDN(v)
	case tString:
		if v == "" {
			return fmt.Errorf("is empty")
		}
	}
	return nil
}

// checkFQDN is Kea's domain name rule (isc::dns::Name): labels of 1 to 63
// characters, no empty label but the root's trailing dot, at most 255
// octets on the wire.
func checkFQDN(v string) error {
	name := strings.TrimSuffix(v, ".")
	if name == "" || strings.ContainsAny(v, " ,") {
		return fmt.Errorf("is not a domain name")
	}
	if len(name)+2 > 255 {
		return fmt.Errorf("is not a domain name: longer than 255 octets")
	}
	for _, l := range strings.Split(name, ".") {
		switch {
		case l == "":
			return fmt.Errorf("is not a domain name: an empty label (two dots in a row, or a leading dot)")
		case len(l) > 63:
			return fmt.Errorf("is not a domain name: label %q is longer than 63 characters", l)
		}
	}
	return nil
}

// checkHex is what Kea takes as option data in hex (decodeFormattedHexString):
// digits with an optional 0x, or octets of one or two digits separated by
// colons or by spaces.
func checkHex(v string) error {
	v = strings.TrimSpace(v)
	bad := fmt.Errorf("data %q is not hex: write bytes as 0a0b0c, 0x0a0b0c, 0a:0b:0c or 0a 0b 0c", v)
	for _, sep := range []string{":", " "} {
		if strings.Contains(v, sep) {
			for _, octet := range strings.Split(v, sep) {
				if len(octet) < 1 || len(octet) > 2 || !isHex(octet) {
					return bad
				}
			}
			return nil
		}
	}
	if d := strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X"); !isHex(d) {
		return bad
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func closest(name string) string {
	names := make([]string, 0, len(dhcp4Options))
	for n := range dhcp4Options {
		names = append(names, n)
	}
	return suggest.Closest(name, names, 4)
}
