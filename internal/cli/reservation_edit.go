package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/edit"
	"github.com/keaops/keaops/internal/leases"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// ReservationAdd runs keaops reservation add.
func ReservationAdd(ctx context.Context, a ReservationArgs, _ string, out io.Writer) (int, error) {
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	if a.FromLease != "" {
		if a.Fields, err = fromLease(ctx, site, a); err != nil {
			return ExitProblems, err
		}
	}
	if !hasField(a.Fields, "hostname") && !hasField(a.Fields, "hw-address") && !hasField(a.Fields, "client-id") {
		return ExitProblems, errors.New("a reservation needs --hostname, --hw-address or --client-id")
	}
	file, err := pickFile(site, a)
	if err != nil {
		return ExitProblems, err
	}
	doc, err := openDoc(file)
	if err != nil {
		return ExitProblems, err
	}
	records, err := doc.Records("reservations")
	if err != nil {
		return ExitProblems, err
	}
	var like edit.Record
	if len(records) > 0 {
		like = records[len(records)-1]
	}
	var fields []edit.Field
	for _, f := range a.Fields {
		fields = append(fields, edit.Field{Key: f.key, Value: edit.Scalar(f.value, like.StyleOf(f.key))})
	}
	more, err := optionFields(a, edit.Record{})
	if err != nil {
		return ExitProblems, err
	}
	nd, err := doc.Append("reservations", append(fields, more...))
	if err != nil {
		return ExitProblems, err
	}
	ip, _ := netip.ParseAddr(fieldValue(a.Fields, "ip-address"))
	mac, _ := model.ParseMAC(fieldValue(a.Fields, "hw-address"))
	r := &model.Reservation{Hostname: fieldValue(a.Fields, "hostname"), HWAddress: mac, ClientID: fieldValue(a.Fields, "client-id"), IP: ip}
	return finish(ctx, a, nd, out, "add reservation "+describe(r))
}

// ReservationRemove runs keaops reservation rm.
func ReservationRemove(ctx context.Context, a ReservationArgs, which string, out io.Writer) (int, error) {
	r, doc, index, code, err := findReservation(ctx, a, which, out)
	if doc == nil {
		return code, err
	}
	nd, err := doc.Remove("reservations", index)
	if err != nil {
		return ExitProblems, err
	}
	return finish(ctx, a, nd, out, "remove reservation "+describe(r))
}

// ReservationSet runs keaops reservation set.
func ReservationSet(ctx context.Context, a ReservationArgs, which string, out io.Writer) (int, error) {
	if len(a.Fields) == 0 && len(a.Unset) == 0 && len(a.Options) == 0 && len(a.Classes) == 0 {
		return ExitProblems, errors.New("nothing to change: name a field (--ip-address, --hostname, --option, ...) or --unset one")
	}
	r, doc, index, code, err := findReservation(ctx, a, which, out)
	if doc == nil {
		return code, err
	}
	records, _ := doc.Records("reservations")
	for _, f := range a.Fields {
		if doc, err = doc.Set("reservations", index, edit.Field{Key: f.key, Value: edit.Scalar(f.value, records[index].StyleOf(f.key))}); err != nil {
			return ExitProblems, err
		}
	}
	more, err := optionFields(a, records[index])
	if err != nil {
		return ExitProblems, err
	}
	for _, f := range more {
		if doc, err = doc.Set("reservations", index, f); err != nil {
			return ExitProblems, err
		}
	}
	for _, k := range a.Unset {
		if doc, err = doc.Unset("reservations", index, k); err != nil {
			return ExitProblems, err
		}
	}
	changes := append(describeFieldList(a.Fields), optionText(a)...)
	if len(a.Unset) > 0 {
		changes = append(changes, "unset "+strings.Join(a.Unset, ", "))
	}
	return finish(ctx, a, doc, out, "change reservation "+describe(r)+": "+strings.Join(changes, " "))
}

// fromLease is add's fields with what the live lease of a MAC or an
// address gives: its address, client and host name, unless given.
func fromLease(ctx context.Context, site *model.Site, a ReservationArgs) ([]fieldFlag, error) {
	f := leases.Filter{State: "assigned"}
	if ip, err := netip.ParseAddr(a.FromLease); err == nil {
		f.IP = ip
	} else {
		f.HW = a.FromLease
	}
	res, err := liveLeases(ctx, site, a.Conn)
	if err != nil {
		return nil, err
	}
	found, err := f.Apply(site, res.Leases)
	if err != nil {
		return nil, err
	}
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("no node has an active lease of %s", a.FromLease)
	case len(found) > 1:
		return nil, fmt.Errorf("%s holds %d leases (%s, ...): name the address", a.FromLease, len(found), found[0].IP)
	}
	l := found[0]
	fields := a.Fields
	add := func(key, value string) {
		if value != "" && !hasField(fields, key) {
			fields = append(fields, fieldFlag{key, value})
		}
	}
	add("hostname", l.Hostname)
	if l.HW != "" {
		add("hw-address", l.HW)
	} else {
		add("client-id", l.ClientID)
	}
	add("ip-address", l.IP.String())
	if !hasField(fields, "hostname") {
		return nil, fmt.Errorf("the lease of %s carries no host name: pass --hostname", l.IP)
	}
	return fields, nil
}

// findReservation is the one reservation which names (a host name, MAC,
// client id or address) in the site's YAML files, and its record.
func findReservation(ctx context.Context, a ReservationArgs, which string, out io.Writer) (*model.Reservation, *edit.Doc, int, int, error) {
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return nil, nil, 0, ExitProblems, err
	}
	var found []*model.Reservation
	mac, _ := model.ParseMAC(which)
	ip, _ := netip.ParseAddr(which)
	for _, r := range site.Reservations {
		if strings.EqualFold(r.Hostname, which) || mac != "" && r.HWAddress == mac || strings.EqualFold(r.ClientID, which) || ip.IsValid() && r.IP == ip {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil, 0, ExitProblems, fmt.Errorf("no reservation is %s (a host name, MAC, client id or address)", which)
	case len(found) > 1:
		var where []string
		for _, r := range found {
			where = append(where, r.Pos.String()+" "+describe(r))
		}
		return nil, nil, 0, ExitProblems, fmt.Errorf("%d reservations match %s: name one by its MAC or address\n  %s", len(found), which, strings.Join(where, "\n  "))
	}
	r := found[0]
	if strings.HasPrefix(r.Pos.File, "netbox:") {
		return nil, nil, 0, ExitProblems, fmt.Errorf("%s comes from NetBox (%s): change it in NetBox, then take a snapshot (keaops netbox snapshot)", describe(r), strings.TrimPrefix(r.Pos.File, "netbox:"))
	}
	doc, err := openDoc(r.Pos.File)
	if err != nil {
		return nil, nil, 0, ExitProblems, err
	}
	i, err := recordIndex(doc, r)
	if err != nil {
		return nil, nil, 0, ExitProblems, err
	}
	return r, doc, i, ExitOK, nil
}

// pickFile is where add writes: --file; the only reservations file; the
// one that holds the most reservations of the new address's subnet; the
// first; or reservations.yaml beside the site when there is none.
func pickFile(site *model.Site, a ReservationArgs) (string, error) {
	if a.File != "" {
		for _, f := range site.ReservationFiles {
			if sameFile(f, a.File) {
				return f, nil
			}
		}
		return "", fmt.Errorf("--file %s is not one of the site's reservations files (%s)", a.File, strings.Join(site.ReservationFiles, ", "))
	}
	switch len(site.ReservationFiles) {
	case 0:
		return filepath.Join(filepath.Dir(sitePath(a.Site)), yamlsrc.DefaultReservations), nil
	case 1:
		return site.ReservationFiles[0], nil
	}
	ip, _ := netip.ParseAddr(fieldValue(a.Fields, "ip-address"))
	best, most := site.ReservationFiles[0], 0
	for _, f := range site.ReservationFiles {
		n := 0
		for _, r := range site.Reservations {
			if sameFile(r.Pos.File, f) && ip.IsValid() && r.IP.IsValid() && sameSubnet(site, r.IP, ip) {
				n++
			}
		}
		if n > most {
			best, most = f, n
		}
	}
	return best, nil
}

func sameSubnet(site *model.Site, a, b netip.Addr) bool {
	for _, sn := range site.Subnets {
		if sn.Prefix.Contains(a) && sn.Prefix.Contains(b) {
			return true
		}
	}
	return false
}

// finish checks the site as the edit leaves it, writes the file only when
// no check fails, and commits it when asked.
func finish(ctx context.Context, a ReservationArgs, nd *edit.Doc, out io.Writer, what string) (int, error) {
	files := overlay{yamlsrc.OS, map[string][]byte{filepath.Clean(nd.Name()): nd.Bytes()}}
	site, findings, err := loadAndValidate(ctx, files, a.SiteArgs)
	if err != nil {
		return ExitProblems, err
	}
	if site == nil || findings.HasErrors() {
		printFindings(out, a.Site, site, findings)
		fmt.Fprintf(out, "not written: %s would fail the checks above\n", nd.Name())
		return ExitProblems, nil
	}
	if err := writeKeeping(nd.Name(), nd.Bytes()); err != nil {
		return ExitProblems, err
	}
	fmt.Fprintf(out, "%s: %s\n", nd.Name(), what)
	if err := a.Git.record(ctx, []string{nd.Name()}, "keaops: "+what, out); err != nil {
		return ExitProblems, err
	}
	return ExitOK, nil
}

// writeKeeping replaces a site file atomically, keeping its owner and mode.
func writeKeeping(name string, data []byte) error {
	return artifact.WriteFileAtomicAs(name, data, artifact.Owner{Mode: 0o644, GID: -1, Keep: true})
}

func openDoc(path string) (*edit.Doc, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = nil, nil // add creates it
	}
	if err != nil {
		return nil, err
	}
	return edit.Parse(path, b)
}

// overlay is the file system with some files as an edit would leave them.
type overlay struct {
	base  yamlsrc.Files
	files map[string][]byte
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if b, ok := o.files[filepath.Clean(name)]; ok {
		return b, nil
	}
	return o.base.ReadFile(name)
}

func (o overlay) Stat(name string) (fs.FileInfo, error) {
	if b, ok := o.files[filepath.Clean(name)]; ok {
		return memInfo{name: filepath.Base(name), size: int64(len(b))}, nil
	}
	return o.base.Stat(name)
}

type memInfo struct {
	name string
	size int64
}

func (m memInfo) Name() string       { return m.name }
func (m memInfo) Size() int64        { return m.size }
func (m memInfo) Mode() fs.FileMode  { return 0o644 }
func (m memInfo) ModTime() time.Time { return time.Time{} }
func (m memInfo) IsDir() bool        { return false }
func (m memInfo) Sys() any           { return nil }

func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

func hasField(fs []fieldFlag, key string) bool { return fieldValue(fs, key) != "" }

func fieldValue(fs []fieldFlag, key string) string {
	for _, f := range fs {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// describe names a reservation as a commit message would.
func describe(r *model.Reservation) string {
	var parts []string
	for _, p := range []string{r.Hostname, r.HWAddress, r.ClientID} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if r.IP.IsValid() {
		parts = append(parts, "→ "+r.IP.String())
	}
	return strings.Join(parts, " ")
}

func describeFieldList(fs []fieldFlag) []string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.key+"="+f.value)
	}
	return parts
}

func optionText(a ReservationArgs) []string {
	var parts []string
	for _, o := range a.Options {
		parts = append(parts, "option "+o)
	}
	if len(a.Classes) > 0 {
		parts = append(parts, "client-classes="+strings.Join(a.Classes, ","))
	}
	return parts
}

// optionFields are the options and client-classes fields --option and
// --class make: given options merged into the record's own (a name given
// again replaces its value), classes replacing its list.
func optionFields(a ReservationArgs, rec edit.Record) ([]edit.Field, error) {
	var out []edit.Field
	if len(a.Options) > 0 {
		merged, err := rec.Mapping("options")
		if err != nil {
			return nil, err
		}
		for _, o := range a.Options {
			name, value, ok := strings.Cut(o, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("--option %q: want NAME=VALUE, e.g. domain-name-servers=10.10.0.53", o)
			}
			f := edit.Field{Key: name, Value: edit.Scalar(value, 0)}
			if i := slices.IndexFunc(merged, func(m edit.Field) bool { return m.Key == name }); i >= 0 {
				merged[i] = f
			} else {
				merged = append(merged, f)
			}
		}
		out = append(out, edit.Field{Key: "options", Value: edit.FlowMapping(merged)})
	}
	if len(a.Classes) > 0 {
		names := make([]string, len(a.Classes))
		for i, c := range a.Classes {
			names[i] = edit.Scalar(c, 0)
		}
		out = append(out, edit.Field{Key: "client-classes", Value: "[" + strings.Join(names, ", ") + "]"})
	}
	return out, nil
}
