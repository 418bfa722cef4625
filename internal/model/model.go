package model

import (
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"go4.org/netipx"
)

// Range returns the pool as an address range; it is invalid (IsValid false)
// when the pool is reversed.
func (p *Pool) Range() netipx.IPRange { return netipx.IPRangeFrom(p.From, p.To) }

// Site is everything keaops knows about one Kea deployment: the desired
// DHCP service and the nodes that provide it.
type Site struct {
	// KeaVersion is the version the configs are rendered for.
	KeaVersion Version
	// Nodes in the order the site file lists them.
	Nodes []*Node
	HA    HA
	// MultiThreading of kea-dhcp4 itself; nil leaves the version default,
	// which the renderer writes out explicitly.
	MultiThreading *MultiThreading
	// ControlAuth is the basic-auth user for the control API and for HA
	// peers talking to each other's control agent.
	ControlAuth *BasicAuth
	LeaseDB     LeaseDB
	// HostsDBs are databases Kea reads reservations from.
	HostsDBs []*LeaseDB
	// Loggers are the site's; none means keaops's own.
	Loggers []*Logger
	// Hooks are the hook libraries the site loads.
	Hooks []*Hook
	// DDNS is the site's kea-dhcp-ddns, nil when the site has none.
	DDNS     *DDNS
	Defaults Defaults
	Classes  []*ClientClass
	// OptionDefs are the site's option definitions.
	OptionDefs []*OptionDef
	// Settings are the global ones (see SettingDefs).
	Settings Settings
	// Raw is the global escape hatch.
	Raw Raw
	// Networks are the shared networks; their subnets are in Subnets,
	// each naming its network.
	Networks []*SharedNetwork
	Subnets  []*Subnet
	// Reservations from every source, in source order.
	Reservations []*Reservation
	// NetBox is the site's NetBox source, nil when it has none.
	NetBox *NetBox
	// DeployLock is the lock deploys take, nil when the site names none.
	DeployLock *DeployLock
	// Dropped is what the sources left out for errors already reported.
	Dropped Dropped
	// Inputs are the files the site was read from.
	Inputs []string
	// ReservationFiles are the YAML files reservations are read from, in
	// order (the site's sources.reservations; the ones that exist).
	ReservationFiles []string
	// Recorded is the global record a rendered or live config carries
	// (see Record); zero for sites read from YAML.
	Recorded Record
	// Unmodelled lists what a config read back from Kea holds that
	// neither the model nor the escape hatch can carry, by JSON path, so
	// that nothing is dropped unsaid.
	Unmodelled []string
	Pos        Pos
}

// Dropped describes subnets a source left out of the model because of
// errors it reported against them. Validation does not report their
// absence again: one mistake in a subnet is one error, not one more for
// every reservation it would have held.
type Dropped struct {
	Subnets []DroppedSubnet
	// AnySubnet: a subnets file could not be read at all, so any subnet
	// may be missing.
	AnySubnet bool
}

// DroppedSubnet is what could still be read of a dropped subnet: its
// name and prefix, either possibly empty.
type DroppedSubnet struct {
	Name   string
	Prefix netip.Prefix
}

// Version is a Kea major.minor release line.
type Version struct{ Major, Minor int }

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v Version) String() string { return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) }

// Role of a node in its HA relationship.
type Role string

// HA roles as Kea names them.
const (
	RolePrimary   Role = "primary"
	RoleSecondary Role = "secondary"
	RoleStandby   Role = "standby"
	RoleBackup    Role = "backup"
)

// HAMode is Kea's high-availability mode; HANone means a single server.
type HAMode string

// HA modes as Kea names them.
const (
	HANone          HAMode = "none"
	HAHotStandby    HAMode = "hot-standby"
	HALoadBalancing HAMode = "load-balancing"
	HAPassiveBackup HAMode = "passive-backup"
)

// Node is one Kea server.
type Node struct {
	Name string
	Role Role
	// ControlURL is where keaops reaches the node's control API (a Control
	// Agent, or kea-dhcp4's own HTTP socket on 3.0+).
	ControlURL *url.URL
	// HAURL is where the partner sends HA traffic: the Control Agent when
	// the dedicated HA listener is off, the listener's address when on.
	HAURL      *url.URL
	Interfaces []string
	// Hooks are the optional hook libraries the node's Kea has and loads,
	// by short name ("host_cmds", "subnet_cmds"): the render is offline and
	// a config naming a library the node lacks fails config-test.
	Hooks    []string
	HooksPos Pos
	Paths    NodePaths
	// TLS of the node's control API listener (https control-url).
	TLS *TLS
	// KeaDirs: the node's declared KEA_*_DIR environment (kea-env).
	KeaDirs KeaDirs
	Pos     Pos
	// Field positions, for precise findings.
	ControlURLPos, HAURLPos, RolePos Pos
}

// TLS names the node-local certificate files of an HTTPS listener.
type TLS struct {
	CertFile, KeyFile, TrustAnchor string
	// CertRequired asks clients for a certificate (mutual TLS).
	CertRequired bool
}

// NodePaths are the node-local files Kea uses; empty means the renderer's
// default for the target version.
type NodePaths struct {
	ControlSocket, LeaseFile, LogFile, HooksDir string
	// D2ControlSocket and D2LogFile are kea-dhcp-ddns's.
	D2ControlSocket, D2LogFile string
	// Where each path was set, for findings (zero: the default).
	ControlSocketPos, LeaseFilePos, LogFilePos Pos
}

// KeaDirs are the directories a node's Kea daemons were started with
// (their KEA_CONTROL_SOCKET_DIR, KEA_DHCP_DATA_DIR, KEA_LOG_FILE_DIR):
// from 2.4.2, 2.6.3 and 3.0 Kea opens sockets, lease files and log files
// only there. Empty means Kea's own default.
type KeaDirs struct {
	ControlSocket, Data, Log string
}

// HA is the high-availability relationship shared by all nodes.
type HA struct {
	Mode                HAMode
	HeartbeatDelay      *Int // milliseconds
	MaxResponseDelay    *Int // milliseconds
	MaxAckDelay         *Int // milliseconds
	MaxUnackedClients   *Int
	SyncTimeout         *Int // milliseconds
	SyncPageLimit       *Int
	DelayedUpdatesLimit *Int
	SyncLeases          *bool
	AutoFailover        *bool
	RestrictCommands    *bool
	// MultiThreading of the HA hook; nil fields take the renderer's
	// explicit defaults (never Kea's version-dependent ones).
	MTEnable, DedicatedListener    *bool
	ListenerThreads, ClientThreads *Int
	Pos                            Pos
}

// Heartbeat is the HA heartbeat-delay, Kea's default (10 s) when unset;
// 0 without HA.
func (h HA) Heartbeat() time.Duration {
	switch {
	case h.Mode == HANone || h.Mode == "":
		return 0
	case h.HeartbeatDelay != nil:
		return time.Duration(h.HeartbeatDelay.Value) * time.Millisecond
	}
	return 10 * time.Second
}

// MaxResponse is the HA max-response-delay, Kea's default (60 s) when
// unset: how long a node waits before it declares its partner down.
func (h HA) MaxResponse() time.Duration {
	if h.MaxResponseDelay != nil {
		return time.Duration(h.MaxResponseDelay.Value) * time.Millisecond
	}
	return 60 * time.Second
}

// Int is an integer setting with its position.
type Int struct {
	Value int64
	Pos   Pos
}

// MultiThreading of kea-dhcp4.
type MultiThreading struct {
	Enable          bool
	ThreadPoolSize  int
	PacketQueueSize int
}

// BasicAuth is a user and a reference to the password.
type BasicAuth struct {
	User     string
	Password *SecretRef
}

// SecretRef points at a secret that is resolved at apply time; its value is
// never part of the model.
type SecretRef struct {
	Env  string
	File string
	Pos  Pos
}

// Ref is the reference as text: "env:NAME" or "file:/path".
func (r SecretRef) Ref() string {
	if r.Env != "" {
		return "env:" + r.Env
	}
	return "file:" + r.File
}

// Placeholder is how a secret appears in rendered artifacts: the deployer
// and keaops-agent replace it with the secret's value when they apply a
// config, so artifacts can be published and diffed without leaking it.
func (r SecretRef) Placeholder() string { return SecretPrefix + r.Ref() + SecretSuffix }

// The placeholder's delimiters. Kea has no syntax of its own like this, so
// a placeholder can never be mistaken for a real value.
const (
	SecretPrefix = "${keaops-secret:"
	SecretSuffix = "}"
)

// LeaseDB is Kea's lease database, or one of its host databases.
type LeaseDB struct {
	Type        string // memfile, mysql, postgresql
	Persist     *bool
	LFCInterval *Int
	Name        string
	Host        string
	Port        int
	User        string
	Password    *SecretRef
	// Raw is what else the database takes (timeouts, TLS, readonly…).
	Raw Raw
	Pos Pos
}

// Defaults apply to every subnet unless the subnet overrides them.
type Defaults struct {
	Lifetimes Lifetimes
	Options   []*Option
}

// Lifetimes in seconds; nil means inherited.
type Lifetimes struct {
	Valid, Renew, Rebind *Int
}

// ClientClass is a Kea client class defined by the site.
type ClientClass struct {
	Name           string
	Test           string
	OnlyIfRequired bool
	Comment        string
	Options        []*Option
	// Lifetimes a class gives its members (Kea 2.0+).
	Lifetimes Lifetimes
	Settings  Settings
	Raw       Raw
	Pos       Pos
	// TestPos is where the test expression's first character is.
	TestPos Pos
}

// Subnet is one IPv4 subnet.
type Subnet struct {
	// ID is the Kea subnet-id, stable forever: see SubnetID.
	ID uint32
	// IDExplicit is true when the source set the id, false when derived.
	IDExplicit bool
	Name       string
	VLAN       int
	Prefix     netip.Prefix
	Pools      []*Pool
	Relay      []netip.Addr
	Interface  string
	// ClientClasses restrict the subnet to clients in one of them (Kea
	// 3.0 takes several; earlier versions one).
	ClientClasses []string
	Comment       string
	Lifetimes     Lifetimes
	Options       []*Option
	// Network is the name of the shared network the subnet is in, "" for
	// none.
	Network    string
	NetworkPos Pos
	Settings   Settings
	Raw        Raw
	// Recorded is the subnet's record in a rendered or live config.
	Recorded  Record
	Pos       Pos
	PrefixPos Pos
	IDPos     Pos
}

// Pool is a dynamic address range inside a subnet.
type Pool struct {
	// From and To are kept as written (a reversed pool is reported, not
	// silently swapped); Range is valid only when From <= To.
	From, To      netip.Addr
	ClientClasses []string
	Comment       string
	Options       []*Option
	// Settings of the pool (require-client-classes …).
	Settings Settings
	Raw      Raw
	Pos      Pos
}

// Reservation binds a host identifier to an address, or to a host name,
// options or classes without one.
type Reservation struct {
	Hostname string
	// HWAddress is normalised to lower-case aa:bb:cc:dd:ee:ff; ClientID,
	// DUID and CircuitID to lower-case colon-separated hex; FlexID is
	// hex too (Kea's flex_id hook compares bytes). Exactly one is set.
	HWAddress string
	ClientID  string
	DUID      string
	CircuitID string
	FlexID    string
	// IP is invalid (zero) for a reservation without an address.
	IP netip.Addr
	// Global: the reservation is Kea's global one, for any subnet that
	// looks up global reservations, instead of one subnet's.
	Global bool
	// Subnet is the name or prefix the source named, "" to infer it from IP.
	Subnet        string
	Settings      Settings
	Raw           Raw
	Options       []*Option
	ClientClasses []string
	Comment       string
	Pos           Pos
	IPPos         Pos
	IDPos         Pos
	HostnamePos   Pos
	SubnetPos     Pos
}

// EachOption calls fn for every option at every level of the site:
// defaults, client classes, subnets, pools and reservations.
func (s *Site) EachOption(fn func(*Option)) {
	lists := [][]*Option{s.Defaults.Options}
	for _, c := range s.Classes {
		lists = append(lists, c.Options)
	}
	for _, sn := range s.Subnets {
		lists = append(lists, sn.Options)
		for _, p := range sn.Pools {
			lists = append(lists, p.Options)
		}
	}
	for _, r := range s.Reservations {
		lists = append(lists, r.Options)
	}
	for _, l := range lists {
		for _, o := range l {
			fn(o)
		}
	}
}

// Identifier returns the host identifier Kea matches on, with its type.
func (r *Reservation) Identifier() (kind, value string) {
	for _, id := range r.identifiers() {
		if id.value != "" {
			return id.kind, id.value
		}
	}
	return "hw-address", ""
}

// Identifiers counts the identifiers set: Kea takes exactly one.
func (r *Reservation) Identifiers() int {
	n := 0
	for _, id := range r.identifiers() {
		if id.value != "" {
			n++
		}
	}
	return n
}

// SetIdentifier sets the identifier of kind (as Kea names it) to value,
// reporting false for a kind Kea does not have.
func (r *Reservation) SetIdentifier(kind, value string) bool {
	fields := map[string]*string{"hw-address": &r.HWAddress, "client-id": &r.ClientID, "duid": &r.DUID, "circuit-id": &r.CircuitID, "flex-id": &r.FlexID}
	f, ok := fields[kind]
	if ok {
		*f = value
	}
	return ok
}

type identifier struct{ kind, value string }

func (r *Reservation) identifiers() [5]identifier {
	return [5]identifier{{"hw-address", r.HWAddress}, {"client-id", r.ClientID}, {"duid", r.DUID}, {"circuit-id", r.CircuitID}, {"flex-id", r.FlexID}}
}

// IdentifierKinds are Kea's host identifier types for DHCPv4.
var IdentifierKinds = []string{"hw-address", "client-id", "duid", "circuit-id", "flex-id"}
