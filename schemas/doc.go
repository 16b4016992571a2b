// Package schemas holds the JSON Schemas (draft 2020-12) of every event the
// bridge knows, and validates payloads against them.
//
// The schema files are the source of truth and are embedded in the binary:
//
//	browser/<name>.json  the data argument of window.popinEvent(name, data)
//	popin/<name>.json    the whole body of one Popin server webhook
//	batch.json           the ingest batch of the SDK wire protocol
//
// Each event schema carries a title, a description and one realistic sample
// under "examples". Two extension keywords are read by this package:
// "x-aliases" (other names of the same event, e.g. popin_call_missed for
// popin_expert_busy) and "x-proposal" (the name is our guess, not found in
// Popin's documentation).
//
// Schemas are lenient on purpose: Popin may add fields, so
// additionalProperties is always allowed, and fields Popin does not promise
// are optional. Unknown event names are not an error: Validate reports them
// as unknown and the caller stores them all the same.
//
// Validation uses github.com/santhosh-tekuri/jsonschema. For callers that
// read a payload anyway, RelevantKeys says which properties an event's
// schema can constrain and Shape decides, without the library, that a
// payload surely fits (only the JSON types of those properties and the
// required ones matter to most schemas); anything else is left to the
// library, whose errors are the ones reported.
//
// The schemas are compiled once, on first use. All functions are safe for
// concurrent use and never panic on input.
package schemas
