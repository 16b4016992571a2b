package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/event"
)

// parseStd is ParseBatch with encoding/json, after the limits scan: the
// reference behaviour, used for whatever parseFast does not handle.
func parseStd(raw []byte, lim Limits) ([]Item, *Error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, refuse(CodeMalformed, "%s", jsonErrorText(err))
	}
	if env.Batch == nil {
		return nil, refuse(CodeMalformed, `batch: required, want {"batch":[…]}`)
	}
	entries := *env.Batch
	if len(entries) > lim.MaxEventsPerBatch {
		return nil, refuse(CodeTooLarge, "more than %d events in the batch", lim.MaxEventsPerBatch)
	}
	items := make([]Item, 0, len(entries))
	for _, e := range entries {
		items = append(items, parseItem(e, lim))
	}
	return dedupItems(items), nil
}

func parseItem(raw json.RawMessage, lim Limits) Item {
	if len(raw) > lim.MaxEventBytes {
		return Item{ID: peekID(raw), Reject: &Reject{Code: CodeTooLarge,
			Error: fmt.Sprintf("event of %d bytes exceeds %d", len(raw), lim.MaxEventBytes)}}
	}
	invalid := func(id, format string, args ...any) Item {
		return Item{ID: id, Reject: &Reject{ID: id, Code: CodeInvalidEvent, Error: fmt.Sprintf(format, args...)}}
	}
	if len(raw) == 0 || raw[0] != '{' {
		return invalid("", "event: want an object")
	}
	var w wireItem
	if err := json.Unmarshal(raw, &w); err != nil {
		id := peekID(raw)
		return invalid(id, "%s", jsonErrorText(err))
	}
	return finishItem(&w, nil, true)
}

// decodedData is an item's data already decoded by parseFast.
type decodedData struct {
	value any // schemas.DecodeValue shapes
	// uid and uidErr are uidText of the value of the last top-level key
	// folding to "uid".
	uid    string
	uidErr error
	// reducedFor, when set, is the event name whose schema's relevant keys
	// (schemas.RelevantKeys) are all value holds.
	reducedFor string
	pooled     bool // value is from dataMaps
	// fits: value is nil and the schema of reducedFor surely accepts the
	// data (schemas.Shape), for a browser event.
	fits bool
}

// finishItem checks a decoded entry and builds its Item. dd, when not nil,
// is w.Data already decoded. huge false skips checkNumbers: the caller
// knows Data holds no number it could refuse.
func finishItem(w *wireItem, dd *decodedData, huge bool) Item {
	invalid := func(id, format string, args ...any) Item {
		return Item{ID: id, Reject: &Reject{ID: id, Code: CodeInvalidEvent, Error: fmt.Sprintf(format, args...)}}
	}
	if w.ID == "" {
		return invalid("", "id: required")
	}
	if !isUUID(w.ID) {
		return invalid(safeID(w.ID), "id: want a UUID like 0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b")
	}
	it := Item{ID: lowerUUID(w.ID), WireID: w.ID, Name: w.Name, Seq: w.Seq, SessionID: w.SID, AnonID: w.AID}
	if err := checkName(w.Name); err != nil {
		return invalid(w.ID, "name: %v", err)
	}
	switch w.Src {
	case "", string(event.SourceBrowser):
		it.Source = event.SourceBrowser
	case string(event.SourceCustom):
		it.Source = event.SourceCustom
	default:
		return invalid(w.ID, `src: want "browser" or "custom"`)
	}
	ts, hasTS := w.ts, w.hasTS
	if w.TS != nil {
		ts, hasTS = *w.TS, true
	}
	if hasTS {
		if ts < 0 || ts > 1e14 || math.IsNaN(ts) {
			return invalid(w.ID, "ts: want milliseconds since 1970")
		}
		ms := int64(ts)
		it.ClientTime = time.UnixMilli(ms).UTC()
	}
	data := bytes.TrimSpace(w.Data)
	switch {
	case len(data) == 0 || string(data) == "null":
		it.Data = json.RawMessage(`{}`)
		if dd != nil {
			it.value, it.decoded = map[string]any{}, true
		}
	case data[0] == '{':
		it.Data = data
		var uid string
		var err error
		if dd != nil {
			switch {
			case dd.reducedFor != "" && dd.reducedFor != w.Name: // a later name differs
			case dd.fits:
				it.fits = it.Source == event.SourceBrowser
			default:
				it.value, it.decoded, it.pooled = dd.value, true, dd.pooled
			}
			uid, err = dd.uid, dd.uidErr
		} else {
			uid, err = dataUID(data)
		}
		if err != nil {
			return invalid(w.ID, "data.uid: %v", err)
		}
		it.UID = uid
		if huge {
			if err := checkNumbers(data); err != nil {
				return invalid(w.ID, "%v", err)
			}
		}
	default:
		return invalid(w.ID, "data: want an object")
	}
	it.Context = event.Context{
		URL: w.Ctx.URL, Referrer: w.Ctx.Ref, Title: w.Ctx.Title, UTM: w.Ctx.UTM,
		FBP: w.Ctx.FBP, FBC: w.Ctx.FBC, Consent: map[string]bool(w.Ctx.Consent), UserID: w.Ctx.UserID,
		GAClientID: w.Ctx.GA,
	}
	return it
}

// dataUID returns data.uid as text when it is a string or a number. data
// must be a valid JSON object.
func dataUID(data json.RawMessage) (string, error) {
	v := topLevelValue(data, "uid")
	switch {
	case len(v) == 0 || string(v) == "null":
		return "", nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return string(v), nil
	default:
		return "", errors.New("want a string")
	}
}

// uidText is dataUID for a decoded value.
func uidText(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return string(v), nil
	default:
		return "", errors.New("want a string")
	}
}

// peekID returns the entry's id when it can be read, for naming a rejected
// entry; "" otherwise.
func peekID(raw json.RawMessage) string {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &p) != nil || len(p.ID) == 0 || p.ID[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(p.ID, &s) != nil {
		return ""
	}
	return safeID(s)
}

// safeID bounds an echoed, client-supplied id.
func safeID(s string) string {
	if len(s) > 64 {
		return ""
	}
	return s
}

func checkName(n string) error {
	if n == "" {
		return errors.New("required")
	}
	if len(n) > MaxNameBytes {
		return fmt.Errorf("longer than %d bytes", MaxNameBytes)
	}
	for _, r := range n {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return errors.New("contains a control character")
		}
	}
	return nil
}

// isUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form (any case).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// lowerUUID is the UUID s in lower case (s itself when it already is).
func lowerUUID(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			return strings.ToLower(s)
		}
	}
	return s
}

// jsonErrorText names the field of a decoding error where encoding/json
// knows it.
func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", field, goTypeName(te.Type.String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()
	}
	return err.Error()
}

func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "int64", "*float64", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "map[string]string":
		return "an object of strings"
	case "ingest.wireContext", "ingest.wireConsent":
		return "an object"
	default:
		return t
	}
}
