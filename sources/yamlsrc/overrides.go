package yamlsrc

import (
	"context"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/schema"
)

// ApplyOverrides reads an overrides file and applies it to site's nodes:
// control and HA URLs, interfaces, TLS files and paths — the settings that
// differ between a production pair and a staging or local one. Everything
// else (subnets, reservations, HA mode and timers) stays as the site says.
func ApplyOverrides(ctx context.Context, files Files, path string, site *model.Site) (model.Findings, error) {
	sc, err := newShapeChecker()
	if err != nil {
		return nil, err
	}
	l := &loader{shape: sc, files: files}
	root := l.document(path, schema.OverridesFile)
	if root == nil || l.findings.HasErrors() {
		return l.findings, ctx.Err()
	}
	nodes := get(root, "nodes")
	byName := map[string]*model.Node{}
	for _, n := range site.Nodes {
		byName[n.Name] = n
	}
	for i := 0; nodes != nil && i+1 < len(nodes.Content); i += 2 {
		k, v := nodes.Content[i], nodes.Content[i+1]
		n := byName[k.Value]
		if n == nil {
			l.add(model.Errorf(model.Pos{File: path, Line: k.Line, Col: k.Column}, "overrides", "the site has no node %q", k.Value))
			continue
		}
		l.override(rec{file: path, m: v}, n)
	}
	return l.findings, ctx.Err()
}

// override changes the node-local settings r names, keeping the rest.
func (l *loader) override(r rec, n *model.Node) {
	o := l.node(rec{file: r.file, m: withName(r.m, n.Name)})
	if r.get("control-url") != nil {
		n.ControlURL, n.ControlURLPos = o.ControlURL, o.ControlURLPos
	}
	if r.get("ha-url") != nil {
		n.HAURL, n.HAURLPos = o.HAURL, o.HAURLPos
	}
	if r.get("interfaces") != nil {
		n.Interfaces = o.Interfaces
	}
	if r.get("tls") != nil {
		n.TLS = o.TLS
	}
	// Each setting the override names replaces the node's, with the
	// position findings point at.
	var none model.Pos
	for _, f := range []struct {
		section, key string
		dst, src     *string
		dstPos       *model.Pos
		srcPos       model.Pos
	}{
		{"paths", "control-socket", &n.Paths.ControlSocket, &o.Paths.ControlSocket, &n.Paths.ControlSocketPos, o.Paths.ControlSocketPos},
		{"paths", "lease-file", &n.Paths.LeaseFile, &o.Paths.LeaseFile, &n.Paths.LeaseFilePos, o.Paths.LeaseFilePos},
		{"paths", "log-file", &n.Paths.LogFile, &o.Paths.LogFile, &n.Paths.LogFilePos, o.Paths.LogFilePos},
		{"paths", "hooks-dir", &n.Paths.HooksDir, &o.Paths.HooksDir, &none, none},
		{"kea-env", "KEA_CONTROL_SOCKET_DIR", &n.KeaDirs.ControlSocket, &o.KeaDirs.ControlSocket, &none, none},
		{"kea-env", "KEA_DHCP_DATA_DIR", &n.KeaDirs.Data, &o.KeaDirs.Data, &none, none},
		{"kea-env", "KEA_LOG_FILE_DIR", &n.KeaDirs.Log, &o.KeaDirs.Log, &none, none},
	} {
		if r.sub(f.section).get(f.key) != nil {
			*f.dst, *f.dstPos = *f.src, f.srcPos
		}
	}
}

// withName lets the node converter read an override as a node record.
func withName(m *yaml.Node, name string) *yaml.Node {
	c := *m
	c.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "name"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: name}}, m.Content...)
	return &c
}
