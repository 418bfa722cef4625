package model

import "time"

// NetBox is a site's NetBox source: where NetBox is, which of its objects
// become subnets, pools and reservations, and which custom fields carry the
// DHCP settings. It is configuration, read from keaops.yaml; the objects
// themselves come from sources/netbox.
type NetBox struct {
	// URL is NetBox's base URL, without /api.
	URL string
	// Token is the API token: a v1 key or a NetBox 4.5+ "nbt_" v2 token.
	Token *SecretRef
	// CAFile is a PEM bundle trusted in addition to the system's roots.
	CAFile  string
	Timeout time.Duration
	// Snapshot is the snapshot file, resolved against the site file's
	// directory; "" when the site reads NetBox live.
	Snapshot    string
	PageSize    int
	Concurrency int
	// Retries is nil for the default; 0 means no retries.
	Retries  *int
	Prefixes NetBoxFilter
	Ranges   NetBoxFilter
	// Addresses selects the IP addresses that become reservations; nil
	// when reservations come only from YAML.
	Addresses *NetBoxFilter
	// Fields names the custom field for each setting (see NetBoxFields).
	Fields map[string]string
	Pos    Pos
}

// NetBoxFilter is a selection NetBox applies on the server; several values
// of one filter match any of them, different filters must all match (tags
// are the exception: NetBox matches only objects with every tag).
type NetBoxFilter struct {
	Tag, Role, Site, VRF, Status []string
}

// NetBoxFields lists the settings read from custom fields and the field
// names keaops uses for them unless the site renames them.
var NetBoxFields = []struct{ Setting, Default string }{
	{"subnet-id", "kea_subnet_id"},
	{"gateway", "dhcp_gateway"},
	{"dns", "dhcp_dns"},
	{"ntp", "dhcp_ntp"},
	{"domain", "dhcp_domain"},
	{"relay", "dhcp_relay"},
	{"valid-lifetime", "dhcp_valid_lifetime"},
	{"renew-timer", "dhcp_renew_timer"},
	{"rebind-timer", "dhcp_rebind_timer"},
	{"options", "dhcp_options"},
	{"client-class", "dhcp_client_class"},
	{"hw-address", "dhcp_hw_address"},
}

// Field is the custom field name for a setting.
func (n *NetBox) Field(setting string) string {
	if f, ok := n.Fields[setting]; ok {
		return f
	}
	for _, d := range NetBoxFields {
		if d.Setting == setting {
			return d.Default
		}
	}
	return ""
}
