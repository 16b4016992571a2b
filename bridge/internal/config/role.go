package config

import "fmt"

// Node roles (`role`, or `bridge serve --role`): which parts a node runs.
// Every role shares the NATS cluster's log, queue and management store.
const (
	// RoleAll runs everything (the default; the only role of one node).
	RoleAll = "all"
	// RoleIngest serves the SDK and the ingest endpoints and appends to
	// the log; it runs no ClickHouse sink and no forwarder.
	RoleIngest = "ingest"
	// RoleDeliver runs the ClickHouse sink, the forwarder and the control
	// plane's endpoint lifecycle; it serves no ingest endpoint.
	RoleDeliver = "deliver"
)

// CheckRole reports whether role is one of all, ingest, deliver.
func CheckRole(role string) error {
	switch role {
	case RoleAll, RoleIngest, RoleDeliver:
		return nil
	}
	return fmt.Errorf("%q is not one of all, ingest, deliver", role)
}

// Ingests reports whether the node's role serves ingest.
func (c *Config) Ingests() bool { return c.Role != RoleDeliver }

// Delivers reports whether the node's role runs the sink and forwarder.
func (c *Config) Delivers() bool { return c.Role != RoleIngest }
