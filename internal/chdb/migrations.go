package chdb

import (
	"errors"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Migration is one schema step. Statements must be idempotent on their own
// (IF NOT EXISTS; an ADD COLUMN of a column the table has counts as done,
// since 18.16 has no ADD COLUMN IF NOT EXISTS): a crash between running them
// and recording the version makes the next Migrate run them again, and on a
// cluster two nodes may run them at once. On a cluster (Features.Cluster) every statement is ON
// CLUSTER; a table is a Replicated *_local table plus a Distributed table
// under the name queries use (see replacingTable), so a later change to a
// table's columns must alter both.
type Migration struct {
	Version uint32
	Name    string
	// Statements returns the DDL for database db on a server with features f.
	// "{db}" in the text is replaced by the quoted database name.
	Statements func(f Features) []string
	// Rebuild, when set, carries out the step instead of Statements (which
	// then only shows the table it builds, see DDLText in the tests): the
	// table is rebuilt and its rows copied (rebuild.run, safe to run again
	// after a crash at any point and alongside another process running it).
	// RebuildPending finds unfinished rebuilds through it.
	Rebuild *rebuild
}

// Migrations is the schema history, in order. Never edit an applied step:
// append a new one.
var Migrations = []Migration{
	{Version: 1, Name: "events", Statements: eventsDDL},
	{Version: 2, Name: "deliveries", Statements: deliveriesDDL},
	{Version: 3, Name: "deliveries_insert_dedup", Statements: deliveriesDedupDDL},
	{Version: 4, Name: "events_user_id", Statements: eventsUserIDDDL},
	{Version: 5, Name: "events_consent", Statements: eventsConsentDDL},
	{Version: 6, Name: "deliveries_match_keys", Statements: deliveriesMatchKeysDDL},
	{Version: 7, Name: "deliveries_trigger", Statements: deliveriesTriggerDDL},
	{Version: 8, Name: "deliveries_attempt_key", Statements: deliveriesAttemptKeyDDL, Rebuild: &deliveriesAttemptKey},
}

// eventsDDL: one row per accepted event (CONTRACT §7).
//
// Duplicates: the same event can reach the table more than once (the log
// redelivers until the sink acks; a client resends after the log's dedup
// window). ReplacingMergeTree collapses rows with equal sort keys inside one
// partition, so PARTITION BY and ORDER BY may only use values that are the
// same in every copy of an event. received_at is NOT such a value (a resent
// copy is received later), so the keys use event_date, derived from the
// event's own client time: event_time = client_ts when it lies within
// [received_at-30d, received_at+1h], else received_at (a client with a wrong
// clock must not spread rows over arbitrary months, which would also break
// inserts with "too many partitions"). Copies therefore agree unless a copy
// arrives more than 30 days after the event happened or the clock is off
// by more than that window — then FINAL may show both; uniqExact(event_id)
// still counts once. The sink computes event_time and event_date.
//
// ip holds the address after the site's PII policy: hash (the default)
// keeps only the network (/24 for IPv4, /48 for IPv6), raw keeps it, drop
// stores "". data is the payload JSON after the PII policy.
func eventsDDL(f Features) []string {
	lc := f.lc("String")
	settings := "index_granularity = 8192"
	if f.InsertDedup && f.Cluster == "" {
		settings += ", non_replicated_deduplication_window = 1000"
	}
	return f.replacingTable("events", `    event_id     String,
    site_id      `+lc+`,
    name         `+lc+`,
    source       `+lc+`,
    known        UInt8,
    uid          String,
    aid          String,
    sid          String,
    seq          Int64,
    client_ts    DateTime('UTC'),
    received_at  DateTime('UTC'),
    event_time   DateTime('UTC'),
    event_date   Date,
    url          String,
    referrer     String,
    title        String,
    utm_source   `+lc+`,
    utm_medium   `+lc+`,
    utm_campaign `+lc+`,
    utm_term     String,
    utm_content  String,
    fbp          String,
    fbc          String,
    country      `+lc+`,
    ip           String,
    user_agent   String,
    data         String`+f.zstd(),
		`PARTITION BY toYYYYMM(event_date)
ORDER BY (site_id, name, event_date, event_id)
SETTINGS `+settings, eventsShardKey)
}

// deliveriesDDL: one row per delivery attempt (CONTRACT §7, §10). Written by
// the forwarder. ReplacingMergeTree with delivery_id and attempt in the key
// makes a re-inserted identical attempt row collapse under FINAL (migration
// 8 rebuilt the table with a key that also tells apart attempts of one
// second: deliveriesAttemptKeyDDL).
// next_attempt_at is 1970-01-01 00:00:00 (0) when no retry is planned.
// state is one of the delivery states of internal/delivery (delivered,
// retrying, dead, disabled, test, suppressed).
func deliveriesDDL(f Features) []string {
	return f.replacingTable("deliveries", deliveriesV2Columns(f),
		`PARTITION BY toYYYYMM(attempted_at)
ORDER BY (endpoint_id, attempted_at, delivery_id, attempt)
SETTINGS index_granularity = 8192`, "cityHash64(delivery_id)")
}

// deliveriesV2Columns is the column list of deliveries as migration 2
// created it.
func deliveriesV2Columns(f Features) string {
	lc := f.lc("String")
	return `    delivery_id     String,
    event_id        String,
    endpoint_id     ` + lc + `,
    site_id         ` + lc + `,
    event_name      ` + lc + `,
    webhook_id      String,
    attempt         UInt32,
    status_code     UInt16,
    ok              UInt8,
    latency_ms      UInt32,
    error           String,
    attempted_at    DateTime('UTC'),
    next_attempt_at DateTime('UTC'),
    test            UInt8,
    request_url     String,
    request_headers String,
    request_body    String` + f.zstd() + `,
    response_body   String` + f.zstd() + `,
    state           ` + lc
}

// deliveriesDedupDDL makes a retried insert of a deliveries batch a no-op
// on servers that can drop a repeated block of a non-replicated table
// (Features.InsertDedup): the forwarder's delivery log retries an insert whose
// outcome it does not know (a timeout after the server received the block)
// with exactly the same rows, so the server recognises the block by its hash
// and keeps one copy. Older servers (18.16) get no statement: there the
// copies are identical rows with equal sort keys, which ReplacingMergeTree
// collapses on merge and every read through FINAL shows once. On a cluster
// the tables are Replicated, which drop a repeated block by themselves
// (replicated_deduplication_window), so there is nothing to change.
func deliveriesDedupDDL(f Features) []string {
	if !f.InsertDedup || f.Cluster != "" {
		return nil
	}
	return []string{"ALTER TABLE {db}.deliveries MODIFY SETTING non_replicated_deduplication_window = 1000"}
}

// eventsUserIDDDL adds user_id: the site's own user id that the SDK's
// PopinBridge.identify stamps on later events (ctx.user_id); "" when none.
// Rows written before it read "".
func eventsUserIDDDL(f Features) []string {
	return f.addColumns("events", eventsShardKey, "user_id String")
}

// eventsShardKey spreads events over shards by their identity.
const eventsShardKey = "cityHash64(event_id)"

// ConsentEnum is the type of the events' consent columns: one per purpose,
// the state of that purpose in the event's ctx.consent (internal/consent).
const ConsentEnum = "Enum8('unknown' = 0, 'granted' = 1, 'denied' = 2)"

// eventsConsentDDL adds the consent state of each event, one column per
// purpose (consent_analytics, consent_ads, consent_functional); rows written
// before it read 'unknown'. 18.16 has no ADD COLUMN IF NOT EXISTS: a column
// added before a crash answers DUPLICATE_COLUMN when the step runs again,
// which alreadyApplied accepts.
func eventsConsentDDL(f Features) []string {
	var cols []string
	for _, p := range []string{"analytics", "ads", "functional"} {
		cols = append(cols, "consent_"+p+" "+ConsentEnum+" DEFAULT 'unknown'")
	}
	return f.addColumns("events", eventsShardKey, cols...)
}

// deliveriesMatchKeysDDL adds match_keys: for ad-platform attempts, the
// customer-information keys the event carried (DeliveriesMatchKeysColumn);
// "" for other attempts and rows written before it.
func deliveriesMatchKeysDDL(f Features) []string {
	return f.addColumns("deliveries", deliveriesShardKey, "match_keys String")
}

// deliveriesTriggerDDL adds trigger: what made the attempt
// (DeliveriesTriggerColumn); "" for rows written before it.
func deliveriesTriggerDDL(f Features) []string {
	return f.addColumns("deliveries", deliveriesShardKey, "trigger String")
}

// deliveriesShardKey spreads deliveries over shards.
const deliveriesShardKey = "cityHash64(delivery_id)"

// ClickHouse error codes answered to ADD COLUMN of an existing column:
// DUPLICATE_COLUMN on current servers, ILLEGAL_COLUMN ("column with this
// name already exists") on 18.16.
const (
	codeDuplicateColumn = 15
	codeIllegalColumn   = 44
)

// alreadyApplied reports whether err, answered to stmt, means that stmt's
// effect is already there: an ADD COLUMN of a column that exists.
func alreadyApplied(stmt string, err error) bool {
	var ex *clickhouse.Exception
	if !strings.Contains(stmt, " ADD COLUMN ") || !errors.As(err, &ex) {
		return false
	}
	return ex.Code == codeDuplicateColumn || ex.Code == codeIllegalColumn && strings.Contains(ex.Message, "already exists")
}

// EventsColumns is the column list, in order, that inserts into events use.
const EventsColumns = "event_id, site_id, name, source, known, uid, aid, sid, seq, client_ts, received_at, " +
	"event_time, event_date, url, referrer, title, utm_source, utm_medium, utm_campaign, utm_term, utm_content, " +
	"fbp, fbc, country, ip, user_agent, data, user_id"

// EventsConsentColumns are the columns migration 5 added, after
// EventsColumns; an insert that leaves them out stores 'unknown'.
const EventsConsentColumns = "consent_analytics, consent_ads, consent_functional"

// DeliveriesColumns is the column list, in order, that inserts into deliveries use.
const DeliveriesColumns = "delivery_id, event_id, endpoint_id, site_id, event_name, webhook_id, attempt, status_code, " +
	"ok, latency_ms, error, attempted_at, next_attempt_at, test, request_url, request_headers, request_body, " +
	"response_body, state"

// DeliveriesMatchKeysColumn is the column migration 6 added after
// DeliveriesColumns: the comma-separated match keys an ad-platform attempt
// sent ("em,ph,fbp,ip,ua"); an insert that leaves it out stores "".
const DeliveriesMatchKeysColumn = "match_keys"

// DeliveriesTriggerColumn is the column migration 7 added after
// DeliveriesMatchKeysColumn: what made the attempt — "first" (a delivery's
// first attempt, or a test send), "retry" (a scheduled retry), "manual" (a
// manual retry of a dead delivery) or "replay" (a replay of a time range);
// "" in rows written before it and by inserts that leave it out.
const DeliveriesTriggerColumn = "trigger"

// DeliveriesAttemptedNSColumn is the column migration 8 added after
// DeliveriesTriggerColumn: the attempt's time in nanoseconds since
// 1970-01-01 UTC (attempted_at with its fraction of a second). It is part of
// the row's identity, so attempts of a delivery made within one second stay
// separate rows, and it orders them. An insert that leaves it out stores
// attempted_at's whole second (as rows written before migration 8 have).
const DeliveriesAttemptedNSColumn = "attempted_ns"

// expand replaces "{db}" by the quoted database name and "{db_name}" by the
// bare one (inside string literals: ZooKeeper paths, Distributed's
// arguments). ClickHouse's own macros ({shard}, {replica}) stay.
func expand(stmt, db string) string {
	return strings.NewReplacer("{db}", "`"+db+"`", "{db_name}", db).Replace(stmt)
}
