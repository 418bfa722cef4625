package agent

import "fmt"

// notOlder refuses a revision published before the applied one: after a
// force-push of the artifact branch to an older commit the agent would
// otherwise go back in time and call it "applied". The order comes from
// the serial keaops publish writes, since the agent sees one commit and
// no history.
func (a *Agent) notOlder(snap Snapshot, st Status) error {
	have, got := st.AppliedSerial, snap.Manifest.Serial
	if a.cfg.AllowOlder || have == 0 || snap.Revision == st.LastAppliedRevision || got > have {
		if st.OlderRefused {
			a.update(func(s *Status) { s.OlderRefused = false })
		}
		return nil
	}
	a.metrics.olderRefused.Inc()
	a.update(func(s *Status) { s.OlderRefused, s.Ready = true, false })
	what := fmt.Sprintf("serial %d", got)
	if got == 0 {
		what = "no serial (not written by keaops publish)"
	}
	return fmt.Errorf("revision %s has %s, older than the applied %s (serial %d): the artifact branch went back (a force-push?); refused — publish a new render, or set allow-older-revisions: true to roll back this way",
		short(snap.Revision), what, short(st.LastAppliedRevision), have)
}
