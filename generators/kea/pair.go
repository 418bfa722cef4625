package kea

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// nodeLocal are the paths (in the flattened form PairDiff uses) that may
// differ between the nodes of a pair: the node's name for itself, its
// interfaces, its sockets, files and listeners. Everything else — peers,
// roles, mode, timers, subnets and their ids — must be identical.
var nodeLocal = regexp.MustCompile(`^(` + strings.Join([]string{
	`hooks-libraries\[\d+\]\.parameters\.high-availability\[\d+\]\.(this-server-name|cert-file|key-file|trust-anchor|require-client-certs)`,
	`hooks-libraries\[\d+\]\.library`,
	`interfaces-config\.interfaces(\[\d+\])?`,
	`control-socket\.socket-name`,
	`control-sockets\[\d+\]\.(socket-name|socket-address|socket-port|cert-file|key-file|trust-anchor|cert-required)`,
	`lease-database\.name`,
	// The global record digests the node's own config.
	`user-context\.keaops\.render`,
	`loggers\[\d+\]\.output[-_]options\[\d+\]\.output`,
}, "|") + `)$`)

// PairDiff compares two nodes' Dhcp4 configs and returns every path where
// they differ outside the node-local keys, as "path: a ≠ b".
func PairDiff(a, b map[string]any) []string {
	var out []string
	compare("", a, b, &out)
	slices.Sort(out)
	return out
}

func compare(path string, a, b any, out *[]string) {
	if nodeLocal.MatchString(path) {
		return
	}
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, short(a), short(b)))
			return
		}
		for k, va := range ta {
			vb, ok := tb[k]
			if !ok {
				vb = absent{}
			}
			compare(join(path, k), va, vb, out)
		}
		for k, vb := range tb {
			if _, ok := ta[k]; !ok {
				compare(join(path, k), absent{}, vb, out)
			}
		}
	case []any:
		tb, ok := b.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, short(a), short(b)))
			return
		}
		// The same backing array is the same list: shared parts (subnets)
		// are built once and are equal by construction.
		if len(ta) == len(tb) && (len(ta) == 0 || &ta[0] == &tb[0]) {
			return
		}
		for i := range max(len(ta), len(tb)) {
			var va, vb any = absent{}, absent{}
			if i < len(ta) {
				va = ta[i]
			}
			if i < len(tb) {
				vb = tb[i]
			}
			compare(path+"["+strconv.Itoa(i)+"]", va, vb, out)
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, short(a), short(b)))
		}
	}
}

type absent struct{}

func (absent) String() string { return "(absent)" }

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func short(v any) string {
	switch v.(type) {
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	}
	return fmt.Sprint(v)
}
