// Package model is keaops' intermediate representation: the one shape every
// source (YAML, NetBox, a live Kea's config-get) converts into and every
// generator reads from. Each entity carries its origin so that any problem
// found later can point at the line a person has to edit.
//
// The package depends on nothing else in keaops.
package model
