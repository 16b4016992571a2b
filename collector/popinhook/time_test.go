package popinhook

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	want := utc(2026, 2, 27, 15, 35, 11)
	tests := []struct {
		raw  string
		want time.Time // zero = not parsed
	}{
		{`"2026-02-27T15:35:11Z"`, want},
		{`"2026-02-27T21:05:11+05:30"`, want},
		{`"2026-02-27T15:35:11.250Z"`, want.Add(250 * time.Millisecond)},
		{`"2026-02-27 15:35:11"`, want},
		{`"2026-02-27 15:35:11.123456"`, want.Add(123456 * time.Microsecond)},
		{`"2026-02-27 21:05:11+05:30"`, want},
		{`"2026-02-27T15:35:11"`, want},
		{`"Fri, 27 Feb 2026 15:35:11 +0000"`, want},
		{`"27-Feb-2026 03:35 PM"`, utc(2026, 2, 27, 15, 35, 0)},
		{`"27-feb-2026 3:35 pm"`, utc(2026, 2, 27, 15, 35, 0)},
		{`"27-02-2026 15:35:11"`, want},
		{`1772206511`, want},
		{`1772206511.5`, want.Add(500 * time.Millisecond)},
		{`1772206511000`, want},
		{`"1772206511"`, want},
		{`"1772206511000"`, want},
		{`""`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`"2026-02-30 10:00:00"`, time.Time{}},
		{`0`, time.Time{}},
		{`-1772206511`, time.Time{}},
		{`1e400`, time.Time{}},
		{`1.7e9`, time.Time{}},
		{`99999999999999999999999`, time.Time{}},
		{`"1999-12-31 23:59:59"`, time.Time{}},               // implausibly old
		{`"2026-03-05 12:00:00"`, time.Time{}},               // implausibly far ahead of receipt
		{`"2026-03-02 11:00:00"`, utc(2026, 3, 2, 11, 0, 0)}, // ahead, within skew
		{`null`, time.Time{}},
		{`true`, time.Time{}},
		{`{"a":1}`, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseTimestamp(json.RawMessage(tt.raw), received)
		if ok != !tt.want.IsZero() || (ok && !got.Equal(tt.want)) {
			t.Errorf("parseTimestamp(%s) = %v, %v; want %v", tt.raw, got, ok, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"27-Feb-2026", "2026-02-27"}, {"27-feb-2026", "2026-02-27"}, {"27-FEB-2026", "2026-02-27"},
		{"7-Feb-2026", "2026-02-07"}, {"07-Feb-2026", "2026-02-07"}, {" 27-Feb-2026 ", "2026-02-27"},
		{"27 February 2026", "2026-02-27"}, {"27/Sept/2026", "2026-09-27"}, {"27-Sep-2026", "2026-09-27"},
		{"27-02-2026", "2026-02-27"}, {"2026-02-27", "2026-02-27"}, {"29-Feb-2028", "2028-02-29"},
		{"29-Feb-2026", ""}, {"31-Apr-2026", ""}, {"0-Feb-2026", ""}, {"32-Jan-2026", ""},
		{"27-Fe-2026", ""}, {"27-Febx-2026", ""}, {"27-Feb-26", ""}, {"27-13-2026", ""},
		{"Feb-27-2026", ""}, {"", ""}, {"27-Feb", ""}, {"27-Feb-2026-1", ""},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		s := ""
		if ok {
			s = got.Format("2006-01-02")
		}
		if s != tt.want {
			t.Errorf("parseDate(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"09:30 PM", "21:30:00"}, {"9:30 pm", "21:30:00"}, {"09:30PM", "21:30:00"}, {"9:30 p.m.", "21:30:00"},
		{"12:00 AM", "00:00:00"}, {"12:15 PM", "12:15:00"}, {"12:15 am", "00:15:00"}, {"01:05 AM", "01:05:00"},
		{"09:30:15 PM", "21:30:15"}, {"21:30", "21:30:00"}, {"00:00", "00:00:00"}, {" 9:30 AM ", "09:30:00"},
		{"13:30 PM", ""}, {"0:30 AM", ""}, {"24:00", ""}, {"9:3 PM", ""}, {"9:60 PM", ""}, {"9 PM", ""},
		{"", ""}, {"PM", ""}, {"9:30 XM", ""}, {"09:30:60", ""},
	}
	for _, tt := range tests {
		d, ok := parseClock(tt.in)
		s := ""
		if ok {
			s = time.Time{}.Add(d).Format("15:04:05")
		}
		if s != tt.want {
			t.Errorf("parseClock(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestScheduledFields(t *testing.T) {
	tests := []struct {
		body string
		want map[string]string
	}{
		{`{"event":"e","properties":{"scheduled_date":"27-Feb-2026","scheduled_time":"09:30 PM"}}`,
			map[string]string{"scheduled_at": "2026-02-27T21:30:00"}},
		{`{"event":"e","properties":{"scheduled_date":"27-Feb-2026"}}`,
			map[string]string{"scheduled_date": "2026-02-27"}},
		{`{"event":"e","properties":{"scheduled_date":"27-Feb-2026","scheduled_time":"late"}}`,
			map[string]string{"scheduled_date": "2026-02-27"}},
		{`{"event":"e","properties":{"scheduled_time":"09:30 PM"}}`, nil},
		{`{"event":"e","properties":{"scheduled_date":"soon","scheduled_time":"09:30 PM"}}`, nil},
		{`{"event":"e","properties":{"scheduled_date":20260227}}`, nil},
		{`{"event":"e","scheduled_date":"1-Mar-2026","scheduled_time":"7:05 am"}`,
			map[string]string{"scheduled_at": "2026-03-01T07:05:00"}},
		{`{"event":"e","properties":{"scheduled_date_local":"28-Feb-2026","scheduled_time_local":"09:00 AM"}}`,
			map[string]string{"scheduled_at_local": "2026-02-28T09:00:00"}},
	}
	for _, tt := range tests {
		ev, err := Parse("acme", []byte(tt.body), received)
		if err != nil {
			t.Fatal(err)
		}
		got := parsedOf(t, []byte(tt.body), ev.Data)
		if len(got) != len(tt.want) {
			t.Errorf("%s: bridge_parsed = %v, want %v", tt.body, got, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: bridge_parsed.%s = %q, want %q", tt.body, k, got[k], v)
			}
		}
	}
}
