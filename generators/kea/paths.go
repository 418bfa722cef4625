package kea

import (
	"path/filepath"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Kea's own directories for the files the path rules cover, on Debian's
// and ISC's packages (KEA_*_DIR move them).
const (
	defaultSocketDir = "/run/kea"
	defaultDataDir   = "/var/lib/kea"
	defaultLogDir    = "/var/log/kea"
)

// pathRules: from 2.4.2, 2.6.3 and 3.0.0 Kea opens a lease file, a log
// file or a control socket only when its directory is, character for
// character, the one it allows (symbolic links do not count). A target is
// a minor line and its early patch releases lack the rule, so the line's
// strictest release decides: every target from 2.4.
func pathRules(v model.Version) bool { return v.AtLeast(2, 4) }

// checkPaths makes a path Kea would refuse an error at check, where on
// 2.6.3 even kea-dhcp4 -t accepts it and only startup or config-set fails
// (a deploy then dies on its first node).
func checkPaths(s *model.Site, report func(model.Finding)) {
	if !pathRules(s.KeaVersion) {
		return
	}
	for _, n := range s.Nodes {
		p := paths(n)
		dirs := n.KeaDirs
		check := func(what, path string, pos model.Pos, allowed, dflt, env string) {
			if allowed == "" {
				allowed = dflt
			}
			if dir := filepath.Dir(path); dir != filepath.Clean(allowed) {
				if pos.File == "" {
					pos = n.Pos
				}
				report(model.Errorf(pos, "kea-paths", "node %s: %s %s is not in %s, the only directory Kea %s opens %ss in: move it there, or declare the directory the node's Kea was started with (kea-env: {%s: %s})",
					n.Name, what, path, allowed, s.KeaVersion, what, env, dir))
			}
		}
		check("control socket", p.ControlSocket, p.ControlSocketPos, dirs.ControlSocket, defaultSocketDir, "KEA_CONTROL_SOCKET_DIR")
		if s.LeaseDB.Type == "" || s.LeaseDB.Type == "memfile" {
			check("lease file", p.LeaseFile, p.LeaseFilePos, dirs.Data, defaultDataDir, "KEA_DHCP_DATA_DIR")
		}
		if len(s.Loggers) == 0 {
			check("log file", p.LogFile, p.LogFilePos, dirs.Log, defaultLogDir, "KEA_LOG_FILE_DIR") // the schema takes files only
		}
		if s.DDNS != nil {
			check("control socket", p.D2ControlSocket, model.Pos{}, dirs.ControlSocket, defaultSocketDir, "KEA_CONTROL_SOCKET_DIR")
			check("log file", p.D2LogFile, model.Pos{}, dirs.Log, defaultLogDir, "KEA_LOG_FILE_DIR")
		}
		for _, l := range s.Loggers {
			for _, o := range l.Outputs {
				if strings.HasPrefix(o.Output, "/") {
					check("log file", o.Output, l.Pos, dirs.Log, defaultLogDir, "KEA_LOG_FILE_DIR")
				}
			}
		}
	}
}
