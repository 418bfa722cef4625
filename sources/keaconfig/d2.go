package keaconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SameD2 reports whether two kea-dhcp-ddns configurations (DhcpDdns
// objects, secrets resolved) mean the same to the daemon: a live
// config-get fills in defaults (the d2 tables in defaults/) that a
// rendered one leaves out, and may order keys differently.
func SameD2(a, b json.RawMessage) (bool, error) { return sameD2(a, b, false) }

// SameD2Unresolved is SameD2 for a rendered config whose secrets are
// still placeholders: TSIG secrets are left out of the comparison.
func SameD2Unresolved(live, rendered json.RawMessage) (bool, error) {
	return sameD2(live, rendered, true)
}

func sameD2(a, b json.RawMessage, noSecrets bool) (bool, error) {
	na, err := normalD2(a, noSecrets)
	if err != nil {
		return false, err
	}
	nb, err := normalD2(b, noSecrets)
	if err != nil {
		return false, err
	}
	return na == nb, nil
}

func normalD2(raw json.RawMessage, noSecrets bool) (string, error) {
	var m map[string]any
	if err := decodeClean(raw, &m); err != nil {
		return "", fmt.Errorf("decoding a kea-dhcp-ddns config: %w", err)
	}
	prune := func(scope string, o map[string]any) {
		for k, v := range o {
			if isDefault(scope, k, v) {
				delete(o, k)
			}
		}
	}
	prune("d2", m)
	for _, dir := range []string{"forward-ddns", "reverse-ddns"} {
		d, _ := m[dir].(map[string]any)
		domains, _ := d["ddns-domains"].([]any)
		for _, e := range domains {
			dom, _ := e.(map[string]any)
			prune("d2-domain", dom)
			servers, _ := dom["dns-servers"].([]any)
			for _, s := range servers {
				if sm, ok := s.(map[string]any); ok {
					prune("d2-server", sm)
				}
			}
		}
		// Kea keeps domains by name and prints them so.
		slices.SortFunc(domains, func(a, b any) int { return strings.Compare(nameOf(a), nameOf(b)) })
		if len(domains) == 0 {
			delete(m, dir)
		}
	}
	keys, _ := m["tsig-keys"].([]any)
	slices.SortFunc(keys, func(a, b any) int { return strings.Compare(nameOf(a), nameOf(b)) })
	for _, k := range keys {
		if km, ok := k.(map[string]any); ok {
			prune("d2-key", km)
			if noSecrets {
				delete(km, "secret")
			}
		}
	}
	// Loggers carry the output defaults config-get adds.
	if l, ok := m["loggers"].([]any); ok {
		for i, e := range l {
			l[i] = pruneEntry("loggers", e)
		}
	}
	if len(keys) == 0 {
		delete(m, "tsig-keys")
	}
	b, err := json.Marshal(m) // sorted keys
	return string(b), err
}

func nameOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["name"].(string)
	return strings.ToLower(s)
}
