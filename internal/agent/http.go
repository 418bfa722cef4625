package agent

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keaops/keaops/internal/version"
)

// metrics are the agent's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg                                                              *prometheus.Registry
	duration                                                         prometheus.Histogram
	applies, applyFailures, rollbacks, fetchFailures, verifyFailures prometheus.Counter
	driftDetected, lockWaits, olderRefused                           prometheus.Counter
	drift, responding, ready, lastSuccess                            prometheus.Gauge
	appliedInfo                                                      *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "keaops_agent_" + name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	m.duration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "keaops_agent_reconcile_duration_seconds", Help: "Duration of reconcile passes.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)})
	m.reg.MustRegister(m.duration)
	m.applies = f("applies_total", "Revisions applied to Kea.")
	m.applyFailures = f("apply_failed_total", "Revisions that failed config-test, config-set or confirmation.")
	m.rollbacks = f("rollbacks_total", "Failed applies rolled back to the previous config.")
	m.fetchFailures = f("fetch_failed_total", "Fetches of the artifacts that failed (Git unreachable, ...).")
	m.verifyFailures = f("verify_failed_total", "Artifacts refused because they do not match their manifest.")
	m.driftDetected = f("drift_detected_total", "Times the running config was found changed outside keaops.")
	m.lockWaits = f("lock_waits_total", "Passes that found the site's deploy lock held by someone else and waited.")
	m.olderRefused = f("older_revision_refused_total", "Passes that refused a revision older than the applied one (a force-pushed branch?).")
	m.drift = prometheus.NewGauge(prometheus.GaugeOpts{Name: "keaops_agent_drift", Help: "1 while the running config differs from what keaops applied."})
	m.appliedInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "keaops_agent_applied_config_info", Help: "The applied revision and digest (value 1)."}, []string{"revision", "sha256"})
	m.responding = prometheus.NewGauge(prometheus.GaugeOpts{Name: "keaops_agent_kea_responding", Help: "1 while kea-dhcp4 answers the agent's liveness probe (every 5 s)."})
	// ready is /status's ready, so an alert and a load balancer read one thing.
	m.ready = prometheus.NewGauge(prometheus.GaugeOpts{Name: "keaops_agent_ready", Help: "1 while the node runs the latest revision it was given and kea-dhcp4 answers (as /status ready)."})
	// A timestamp, not a counter: "time() - last_success > 3 * interval"
	// alerts on an agent that stopped succeeding, whatever the reason.
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "keaops_agent_last_success_timestamp_seconds", Help: "Unix time of the last reconcile pass that succeeded (0: none since start)."})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "keaops_agent_build_info", Help: "The agent's version and the Go it was built with (value 1)."}, []string{"version", "goversion"})
	build.WithLabelValues(version.String(), runtime.Version()).Set(1)
	m.reg.MustRegister(m.drift, m.appliedInfo, m.responding, m.ready, m.lastSuccess, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) succeeded(at time.Time) { m.lastSuccess.Set(float64(at.UnixNano()) / 1e9) }

func (m *metrics) setDrift(d bool) { set01(m.drift, d) }

func (m *metrics) setResponding(ok bool) { set01(m.responding, ok) }

func set01(g prometheus.Gauge, on bool) {
	if on {
		g.Set(1)
	} else {
		g.Set(0)
	}
}

func (m *metrics) setApplied(rev, digest string) {
	m.appliedInfo.Reset()
	m.appliedInfo.WithLabelValues(rev, digest).Set(1)
}

// Handler serves /healthz, /status, /metrics and POST /sync.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(a.reported())
	})
	metrics := promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		// Computed at scrape time: readiness also falls when Kea stops
		// answering between passes.
		set01(a.metrics.ready, a.reported().Ready)
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("POST /sync", func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + a.token
		if a.token == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			http.Error(w, "a valid token is required (Authorization: Bearer ...)", http.StatusUnauthorized)
			return
		}
		a.Sync()
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("sync requested\n"))
	})
	return mux
}
