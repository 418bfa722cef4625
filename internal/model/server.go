package model

import "encoding/json"

// What a server runs beside its DHCP service, as the site sets it:
// loggers, hook libraries, host databases.

// Logger is one of Kea's loggers. A site without loggers gets keaops's
// own: kea-dhcp4 at INFO into each node's log file.
type Logger struct {
	Name       string
	Severity   string
	DebugLevel int
	Outputs    []LogOutput
	Pos        Pos
}

// LogOutput is where a logger writes: stdout, stderr, syslog[:name] or a
// file (for a file, the rotation settings; nil is Kea's default).
type LogOutput struct {
	Output          string
	Flush           *bool
	MaxSize, MaxVer *int64
	Pattern         string
}

// Hook is a hook library the site loads beside those keaops loads itself
// (HA, lease_cmds, host_cmds, subnet_cmds, the database hooks of 3.0).
type Hook struct {
	// Library is a file name, found in each node's hooks directory, or
	// an absolute path.
	Library string
	// Parameters are the library's own, as Kea JSON (secrets as
	// *SecretRef); nil for none.
	Parameters map[string]any
	Pos        Pos
}

// ServerText is the site's loggers, hook libraries and host databases in
// one canonical line each, for digests and diffs ("" when the site has
// none of a kind).
func ServerText(s *Site) (loggers, hooks, hostsDBs string) {
	text := func(v any) string {
		b, _ := json.Marshal(canonical(v))
		return string(b)
	}
	if len(s.Loggers) > 0 {
		list := make([]any, len(s.Loggers))
		for i, l := range s.Loggers {
			outs := make([]any, len(l.Outputs))
			for j, o := range l.Outputs {
				outs[j] = map[string]any{"output": o.Output, "flush": o.Flush, "maxsize": o.MaxSize, "maxver": o.MaxVer, "pattern": o.Pattern}
			}
			list[i] = map[string]any{"name": l.Name, "severity": l.Severity, "debuglevel": l.DebugLevel, "outputs": outs}
		}
		loggers = text(list)
	}
	if len(s.Hooks) > 0 {
		list := make([]any, len(s.Hooks))
		for i, h := range s.Hooks {
			list[i] = map[string]any{"library": h.Library, "parameters": h.Parameters}
		}
		hooks = text(list)
	}
	if len(s.HostsDBs) > 0 {
		list := make([]any, len(s.HostsDBs))
		for i, db := range s.HostsDBs {
			m := map[string]any{"type": db.Type, "name": db.Name, "host": db.Host, "port": db.Port, "user": db.User, "kea": db.Raw.Fields}
			if db.Password != nil {
				m["password"] = db.Password.Ref()
			}
			list[i] = m
		}
		hostsDBs = text(list)
	}
	return loggers, hooks, hostsDBs
}
