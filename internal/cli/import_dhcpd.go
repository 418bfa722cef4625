package cli

import (
	"fmt"

	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/model"
)

func importDHCPD(a ImportArgs, version model.Version) (*importer.Result, error) {
	return nil, fmt.Errorf("--from-dhcpd: not built yet")
}
