package agent

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keaops/keaops/internal/keaapi"
)

// statsEvery bounds how often a scrape reaches Kea: scrapes in between are
// answered from the last reading, whatever Prometheus's interval.
const statsEvery = 15 * time.Second

// keaStats exports Kea's own statistics — addresses per subnet and pool,
// packet counters — and the node's HA state, read through the local
// control socket: monitoring without Stork where the agent runs.
type keaStats struct {
	kea   *keaapi.Client
	names func() map[uint32]string // subnet id → the site's name for it

	subnet, pool, packets, ha, up, lastOK *prometheus.Desc

	mu      sync.Mutex
	read    time.Time // the last attempt
	metrics []prometheus.Metric
	ok      time.Time // the last success
	failed  bool
}

func newKeaStats(kea *keaapi.Client, names func() map[uint32]string) *keaStats {
	return &keaStats{
		kea: kea, names: names,
		subnet:  prometheus.NewDesc("keaops_kea_subnet_addresses", "Addresses of a subnet, by kind: total, assigned, declined (Kea's statistics).", []string{"subnet_id", "subnet", "kind"}, nil),
		pool:    prometheus.NewDesc("keaops_kea_pool_addresses", "Addresses of a pool, by kind: total, assigned, declined (Kea 2.4+ keeps them per pool).", []string{"subnet_id", "subnet", "pool", "kind"}, nil),
		packets: prometheus.NewDesc("keaops_kea_packets_total", "DHCPv4 packets kea-dhcp4 received or sent, by type.", []string{"direction", "type"}, nil),
		ha:      prometheus.NewDesc("keaops_kea_ha_state", "1 for this node's HA state (status-get), 0 for none.", []string{"state"}, nil),
		up:      prometheus.NewDesc("keaops_kea_stats_up", "1 when the last reading of Kea's statistics succeeded.", nil, nil),
		lastOK:  prometheus.NewDesc("keaops_kea_stats_last_success_timestamp_seconds", "Unix time of the last successful reading of Kea's statistics.", nil, nil),
	}
}

func (k *keaStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{k.subnet, k.pool, k.packets, k.ha, k.up, k.lastOK} {
		ch <- d
	}
}

// Collect answers from a reading at most statsEvery old.
func (k *keaStats) Collect(ch chan<- prometheus.Metric) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.read) >= statsEvery {
		k.read = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		metrics, err := k.readKea(ctx)
		cancel()
		k.failed = err != nil
		if err == nil {
			k.metrics, k.ok = metrics, time.Now()
		}
	}
	for _, m := range k.metrics {
		ch <- m
	}
	up := 1.0
	if k.failed {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(k.up, prometheus.GaugeValue, up)
	ok := 0.0
	if !k.ok.IsZero() {
		ok = float64(k.ok.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(k.lastOK, prometheus.GaugeValue, ok)
}

var (
	subnetStat = regexp.MustCompile(`^subnet\[(\d+)\]\.(total|assigned|declined)-addresses$`)
	poolStat   = regexp.MustCompile(`^subnet\[(\d+)\]\.pool\[(\d+)\]\.(total|assigned|declined)-addresses$`)
	packetStat = regexp.MustCompile(`^pkt4-([a-z-]+)-(received|sent)$`)
)

func (k *keaStats) readKea(ctx context.Context) ([]prometheus.Metric, error) {
	stats, err := k.kea.Statistics(ctx)
	if err != nil {
		return nil, err
	}
	names := k.names()
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...))
	}
	for name, v := range stats {
		if m := subnetStat.FindStringSubmatch(name); m != nil {
			gauge(k.subnet, v, m[1], subnetName(names, m[1]), m[2])
		} else if m := poolStat.FindStringSubmatch(name); m != nil {
			gauge(k.pool, v, m[1], subnetName(names, m[1]), m[2], m[3])
		} else if m := packetStat.FindStringSubmatch(name); m != nil {
			out = append(out, prometheus.MustNewConstMetric(k.packets, prometheus.CounterValue, float64(v), m[2], m[1]))
		}
	}
	if st, err := k.kea.Status(ctx); err == nil && len(st.HA) > 0 {
		gauge(k.ha, 1, st.HA[0].Servers.Local.State)
	}
	return out, nil
}

func subnetName(names map[uint32]string, id string) string {
	n, _ := strconv.ParseUint(id, 10, 32)
	return names[uint32(n)]
}
