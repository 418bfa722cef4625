package yamlsrc

import (
	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// server reads what the site's servers run beside DHCP: host databases,
// loggers, hook libraries.
func (l *loader) server(r rec, s *model.Site) {
	for _, m := range l.records(r, "hosts-databases") {
		dr := rec{file: r.file, m: m}
		db := &model.LeaseDB{Type: dr.str("type"), Name: dr.str("name"), Host: dr.str("host"), User: dr.str("user"),
			Password: dr.secret("password"), Raw: l.raw(dr), Pos: dr.pos(m)}
		if p := dr.intp("port"); p != nil {
			db.Port = int(p.Value)
		}
		s.HostsDBs = append(s.HostsDBs, db)
	}
	for _, m := range l.records(r, "loggers") {
		lr := rec{file: r.file, m: m}
		lg := &model.Logger{Name: lr.str("name"), Severity: lr.str("severity"), Pos: lr.pos(m)}
		if d := lr.intp("debuglevel"); d != nil {
			lg.DebugLevel = int(d.Value)
		}
		if outs := lr.get("output-options"); outs != nil && outs.Kind == yaml.SequenceNode {
			for _, o := range outs.Content {
				or := rec{file: r.file, m: o}
				out := model.LogOutput{Output: or.str("output"), Flush: or.boolp("flush"), Pattern: or.str("pattern")}
				if v := or.intp("maxsize"); v != nil {
					out.MaxSize = &v.Value
				}
				if v := or.intp("maxver"); v != nil {
					out.MaxVer = &v.Value
				}
				lg.Outputs = append(lg.Outputs, out)
			}
		}
		s.Loggers = append(s.Loggers, lg)
	}
	for _, m := range l.records(r, "hooks-libraries") {
		hr := rec{file: r.file, m: m}
		h := &model.Hook{Library: hr.str("library"), Pos: hr.pos(m)}
		if p := hr.get("parameters"); p != nil && p.Kind == yaml.MappingNode {
			h.Parameters, _ = l.rawValue(hr, p, "parameters").(map[string]any)
		}
		s.Hooks = append(s.Hooks, h)
	}
}

// records are the mappings of the list at key that passed the schema.
func (l *loader) records(r rec, key string) []*yaml.Node {
	list := r.get(key)
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, m := range list.Content {
		if !l.bad[m] && m.Kind == yaml.MappingNode {
			out = append(out, m)
		}
	}
	return out
}
