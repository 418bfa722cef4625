package model

import "strconv"

// Option is one DHCP option value in Kea's text form.
type Option struct {
	// Name of the option; "" when only Code names it.
	Name string
	Code int
	// Space is the option space, "" for dhcp4's own.
	Space string
	// Values are the comma-separated fields of Kea's "data".
	Values     []string
	AlwaysSend bool
	NeverSend  bool
	CSVFormat  *bool
	Pos        Pos
}

// Key is the option's identity in its scope: its space, and its name or
// code.
func (o *Option) Key() string {
	k := o.Name
	if k == "" {
		k = "#" + strconv.Itoa(o.Code)
	}
	if o.Space != "" {
		return o.Space + "/" + k
	}
	return k
}

// Label is the option for a person: its name, or its space and code.
func (o *Option) Label() string {
	if o.Name != "" && o.Space == "" {
		return o.Name
	}
	return o.Key()
}

// OptionDef defines an option Kea does not know by itself (Kea's
// option-def): a vendor's sub-options, or a site-specific code.
type OptionDef struct {
	Name  string
	Code  int
	Space string // "" for dhcp4
	// Type is Kea's: uint8 … uint32, int8 … int32, ipv4-address, string,
	// fqdn, binary, boolean, record, empty, …
	Type        string
	RecordTypes string
	Array       bool
	// Encapsulate names the option space whose options this one carries.
	Encapsulate string
	Pos         Pos
}
