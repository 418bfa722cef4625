package agent

import (
	"context"
	"time"
)

// probeEvery is how often the agent asks kea-dhcp4 whether it answers at
// all, between passes: a frozen or dead daemon must not stay "ready" for a
// whole interval.
const probeEvery = 5 * time.Second

// probe keeps KeaResponding current: status-get through the control
// socket, bounded by a short timeout.
func (a *Agent) probe(ctx context.Context) {
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := a.kea.Status(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		ok := err == nil
		if st := a.Status(); st.KeaResponding != ok {
			if !ok {
				a.log.Warn("kea-dhcp4 does not answer", "err", err)
			}
			a.update(func(s *Status) { s.KeaResponding = ok })
		}
		a.metrics.setResponding(ok)
		select {
		case <-ctx.Done():
			return
		case <-time.After(probeEvery):
		}
	}
}

// reported is the status as /status shows it: ready only while Kea answers.
func (a *Agent) reported() Status {
	s := a.Status()
	s.Ready = s.Ready && s.KeaResponding
	return s
}
