// Package ingest is the public front door of the collector: WebSocket and
// HTTP ingest of SDK batches, and Popin's server webhooks.
//
// Routes (see Handler):
//
//	GET  /v1/ws?key=WRITE_KEY          WebSocket ingest (CONTRACT §5)
//	POST /v1/events?key=WRITE_KEY      HTTP ingest, same batch body (application/json or text/plain)
//	POST /v1/hooks/popin?key=WRITE_KEY Popin server webhooks (header X-API-KEY)
//
// # Guarantees
//
// An event id is acknowledged ({"ack":[…]} over WebSocket, "accepted" over
// HTTP, 200 for a webhook) only after eventlog.Appender.Append returned nil,
// that is after the event is fsynced. An event is rejected ({"reject":[…]},
// "rejected") only when it will never be accepted as sent: the client may
// drop it. Anything the server cannot take right now (log full or
// unavailable, shutdown) is neither acked nor rejected: HTTP answers 503 with
// Retry-After, WebSocket sends {"retry_after_ms":N,"retry":[ids]} and closes
// with 1013 (reason "unavailable: retry_after_ms=N"); the
// client keeps the events and sends them again. Resending is always safe: the
// log deduplicates by id, and a duplicate is acked again.
//
// # Protocol decisions
//
//   - Write keys are public (routing and spam control, not authentication).
//     An unknown key refuses the WebSocket upgrade with HTTP 401 and
//     {"error":{"code":"bad_key",…}}: no socket is ever opened for it.
//     Browsers only see a failed connection; the status is for other clients
//     and for logs.
//   - Origin: a browser Origin must be allowed by the site's origins list
//     (site.AllowsOrigin), otherwise 403 {"error":{"code":"origin"}} before
//     the upgrade (gorilla's CheckOrigin applies the same rule again). A
//     request without Origin is a non-browser client and is allowed: Origin
//     only protects browsers from cross-site use and any other client can
//     forge it, so refusing a missing one would buy nothing. No cookies are
//     read, so cross-site WebSocket hijacking gains an attacker nothing.
//   - Frame-level errors close the socket: invalid UTF-8 or JSON, or a body
//     that is not {"batch":[…]}, closes with 1007 ("malformed: …"); a frame
//     over max_batch_bytes, a batch over max_events_per_batch, nesting over
//     max_json_depth, an object or array over max_keys or a string over
//     max_string_bytes closes with 1009 ("too_large: …"). The batch is refused
//     whole and nothing of it is stored. The SDK must keep its batches within
//     the limits; the close reason names the limit. A binary frame closes
//     with 1003.
//   - Per-event problems reject only that event: missing or non-UUID id, bad
//     name, src, ts, data or ctx → code invalid_event naming the field; an
//     event over max_event_bytes → too_large. A
//     rejected event without a usable id is reported with "id": "".
//   - Event ids are UUIDs and case-insensitive: an id is stored (and
//     deduplicated, and forwarded) in lower case, so the same UUID sent in
//     upper case is the same event. Acks, retries and rejects name the id
//     exactly as the client sent it.
//   - ts (milliseconds since 1970) must lie within a day after and 30 days
//     before receipt (MaxClientTimeAhead, MaxClientTimeAge); outside that
//     the event is rejected, invalid_event "ts: …". Without ts the receipt
//     time is the event's time.
//   - A number in data beyond the range of a float64 (1e999999, -1e309)
//     rejects the event, invalid_event naming the field as a JSON pointer
//     ("data/items/1/price: number … is beyond the range of a 64-bit
//     float"); strict JSON receivers could not read it. A webhook holding
//     one is answered 400 invalid_event. Numbers that only lose precision or
//     underflow to 0 are kept as written.
//   - Custom events: an item with "src":"custom" (sent by PopinBridge.track())
//     is stored with source custom; "src" absent or "browser" means browser.
//     Any other value, including "popin_server", is invalid_event: only the
//     webhook route stores popin_server events.
//   - ctx.consent is an object (or null). Per key, a boolean is kept and a
//     Google Consent Mode string "granted"/"denied" (any case) is stored as
//     true/false; any other value (null, another string, a number, an
//     object, an array) is left out of the stored map and never rejects the
//     event. The key "tcf" holds an IAB TCF v2 TC string: it is decoded
//     (internal/consent) into the keys tcf_functional, tcf_analytics and
//     tcf_ads, and the string itself is not stored; a value that is not a
//     version-2 TC string sets none of them. tcf_* keys sent by the client
//     are ignored. A repeated key or
//     consent object: the last value of a key wins. A consent that is
//     neither an object nor null rejects the event, invalid_event
//     "ctx.consent: …".
//   - Unknown event names are accepted, stored with Known=false.
//   - Several batches may be in flight on one socket (up to
//     websocket.max_in_flight); acks may come in any order and name ids.
//
// HTTP ingest answers 200 {"accepted":[…],"rejected":[…]} whenever the batch
// was processed, even if some (or all) events were rejected: the per-event
// outcome is in the body, like a 207. Whole-request refusals answer
// {"error":{"code","message"}} with 400 malformed, 401 bad_key, 403 origin,
// 413 too_large, 415 malformed, 429 rate_limited (+ Retry-After) or 503
// unavailable (+ Retry-After).
//
// Popin webhooks: X-API-KEY must equal the site's popin_api_key (constant
// time). popin_api_key "." accepts any or no X-API-KEY: the endpoint is then
// explicitly unauthenticated for that site (anyone knowing the public write
// key can post server events). An empty popin_api_key refuses every webhook
// with 403. The body is parsed by popinhook and checked against the schemas;
// a body that does not fit is answered 400 invalid_event (never stored), one
// that cannot be parsed 400 malformed. The event id is derived from the body,
// so Popin's retries are stored once. A webhook carries no consent: with
// Settings.Consent it inherits the last consent remembered for its uid on
// its site (internal/consentstore), else it has none and the site's
// consent_mode decides; when the memory cannot be read the webhook is
// answered 503 unavailable. Each webhook request spends one token
// of the per-IP and per-site rate limits below (before its key is checked);
// over a limit it is answered 429 with Retry-After.
//
// The client IP (Context.IP, rate limits, connection caps) is the TCP peer,
// or with trust_proxy the right-most X-Forwarded-For entry. Context.UserAgent
// is the request's User-Agent (first 512 bytes). A client's own ctx.ip,
// ctx.ua and ctx.country are ignored.
//
// Rate limits are token buckets counted in events (per client IP and per
// site). Being over a limit means "not now", never "never": over WebSocket
// the batch gets {"retry_after_ms":N,"retry":[ids]} and the socket stays
// open (the client keeps the events); over HTTP it is answered 429 with
// Retry-After (readable cross-origin: CORS exposes it).
package ingest
