package validate

import (
	"fmt"

	"github.com/keaops/keaops/internal/model"
)

// optionSince are standard options newer Kea versions define: older ones
// reject option-data that names them.
var optionSince = map[string]model.Version{
	"classless-static-route": {Major: 2, Minor: 6}, // option 121, defined from 2.5.5
}

// defTypes are the option-def types whose values keaops can check, as the
// standard table's types.
var defTypes = map[string]optType{
	"ipv4-address": tIPv4, "string": tString, "fqdn": tFQDN, "boolean": tBool,
	"uint8": tUint8, "uint16": tUint16, "uint32": tUint32, "int32": tInt32,
	"binary": tBinary, "record": tRecord,
}

type defKey struct {
	space string
	code  int
}

// optionSet is what a site's options may name: Kea's standard options for
// the target version and the site's own definitions.
type optionSet struct {
	version model.Version
	byName  map[[2]string]*model.OptionDef // space, name
	byCode  map[defKey]*model.OptionDef    // space, code
}

// checkOptionDefs: each definition is unique in its space and does not
// redefine a standard DHCPv4 option.
func checkOptionDefs(s *model.Site, report func(model.Finding)) optionSet {
	set := optionSet{version: s.KeaVersion, byName: map[[2]string]*model.OptionDef{}, byCode: map[defKey]*model.OptionDef{}}
	for _, d := range s.OptionDefs {
		space := d.Space
		if space == "" {
			space = "dhcp4"
			if std, ok := dhcp4Options[d.Name]; ok {
				report(model.Errorf(d.Pos, "option-def", "option-def %s redefines Kea's standard option %d: use the standard one", d.Name, std.code))
				continue
			}
			for name, std := range dhcp4Options {
				if std.code == d.Code {
					report(model.Errorf(d.Pos, "option-def", "option-def %s takes code %d, Kea's standard option %s: pick a free code (224-254 are for sites)", d.Name, d.Code, name))
				}
			}
		}
		if prev, dup := set.byName[[2]string{space, d.Name}]; dup {
			report(model.Errorf(d.Pos, "option-def", "option %s is already defined in space %s at %s", d.Name, space, prev.Pos.Short()))
			continue
		}
		if prev, dup := set.byCode[defKey{space: space, code: d.Code}]; dup {
			report(model.Errorf(d.Pos, "option-def", "code %d is already defined in space %s, as %s at %s", d.Code, space, prev.Name, prev.Pos.Short()))
			continue
		}
		if d.RecordTypes != "" && d.Type != "record" {
			report(model.Errorf(d.Pos, "option-def", "option-def %s has record-types but type %s: record-types go with type record", d.Name, d.Type))
		}
		if d.Type == "record" && d.RecordTypes == "" {
			report(model.Errorf(d.Pos, "option-def", "option-def %s is a record without record-types", d.Name))
		}
		set.byName[[2]string{space, d.Name}] = d
		set.byCode[defKey{space: space, code: d.Code}] = d
	}
	return set
}

// lookup finds the definition of o: the site's, or Kea's standard one.
func (set optionSet) lookup(o *model.Option) (optDef, string, error) {
	space := o.Space
	if space == "" {
		space = "dhcp4"
	}
	var d *model.OptionDef
	if o.Name != "" {
		d = set.byName[[2]string{space, o.Name}]
	} else {
		d = set.byCode[defKey{space: space, code: o.Code}]
	}
	if d != nil {
		t, ok := defTypes[d.Type]
		if !ok {
			t = tRecord // a type keaops does not check the text of
		}
		return optDef{code: d.Code, typ: t, array: d.Array}, d.Name, nil
	}
	if space == "dhcp4" {
		if o.Name == "" {
			for name, std := range dhcp4Options {
				if std.code == o.Code {
					return std, name, set.since(name)
				}
			}
			return optDef{code: o.Code, typ: tBinary}, "", nil // an undefined code: bytes only
		}
		if std, ok := dhcp4Options[o.Name]; ok {
			return std, o.Name, set.since(o.Name)
		}
		msg := fmt.Sprintf("unknown DHCPv4 option %q", o.Name)
		if s := closest(o.Name); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return optDef{}, o.Name, fmt.Errorf("%s", msg)
	}
	if o.Name == "" {
		return optDef{code: o.Code, typ: tBinary}, "", nil
	}
	return optDef{}, o.Name, fmt.Errorf("option %q in space %s has no definition: define it under option-def (Kea rejects it otherwise)", o.Name, space)
}

func (set optionSet) since(name string) error {
	if v, ok := optionSince[name]; ok && !set.version.AtLeast(v.Major, v.Minor) {
		return fmt.Errorf("option %q is not known to Kea %s (it rejects the config): it needs %s or later", name, set.version, v)
	}
	return nil
}

// NameOptions names every option of s given by code only where Kea knows
// the code — a standard DHCPv4 option (for s's Kea version), or one the
// site defines — as a person would write it: "domain-name", not 15.
func NameOptions(s *model.Site) {
	set := checkOptionDefs(s, func(model.Finding) {})
	name := func(o *model.Option) {
		if o.Name != "" {
			return
		}
		if _, n, err := set.lookup(o); err == nil && n != "" {
			o.Name = n
		}
	}
	s.EachOption(name)
	for _, n := range s.Networks { // EachOption leaves networks to their own check
		for _, o := range n.Options {
			name(o)
		}
	}
}
