package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// ReservationArgs are the inputs of keaops reservation add, rm and set.
type ReservationArgs struct {
	SiteArgs
	// File picks the reservations file to add to (default: see pickFile).
	File string
	// Fields are the record's fields in the order given, as --FIELD flags.
	Fields []fieldFlag
	// Unset are fields set removes from the record.
	Unset []string
	// Options are --option NAME=VALUE: added to (set: merged into) the
	// record's options; Classes replace its client-classes.
	Options []string
	Classes []string
	Git     gitArgs
	// FromLease (add) pins the live lease of this MAC or address.
	FromLease string
	Conn      ConnArgs
}

// fieldFlag is one --FIELD VALUE of add or set.
type fieldFlag struct{ key, value string }

// reservationFields are the flags add and set take, each a field of
// reservations.yaml.
var reservationFields = []struct{ key, usage string }{
	{"hostname", "the host's name"},
	{"hw-address", "its MAC address (aa:bb:cc:dd:ee:ff)"},
	{"client-id", "its client identifier in hex (instead of a MAC)"},
	{"ip-address", "the address it gets"},
	{"subnet", "the subnet, by name or prefix (default: the one holding ip-address)"},
	{"comment", "a note for people"},
}

func newReservationCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reservation",
		Short: "Add, remove or change a reservation in the site's files, in place, checked",
		Long: `reservation edits the site's reservations file the way a person would:
the one record it adds, removes or changes, and every other byte of the
file as it was — comments, order, blank lines, quoting, anchors. A field
a record has from a merge key is set in the record itself; a shared anchor
is never edited. Then it runs every check on the site as the edit leaves
it: on an error nothing is written, and the error points at the line.

With --commit the edit is a Git commit, its message naming the change;
--branch starts a branch for it first, and --push sends that branch to
origin (for a merge request). Reservations that come from NetBox are refused: change them in
NetBox.`,
	}
	cmd.AddCommand(reservationCmd(stdout, "add", "Add a reservation",
		`  keaops reservation add --hostname printer-5 --hw-address 02:42:ac:11:00:09 --ip-address 10.30.30.59
  keaops reservation add --from-lease 02:42:ac:11:00:09          # keep the address this device has
  keaops reservation add --hostname nas-2 --hw-address 3c:ec:ef:12:34:57 --ip-address 10.10.0.21 --commit --branch add-nas-2`,
		cobra.NoArgs, ReservationAdd))
	cmd.AddCommand(reservationCmd(stdout, "rm HOST|MAC|IP", "Remove a reservation",
		`  keaops reservation rm printer-5
  keaops reservation rm 10.30.30.59 --commit`,
		cobra.ExactArgs(1), ReservationRemove))
	cmd.AddCommand(reservationCmd(stdout, "set HOST|MAC|IP", "Change fields of a reservation",
		`  keaops reservation set printer-5 --ip-address 10.30.30.60
  keaops reservation set 02:42:ac:11:00:09 --hostname printer-6 --unset comment
  keaops reservation set printer-6 --option domain-name-servers=10.10.0.53 --class ipxe`,
		cobra.ExactArgs(1), ReservationSet))
	return cmd
}

func reservationCmd(stdout io.Writer, use, short, example string, args cobra.PositionalArgs, run func(context.Context, ReservationArgs, string, io.Writer) (int, error)) *cobra.Command {
	var a ReservationArgs
	values := map[string]*string{}
	c := &cobra.Command{Use: use, Short: short, Example: example, Args: args}
	if strings.Contains(use, " ") {
		c.ValidArgsFunction = completeReservation
	}
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		for _, f := range reservationFields {
			if cmd.Flags().Changed(f.key) {
				a.Fields = append(a.Fields, fieldFlag{f.key, *values[f.key]})
			}
		}
		return runE(func(ctx context.Context) (int, error) {
			if err := a.Git.check(); err != nil {
				return ExitProblems, err
			}
			return run(ctx, a, strings.Join(pos, ""), stdout)
		})(cmd, pos)
	}
	a.SiteArgs.flags(c)
	name := strings.Fields(use)[0]
	if name != "rm" {
		for _, f := range reservationFields {
			values[f.key] = c.Flags().String(f.key, "", f.usage)
		}
		c.Flags().StringArrayVar(&a.Options, "option", nil, "a DHCP option for the host, NAME=VALUE (repeatable; set merges them into the record's options)")
		c.Flags().StringArrayVar(&a.Classes, "class", nil, "a client class for the host (repeatable; replaces the record's client-classes)")
	}
	if name == "add" {
		c.Flags().StringVar(&a.File, "file", "", "the reservations file to add to, when the site has several (default: the one with the subnet's reservations)")
		c.Flags().StringVar(&a.FromLease, "from-lease", "", "reserve what this MAC or address holds now: the live lease's address, MAC and host name (flags override them)")
		a.Conn.flags(c)
	}
	if name == "set" {
		c.Flags().StringArrayVar(&a.Unset, "unset", nil, "remove this field from the record (repeatable)")
	}
	a.Git.flags(c)
	return c
}
