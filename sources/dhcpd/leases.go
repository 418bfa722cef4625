package dhcpd

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keaops/keaops/internal/model"
)

// Leases is what a dhcpd.leases file holds that a cutover needs: the
// active leases, the last word on each address (the file is a log: a
// later entry replaces an earlier one).
type Leases struct {
	Active []model.Lease
	// Counts of the entries read, by binding state.
	States map[string]int
	// Skipped are entries that could not be read, where they are.
	Skipped []Finding
}

// ReadLeases reads a dhcpd.leases file.
func ReadLeases(path string) (*Leases, error) { return readLeases(path, os.ReadFile) }

func readLeases(path string, readFn func(string) ([]byte, error)) (*Leases, error) {
	src, err := readFn(path)
	if err != nil {
		return nil, err
	}
	toks, _, err := lex(path, src)
	if err != nil {
		return nil, err
	}
	p := &confParser{read: readFn}
	i := 0
	stmts, err := p.stmts(toks, &i, false, []string{path})
	if err != nil {
		return nil, err
	}
	out := &Leases{States: map[string]int{}}
	last := map[netip.Addr]int{} // address → index in Active
	for _, st := range stmts {
		if st.keyword() != "lease" || !st.hasBlock {
			continue // server-duid, failover peer state, authoring-byte-order …
		}
		a, ok := netip.Addr{}, false
		if len(st.words) == 2 {
			a, ok = addr(st.words[1])
		}
		if !ok {
			out.Skipped = append(out.Skipped, Finding{st.pos, "lease without an IPv4 address"})
			continue
		}
		l, state, why := lease(st, a)
		if why != "" {
			out.Skipped = append(out.Skipped, Finding{st.pos, "lease " + a.String() + ": " + why})
			continue
		}
		out.States[state]++
		j, seen := last[a]
		switch {
		case state != "active" && seen:
			out.Active[j] = model.Lease{} // released, expired, freed since
			delete(last, a)
		case state != "active":
		case seen:
			out.Active[j] = l
		default:
			last[a] = len(out.Active)
			out.Active = append(out.Active, l)
		}
	}
	active := out.Active[:0]
	for _, l := range out.Active {
		if l.IP.IsValid() {
			active = append(active, l)
		}
	}
	out.Active = active
	return out, nil
}

// lease reads one lease block: the lease, its binding state, or why it
// cannot be read.
func lease(st *stmt, a netip.Addr) (model.Lease, string, string) {
	l := model.Lease{IP: a, Pos: st.pos}
	state := ""
	for _, in := range st.block {
		args := in.words[1:]
		switch kw := in.keyword(); {
		case kw == "starts" || kw == "ends":
			t, err := leaseTime(args)
			if err != nil {
				return l, "", kw + ": " + err.Error()
			}
			if kw == "starts" {
				l.Start = t
			} else {
				l.End = t
			}
		case kw == "binding" && len(args) == 2 && strings.EqualFold(args[0].text, "state"):
			state = strings.ToLower(args[1].text)
		case kw == "hardware" && len(args) == 2 && strings.EqualFold(args[0].text, "ethernet"):
			mac, err := model.ParseIdentifier("hw-address", args[1].text)
			if err != nil {
				return l, "", "hardware ethernet: " + err.Error()
			}
			l.HWAddress = mac
		case kw == "uid" && len(args) == 1:
			text := args[0].text
			if args[0].kind == tString {
				text = hex.EncodeToString([]byte(text))
			}
			id, err := model.ParseIdentifier("client-id", text)
			if err != nil {
				return l, "", "uid: " + err.Error()
			}
			l.ClientID = id
		case kw == "client-hostname" && len(args) == 1:
			l.Hostname = args[0].text
		}
	}
	if state == "" {
		state = "active" // dhcpd 2's files have no binding state
	}
	if state == "active" && l.End.IsZero() {
		return l, "", "an active lease without an end"
	}
	return l, state, ""
}

// leaseTime reads "W YYYY/MM/DD HH:MM:SS" (UTC), "epoch N" or "never".
func leaseTime(ws []token) (time.Time, error) {
	switch {
	case len(ws) == 1 && strings.EqualFold(ws[0].text, "never"):
		return time.Unix(1<<31-1, 0), nil // Kea's largest expire
	case len(ws) == 2 && strings.EqualFold(ws[0].text, "epoch"):
		n, err := strconv.ParseInt(ws[1].text, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(n, 0), nil
	case len(ws) == 3:
		return time.ParseInLocation("2006/01/02 15:04:05", ws[1].text+" "+ws[2].text, time.UTC)
	}
	return time.Time{}, errors.New("want W YYYY/MM/DD HH:MM:SS, epoch N or never")
}
