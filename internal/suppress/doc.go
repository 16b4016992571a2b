// Package suppress is the per-site suppression list: the identifiers of
// people erased (controlplane/erasure), whose later events are neither
// forwarded (the forwarder records the delivery as suppressed, reason
// "erased") nor stored with personal data (the ClickHouse sink stores them
// anonymously, as an analytics denial).
//
// # Storage
//
// A JetStream KV bucket (Settings.Bucket; bridge uses <controlplane
// bucket>_SUPPRESS) shared by every node, file storage, the NATS replicas
// of the other buckets, no TTL (an erased person stays suppressed), bounded
// by Settings.MaxBytes. One key per identifier:
//
//	base64url(site id) "." hex(SHA-256(site id, 0, kind, 0, normal form))[:32]
//
// kind is uid, aid, email or phone; the normal form is the one of the PII
// hash (internal/piinorm: e-mail trimmed and lower-cased, phone E.164
// digits in the site's default_phone_region), uid and aid as given. No
// identifier is stored in clear; the value is the kind.
//
// # Hot path
//
// Every node watches the bucket and keeps the whole list in memory; a check
// does no I/O. An event of a site with nothing on the list costs one map
// lookup. On a site with entries, the event's uid and aid are hashed and
// looked up, and, when the payload holds e-mail or phone members
// (piinorm.Classify), those values are normalised, hashed and looked up.
// Add puts a key into this node's memory at once; other nodes see it when
// their watch delivers it (normally milliseconds).
package suppress
