package kea

import (
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// What the server runs beside its DHCP service: databases, loggers, the
// site's hook libraries.

func leaseDB(c *clashes, s *model.Site, p model.NodePaths) map[string]any {
	db := s.LeaseDB
	if db.Type == "" || db.Type == "memfile" {
		m := map[string]any{"type": "memfile", "persist": true, "name": p.LeaseFile}
		if db.Persist != nil {
			m["persist"] = *db.Persist
		}
		if db.LFCInterval != nil {
			m["lfc-interval"] = db.LFCInterval.Value
		}
		c.mergeRaw(m, db.Raw, "lease-database")
		return m
	}
	return sqlDB(c, db, "lease-database")
}

func sqlDB(c *clashes, db model.LeaseDB, scope string) map[string]any {
	m := map[string]any{"type": db.Type, "name": db.Name}
	if db.Host != "" {
		m["host"] = db.Host
	}
	if db.User != "" {
		m["user"] = db.User
	}
	if db.Port != 0 {
		m["port"] = db.Port
	}
	if db.Password != nil {
		m["password"] = secretOf(db.Password)
	}
	c.mergeRaw(m, db.Raw, scope)
	return m
}

func hostsDBs(c *clashes, s *model.Site) []any {
	if len(s.HostsDBs) == 0 {
		return nil
	}
	out := make([]any, len(s.HostsDBs))
	for i, db := range s.HostsDBs {
		out[i] = sqlDB(c, *db, "hosts-databases "+db.Name)
	}
	return out
}

// loggers are the site's, or keaops's own: kea-dhcp4 at INFO into the
// node's log file.
func loggers(s *model.Site, r rules, p model.NodePaths) []any {
	if len(s.Loggers) == 0 {
		return []any{map[string]any{
			"name": "kea-dhcp4", "severity": "INFO",
			r.outputOptions: []any{map[string]any{"output": p.LogFile}},
		}}
	}
	out := make([]any, len(s.Loggers))
	for i, l := range s.Loggers {
		m := map[string]any{"name": l.Name, "severity": l.Severity}
		if l.DebugLevel != 0 {
			m["debuglevel"] = l.DebugLevel
		}
		outs := make([]any, len(l.Outputs))
		for j, o := range l.Outputs {
			om := map[string]any{"output": o.Output}
			if o.Flush != nil {
				om["flush"] = *o.Flush
			}
			if o.MaxSize != nil {
				om["maxsize"] = *o.MaxSize
			}
			if o.MaxVer != nil {
				om["maxver"] = *o.MaxVer
			}
			if o.Pattern != "" {
				om["pattern"] = o.Pattern
			}
			outs[j] = om
		}
		m[r.outputOptions] = outs
		out[i] = m
	}
	return out
}

// siteHooks are the site's hook libraries, a file name resolved in the
// node's hooks directory.
func siteHooks(s *model.Site, p model.NodePaths) []any {
	var out []any
	for _, h := range s.Hooks {
		lib := h.Library
		if !strings.Contains(lib, "/") {
			lib = strings.TrimSuffix(p.HooksDir, "/") + "/" + lib
		}
		m := map[string]any{"library": lib}
		if h.Parameters != nil {
			m["parameters"] = plain(h.Parameters)
		}
		out = append(out, m)
	}
	return out
}

// dbTypes are the SQL database types the site uses, for 3.0's hooks.
func dbTypes(s *model.Site) []string {
	var out []string
	for _, db := range append([]*model.LeaseDB{&s.LeaseDB}, s.HostsDBs...) {
		if (db.Type == "mysql" || db.Type == "postgresql") && !slices.Contains(out, db.Type) {
			out = append(out, db.Type)
		}
	}
	slices.Sort(out)
	return out
}
