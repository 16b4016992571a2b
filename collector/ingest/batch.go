package ingest

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/event"
)

// Limits bounds what ParseBatch accepts. See Config for each field.
type Limits struct {
	MaxEventsPerBatch int
	MaxEventBytes     int
	MaxBatchBytes     int
	MaxJSONDepth      int
	MaxKeys           int
	MaxStringBytes    int
}

// MaxNameBytes is the longest event name accepted.
const MaxNameBytes = 128

// Item is one batch entry after decoding. When Reject is non-nil the entry
// is invalid and the other fields may be partial (ID may be empty).
type Item struct {
	ID         string // lower case: ids are case-insensitive UUIDs
	WireID     string // the id as sent, echoed in acks, retries and rejects
	Name       string
	Source     event.Source // browser or custom
	ClientTime time.Time    // zero when the entry had no ts
	Seq        int64
	SessionID  string
	AnonID     string
	UID        string          // data.uid, when a string or number
	Data       json.RawMessage // always a JSON object; may alias ParseBatch's input
	Context    event.Context   // without IP, UserAgent and Country (the collector's to set)
	Reject     *Reject

	// value is Data decoded as schemas.DecodeValue does, when decoded is
	// set, so that validation need not decode it again.
	value   any
	decoded bool
	pooled  bool // value is a dataMaps map, handed back by validate
	// fits: the embedded schemas accept Data for Name (schemas.Shape), so
	// the default validator need not run; value is then nil.
	fits bool
}

type wireItem struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	TS   *float64        `json:"ts"`
	Seq  int64           `json:"seq"`
	SID  string          `json:"sid"`
	AID  string          `json:"aid"`
	Src  string          `json:"src"`
	Data json.RawMessage `json:"data"`
	Ctx  wireContext     `json:"ctx"`

	// ts and hasTS are TS as parseFast reads it (a pointer would move the
	// parser's state to the heap); encoding/json sets TS instead.
	ts    float64
	hasTS bool
}

// wireContext is what a client may say about its page; ip, ua and country
// are deliberately absent: the collector sets them.
type wireContext struct {
	URL     string            `json:"url"`
	Ref     string            `json:"ref"`
	Title   string            `json:"title"`
	UTM     map[string]string `json:"utm"`
	FBP     string            `json:"fbp"`
	FBC     string            `json:"fbc"`
	Consent wireConsent       `json:"consent"`
	UserID  string            `json:"user_id"`
	GA      string            `json:"ga_client_id"`
}

type envelope struct {
	Batch *[]json.RawMessage `json:"batch"`
}

// ParseBatch decodes a frame or body {"batch":[…]} into items. It is pure
// and safe on any input. Items' Data may alias raw, which the caller must
// then not modify.
//
// A non-nil *Error refuses the whole batch: CodeTooLarge when raw exceeds a
// size, count, depth, width or string limit (checked by a streaming scan
// before any decoding), CodeMalformed when raw is not valid UTF-8 JSON of
// that shape. Otherwise every entry yields one Item, except repeats of an id
// already valid earlier in the same batch, which are dropped; an invalid
// entry carries a Reject (CodeInvalidEvent naming the field, or
// CodeTooLarge over MaxEventBytes).
//
// Well-formed frames are decoded in one pass by parseFast; anything it does
// not handle (a malformed frame, a field of the wrong type) is decoded by
// encoding/json (parseStd, parseItem), whose behaviour and messages are the
// reference that parseFast reproduces.
func ParseBatch(raw []byte, lim Limits) ([]Item, *Error) {
	if len(raw) > lim.MaxBatchBytes {
		return nil, refuse(CodeTooLarge, "batch of %d bytes exceeds %d", len(raw), lim.MaxBatchBytes)
	}
	if !utf8.Valid(raw) {
		return nil, refuse(CodeMalformed, "not valid UTF-8")
	}
	entries, huge, err := scanLimits(raw, lim)
	if err != nil {
		return nil, err
	}
	if items, ok := parseFast(raw, lim, entries, huge); ok {
		return items, nil
	}
	return parseStd(raw, lim)
}

// dedupItems drops repeats of an id already valid earlier in the batch.
func dedupItems(items []Item) []Item {
	seen := make(map[string]struct{}, len(items))
	out := items[:0]
	for _, it := range items {
		if it.Reject == nil {
			if _, dup := seen[it.ID]; dup {
				continue
			}
			seen[it.ID] = struct{}{}
		}
		out = append(out, it)
	}
	clear(items[len(out):])
	return out
}
