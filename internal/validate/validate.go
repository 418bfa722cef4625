// Package validate checks the meaning of a site model: the address math
// (overlaps, containment, uniqueness), lifetimes, options, client classes and
// the HA pairing. Shape (types, required fields, unknown keys) is checked
// earlier by the CUE schemas; what lives here needs more than one record at
// a time, and every check runs in O(n log n) or better.
//
// Checks never stop at the first problem: each reports every finding it
// sees, so one run shows a person everything to fix.
package validate

import (
	"github.com/keaops/keaops/internal/model"
)

// check is one family of checks. It reads the site and the placement of
// reservations into subnets (model.Place) and reports findings.
type check struct {
	name string
	run  func(s *model.Site, placed []int, report func(model.Finding))
}

// checks run in this order; their findings are sorted by position afterwards.
var checks = []check{
	{"subnets", checkSubnets},
	{"shared-networks", checkNetworks},
	{"settings", checkSettings},
	{"kea", checkRaw},
	{"class-lists", checkClassLists},
	{"server", checkServer},
	{"ddns", checkDDNS},
	{"pools", checkPools},
	{"reservations", checkReservations},
	{"options", checkOptions},
	{"lifetimes", checkLifetimes},
	{"client-classes", checkClasses},
	{"ha", checkHA},
	{"hooks", checkHooks},
	{"secrets", checkSecrets},
	{"placeholders", checkPlaceholders},
}

// Site runs every semantic check and returns the findings sorted by position.
func Site(s *model.Site) model.Findings {
	placed := model.Place(s)
	var out model.Findings
	report := func(f model.Finding) { out = append(out, f) }
	for _, c := range checks {
		c.run(s, placed, report)
	}
	out.Sort()
	return out
}
