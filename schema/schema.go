// Package schema embeds the CUE schemas that define the shape of keaops'
// input files (keaops.yaml, subnets.yaml, reservations.yaml).
//
// The schemas live in their own package because go:embed cannot reach a
// parent directory; the code that evaluates them lives with the sources that
// read user input (sources/yamlsrc), so that binaries which never read user
// YAML (keaops-agent) do not link CUE.
package schema

import "embed"

// FS holds every *.cue file of the schema package "schema".
//
//go:embed *.cue
var FS embed.FS

// Definitions naming the top level of each input file.
const (
	SiteFile         = "#SiteFile"
	SubnetsFile      = "#SubnetsFile"
	ReservationsFile = "#ReservationsFile"
	OverridesFile    = "#OverridesFile"
)
