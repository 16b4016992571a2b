// Package consentstore remembers, per (site, uid), the last consent a
// visitor's browser events carried, so that events without consent of their
// own (Popin's server webhooks) inherit it.
//
// # Storage
//
// A JetStream KV bucket (consent_store.bucket, default BRIDGE_CONSENT)
// shared by every node on the same NATS, file storage, one value per key:
//
//   - key: base64url(site id) "." hex(SHA-256(site id, 0, uid))[:32]: no
//     uid in clear, one key prefix per site;
//   - value: the consent summary (consent.Summary: each known purpose
//     granted or denied) as "ads=0,analytics=1", purposes in order;
//   - an entry expires consent_store.ttl (default 30 days) after it was
//     written; an unchanged consent seen again after half the TTL is written
//     again, so a returning visitor's entry stays;
//   - the bucket holds at most consent_store.max_bytes; above it a write
//     fails (counted, the previous value stays).
//
// # Hot path
//
// Observe never blocks and does no I/O: it compares the event's summary with
// what this node last wrote or read for the key (a bounded in-memory cache,
// consent_store.cache_entries) and, when it differs, queues a write (a
// bounded queue, consent_store.queue; a full queue drops the write, counted
// in bridge_consent_store_dropped_total{reason="queue_full"}). One worker
// writes the queue in order. An event without a uid or without a known
// purpose in its consent is not recorded: absence of consent states
// nothing.
//
// Lookup answers from a write still queued on this node, else from the
// bucket. Cache entries are trusted for consent_store.cache_ttl only, so
// that a consent written by another node replaces this node's view within
// that time.
package consentstore
