package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/bridge/internal/buildinfo"
)

// buildInfoGauge is bridge_build_info{version,commit,go}, always 1: the
// running build, to join on in queries and dashboards.
func buildInfoGauge(in buildinfo.Info) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "bridge_build_info",
		Help: "The running build of bridge (value 1): version, commit and Go toolchain.",
	}, []string{"version", "commit", "go"})
	g.WithLabelValues(in.Version, in.Commit, in.Go).Set(1)
	return g
}
