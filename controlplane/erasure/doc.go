// Package erasure carries out erasure requests (POST /api/v1/erasures): it
// removes one person's data from ClickHouse and from the consent store, and
// keeps an audit record of every request without personal data.
//
// # A request
//
// A person is named on one site by exactly one of uid, aid, email or phone.
// E-mail and phone are normalised as for the PII hash (internal/piinorm;
// phones in the site's default_phone_region unless written with a country
// code) and looked for in every stored form: the hash (pii: hash), the
// value itself (pii: raw, e-mail case-insensitively) and, on sites whose
// rows hold sealed values (pii: encrypt), by opening them. The uids of the
// rows found by e-mail or phone are the person's too: their rows go as well.
//
// The job then
//
//  0. waits while a migration rebuilds events or deliveries on some host
//     (chdb.DB.RebuildPending: migration 8 copies deliveries' old rows
//     month by month into the new table, and a mutation of the new table
//     would miss the months not copied yet, which the copy then brings
//     back unchanged). The job stays running, Job.Waiting saying why;
//     steps 1–3 are made again if a rebuild began while they ran;
//  1. deletes the person's rows from events
//     (ALTER TABLE … DELETE WHERE site_id = … AND event_id IN (…), in chunks;
//     a mutation, supported from ClickHouse 18.12 on MergeTree tables);
//  2. empties request_body and response_body of their deliveries
//     (ALTER TABLE … UPDATE; the attempt rows stay, for the endpoint's
//     history);
//  3. waits until ClickHouse reports both mutations done (system.mutations).
//     Both go through chdb.DB.Alter: on a ClickHouse cluster to the
//     <table>_local tables ON CLUSTER, and "done" is on every replica of
//     every shard (chdb.DB.EveryHost; a host that does not answer fails
//     the job, which can be requested again);
//  4. forgets the consent remembered for each of the person's uids
//     (internal/consentstore).
//
// A job holds at most MaxRows events; a person with more fails the job
// ("too many rows", nothing deleted) and the request must be made again
// with a narrower identifier.
//
// # Time bounds
//
// A job starts as soon as the node's worker is free (one job at a time, at
// most QueueSize waiting; a full queue answers 503) and takes seconds on an
// idle instance. What bounds it under load is ClickHouse's mutation queue:
// mutations run after the merges in progress. Events still in the durable
// log (event_log.max_age at most) and not yet in ClickHouse are not
// reached: they are stored after the job; the log's max_age is the upper
// bound for such data.
//
// # Records
//
// Every request is a record in the JetStream KV bucket <controlplane
// bucket>_ERASURES, shared by every node: id, site, kind, subject_hash
// (SHA-256 of site, kind and the normalised identifier, hex — never the
// identifier), requested_by, requested_at, started_at, finished_at,
// status (pending, running, done, failed), counts and error. While a job is
// not finished its record also holds the identifier sealed with the master
// key (piicrypt), so that a node restarting resumes it (Start); the sealed
// identifier is removed when the job finishes. Records are kept (the
// audit), bounded by the bucket's MaxBytes.
package erasure
