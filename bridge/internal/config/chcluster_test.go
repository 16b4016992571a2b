package config

import (
	"strings"
	"testing"
)

// clickhouse.cluster is read from the file (with ${VAR} expansion) and
// validated with the rest, naming its key.
func TestClickHouseCluster(t *testing.T) {
	t.Setenv("CH_CLUSTER", "prod_eu-1")
	c, err := Parse([]byte("clickhouse:\n  cluster: \"${CH_CLUSTER}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHouse.Cluster != "prod_eu-1" {
		t.Errorf("clickhouse.cluster = %q, want prod_eu-1", c.ClickHouse.Cluster)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if Default().ClickHouse.Cluster != "" {
		t.Error("clickhouse.cluster defaults to a cluster; want one server")
	}
	c, err = Parse([]byte("clickhouse:\n  cluster: \"a b\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "clickhouse.cluster") {
		t.Errorf("Validate with cluster \"a b\": %v, want an error naming clickhouse.cluster", err)
	}
}
