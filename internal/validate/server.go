package validate

import (
	"path"

	"github.com/keaops/keaops/internal/model"
)

// ownHooks are the hook libraries keaops loads itself, from the model.
var ownHooks = map[string]string{
	"libdhcp_ha.so": "ha", "libdhcp_lease_cmds.so": "ha (HA needs it)",
	"libdhcp_host_cmds.so": "a node's hooks: [host_cmds]", "libdhcp_subnet_cmds.so": "a node's hooks: [subnet_cmds]",
	"libdhcp_mysql.so": "lease-database or hosts-databases of type mysql (3.0+)", "libdhcp_pgsql.so": "lease-database or hosts-databases of type postgresql (3.0+)",
}

// checkServer: hook libraries are loaded once and not those keaops loads
// itself; loggers are named once; host databases name their database.
func checkServer(s *model.Site, _ []int, report func(model.Finding)) {
	libs := map[string]*model.Hook{}
	for _, h := range s.Hooks {
		base := path.Base(h.Library)
		if why, own := ownHooks[base]; own {
			report(model.Errorf(h.Pos, "hooks", "%s is loaded by keaops itself, from %s: leave it out of hooks-libraries", base, why))
			continue
		}
		if prev, dup := libs[base]; dup {
			report(model.Errorf(h.Pos, "hooks", "%s is already loaded at %s: Kea loads a library once", base, prev.Pos.Short()))
			continue
		}
		libs[base] = h
	}
	loggers := map[string]*model.Logger{}
	for _, l := range s.Loggers {
		if prev, dup := loggers[l.Name]; dup {
			report(model.Errorf(l.Pos, "loggers", "logger %s is already configured at %s", l.Name, prev.Pos.Short()))
			continue
		}
		loggers[l.Name] = l
		if len(l.Outputs) == 0 {
			report(model.Errorf(l.Pos, "loggers", "logger %s has no output-options: it would log nowhere", l.Name))
		}
	}
	for _, db := range s.HostsDBs {
		if db.Type == "memfile" {
			report(model.Errorf(db.Pos, "hosts-databases", "a host database is mysql or postgresql: reservations kept in keaops's files need no database"))
		} else if db.Name == "" {
			report(model.Errorf(db.Pos, "hosts-databases", "a %s host database needs name", db.Type))
		}
		if db.Password != nil && (db.Password.Env == "") == (db.Password.File == "") {
			report(model.Errorf(db.Password.Pos, "secret", "a secret reference takes exactly one of env or file"))
		}
	}
}
