package popinhook

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// timestampLayouts are tried in order on a string timestamp. Zone-less
// layouts give UTC.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05.999999999", // PHP Y-m-d H:i:s(.u)
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	time.RFC1123Z,                      // PHP DATE_RFC2822
	time.RFC1123,                       // DATE_RFC7231
	"Monday, 02-Jan-2006 15:04:05 MST", // DATE_COOKIE
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2-Jan-2006 3:04:05 PM",
	"2-Jan-2006 3:04 PM",
	"2-Jan-2006 15:04:05",
	"2-Jan-2006 15:04",
	"02-01-2006 15:04:05", // PHP d-m-Y H:i:s
	"2006/01/02 15:04:05",
}

// Plausible client times: not before 2000, not more than two days ahead
// of receipt (clock skew).
var minPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxAhead = 48 * time.Hour

// parseTimestamp reads Popin's "timestamp", whose format is undocumented:
// a string in one of timestampLayouts, or unix seconds or milliseconds as
// a number or a digit string.
func parseTimestamp(raw json.RawMessage, receivedAt time.Time) (time.Time, bool) {
	var t time.Time
	switch kind(raw) {
	case "number":
		var ok bool
		if t, ok = unix(string(raw)); !ok {
			return time.Time{}, false
		}
	case "string":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		s = strings.TrimSpace(s)
		if len(s) == 0 || len(s) > 64 {
			return time.Time{}, false
		}
		var ok bool
		if t, ok = unix(s); !ok {
			if t, ok = parseLayouts(s); !ok {
				return time.Time{}, false
			}
		}
	default:
		return time.Time{}, false
	}
	if t.Before(minPlausible) || (!receivedAt.IsZero() && t.After(receivedAt.Add(maxAhead))) {
		return time.Time{}, false
	}
	return t, true
}

func parseLayouts(s string) (time.Time, bool) {
	upper := strings.ToUpper(s) // "pm" → "PM" for layouts with AM/PM
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
		if strings.HasSuffix(layout, "PM") {
			if t, err := time.Parse(layout, upper); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// unix reads a decimal number of seconds (below 1e11) or milliseconds.
// Fractions are accepted; exponents, signs and huge values are not.
func unix(s string) (time.Time, bool) {
	if s == "" || len(s) > 24 {
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return time.Time{}, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f >= 1e14 {
		return time.Time{}, false
	}
	if f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	ms := int64(f)
	return time.UnixMilli(ms).UTC(), true
}
