package chdb

import "fmt"

// Version is a ClickHouse server version.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports whether v >= major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// Features are the optional server capabilities the schema uses. Each is
// gated on a version well past the one that introduced it, so that only
// features that are stable (not experimental) there are used.
type Features struct {
	// LowCardinality(String) for repetitive short strings (experimental and
	// behind a setting in 18.x; stable from 19.x, used from 20.3).
	LowCardinality bool
	// Codecs: CODEC(ZSTD) on large text columns (19.x; used from 20.3).
	Codecs bool
	// InsertDedup: non_replicated_deduplication_window, so that a retried
	// identical insert block is dropped by the server (20.10; used from 21.8).
	InsertDedup bool
	// AllReplicas: the clusterAllReplicas table function, which reads a
	// table on every replica of a cluster (20.1; used from 20.3). Not used
	// by the schema: see DB.EveryHost.
	AllReplicas bool
	// Cluster is the ClickHouse cluster the schema spans (Config.Cluster):
	// DDL runs ON CLUSTER and tables are Replicated + Distributed. Not a
	// server capability: "" from FeaturesFor, set by DB.Features.
	Cluster string
}

// FeaturesFor returns what the schema may use on a server of version v.
func FeaturesFor(v Version) Features {
	return Features{
		LowCardinality: v.AtLeast(20, 3),
		Codecs:         v.AtLeast(20, 3),
		InsertDedup:    v.AtLeast(21, 8),
		AllReplicas:    v.AtLeast(20, 3),
	}
}

// lc wraps a String type in LowCardinality where supported.
func (f Features) lc(typ string) string {
	if f.LowCardinality {
		return "LowCardinality(" + typ + ")"
	}
	return typ
}

// zstd returns a compression codec clause for large text columns, or "".
func (f Features) zstd() string {
	if f.Codecs {
		return " CODEC(ZSTD(3))"
	}
	return ""
}
