package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/leases"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/usage"
	"github.com/keaops/keaops/sources/keaconfig"
)

// SubnetsArgs are the inputs of keaops subnets and keaops subnet show.
type SubnetsArgs struct {
	SiteArgs
	Conn   ConnArgs
	Format string
}

// SubnetView is one subnet: what the site says, and on each node how full
// it is and whether it runs what the site says.
type SubnetView struct {
	Name         string              `json:"name"`
	Prefix       string              `json:"prefix"`
	ID           uint32              `json:"id"`
	Pools        []string            `json:"pools"`
	Options      map[string]string   `json:"options,omitempty"`
	Lifetimes    map[string]int64    `json:"lifetimes,omitempty"`
	Reservations int                 `json:"reservations"`
	Nodes        map[string]NodeView `json:"nodes"`
}

// NodeView is one subnet on one node.
type NodeView struct {
	Usage *usage.Subnet `json:"usage,omitempty"`
	// Changes are how the node's running subnet differs from the site.
	Changes []string `json:"changes,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// nodeState is what subnets reads of one node.
type nodeState struct {
	name    string
	haState string
	stats   map[string]int64
	live    *model.Site
	err     error
}

func newSubnetsCmd(stdout io.Writer) (*cobra.Command, *cobra.Command) {
	var a SubnetsArgs
	list := &cobra.Command{
		Use:   "subnets",
		Short: "List the site's subnets: pools and reservations, and how full each is on every node",
		Long: `subnets shows each subnet of the site — prefix, id, pools, reservations —
beside what every node runs: its use (assigned of total addresses, from
Kea's statistics), and whether the node's subnet is the site's. A node
that does not answer is named; the others are shown.`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Subnets(ctx, a, "", stdout) }),
	}
	var s SubnetsArgs
	show := &cobra.Command{
		Use:   "show NAME|PREFIX",
		Short: "Show one subnet: pools, gateway, DNS, NTP, lifetimes, reservations, and each pool's use on every node",
		Args:  cobra.ExactArgs(1),

		ValidArgsFunction: completeSubnet,
	}
	show.RunE = func(cmd *cobra.Command, args []string) error {
		return runE(func(ctx context.Context) (int, error) { return Subnets(ctx, s, args[0], stdout) })(cmd, args)
	}
	for _, c := range []struct {
		cmd *cobra.Command
		a   *SubnetsArgs
	}{{list, &a}, {show, &s}} {
		c.a.SiteArgs.flags(c.cmd)
		c.a.Conn.flags(c.cmd)
		formatFlag(c.cmd, &c.a.Format, "text", "json")
	}
	parent := &cobra.Command{Use: "subnet", Short: "Work with one subnet"}
	parent.AddCommand(show)
	return list, parent
}

// Subnets runs keaops subnets, or keaops subnet show when one is named.
func Subnets(ctx context.Context, a SubnetsArgs, one string, out io.Writer) (int, error) {
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	subnets := site.Subnets
	if one != "" {
		subnets = nil
		for _, sn := range site.Subnets {
			if sn.Name == one || sn.Prefix.String() == one {
				subnets = append(subnets, sn)
			}
		}
		if len(subnets) == 0 {
			return ExitProblems, fmt.Errorf("the site has no subnet %s (a name or a prefix from subnets.yaml)", one)
		}
	}
	clients, err := connect(ctx, site, a.Conn)
	if err != nil {
		return ExitProblems, err
	}
	states := readNodes(ctx, site, clients)
	// Kea before 2.4 keeps no statistics per pool: those come from leases.
	var ls []leases.Lease
	if needLeases(states) {
		var sources []leases.Source
		for _, n := range site.Nodes {
			sources = append(sources, leases.Source{Name: n.Name, Client: clients[n.Name]})
		}
		if res, err := leases.Read(ctx, site, sources, time.Now()); err == nil {
			ls = res.Leases
		}
	}
	var views []SubnetView
	for _, sn := range subnets {
		views = append(views, viewOf(site, sn, states, ls))
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return ExitOK, enc.Encode(map[string]any{"subnets": views, "ha": haStates(states)})
	}
	for _, st := range states {
		if st.err != nil {
			fmt.Fprintf(out, "%s: not read (%v)\n", st.name, st.err)
		} else if st.haState != "" {
			fmt.Fprintf(out, "%s: HA %s\n", st.name, st.haState)
		}
	}
	if one != "" {
		printSubnet(out, views[0], states)
	} else {
		printSubnets(out, views, states)
	}
	return ExitOK, nil
}

// readNodes reads every node's statistics, HA state and configuration at once.
func readNodes(ctx context.Context, site *model.Site, clients map[string]*keaapi.Client) []nodeState {
	states := make([]nodeState, len(site.Nodes))
	var wg sync.WaitGroup
	for i, n := range site.Nodes {
		wg.Go(func() {
			st := &states[i]
			st.name = n.Name
			c := clients[n.Name]
			if st.stats, st.err = c.Statistics(ctx); st.err != nil {
				return
			}
			if s, err := c.Status(ctx); err == nil && len(s.HA) > 0 {
				st.haState = s.HA[0].Servers.Local.State
			}
			cfg, err := c.ConfigGet(ctx)
			if err != nil {
				st.err = err
				return
			}
			st.live, st.err = keaconfig.Parse(cfg.Dhcp4, n.Name)
		})
	}
	wg.Wait()
	return states
}

func needLeases(states []nodeState) bool {
	for _, st := range states {
		for name := range st.stats {
			if strings.Contains(name, ".pool[") {
				return false
			}
		}
	}
	return true
}

func viewOf(site *model.Site, sn *model.Subnet, states []nodeState, ls []leases.Lease) SubnetView {
	v := SubnetView{Name: sn.Name, Prefix: sn.Prefix.String(), ID: sn.ID, Nodes: map[string]NodeView{}, Options: map[string]string{}, Lifetimes: map[string]int64{}}
	for _, p := range sn.Pools {
		v.Pools = append(v.Pools, p.From.String()+"-"+p.To.String())
	}
	for _, o := range append(append([]*model.Option{}, site.Defaults.Options...), sn.Options...) {
		v.Options[o.Name] = strings.Join(o.Values, ",")
	}
	own, def := sn.Lifetimes, site.Defaults.Lifetimes
	for _, l := range []struct {
		name      string
		own, site *model.Int
	}{{"valid-lifetime", own.Valid, def.Valid}, {"renew-timer", own.Renew, def.Renew}, {"rebind-timer", own.Rebind, def.Rebind}} {
		if i := cmp.Or(l.own, l.site); i != nil {
			v.Lifetimes[l.name] = i.Value
		}
	}
	for _, r := range site.Reservations {
		if r.IP.IsValid() && sn.Prefix.Contains(r.IP) || r.Subnet == sn.Name || r.Subnet == sn.Prefix.String() {
			v.Reservations++
		}
	}
	for _, st := range states {
		if st.err != nil {
			v.Nodes[st.name] = NodeView{Error: st.err.Error()}
			continue
		}
		u := usage.Of(sn, st.stats, ls, st.name)
		nv := NodeView{Usage: &u}
		for _, c := range diff.Sites(st.live, site) {
			if c.Subnet == sn.Prefix {
				nv.Changes = append(nv.Changes, strings.TrimSpace(string(c.Op)+" "+c.Kind+" "+c.What+" "+c.Field))
			}
		}
		v.Nodes[st.name] = nv
	}
	return v
}

func haStates(states []nodeState) map[string]string {
	out := map[string]string{}
	for _, st := range states {
		if st.haState != "" {
			out[st.name] = st.haState
		}
	}
	return out
}

func printSubnets(out io.Writer, views []SubnetView, states []nodeState) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	head := "NAME\tPREFIX\tID\tPOOLS\tRESERVED"
	for _, st := range states {
		head += "\t" + st.name
	}
	fmt.Fprintln(tw, head+"\tCONFIG")
	for _, v := range views {
		row := fmt.Sprintf("%s\t%s\t%d\t%d\t%d", dash(v.Name), v.Prefix, v.ID, len(v.Pools), v.Reservations)
		var differs []string
		for _, st := range states {
			nv := v.Nodes[st.name]
			switch {
			case nv.Error != "":
				row += "\t-"
			default:
				row += "\t" + nv.Usage.Count.String()
				if len(nv.Changes) > 0 {
					differs = append(differs, fmt.Sprintf("%s: %d changes", st.name, len(nv.Changes)))
				}
			}
		}
		config := "as the site"
		if len(differs) > 0 {
			config = strings.Join(differs, ", ")
		}
		fmt.Fprintln(tw, row+"\t"+config)
	}
	tw.Flush()
}

func printSubnet(out io.Writer, v SubnetView, states []nodeState) {
	fmt.Fprintf(out, "%s %s (id %d)\n", dash(v.Name), v.Prefix, v.ID)
	for _, k := range []struct{ label, option string }{{"gateway", "routers"}, {"dns", "domain-name-servers"}, {"ntp", "ntp-servers"}, {"domain", "domain-name"}} {
		if val := v.Options[k.option]; val != "" {
			fmt.Fprintf(out, "  %-13s %s\n", k.label+":", val)
		}
	}
	if len(v.Lifetimes) > 0 {
		fmt.Fprintf(out, "  %-13s valid %d s, renew %d s, rebind %d s\n", "lifetimes:", v.Lifetimes["valid-lifetime"], v.Lifetimes["renew-timer"], v.Lifetimes["rebind-timer"])
	}
	fmt.Fprintf(out, "  %-13s %d\n", "reservations:", v.Reservations)
	for i, p := range v.Pools {
		fmt.Fprintf(out, "  pool %s\n", p)
		for _, st := range states {
			nv := v.Nodes[st.name]
			if nv.Usage == nil || i >= len(nv.Usage.Pools) {
				continue
			}
			pu := nv.Usage.Pools[i]
			fmt.Fprintf(out, "    %-12s %s, %d declined (from %s)\n", st.name+":", pu.Count, pu.Declined, pu.From)
		}
	}
	for _, st := range states {
		nv := v.Nodes[st.name]
		switch {
		case nv.Error != "":
			fmt.Fprintf(out, "  %s: not read (%s)\n", st.name, nv.Error)
		case len(nv.Changes) > 0:
			fmt.Fprintf(out, "  %s: runs it otherwise than the site: %s\n", st.name, strings.Join(nv.Changes, "; "))
		default:
			fmt.Fprintf(out, "  %s: %s assigned, %d declined; runs it as the site says\n", st.name, nv.Usage.Count, nv.Usage.Declined)
		}
	}
}
