package popinhook

import (
	"strings"
	"time"
)

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// parseDate reads Popin's d-M-Y date ("27-Feb-2026") defensively: any case,
// one- or two-digit day, short or full month name ("Sept" too), "-", "/",
// "." or space between parts; also Y-m-d ("2026-02-27"). The day must
// exist in that month.
func parseDate(s string) (time.Time, bool) {
	parts := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool {
		return r == '-' || r == '/' || r == '.' || r == ' ' || r == ','
	})
	if len(parts) != 3 || len(s) > 40 {
		return time.Time{}, false
	}
	var y, m, d int
	var ok bool
	if len(parts[0]) == 4 { // Y-m-d
		y, ok = digits(parts[0], 4, 4)
		if ok {
			m, ok = digits(parts[1], 1, 2)
		}
		if ok {
			d, ok = digits(parts[2], 1, 2)
		}
	} else { // d-M-Y
		d, ok = digits(parts[0], 1, 2)
		if ok {
			m, ok = month(parts[1])
		}
		if ok {
			y, ok = digits(parts[2], 4, 4)
		}
	}
	if !ok || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31-Feb
		return time.Time{}, false
	}
	return t, true
}

// month reads a month name (three letters at least, any case) or number.
func month(s string) (int, bool) {
	if n, ok := digits(s, 1, 2); ok {
		return n, true
	}
	if len(s) < 3 || len(s) > 9 {
		return 0, false
	}
	ls := strings.ToLower(s)
	for i, m := range months {
		if strings.HasPrefix(ls, m) && strings.HasPrefix(fullMonth(i), ls) {
			return i + 1, true
		}
	}
	if ls == "sept" {
		return 9, true
	}
	return 0, false
}

func fullMonth(i int) string { return strings.ToLower(time.Month(i + 1).String()) }

// parseClock reads Popin's h:i A time ("09:30 PM") defensively: any case,
// one- or two-digit hour, optional seconds, optional space before AM/PM
// (also "a.m."), or a 24-hour time without AM/PM. It returns the duration
// since midnight.
func parseClock(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 20 {
		return 0, false
	}
	s = strings.ReplaceAll(s, ".", "")
	ampm := ""
	switch {
	case strings.HasSuffix(s, "am"):
		ampm, s = "am", strings.TrimSpace(strings.TrimSuffix(s, "am"))
	case strings.HasSuffix(s, "pm"):
		ampm, s = "pm", strings.TrimSpace(strings.TrimSuffix(s, "pm"))
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, ok1 := digits(parts[0], 1, 2)
	m, ok2 := digits(parts[1], 2, 2)
	sec, ok3 := 0, true
	if len(parts) == 3 {
		sec, ok3 = digits(parts[2], 2, 2)
	}
	if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 {
		return 0, false
	}
	switch ampm {
	case "":
		if h > 23 {
			return 0, false
		}
	default:
		if h < 1 || h > 12 {
			return 0, false
		}
		h %= 12
		if ampm == "pm" {
			h += 12
		}
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, true
}

// digits reads an unsigned decimal of min to max digits.
func digits(s string, min, max int) (int, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// schedule stores the parsed date and time in parsed[atKey] when both
// parse, or the date alone in parsed[dateKey].
func schedule(parsed map[string]string, atKey, dateKey, date, clock string) {
	d, ok := parseDate(date)
	if !ok {
		return
	}
	if c, ok := parseClock(clock); ok {
		parsed[atKey] = d.Add(c).Format("2006-01-02T15:04:05")
		return
	}
	parsed[dateKey] = d.Format("2006-01-02")
}
