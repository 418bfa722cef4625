package yamlsrc

// keaops.yaml's sources.netbox section.

import (
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// netBox reads the sources.netbox section. Defaults are the NetBox source's
// business; zero values mean "not set".
func netBox(r rec, dir string) *model.NetBox {
	n := &model.NetBox{
		URL:    r.str("url"),
		Token:  r.secret("token"),
		CAFile: r.str("ca-file"),
		Pos:    r.keyPos("url"),
	}
	if n.CAFile != "" && !filepath.IsAbs(n.CAFile) {
		n.CAFile = filepath.Join(dir, n.CAFile)
	}
	if p := r.str("snapshot"); p != "" {
		n.Snapshot = p
		if !filepath.IsAbs(p) {
			n.Snapshot = filepath.Join(dir, p)
		}
	}
	if t := r.intp("timeout"); t != nil {
		n.Timeout = time.Duration(t.Value) * time.Second
	}
	for key, dst := range map[string]*int{"page-size": &n.PageSize, "concurrency": &n.Concurrency} {
		if v := r.intp(key); v != nil {
			*dst = int(v.Value)
		}
	}
	if v := r.intp("retries"); v != nil {
		n.Retries = new(int(v.Value))
	}
	n.Prefixes = netBoxFilter(r.sub("prefixes"))
	n.Ranges = netBoxFilter(r.sub("ip-ranges"))
	if a := r.sub("ip-addresses"); a.m == nil || a.m.Kind == yaml.MappingNode {
		f := netBoxFilter(a)
		n.Addresses = &f
	}
	if cf := r.sub("custom-fields"); cf.m != nil && cf.m.Kind == yaml.MappingNode {
		n.Fields = map[string]string{}
		for i := 0; i+1 < len(cf.m.Content); i += 2 {
			n.Fields[cf.m.Content[i].Value] = cf.m.Content[i+1].Value
		}
	}
	return n
}

func netBoxFilter(r rec) model.NetBoxFilter {
	if r.m == nil {
		return model.NetBoxFilter{}
	}
	return model.NetBoxFilter{Tag: r.strs("tag"), Role: r.strs("role"), Site: r.strs("site"), VRF: r.strs("vrf"), Status: r.strs("status")}
}
