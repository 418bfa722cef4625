package netbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// SnapshotFormat is the version of the snapshot file format.
const SnapshotFormat = 1

// Snapshot is what keaops read from NetBox: the selected objects, reduced to
// the fields keaops maps, and the selection that picked them. It is the
// only thing the conversion to the model reads, so a snapshot file and a
// live read give the same site. Lists are sorted by id; nothing in it
// depends on when it was taken.
type Snapshot struct {
	Format int `json:"format"`
	// NetBox is the URL the objects came from (never a token).
	NetBox string `json:"netbox"`
	// Selection is the site's selection when the snapshot was taken; a
	// site whose selection changed since must take a new one.
	Selection Selection   `json:"selection"`
	Prefixes  []Prefix    `json:"prefixes"`
	IPRanges  []IPRange   `json:"ip-ranges"`
	Addresses []IPAddress `json:"ip-addresses"`
}

// Selection is the part of the site's NetBox source that decides which
// objects are read and which custom fields are kept.
type Selection struct {
	Prefixes  Filter   `json:"prefixes"`
	IPRanges  Filter   `json:"ip-ranges"`
	Addresses *Filter  `json:"ip-addresses"`
	Fields    []string `json:"custom-fields"`
}

// Filter is a server-side selection, with keaops' defaults filled in.
type Filter struct {
	Tag    []string `json:"tag,omitempty"`
	Role   []string `json:"role,omitempty"`
	Site   []string `json:"site,omitempty"`
	VRF    []string `json:"vrf,omitempty"`
	Status []string `json:"status,omitempty"`
}

// VRF is the VRF an object is in; objects without one are in the global
// table.
type VRF struct {
	ID   int32  `json:"id"`
	Name string `json:"name,omitempty"`
	RD   string `json:"rd,omitempty"`
}

// VLAN is a prefix's VLAN.
type VLAN struct {
	ID   int32  `json:"id"`
	VID  int32  `json:"vid"`
	Name string `json:"name"`
}

// Prefix is a NetBox prefix that becomes a subnet.
type Prefix struct {
	ID           int32          `json:"id"`
	Display      string         `json:"display"`
	Prefix       string         `json:"prefix"`
	VRF          *VRF           `json:"vrf,omitempty"`
	VLAN         *VLAN          `json:"vlan,omitempty"`
	Description  string         `json:"description,omitempty"`
	CustomFields map[string]any `json:"custom-fields,omitempty"`
}

// IPRange is a NetBox IP range that becomes a pool.
type IPRange struct {
	ID          int32  `json:"id"`
	Display     string `json:"display"`
	Start       string `json:"start-address"`
	End         string `json:"end-address"`
	VRF         *VRF   `json:"vrf,omitempty"`
	Description string `json:"description,omitempty"`
}

// IPAddress is a NetBox IP address that becomes a reservation when its
// interface has a MAC address (or its hw-address custom field is set).
type IPAddress struct {
	ID      int32  `json:"id"`
	Display string `json:"display"`
	Address string `json:"address"`
	VRF     *VRF   `json:"vrf,omitempty"`
	DNSName string `json:"dns-name,omitempty"`
	// Interface is the assigned interface, nil when the address is not
	// assigned to one.
	Interface    *Interface     `json:"interface,omitempty"`
	Description  string         `json:"description,omitempty"`
	CustomFields map[string]any `json:"custom-fields,omitempty"`
}

// Interface is the interface an address is assigned to, with the MAC
// address keaops reserves for: the interface's primary MAC, or its only
// one. MACs lists every MAC address object on the interface.
type Interface struct {
	// Type is "dcim.interface" or "virtualization.vminterface".
	Type string `json:"type"`
	ID   int32  `json:"id"`
	Name string `json:"name"`
	// Parent is the device's or virtual machine's name.
	Parent string   `json:"parent,omitempty"`
	MAC    string   `json:"mac,omitempty"`
	MACs   []string `json:"macs,omitempty"`
}

// sort puts every list in id order, so snapshots compare byte for byte.
func (s *Snapshot) sort() {
	slices.SortFunc(s.Prefixes, func(a, b Prefix) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.IPRanges, func(a, b IPRange) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Addresses, func(a, b IPAddress) int { return cmp.Compare(a.ID, b.ID) })
}

// Marshal writes the snapshot as indented JSON with sorted keys, ending in
// a newline: the same objects always give the same bytes.
func (s *Snapshot) Marshal() ([]byte, error) {
	s.sort()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encoding the NetBox snapshot: %w", err)
	}
	return b.Bytes(), nil
}

// ParseSnapshot reads a snapshot file. Problems are findings at the file,
// line and column, never a panic; unknown keys are errors, since a
// snapshot is written by keaops and a stray key means a hand edit went
// wrong.
func ParseSnapshot(name string, data []byte) (*Snapshot, model.Findings) {
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, model.Findings{model.Errorf(jsonPos(name, data, err, dec.InputOffset()), "netbox-snapshot", "%s", jsonMessage(err))}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, model.Findings{model.Errorf(jsonPos(name, data, nil, dec.InputOffset()-1), "netbox-snapshot", "unexpected data after the snapshot object")}
	}
	if s.Format != SnapshotFormat {
		return nil, model.Findings{model.Errorf(model.Pos{File: name}, "netbox-snapshot", "snapshot format %d is not one this keaops reads (%d): take a new one with keaops netbox snapshot", s.Format, SnapshotFormat)}
	}
	// NetBox ids are unique per endpoint; the same object twice means the
	// file was merged or edited by hand, and which copy counts is a guess.
	var fs model.Findings
	dup := func(list string, ids []int32) {
		seen := make(map[int32]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				fs = append(fs, model.Errorf(idPos(name, data, list, id), "netbox-snapshot", "%s: object %d appears twice: a snapshot is written whole by keaops netbox snapshot, never merged or edited; take a new one", list, id))
			}
			seen[id] = true
		}
	}
	dup("prefixes", ids(s.Prefixes, func(p Prefix) int32 { return p.ID }))
	dup("ip-ranges", ids(s.IPRanges, func(r IPRange) int32 { return r.ID }))
	dup("ip-addresses", ids(s.Addresses, func(a IPAddress) int32 { return a.ID }))
	if len(fs) > 0 {
		return nil, fs
	}
	return &s, nil
}

func ids[T any](list []T, id func(T) int32) []int32 {
	out := make([]int32, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

// idPos is the position of the second object with id in list.
func idPos(name string, data []byte, list string, id int32) model.Pos {
	start := bytes.Index(data, []byte(`"`+list+`"`))
	re := regexp.MustCompile(`"id"\s*:\s*` + strconv.Itoa(int(id)) + `\b`)
	if start >= 0 {
		if m := re.FindAllIndex(data[start:], 2); len(m) == 2 {
			return jsonPos(name, data, nil, int64(start+m[1][0]))
		}
	}
	return model.Pos{File: name}
}

// SameNetBox reports whether two NetBox URLs name the same server: scheme,
// host and path, with no regard to case, a trailing slash or credentials.
func SameNetBox(a, b string) bool { return normalURL(a) == normalURL(b) }

func normalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return s
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api")
}

// jsonPos turns a decoder error's byte offset into a line and column.
func jsonPos(name string, data []byte, err error, fallback int64) model.Pos {
	off := fallback
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1 // the offending byte, not the one after it
	case errors.As(err, &te):
		off = te.Offset
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		// Reported at the end of the object; point at the key instead.
		key := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if m := regexp.MustCompile(regexp.QuoteMeta(key) + `\s*:`).FindIndex(data); m != nil {
			off = int64(m[0])
		}
	}
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return model.Pos{File: name, Line: line, Col: col}
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: want %s, not a JSON %s", te.Field, te.Type, te.Value)
	}
	if errors.Is(err, io.EOF) {
		return "the file is empty: take a snapshot with keaops netbox snapshot"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
