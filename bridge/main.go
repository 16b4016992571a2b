// Command bridge runs the Popin event bridge: ingest, durable log, ClickHouse
// sink, forwarder and management API in one process. See README.md.
package main

import (
	"os"

	"github.com/popinbridge/bridge/bridge/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
