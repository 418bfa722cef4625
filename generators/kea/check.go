package kea

import (
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Check reports what the target Kea version cannot express or what the
// renderer cannot render faithfully: a feature that would otherwise be
// dropped silently is an error here. keaops check runs it too.
func Check(s *model.Site) model.Findings {
	var out model.Findings
	report := func(f model.Finding) { out = append(out, f) }
	if _, err := rulesFor(s.KeaVersion); err != nil {
		report(model.Errorf(s.Pos, "kea-version", "%v", err))
		return out
	}
	for _, n := range s.Nodes {
		if n.ControlURL == nil {
			continue
		}
		if _, err := netip.ParseAddr(n.ControlURL.Hostname()); err != nil {
			report(model.Errorf(n.ControlURLPos, "render", "node %s: control-url host %q must be an IP address: the control listener binds to it", n.Name, n.ControlURL.Hostname()))
		}
		if n.ControlURL.Scheme == "https" && n.TLS == nil {
			report(model.Errorf(n.ControlURLPos, "render", "node %s: an https control-url needs tls.cert-file and tls.key-file", n.Name))
		}
		if n.ControlURL.Scheme == "http" && n.TLS != nil {
			report(model.Errorf(n.ControlURLPos, "render", "node %s: tls is set but control-url is http: use https", n.Name))
		}
	}
	checkPaths(s, report)
	if hasRaw(s) {
		// The escape hatch clashes only where the model renders: render.
		var ce *ClashError
		if _, err := Render(s); errors.As(err, &ce) {
			out = append(out, ce.Findings...)
		}
	}
	if !s.KeaVersion.AtLeast(2, 4) {
		s.EachOption(func(o *model.Option) {
			if o.NeverSend {
				report(model.Errorf(o.Pos, "render", "option %q: never-send is not known to Kea %s (it rejects the config); it needs 2.4 or later", o.Name, s.KeaVersion))
			}
		})
	}
	if s.HA.Mode == model.HALoadBalancing {
		for _, sn := range s.Subnets {
			for _, p := range sn.Pools {
				switch {
				case len(p.ClientClasses) > 0:
					report(model.Errorf(p.Pos, "render", "pool %s-%s has client-class %s: load-balancing splits every pool between the servers with their HA_ classes, and a pool takes only one class", p.From, p.To, strings.Join(p.ClientClasses, ", ")))
				case p.From.Compare(p.To) <= 0 && p.From == p.To:
					report(model.Errorf(p.Pos, "render", "pool %s-%s has one address: load-balancing needs at least two to split between the servers", p.From, p.To))
				}
			}
		}
	}
	if s.HA.Mode != model.HANone {
		schemes := map[string]bool{}
		for _, n := range s.Nodes {
			if n.HAURL == nil {
				continue
			}
			schemes[n.HAURL.Scheme] = true
			if n.HAURL.Scheme == "https" && (n.TLS == nil || n.TLS.TrustAnchor == "") {
				report(model.Errorf(n.HAURLPos, "render", "node %s: an https ha-url needs tls with a trust-anchor, to verify the partner", n.Name))
			}
		}
		if len(schemes) > 1 {
			report(model.Errorf(s.HA.Pos, "render", "HA peers mix http and https ha-urls: a pair talks one way"))
		}
	}
	return out
}

func hasRaw(s *model.Site) bool {
	if !s.Raw.Empty() || slices.ContainsFunc(s.Networks, func(n *model.SharedNetwork) bool { return !n.Raw.Empty() }) ||
		slices.ContainsFunc(s.Classes, func(c *model.ClientClass) bool { return !c.Raw.Empty() }) ||
		slices.ContainsFunc(s.Reservations, func(r *model.Reservation) bool { return !r.Raw.Empty() }) {
		return true
	}
	return slices.ContainsFunc(s.Subnets, func(sn *model.Subnet) bool {
		return !sn.Raw.Empty() || slices.ContainsFunc(sn.Pools, func(p *model.Pool) bool { return !p.Raw.Empty() })
	})
}
