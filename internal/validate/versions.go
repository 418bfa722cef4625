package validate

import "github.com/keaops/keaops/internal/model"

// What the target Kea version takes: its settings, and one client class
// or a list.

// checkSettings: each setting is one the target Kea version has.
func checkSettings(s *model.Site, _ []int, report func(model.Finding)) {
	check := func(set model.Settings) {
		for _, k := range model.SortedKeys(set) {
			d, _ := model.SettingDefOf(k)
			if d.Key != "" && !d.Known(s.KeaVersion) {
				switch {
				case d.Successor != "":
					report(model.Errorf(set[k].Pos, "setting", "%s was replaced by %s in Kea %s, which reads the old key as the new one and prints the new one back (a diff that never ends): write %s", k, d.Successor, d.Until, d.Successor))
				case d.Until != (model.Version{}) && s.KeaVersion.AtLeast(d.Until.Major, d.Until.Minor):
					report(model.Errorf(set[k].Pos, "setting", "%s is not known to Kea %s (it rejects the config): it was removed in %s", k, s.KeaVersion, d.Until))
				default:
					report(model.Errorf(set[k].Pos, "setting", "%s is not known to Kea %s (it rejects the config): it needs %s or later", k, s.KeaVersion, d.Since))
				}
			}
		}
	}
	check(s.Settings)
	for _, n := range s.Networks {
		check(n.Settings)
	}
	for _, sn := range s.Subnets {
		check(sn.Settings)
		for _, p := range sn.Pools {
			check(p.Settings)
		}
	}
	for _, c := range s.Classes {
		check(c.Settings)
	}
	for _, r := range s.Reservations {
		check(r.Settings)
	}
}

// checkClassLists: before 3.0 a subnet, pool or shared network takes one
// client class.
func checkClassLists(s *model.Site, _ []int, report func(model.Finding)) {
	if s.KeaVersion.AtLeast(3, 0) {
		return
	}
	check := func(classes []string, pos model.Pos, what string) {
		if len(classes) > 1 {
			report(model.Errorf(pos, "client-class", "%s: Kea %s takes one client class here, not %d (3.0 takes a list)", what, s.KeaVersion, len(classes)))
		}
	}
	for _, n := range s.Networks {
		check(n.ClientClasses, n.Pos, "shared network "+n.Name)
	}
	for _, sn := range s.Subnets {
		check(sn.ClientClasses, sn.Pos, "subnet "+sn.Name)
		for _, p := range sn.Pools {
			check(p.ClientClasses, p.Pos, "pool "+p.From.String()+"-"+p.To.String())
		}
	}
}
