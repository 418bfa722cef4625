package kea

// The record keaops leaves in each scope it renders (model.Record).

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
)

// record writes the scope's model.Record into m's user-context under
// "keaops": its fingerprint, and the digest of m as rendered without the
// record itself and without the key except (a subnet's reservations, the
// config's subnets), which live commands change one by one.
func record(m map[string]any, fingerprint, except string) {
	view := maps.Clone(m)
	delete(view, except)
	delete(view, "user-context")
	uc := map[string]any{}
	if old, ok := m["user-context"].(map[string]any); ok {
		uc = maps.Clone(old)
		view["user-context"] = old
	}
	// encode fails only on values the renderer never builds; the digest of
	// the error text would still differ from any real one.
	data, _, err := encode(view)
	if err != nil {
		data = []byte(err.Error())
	}
	sum := sha256.Sum256(data)
	uc["keaops"] = map[string]any{"fingerprint": fingerprint, "render": "sha256:" + hex.EncodeToString(sum[:])}
	m["user-context"] = uc
}
