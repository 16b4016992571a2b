// Package payload builds webhook bodies: the default body of CONTRACT §8 and
// per-endpoint JSON templates.
//
// A template is a JSON document whose string leaves are Go text/templates
// evaluated against the event (see View). Keys and non-string leaves are
// copied as they are. A leaf that is a single action, like "{{.data.email}}"
// or "{{.data | json}}", takes the value's JSON type (a string stays a
// string, an object stays an object, a missing value becomes null); any
// other leaf renders to text and becomes a JSON string. The output is
// therefore always valid JSON, whatever the event holds.
package payload

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/event"
)

// Default is the body sent when an endpoint has no template.
type Default struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Site      string          `json:"site"`
	Source    string          `json:"source"`
	Data      json.RawMessage `json:"data"`
	Context   event.Context   `json:"context"`
}

// DefaultBody renders the default body of ev: the same bytes as
// json.Marshal of Default (field order, HTML-safe escaping, compacted data;
// data that is not valid JSON becomes {}), written in one pass since it is
// on every delivery's path.
func DefaultBody(ev *event.Event) ([]byte, error) {
	c := &ev.Context
	ctxLen := 64 + len(c.URL) + len(c.Referrer) + len(c.Title) + len(c.FBP) + len(c.FBC) + len(c.UserID) + len(c.GAClientID) + len(c.Country) + len(c.IP) + len(c.UserAgent) +
		32*(len(c.UTM)+len(c.Consent))
	b := make([]byte, 0, 128+len(ev.ID)+len(ev.Name)+len(ev.SiteID)+len(ev.Data)+ctxLen)
	b = append(b, `{"id":`...)
	b = appendString(b, ev.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Name)
	b = append(b, `,"timestamp":"`...)
	b = appendRFC3339NanoUTC(b, Timestamp(ev))
	b = append(b, `","site":`...)
	b = appendString(b, ev.SiteID)
	b = append(b, `,"source":`...)
	b = appendString(b, string(ev.Source))
	b = append(b, `,"data":`...)
	buf := bytes.NewBuffer(b)
	n := buf.Len()
	if len(bytes.TrimSpace(ev.Data)) == 0 || json.Compact(buf, ev.Data) != nil {
		buf.Truncate(n)
		buf.WriteString("{}")
	} else if needsHTMLEscape(buf.Bytes()[n:]) {
		// json.Marshal escapes these inside RawMessage too.
		c := bytes.Clone(buf.Bytes()[n:])
		buf.Truncate(n)
		json.HTMLEscape(buf, c)
	}
	b = buf.Bytes()
	b = append(b, `,"context":`...)
	b = appendContext(b, c)
	b = append(b, '}')
	return b, nil
}

// needsHTMLEscape reports whether b holds '<', '>', '&', U+2028 or U+2029
// (what json.HTMLEscape rewrites): bytes.ContainsAny of those, in one
// byte-wise pass.
func needsHTMLEscape(b []byte) bool {
	for i, c := range b {
		switch c {
		case '<', '>', '&':
			return true
		case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
			if i+2 < len(b) && b[i+1] == 0x80 && b[i+2]&^1 == 0xA8 {
				return true
			}
		}
	}
	return false
}

// appendRFC3339NanoUTC appends t.UTC().AppendFormat(b, time.RFC3339Nano)
// without the general formatter for years 0 to 9999.
func appendRFC3339NanoUTC(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}

// appendString appends s as a JSON string escaped as encoding/json does by
// default (HTML-safe, invalid UTF-8 as U+FFFD, U+2028/2029 escaped).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Timestamp is when the event happened: the client's time, or the receive
// time when that is missing.
func Timestamp(ev *event.Event) time.Time {
	if ev.ClientTime.IsZero() {
		return ev.ReceivedAt
	}
	return ev.ClientTime
}

// View is what a template sees: the default body's fields under their JSON
// names (id, type, timestamp, site, source, data, context) plus uid, aid,
// sid, received_at and event (the whole default body as a map).
func View(ev *event.Event) map[string]any {
	body, _ := DefaultBody(ev)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	v := map[string]any{}
	for k, x := range m {
		v[k] = x
	}
	if _, ok := v["data"].(map[string]any); !ok && v["data"] == nil {
		v["data"] = map[string]any{}
	}
	v["uid"] = ev.UID
	v["aid"] = ev.AnonID
	v["sid"] = ev.SessionID
	v["received_at"] = ev.ReceivedAt.UTC().Format(time.RFC3339Nano)
	v["event"] = m
	return v
}
