package netbox

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/netboxtest"
)

// bigNetBox is netboxtest.FillLarge's NetBox at 20 ms per request: 2,000
// prefixes, 4,000 IP ranges, 50,000 addresses with as many MAC objects.
func bigNetBox(b *testing.B) (*netboxtest.Server, *model.NetBox) {
	s := netboxtest.New(token).Start(b)
	netboxtest.FillLarge(s, 2000, 25)
	s.Latency = 20 * time.Millisecond
	cfg := &model.NetBox{URL: s.URL, Prefixes: model.NetBoxFilter{Tag: []string{"kea"}, Site: []string{"dc1"}}, Ranges: model.NetBoxFilter{Role: []string{"dhcp-pool"}}, Addresses: &model.NetBoxFilter{}}
	return s, cfg
}

// BenchmarkFetch reads the large NetBox at several concurrencies. Per
// read: wall time, requests, bytes allocated, and the heap the snapshot
// retains. (Peak memory is measured on the keaops process instead, with
// internal/netboxtest/serve: in here the server's own heap skews it.)
func BenchmarkFetch(b *testing.B) {
	s, cfg := bigNetBox(b)
	for _, conc := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			o := OptionsFor(cfg, token)
			o.Concurrency = conc
			b.ReportAllocs()
			var retained uint64
			start := s.Requests.Load()
			for b.Loop() {
				base := liveHeap()
				snap, err := Fetch(context.Background(), cfg, o)
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.Prefixes) != 2000 || len(snap.IPRanges) != 4000 || len(snap.Addresses) != 50000 || snap.Addresses[49999].Interface.MAC == "" {
					b.Fatalf("read %d prefixes, %d ranges, %d addresses", len(snap.Prefixes), len(snap.IPRanges), len(snap.Addresses))
				}
				after := liveHeap()
				retained = max(retained, after-min(after, base))
				runtime.KeepAlive(snap)
			}
			b.ReportMetric(float64(s.Requests.Load()-start)/float64(b.N), "requests/op")
			b.ReportMetric(float64(retained)/(1<<20), "retained-MB")
		})
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkConvert builds the model from the large snapshot.
func BenchmarkConvert(b *testing.B) {
	s, cfg := bigNetBox(b)
	s.Latency = 0
	snap, err := Fetch(context.Background(), cfg, OptionsFor(cfg, token))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		subnets, res, findings := Convert(snap, cfg, "netbox.json")
		if len(subnets) != 2000 || len(res) != 50000 || len(findings) != 0 {
			b.Fatalf("%d subnets, %d reservations, %v", len(subnets), len(res), findings)
		}
	}
}
