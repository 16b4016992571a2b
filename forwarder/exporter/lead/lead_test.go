package lead

import (
	"encoding/json"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
)

func TestFromEvent(t *testing.T) {
	for _, tc := range []struct {
		name, data, seen, region string
		want                     Lead
	}{
		{"browser lead", `{"name":" Asha  Rani Rao ","email":" Asha@Example.COM ","mobile":"98765 43210","country":"IN","city":"Bengaluru"}`, "", "",
			Lead{Name: "Asha Rani Rao", FirstName: "Asha", LastName: "Rani Rao", Email: "asha@example.com", Phone: "+919876543210", City: "Bengaluru", Country: "IN"}},
		{"server webhook", `{"email":"lee@example.org","country_code":"+44","phone_number":"020 7946 0958","properties":{"customer_name":"Lee"}}`, "", "",
			Lead{Name: "Lee", FirstName: "Lee", Email: "lee@example.org", Phone: "+442079460958"}},
		{"full phone wins", `{"full_phone_number":"+919792521396","phone_number":"9792521396"}`, "", "",
			Lead{Phone: "+919792521396"}},
		{"no country: as typed", `{"mobile":"98765 43210"}`, "", "", Lead{Phone: "98765 43210"}},
		{"site region", `{"mobile":"98765 43210"}`, "", "IN", Lead{Phone: "+919876543210"}},
		{"seen country", `{"mobile":"(650) 253-0000"}`, "US", "IN", Lead{Phone: "+16502530000"}},
		{"not an email", `{"email":"asha at example"}`, "", "", Lead{}},
		{"first and last", `{"first_name":"Asha","last_name":"Rao"}`, "", "", Lead{Name: "Asha Rao", FirstName: "Asha", LastName: "Rao"}},
		{"malformed", `{"name":`, "", "", Lead{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{Data: json.RawMessage(tc.data), Context: event.Context{Country: tc.seen}}
			if got := FromEvent(ev, tc.region); got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
