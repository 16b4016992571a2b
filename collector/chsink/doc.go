// Package chsink is the ClickHouse sink: it reads segments from the durable
// event log (an eventlog.Reader), applies each site's PII policy, inserts
// the events into the `events` table in batches, and acks the segments only
// once their insert succeeded.
//
// Guarantees: at least once into ClickHouse, idempotent on event_id (the
// events table is a ReplacingMergeTree keyed by values identical in every
// copy of an event, so FINAL shows each event once). While ClickHouse is
// down nothing is acked: the sink retries the same batch with bounded
// exponential backoff and the log keeps everything behind it; when the
// server is back the sink catches up.
package chsink
