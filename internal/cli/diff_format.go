package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/diff"
)

func writePlan(out io.Writer, p Plan, format string) error {
	p.Complete = true
	for i, n := range p.Nodes {
		if n.Error != "" {
			p.Complete = false
		} else if n.Changes == nil {
			p.Nodes[i].Changes = []diff.Change{} // read, and nothing to do
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	case "markdown":
		return writeMarkdown(out, p)
	}
	return writeText(out, p, colorful(out))
}

// colorful is true on a terminal, unless NO_COLOR is set.
func colorful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// summary never says "no changes" for a plan that could not be made: a
// node that could not be read has unknown changes, not none.
func summary(p Plan) string {
	changes, nodes, _ := p.counts()
	unread := 0
	for _, n := range p.Nodes {
		if n.Error != "" {
			unread++
		}
	}
	total := len(p.Nodes)
	switch {
	case unread == total:
		return fmt.Sprintf("NO PLAN: %s could not be read", count(total, "node"))
	case unread > 0 && changes == 0:
		return fmt.Sprintf("INCOMPLETE: %d of %s could not be read; no changes on the others", unread, count(total, "node"))
	case unread > 0:
		return fmt.Sprintf("INCOMPLETE: %d of %s could not be read; %s on %d of the others", unread, count(total, "node"), count(changes, "change"), nodes)
	case changes == 0:
		return "no changes"
	}
	return fmt.Sprintf("%s on %d of %s", count(changes, "change"), nodes, count(total, "node"))
}

func writeText(out io.Writer, p Plan, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	against := "the live nodes"
	if p.Against != "live" {
		against = p.Against + " (" + p.Revision[:min(12, len(p.Revision))] + ")"
	}
	fmt.Fprintf(out, "Plan against %s:\n", against)
	for _, n := range p.Nodes {
		switch {
		case n.Error != "":
			fmt.Fprintf(out, "%s: %s\n", n.Node, paint("31", "ERROR: "+n.Error))
			continue
		case len(n.Changes) == 0:
			fmt.Fprintf(out, "%s: no changes\n", n.Node)
			continue
		}
		drift := ""
		if n.Drift {
			drift = paint("1;33", " (drift: changed outside keaops since its last deploy)")
		}
		fmt.Fprintf(out, "%s: %s%s\n", n.Node, count(len(n.Changes), "change"), drift)
		for _, c := range n.Changes {
			line := "  " + c.String()
			switch {
			case c.Error != "":
				line = paint("1;31", line)
			case c.Op == diff.Add:
				line = paint("32", line)
			case c.Op == diff.Remove:
				line = paint("31", line)
			default:
				line = paint("33", line)
			}
			fmt.Fprintln(out, line)
		}
		if n.How != "" {
			fmt.Fprintf(out, "  → %s\n", n.How)
		}
		if n.PlanNote != "" && len(n.Changes) > 0 {
			fmt.Fprintf(out, "  (plan %s)\n", n.PlanNote)
		}
	}
	for node, lines := range sortedJSON(p.JSONDiff) {
		fmt.Fprintf(out, "raw JSON, %s (%s):\n", node, count(len(lines), "difference"))
		for _, l := range lines {
			fmt.Fprintln(out, "  "+l)
		}
	}
	for _, l := range p.Leases {
		fmt.Fprintln(out, paint("1;33", "lease: "+l))
	}
	if p.LeaseCheck != "" {
		fmt.Fprintln(out, "leases "+p.LeaseCheck)
	}
	for _, e := range p.Errors {
		fmt.Fprintln(out, paint("1;31", "ERROR: "+e))
	}
	_, err := fmt.Fprintln(out, summary(p))
	return err
}

// sortedJSON iterates raw JSON diffs by node name.
func sortedJSON(m map[string][]string) iter.Seq2[string, []string] {
	return func(yield func(string, []string) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func writeMarkdown(out io.Writer, p Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### keaops plan: %s\n\n", summary(p))
	if p.Against == "live" {
		b.WriteString("Compared with the live nodes.\n\n")
	} else {
		fmt.Fprintf(&b, "Compared with `%s` (`%s`).\n\n", p.Against, p.Revision[:min(12, len(p.Revision))])
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "> **Error:** %s\n\n", mdEscape(e))
	}
	for _, l := range p.Leases {
		fmt.Fprintf(&b, "> **Lease:** %s\n\n", mdEscape(l))
	}
	if p.LeaseCheck != "" {
		fmt.Fprintf(&b, "Leases %s.\n\n", mdEscape(p.LeaseCheck))
	}
	rows := 0
	for _, n := range p.Nodes {
		if n.Error != "" {
			fmt.Fprintf(&b, "> **%s:** %s\n\n", mdEscape(n.Node), mdEscape(n.Error))
		}
		if n.How != "" {
			fmt.Fprintf(&b, "- **%s** → %s\n", mdEscape(n.Node), mdEscape(n.How))
		}
		rows += len(n.Changes)
	}
	if slices.ContainsFunc(p.Nodes, func(n NodePlan) bool { return n.How != "" }) {
		b.WriteString("\n")
	}
	if rows > 0 {
		b.WriteString("| node | | change | source |\n|---|---|---|---|\n")
		for _, n := range p.Nodes {
			for _, c := range n.Changes {
				what := c.What
				if c.Field != "" {
					what += fmt.Sprintf(": %s %s → %s", c.Field, orDash(c.Old), orDash(c.New))
				}
				if c.Error != "" {
					what += " **(error: " + c.Error + ")**"
				}
				src := ""
				if c.Pos.File != "" {
					src = "`" + c.Pos.String() + "`"
				}
				fmt.Fprintf(&b, "| %s | `%c` | %s | %s |\n", mdEscape(n.Node), c.Op, mdEscape(what), src)
			}
		}
		b.WriteString("\n<details><summary>Plain diff</summary>\n\n```diff\n")
		for _, n := range p.Nodes {
			for _, c := range n.Changes {
				fmt.Fprintf(&b, "%s  [%s]\n", c.String(), n.Node)
			}
		}
		b.WriteString("```\n</details>\n")
	}
	for node, lines := range sortedJSON(p.JSONDiff) {
		fmt.Fprintf(&b, "\n<details><summary>Raw JSON, %s (%s)</summary>\n\n```\n%s\n```\n</details>\n", mdEscape(node), count(len(lines), "difference"), strings.Join(lines, "\n"))
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func mdEscape(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
