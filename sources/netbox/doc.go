// Package netbox reads a site's subnets, pools and reservations from NetBox:
// prefixes become subnets, IP ranges inside them pools, and IP addresses
// whose interface has a MAC address reservations. A read is kept as a
// Snapshot — deterministic JSON a merge request can carry — and the model
// is built from the snapshot, so a live read and a snapshot file give the
// same site.
//
// It is the only package that imports go-netbox. go-netbox decodes strictly
// against NetBox 4.3's API description, so every selection is a NetBox
// query filter (objects the site does not want never reach the decoder),
// and an object that still cannot be decoded is named in the error with
// the value that failed.
package netbox
