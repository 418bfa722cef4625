// Command serve runs the test NetBox with FillLarge's objects on
// 127.0.0.1, for measuring keaops netbox snapshot as a process (wall time,
// peak RSS) apart from the server:
//
//	go run ./internal/netboxtest/serve -prefixes 2000 -per-prefix 25 -latency 20ms
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/keaops/keaops/internal/netboxtest"
)

func main() {
	prefixes := flag.Int("prefixes", 2000, "selected /24 prefixes")
	per := flag.Int("per-prefix", 25, "DHCP addresses per prefix")
	latency := flag.Duration("latency", 20*time.Millisecond, "added to every request")
	token := flag.String("token", "0123456789abcdef0123456789abcdef01234567", "the API token it accepts")
	flag.Parse()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := netboxtest.New(*token)
	s.URL = "http://" + l.Addr().String()
	netboxtest.FillLarge(s, *prefixes, *per)
	s.Latency = *latency
	fmt.Println(s.URL)
	fmt.Fprintln(os.Stderr, http.Serve(l, s))
}
