// Command gensite writes a synthetic keaops site, for benchmarks by hand:
//
//	go run ./internal/sitegen/gensite -subnets 2000 -reservations 100000 -o /tmp/big
//	time ./bin/keaops check --site /tmp/big/keaops.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/keaops/keaops/internal/sitegen"
)

func main() {
	var s sitegen.Spec
	out := flag.String("o", "", "output directory")
	flag.IntVar(&s.Subnets, "subnets", 500, "number of /24 subnets")
	flag.IntVar(&s.Reservations, "reservations", 10000, "number of reservations")
	flag.StringVar(&s.Mode, "mode", "hot-standby", "HA mode: hot-standby or load-balancing")
	flag.BoolVar(&s.Classes, "classes", false, "add client classes")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gensite: -o DIR is required")
		os.Exit(2)
	}
	if err := sitegen.Write(*out, s); err != nil {
		fmt.Fprintln(os.Stderr, "gensite:", err)
		os.Exit(1)
	}
}
