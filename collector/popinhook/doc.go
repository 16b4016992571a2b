// Package popinhook turns one Popin server webhook body into an event.Event.
// It does no HTTP: the collector's webhook handler authenticates the request,
// bounds the body and calls Parse.
//
// The resulting event:
//
//   - Name is the body's "event" field (required, a non-empty string);
//     Source is event.SourcePopinServer; Known says whether the schemas
//     package has a schema for the name.
//
//   - UID is "user_id" (a string, or a number's literal text).
//
//   - ID is a UUID derived from the site id and the body in canonical form
//     (SHA-256, formatted as a version 8 UUID): whitespace, the order of
//     object members and string escapes do not count, number literals do
//     (1 and 1.0 differ). So a webhook Popin resends is stored and
//     delivered once even when re-serialised.
//
//   - ClientTime is "timestamp" when it parses and is plausible (RFC 3339,
//     "2006-01-02 15:04:05" and other PHP formats, unix seconds or
//     milliseconds; zone-less times are taken as UTC), else receivedAt.
//
//   - Context.Country is the ISO alpha-2 code of "country_code" (or
//     properties.customer_country_code); Context.URL is properties.url;
//     Context.UTM holds the utm_* strings of properties.meta.
//
//   - Data is the body unchanged, with one top-level key added when
//     something was parsed:
//
//     "bridge_parsed": {
//     "timestamp":          "2026-02-27T15:35:11Z", // RFC 3339, from timestamp
//     "scheduled_at":       "2026-02-27T21:30:00",  // scheduled_date + scheduled_time
//     "scheduled_at_local": "2026-02-28T09:00:00",  // the *_local variants
//     "scheduled_date":     "2026-02-27"            // when the time is missing or unreadable
//     }
//
//     Each key is present only when its value parsed; the raw fields stay
//     as Popin sent them. scheduled_* values carry no offset: Popin does not
//     say which time zone they are in. A "bridge_parsed" key in the body
//     itself is replaced.
//
// Parse does not check the payload against its JSON Schema; the collector
// does that with schemas.Validate. Parse never panics; its errors are
// *Error values naming the field, and all of them are permanent (the body
// itself is wrong).
package popinhook
