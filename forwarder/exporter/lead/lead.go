// Package lead reads the person an event is about — name, e-mail, phone,
// place — as destinations that show or store contacts (Slack, HubSpot)
// send it: the values as captured (README "Privacy": destinations receive
// what the visitor typed), with the e-mail trimmed and lower-cased and the
// phone in E.164 when its country is known. Hashing destinations use
// exporter/capi instead.
package lead

import (
	"strings"

	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
)

// Lead is the personal data of one event. Empty fields were not captured.
type Lead struct {
	// Name is the full name as typed; FirstName and LastName are the
	// captured parts, else the first word and the rest of Name.
	Name, FirstName, LastName string
	// Email is trimmed and lower-cased; "" when the event has none that is
	// plausibly an address (piinorm.Email).
	Email string
	// Phone is "+" and the E.164 digits when the number carries its
	// country code or the event, the site or the endpoint names its
	// country (piinorm.PhoneRegion); otherwise the number as typed.
	Phone                     string
	City, State, Zip, Country string
}

// FromEvent reads the lead of a browser popin_captured or of a Popin server
// webhook (capi.ExtractRaw knows both shapes). region is the phone region
// when the event names no country: the site's default_phone_region, else
// the endpoint's default_region ("" for none).
func FromEvent(ev *event.Event, region string) Lead {
	raw := capi.ExtractRaw(ev.Data)
	l := Lead{Name: clean(raw.Name), FirstName: clean(raw.FirstName), LastName: clean(raw.LastName),
		Email: piinorm.Email(raw.Email), City: clean(raw.City), State: clean(raw.State), Zip: clean(raw.Zip), Country: clean(raw.Country)}
	if l.FirstName == "" && l.LastName == "" {
		l.FirstName, l.LastName = Split(l.Name)
	}
	if l.Name == "" {
		l.Name = strings.TrimSpace(l.FirstName + " " + l.LastName)
	}
	l.Phone = phone(raw, ev.Context.Country, region)
	return l
}

// Split splits a full name into the first word and the rest ("Asha Rani
// Sharma" → "Asha", "Rani Sharma").
func Split(full string) (first, rest string) {
	w := strings.Fields(full)
	switch len(w) {
	case 0:
		return "", ""
	case 1:
		return w[0], ""
	}
	return w[0], strings.Join(w[1:], " ")
}

// phone is the E.164 form ("+919876543210") of the captured number when its
// country is known, else the number as typed.
func phone(raw capi.Raw, seen, region string) string {
	typed := clean(raw.Phone)
	if typed == "" {
		return ""
	}
	r := piinorm.PhoneRegion(piinorm.EventCountries{PhoneCountry: raw.PhoneCountry, Country: raw.Country, Seen: seen}, region, "")
	if r == "" && !strings.HasPrefix(typed, "+") && !strings.HasPrefix(typed, "00") {
		return typed
	}
	if d := piinorm.Phone(typed, r); d != "" {
		return "+" + d
	}
	return typed
}

// clean trims a value and collapses its runs of white space, so a value
// cannot break a line of a message.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }
