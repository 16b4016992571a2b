package chdb_test

import (
	"testing"

	"github.com/popinbridge/bridge/internal/chdb"
)

// EveryHost reads this server alone without a cluster, every host through
// remote() (each a shard of its own, the connection's credentials quoted)
// before 20.3 and clusterAllReplicas from 20.3.
func TestEveryHostText(t *testing.T) {
	old, modern := chdb.FeaturesFor(chdb.Version{18, 16, 1}), chdb.FeaturesFor(chdb.Version{24, 8, 0})
	oldC, modernC := old, modern
	oldC.Cluster, modernC.Cluster = "c1", "c1"
	tests := []struct {
		f    chdb.Features
		want string
	}{
		{old, "system.parts"},
		{modern, "system.parts"},
		{oldC, `remote('h1:9000,[::1]:9001', system.parts, 'bridge', 'p\'w\\')`},
		{modernC, "clusterAllReplicas('c1', system.parts)"},
	}
	for _, tt := range tests {
		if got := chdb.EveryHostText(tt.f, "parts", []string{"h1:9000", "[::1]:9001"}, "bridge", `p'w\`); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.f, got, tt.want)
		}
	}
}
