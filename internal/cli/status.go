package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
)

// StatusArgs are the inputs of keaops status.
type StatusArgs struct {
	SiteArgs
	Format string
	Conn   ConnArgs
}

// NodeStatus is one node as keaops status reports it.
type NodeStatus struct {
	Node    string   `json:"node"`
	Role    string   `json:"role,omitempty"`
	Version string   `json:"version,omitempty"`
	PID     int      `json:"pid,omitempty"`
	Uptime  int      `json:"uptime_s,omitempty"`
	HAState string   `json:"ha_state,omitempty"`
	Serving []string `json:"serving,omitempty"`
	InTouch bool     `json:"partner_in_touch"`
	// Config is what the running config is to keaops: "applied" (as
	// keaops last applied it, by config-set or live commands), "drift"
	// (changed since; Drifted names the scopes), "unmanaged" (keaops has
	// not configured it: imported, or never deployed) or "unknown".
	Config  string   `json:"config"`
	Drift   bool     `json:"drift"`
	Drifted []string `json:"drifted,omitempty"`
	// Pending counts what the node lacks of the site as it is now: a node
	// a degraded deploy left behind, or a change not deployed yet.
	Pending int `json:"pending_changes"`
	// Hash is Kea's config-hash-get (2.4+).
	Hash string `json:"hash,omitempty"`
	// DDNS is the node's kea-dhcp-ddns, for a site with DDNS: "current"
	// (it runs the site's config; TSIG secrets are not compared),
	// "differs" (a deploy would change it), or what failed.
	DDNS  string `json:"ddns,omitempty"`
	Error string `json:"error,omitempty"`
}

// pending counts the changes between what a node runs and what the site
// renders for it.
func pending(live, site *model.Site, file []byte, node string) int {
	n := len(diff.Sites(live, site))
	if w, err := keaconfig.Unwrap(file); err == nil {
		if ws, err := keaconfig.Parse(w, node+" (rendered)"); err == nil {
			n += len(diff.Local(live, ws, node))
		}
	}
	return n
}

var configWords = map[string]string{
	"applied":   "as keaops applied it",
	"drift":     "DRIFT: changed outside keaops",
	"unmanaged": "not configured by keaops yet",
	"unknown":   "unknown (config-get failed)",
}

func behind(pending int) string {
	if pending == 0 {
		return ""
	}
	return fmt.Sprintf("; BEHIND the site by %s", count(pending, "change"))
}

// configState classifies a running config by the records keaops left in
// it (model.Record).
func configState(live *model.Site) (state string, drifted []string) {
	switch drifted = model.Drift(live); {
	case len(drifted) > 0:
		return "drift", drifted
	case !live.Recorded.Recorded():
		return "unmanaged", nil
	}
	return "applied", nil
}

func newStatusCmd(stdout io.Writer) *cobra.Command {
	var a StatusArgs
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each node's Kea version, uptime, HA state and drift",
		Long: `status asks every node of the site for its version, process, HA state
(and which scopes it serves), whether it is in touch with its partner, and
whether its configuration was changed outside keaops (drift).

Exit codes: 0 every node answers and is in a normal HA state, 1 otherwise.`,
		Example: `  keaops status
  keaops status --format json`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Status(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	formatFlag(cmd, &a.Format, "text", "json")
	a.Conn.flags(cmd)
	return cmd
}

// Status runs keaops status.
func Status(ctx context.Context, a StatusArgs, out io.Writer) (int, error) {
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	clients, err := connect(ctx, site, a.Conn)
	if err != nil {
		return ExitProblems, err
	}
	// What each node should run, to count what it lacks.
	rendered, err := Artifacts(site)
	if err != nil {
		return ExitProblems, err
	}
	rows := make([]NodeStatus, len(site.Nodes))
	var wg sync.WaitGroup
	for i, n := range site.Nodes {
		wg.Go(func() {
			r := &rows[i]
			r.Node, r.Role = n.Name, string(n.Role)
			cctx, cancel := context.WithTimeout(ctx, a.Conn.Timeout)
			defer cancel()
			c := clients[n.Name]
			v, err := c.Version(cctx)
			if err != nil {
				r.Error = err.Error()
				return
			}
			r.Version = v
			st, err := c.Status(cctx)
			if err != nil {
				r.Error = err.Error()
				return
			}
			r.PID, r.Uptime = st.PID, st.Uptime
			if len(st.HA) > 0 {
				l := st.HA[0].Servers.Local
				r.HAState, r.Serving, r.InTouch = l.State, l.Scopes, st.HA[0].Servers.Remote.InTouch
			}
			r.Config = "unknown"
			if cfg, err := c.ConfigGet(cctx); err == nil {
				r.Hash = cfg.Hash
				if live, err := keaconfig.Parse(cfg.Dhcp4, n.Name); err == nil {
					r.Config, r.Drifted = configState(live)
					r.Drift = r.Config == "drift"
					r.Pending = pending(live, site, rendered.Files[n.Name+"/"+kea.Dhcp4File], n.Name)
				}
			}
			if site.DDNS != nil {
				r.DDNS = d2State(cctx, c, rendered.Files[n.Name+"/"+kea.D2File])
			}
		})
	}
	wg.Wait()
	healthy := true
	for _, r := range rows {
		if r.Error != "" || (len(site.Nodes) > 1 && !slices.Contains([]string{"hot-standby", "load-balancing", "passive-backup", "backup"}, r.HAState)) {
			healthy = false
		}
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return ExitProblems, err
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		header := "NODE\tROLE\tKEA\tUPTIME\tHA STATE\tSERVING\tPARTNER\tCONFIG"
		if site.DDNS != nil {
			header += "\tDDNS"
		}
		fmt.Fprintln(tw, header)
		for _, r := range rows {
			if r.Error != "" {
				fmt.Fprintf(tw, "%s\t%s\tERROR: %s\n", r.Node, r.Role, r.Error)
				continue
			}
			partner := "in touch"
			if !r.InTouch {
				partner = "NOT in touch"
			}
			if r.HAState == "" {
				partner = "-"
			}
			line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Node, r.Role, r.Version, time.Duration(r.Uptime)*time.Second,
				orDash(r.HAState), orDash(strings.Join(r.Serving, ",")), partner, configWords[r.Config]+behind(r.Pending))
			if site.DDNS != nil {
				line += "\t" + r.DDNS
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
		for _, r := range rows {
			for _, d := range r.Drifted {
				fmt.Fprintf(out, "%s: drift in %s\n", r.Node, d)
			}
		}
	}
	if !healthy {
		return ExitProblems, nil
	}
	return ExitOK, nil
}

// d2State is what a node's kea-dhcp-ddns runs, next to the site's render
// for it.
func d2State(ctx context.Context, c *keaapi.Client, file []byte) string {
	want, err := keaconfig.UnwrapAs(file, "DhcpDdns")
	if err != nil {
		return "ERROR: " + err.Error()
	}
	live, err := c.ForD2().ConfigGet(ctx)
	if err != nil {
		return "ERROR: " + err.Error()
	}
	same, err := keaconfig.SameD2Unresolved(live.Dhcp4, want)
	switch {
	case err != nil:
		return "ERROR: " + err.Error()
	case same:
		return "current"
	}
	return "differs"
}
