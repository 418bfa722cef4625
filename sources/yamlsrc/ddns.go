package yamlsrc

import (
	"net/netip"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// ddns reads the site's kea-dhcp-ddns.
func (l *loader) ddns(r rec) *model.DDNS {
	dr := r.sub("ddns")
	if dr.m == nil || dr.m.Kind != yaml.MappingNode || l.bad[dr.m] {
		return nil
	}
	d := &model.DDNS{Raw: l.raw(dr), Pos: r.keyPos("ddns")}
	listen := dr.sub("listen")
	d.IP, _ = netip.ParseAddr(listen.str("ip"))
	if p := listen.intp("port"); p != nil {
		d.Port = int(p.Value)
	}
	for _, m := range l.records(dr, "tsig-keys") {
		kr := rec{file: r.file, m: m}
		k := &model.TSIGKey{Name: kr.str("name"), Algorithm: kr.str("algorithm"), Secret: kr.secret("secret"), Pos: kr.pos(m)}
		if b := kr.intp("digest-bits"); b != nil {
			k.DigestBits = int(b.Value)
		}
		d.Keys = append(d.Keys, k)
	}
	d.Forward, d.Reverse = l.domains(dr, "forward"), l.domains(dr, "reverse")
	return d
}

func (l *loader) domains(r rec, key string) []*model.DNSDomain {
	var out []*model.DNSDomain
	for _, m := range l.records(r, key) {
		dr := rec{file: r.file, m: m}
		dom := &model.DNSDomain{Name: dr.str("name"), Key: dr.str("key"), Pos: dr.pos(m)}
		if list := dr.get("servers"); list != nil && list.Kind == yaml.SequenceNode {
			for _, n := range list.Content {
				var sv model.DNSServer
				if n.Kind == yaml.ScalarNode {
					sv.IP, _ = netip.ParseAddr(n.Value)
				} else {
					sr := rec{file: r.file, m: n}
					sv.IP, _ = netip.ParseAddr(sr.str("ip"))
					sv.Key = sr.str("key")
					if p := sr.intp("port"); p != nil {
						sv.Port = int(p.Value)
					}
				}
				dom.Servers = append(dom.Servers, sv)
			}
		}
		out = append(out, dom)
	}
	return out
}
