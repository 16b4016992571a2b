// Package chretention removes ClickHouse data older than its retention:
// events, delivery attempts and delivery bodies, each with a global number
// of days (`retention:`) that a site may override (site `retention:`).
// 0 keeps the data forever.
//
// Every Interval (and once at Start; every 30s until ClickHouse is
// connected) a pass, per class:
//
//  1. drops the monthly partitions (toYYYYMM) that lie wholly before the
//     oldest cutoff every site allows (only when every site has a
//     retention for the class): cheap, no rewrite;
//  2. for each group of sites sharing a retention, counts the rows older
//     than its cutoff and, only when there are any, deletes them
//     (ALTER TABLE … DELETE WHERE site_id … AND date < cutoff, a mutation);
//     delivery bodies are emptied instead (ALTER TABLE deliveries UPDATE
//     setting request_body and response_body to the empty string), the
//     attempt rows stay.
//
// Every ALTER goes through chdb.DB.Alter: on a ClickHouse cluster it names
// the <table>_local tables ON CLUSTER (ClickHouse runs no mutation or
// partition drop on the Distributed tables), and the partitions are those
// the system.parts of any replica of any shard lists for <table>_local
// (chdb.DB.EveryHost; while a host does not answer no partition is dropped,
// the pass reports an error and the next one tries again).
//
// Cutoffs are whole days in UTC: with N days, rows of dates before today -
// N are removed, those of that day and later kept. Events are dated by
// event_date, deliveries by attempted_at.
//
// This works the same on ClickHouse 18.16 (which has no TTL) and on current
// servers. Table TTLs are not used: a TTL is one expression per table, and
// per-site retentions that change through the API would mean rewriting it
// (and every part) at each change. Every node runs the pass; it is
// idempotent and a pass that finds nothing to remove issues no mutation.
package chretention
