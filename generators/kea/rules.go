// Package kea renders a validated site model into the files each Kea node
// runs: kea-dhcp4.json and, where the target still has one, the Control
// Agent's kea-ctrl-agent.json. Rendering is pure and deterministic — the
// same model gives byte-identical files — and every difference between
// target Kea versions lives in rules, so the rest of the package reads the
// same for all of them.
package kea

import (
	"fmt"

	"github.com/keaops/keaops/internal/model"
)

// Versions are the Kea release lines keaops renders for.
var Versions = []model.Version{{Major: 2, Minor: 2}, {Major: 2, Minor: 4}, {Major: 2, Minor: 6}, {Major: 3, Minor: 0}, {Major: 3, Minor: 2}}

// rules are the version differences that change rendered output
// (reference: kea-facts.md §3).
type rules struct {
	version model.Version
	// controlAgent: the target ships kea-ctrl-agent (removed in 3.1.8).
	controlAgent bool
	// controlSockets: emit the 3.0+ "control-sockets" list instead of the
	// single "control-socket" map (deprecated after 3.3).
	controlSockets bool
	// httpControlSocket: kea-dhcp4 serves the control API over HTTP
	// itself (the only remote API once the Control Agent is gone).
	httpControlSocket bool
	// outputOptions is the spelling of a logger's outputs: output_options
	// until 2.6, output-options from 2.6 (the old one deprecated 2.6.2).
	outputOptions string
	// classList: subnets and pools take "client-classes" (a list) from 3.0
	// instead of "client-class" (a string).
	classList bool
	// additionalList: "only-if-required" became "only-in-additional-list".
	additionalList bool
	// dbHooks: 3.0 moved MySQL/PostgreSQL support into hook libraries.
	dbHooks bool
}

func rulesFor(v model.Version) (rules, error) {
	known := false
	for _, k := range Versions {
		known = known || k == v
	}
	if !known {
		return rules{}, fmt.Errorf("kea-version %s is not one keaops renders for", v)
	}
	r := rules{
		version:           v,
		controlAgent:      !v.AtLeast(3, 2),
		controlSockets:    v.AtLeast(3, 0),
		httpControlSocket: v.AtLeast(3, 2),
		outputOptions:     "output_options",
		classList:         v.AtLeast(3, 0),
		additionalList:    v.AtLeast(3, 0),
		dbHooks:           v.AtLeast(3, 0),
	}
	if v.AtLeast(2, 6) {
		r.outputOptions = "output-options"
	}
	return r, nil
}

// Node-local defaults: Debian's and ISC's packages' locations. From 2.4.2,
// 2.6.3 and 3.0 Kea accepts these files only in its own directories, so the
// defaults are those directories; a node can override them.
const (
	defaultHooksDir      = "/usr/lib/x86_64-linux-gnu/kea/hooks"
	defaultControlSocket = "/run/kea/kea4-ctrl-socket"
	defaultLeaseFile     = "/var/lib/kea/kea-leases4.csv"
	defaultLogFile       = "/var/log/kea/kea-dhcp4.log"
	defaultAgentLogFile  = "/var/log/kea/kea-ctrl-agent.log"
	defaultD2Socket      = "/run/kea/kea-ddns-ctrl-socket"
	defaultD2LogFile     = "/var/log/kea/kea-dhcp-ddns.log"
)

func paths(n *model.Node) model.NodePaths {
	p := n.Paths
	if p.HooksDir == "" {
		p.HooksDir = defaultHooksDir
	}
	if p.ControlSocket == "" {
		p.ControlSocket = defaultControlSocket
	}
	if p.LeaseFile == "" {
		p.LeaseFile = defaultLeaseFile
	}
	if p.LogFile == "" {
		p.LogFile = defaultLogFile
	}
	if p.D2ControlSocket == "" {
		p.D2ControlSocket = defaultD2Socket
	}
	if p.D2LogFile == "" {
		p.D2LogFile = defaultD2LogFile
	}
	return p
}
