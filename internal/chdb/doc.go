// Package chdb is the bridge's access to ClickHouse, shared by the ClickHouse
// sink (collector/chsink) and the forwarder's delivery log: configuration,
// a native-protocol connection (Open), server version detection and the
// versioned schema (Migrate), and where mutations and partition drops of a
// table go, on one server or a cluster (Alter, StorageTable).
//
// ClickHouse 18.16 is the oldest server supported. It speaks only the native
// protocol to clickhouse-go v2, needs explicit column lists on batch inserts
// and lacks TTL, CODEC and stable LowCardinality; the schema uses those only
// where ServerVersion says the server has them (see Features).
package chdb
