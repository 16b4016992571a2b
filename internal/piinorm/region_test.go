package piinorm

import "testing"

func TestPhoneRegion(t *testing.T) {
	tests := []struct {
		name           string
		ev             EventCountries
		site, fallback string
		want           string
	}{
		{"nothing", EventCountries{}, "", "", ""},
		{"fallback", EventCountries{}, "", "US", "US"},
		{"site before fallback", EventCountries{}, "IN", "US", "IN"},
		{"seen before site", EventCountries{Seen: "GB"}, "IN", "US", "GB"},
		{"payload country before seen", EventCountries{Country: "France", Seen: "GB"}, "IN", "US", "FR"},
		{"phone country first", EventCountries{PhoneCountry: "+91", Country: "France", Seen: "GB"}, "US", "US", "IN"},
		{"dial code with plus and spaces", EventCountries{PhoneCountry: " +44 "}, "", "", "GB"},
		{"unknown country skipped", EventCountries{PhoneCountry: "Atlantis", Country: "xx"}, "IN", "", "IN"},
		{"unknown site skipped", EventCountries{}, "ZZ", "DE", "DE"},
		{"lower-case codes", EventCountries{Country: "in"}, "", "", "IN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PhoneRegion(tt.ev, tt.site, tt.fallback); got != tt.want {
				t.Errorf("PhoneRegion(%+v, %q, %q) = %q, want %q", tt.ev, tt.site, tt.fallback, got, tt.want)
			}
		})
	}
}

func TestPayloadCountries(t *testing.T) {
	tests := []struct {
		name, in           string
		phoneCountry, ctry string
	}{
		{"browser", `{"name":"A","mobile":"98765 43210","country":"India"}`, "", "India"},
		{"webhook", `{"country_code":"+91","phone_number":"9792521396","full_phone_number":"+919792521396"}`, "+91", ""},
		{"properties", `{"properties":{"customer_country_code":"+44","country":"GB"}}`, "+44", "GB"},
		{"top level first", `{"properties":{"country":"GB"},"country":"IN"}`, "", "IN"},
		{"country_code before customer_country_code", `{"customer_country_code":"+44","country_code":"+91"}`, "+91", ""},
		{"blank skipped", `{"country":"  ","properties":{"country":"FR"}}`, "", "FR"},
		{"numbers ignored", `{"country_code":91,"country":"IN"}`, "", "IN"},
		{"nested deeper ignored", `{"a":{"country":"FR"},"properties":{"x":{"country":"DE"}}}`, "", ""},
		{"escaped name", `{"c\u006funtry":"IN"}`, "", "IN"},
		{"duplicate: last wins", `{"country":"IN","country":"FR"}`, "", "FR"},
		{"no countries", `{"uid":"u-1"}`, "", ""},
		{"array", `[{"country":"IN"}]`, "", ""},
		{"malformed", `{"country":"IN",`, "", ""},
		{"empty", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, c := PayloadCountries([]byte(tt.in))
			if pc != tt.phoneCountry || c != tt.ctry {
				t.Errorf("PayloadCountries(%s) = %q, %q; want %q, %q", tt.in, pc, c, tt.phoneCountry, tt.ctry)
			}
		})
	}
}
