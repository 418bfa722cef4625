package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/leases"
	"github.com/keaops/keaops/internal/model"
)

// LeasesArgs are the inputs of keaops leases.
type LeasesArgs struct {
	SiteArgs
	Conn   ConnArgs
	Format string
	Subnet string
	MAC    string
	IP     string
	State  string
}

func newLeasesCmd(stdout io.Writer) *cobra.Command {
	var a LeasesArgs
	cmd := &cobra.Command{
		Use:   "leases",
		Short: "List the live leases of every node: who holds which address, until when, and whether it is reserved",
		Long: `leases reads the leases of every node of the site (lease_cmds, a page
of 1000 at a time), merges them by address, and shows for each the
client, its host name, the state and expiry, the nodes that hold it (an
HA pair keeps them the same), and the site's reservation that covers it.

A node that does not answer is named and the others' leases are shown.`,
		Example: `  keaops leases --subnet IoT
  keaops leases --mac 02:42:ac:11:00:07 --format json
  keaops leases --state declined`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Leases(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	a.Conn.flags(cmd)
	formatFlag(cmd, &a.Format, "text", "json")
	cmd.Flags().StringVar(&a.Subnet, "subnet", "", "only this subnet's leases (a name or a prefix)")
	_ = cmd.RegisterFlagCompletionFunc("subnet", completeSubnet)
	cmd.Flags().StringVar(&a.MAC, "mac", "", "only this MAC address's leases")
	cmd.Flags().StringVar(&a.IP, "ip", "", "only this address's lease")
	cmd.Flags().StringVar(&a.State, "state", "", "only leases in this state: assigned, expired, declined, expired-reclaimed or released")
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions([]string{"assigned", "expired", "declined", "expired-reclaimed", "released"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Leases runs keaops leases.
func Leases(ctx context.Context, a LeasesArgs, out io.Writer) (int, error) {
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	f := leases.Filter{Subnet: a.Subnet, HW: a.MAC, State: a.State}
	if a.IP != "" {
		if f.IP, err = netip.ParseAddr(a.IP); err != nil {
			return ExitProblems, fmt.Errorf("--ip %s: %w", a.IP, err)
		}
	}
	res, err := liveLeases(ctx, site, a.Conn)
	if err != nil {
		return ExitProblems, err
	}
	if res.Leases, err = f.Apply(site, res.Leases); err != nil {
		return ExitProblems, err
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return ExitOK, enc.Encode(res)
	}
	printLeaseTable(out, res, time.Now())
	return ExitOK, nil
}

// liveLeases reads every node's leases.
func liveLeases(ctx context.Context, site *model.Site, conn ConnArgs) (leases.Result, error) {
	clients, err := connect(ctx, site, conn)
	if err != nil {
		return leases.Result{}, err
	}
	var sources []leases.Source
	for _, n := range site.Nodes {
		sources = append(sources, leases.Source{Name: n.Name, Client: clients[n.Name]})
	}
	return leases.Read(ctx, site, sources, time.Now())
}

func printLeaseTable(out io.Writer, res leases.Result, now time.Time) {
	for _, n := range res.Nodes {
		if n.Error != "" {
			fmt.Fprintf(out, "%s: not read (%s); showing the other nodes' leases\n", n.Name, n.Error)
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tCLIENT\tHOSTNAME\tSTATE\tEXPIRES\tSUBNET\tNODES\tRESERVED")
	for _, l := range res.Leases {
		client := l.HW
		if client == "" {
			client = "client-id " + l.ClientID
		}
		nodes := strings.Join(l.Nodes, ",")
		if len(l.Differs) > 0 {
			nodes += " (another client on " + strings.Join(l.Differs, ",") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.IP, client, dash(l.Hostname), l.State, expiresIn(l.Expires, now), dash(l.Subnet), nodes, dash(l.Reserved))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d leases\n", len(res.Leases))
}

func expiresIn(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	if d <= 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "in " + d.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
