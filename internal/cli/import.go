package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/siteyaml"
	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
)

// ImportArgs are the inputs of keaops import.
type ImportArgs struct {
	FromLive  bool
	FromKea   []string
	FromDHCPD string
	// Leases is a dhcpd.leases file to convert into Kea's memfile CSV.
	Leases     string
	IncludeDir string
	KeaVersion string
	Out        string
	Positions  bool
	// AllowPartial exits 0 even when something was not converted.
	AllowPartial bool
	// ControlUser and ControlPasswordEnv are the credentials --from-live
	// reaches the nodes with.
	ControlUser, ControlPasswordEnv string
	Conn                            ConnArgs
}

func newImportCmd(stdout io.Writer) *cobra.Command {
	var a ImportArgs
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Bring an existing network under keaops: from a running pair, Kea's files, or dhcpd.conf",
		Long: `import reads DHCP that already runs and writes it as a keaops site
(keaops.yaml, subnets.yaml, reservations.yaml) into -o DIR:

  --from-live       every node named with --endpoint NODE=URL (config-get)
  --from-kea FILE   kea-dhcp4 files, each followed by its node's
                    kea-ctrl-agent and kea-dhcp-ddns files (comments and
                    <?include?> as Kea reads them)
  --from-dhcpd FILE an ISC dhcpd.conf (with --leases dhcpd.leases, the
                    leases as Kea's memfile CSV, for the cutover)

Subnet ids are the ones the server uses, always written out. The nodes of a
pair must agree on everything but what is each node's own. What keaops
cannot express goes into the escape hatch (kea:) when Kea takes it as JSON,
and is listed otherwise, with its position; a secret written literally
becomes {env: NAME}. The written site is checked as keaops check would.

Exit codes: 0 imported and checked; 1 an error, a check error, or something
not converted (unless --allow-partial).`,
		Example: `  keaops import --from-live --endpoint kea-a=http://10.0.0.1:8000/ \
    --endpoint kea-b=http://10.0.0.2:8000/ -o site
  keaops import --from-kea /etc/kea/kea-dhcp4.conf /etc/kea/kea-ctrl-agent.conf -o site
  keaops import --from-dhcpd /etc/dhcp/dhcpd.conf --leases /var/lib/dhcp/dhcpd.leases --kea-version 2.6 -o site`,
		// Files after the flags are more --from-kea files:
		// keaops import -o site --from-kea a/kea-dhcp4.conf a/kea-ctrl-agent.conf
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && len(a.FromKea) == 0 {
				return fmt.Errorf("unexpected arguments %q: files are read with --from-kea", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			a.FromKea = append(a.FromKea, args...)
			return runE(func(ctx context.Context) (int, error) { return Import(ctx, a, stdout) })(cmd, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&a.FromLive, "from-live", false, "read the running nodes named with --endpoint")
	f.StringArrayVar(&a.FromKea, "from-kea", nil, "Kea configuration files: each kea-dhcp4 file, then its node's kea-ctrl-agent and kea-dhcp-ddns files (repeatable, or the files after the flags)")
	f.StringVar(&a.FromDHCPD, "from-dhcpd", "", "an ISC dhcpd.conf")
	f.StringVar(&a.Leases, "leases", "", "with --from-dhcpd: a dhcpd.leases file, written as Kea's memfile CSV (kea-leases4.csv)")
	f.StringVar(&a.IncludeDir, "include-dir", "", "the directory Kea or dhcpd runs in, which relative include paths start from (default: each file's own)")
	f.StringVar(&a.KeaVersion, "kea-version", "", "the Kea version to render for: 2.2, 2.4, 2.6, 3.0 or 3.2 (--from-live asks the nodes)")
	f.StringVarP(&a.Out, "output", "o", "", "the directory to write the site into (new, empty, or an earlier import)")
	f.BoolVar(&a.Positions, "positions", false, "comment each record with its source position")
	f.BoolVar(&a.AllowPartial, "allow-partial", false, "exit 0 even when something could not be converted (it is listed)")
	f.StringVar(&a.ControlUser, "control-user", "", "with --from-live: the control API's basic-auth user")
	f.StringVar(&a.ControlPasswordEnv, "control-password-env", "KEA_API_PASSWORD", "with --from-live: the environment variable holding its password")
	a.Conn.flags(cmd)
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// Import runs keaops import.
func Import(ctx context.Context, a ImportArgs, out io.Writer) (int, error) {
	forms := 0
	for _, set := range []bool{a.FromLive, len(a.FromKea) > 0, a.FromDHCPD != ""} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return ExitProblems, fmt.Errorf("name one input: --from-live, --from-kea or --from-dhcpd")
	}
	if a.Leases != "" && a.FromDHCPD == "" {
		return ExitProblems, fmt.Errorf("--leases converts a dhcpd.leases file: it goes with --from-dhcpd")
	}
	eps, err := importer.ParseEndpoints(a.Conn.Endpoints)
	if err != nil {
		return ExitProblems, err
	}
	var version model.Version
	if a.KeaVersion != "" {
		if version, err = importer.ParseVersion(a.KeaVersion); err != nil {
			return ExitProblems, fmt.Errorf("--kea-version: %w", err)
		}
	}
	var res *importer.Result
	switch {
	case a.FromLive:
		res, err = importLive(ctx, a, eps, version)
	case len(a.FromKea) > 0:
		res, err = importKeaFiles(a, eps, version)
	default:
		res, err = importDHCPD(a, eps, version)
	}
	if err != nil {
		return ExitProblems, err
	}
	if err := res.Write(a.Out, a.Positions); err != nil {
		return ExitProblems, err
	}
	return importSummary(ctx, a, res, out)
}

func importLive(ctx context.Context, a ImportArgs, eps []importer.Endpoint, version model.Version) (*importer.Result, error) {
	if len(eps) == 0 {
		return nil, fmt.Errorf("--from-live reads the nodes named with --endpoint NODE=URL: name at least one")
	}
	password := ""
	if a.ControlUser != "" {
		password = os.Getenv(a.ControlPasswordEnv)
	}
	cfgs, live, err := importer.Live(ctx, eps, func(e importer.Endpoint) (*keaapi.Client, error) {
		return keaapi.New(keaapi.Endpoint{URL: e.URL.String(), Kind: keaapi.ControlAgent, User: a.ControlUser, Password: password,
			CAFile: a.Conn.CAFile, CertFile: a.Conn.CertFile, KeyFile: a.Conn.KeyFile, Timeout: a.Conn.Timeout, Logger: logOf(ctx).With("node", e.Name)})
	})
	if err != nil {
		return nil, err
	}
	if version == (model.Version{}) {
		if version, err = importer.ParseVersion(live.String()); err != nil {
			return nil, fmt.Errorf("the nodes run %s, which keaops does not render for; pass --kea-version", live)
		}
	}
	res, err := importer.Assemble(version, cfgs)
	if err == nil && res.Site.ControlAuth == nil && a.ControlUser != "" {
		// The nodes' API asked for the credentials the import used: the
		// site's commands need them too, by the same reference.
		res.Site.ControlAuth = &model.BasicAuth{User: a.ControlUser, Password: &model.SecretRef{Env: a.ControlPasswordEnv}}
	}
	return res, err
}

func importKeaFiles(a ImportArgs, eps []importer.Endpoint, version model.Version) (*importer.Result, error) {
	cfgs, err := importer.KeaFiles(a.FromKea, a.IncludeDir, eps)
	if err != nil {
		return nil, err
	}
	guessed := ""
	if version == (model.Version{}) {
		var why string
		version, why = importer.GuessVersion(cfgs[0].Dhcp4)
		guessed = fmt.Sprintf("kea-version %s: %s; pass --kea-version to choose", version, why)
	}
	res, err := importer.Assemble(version, cfgs)
	if err == nil && guessed != "" {
		res.Notes = append([]string{guessed}, res.Notes...)
	}
	return res, err
}

// importSummary prints what was written, noted and left out, and checks
// the written site as keaops check does.
func importSummary(ctx context.Context, a ImportArgs, res *importer.Result, out io.Writer) (int, error) {
	fmt.Fprintf(out, "imported %s: %s, %s, %s into %s\n", joinOr(res.From), count(len(res.Site.Nodes), "node"), count(len(res.Site.Subnets), "subnet"),
		count(len(res.Site.Reservations), "reservation"), a.Out)
	for _, n := range res.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	for _, l := range res.Secrets {
		fmt.Fprintln(out, "secret:", l)
	}
	for _, it := range res.Report {
		fmt.Fprintln(out, "not converted:", it)
	}
	for _, it := range res.Wrong {
		fmt.Fprintln(out, "wrong in the input:", it)
	}
	site, findings, err := LoadAndValidate(ctx, SiteArgs{Site: filepath.Join(a.Out, siteyaml.SiteFile)})
	if err != nil {
		return ExitProblems, err
	}
	printFindings(out, filepath.Join(a.Out, siteyaml.SiteFile), site, findings)
	switch {
	case findings.HasErrors():
		return ExitProblems, nil
	case len(res.Wrong) > 0:
		fmt.Fprintf(out, "%s in the input (listed above): converted as they are, for you to decide; exit 1\n", count(len(res.Wrong), "mistake"))
		return ExitProblems, nil
	case len(res.Report) > 0 && !a.AllowPartial:
		fmt.Fprintf(out, "%s not converted (listed above and in %s): exit 1; --allow-partial accepts a partial import\n",
			count(len(res.Report), "thing"), filepath.Join(a.Out, importer.Marker))
		return ExitProblems, nil
	}
	return ExitOK, nil
}

func joinOr(list []string) string {
	switch len(list) {
	case 0:
		return "nothing"
	case 1:
		return list[0]
	}
	return fmt.Sprintf("%s and %d more", list[0], len(list)-1)
}
