package piinorm

import (
	"bytes"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/popinbridge/bridge/internal/country"
)

// EventCountries are the places an event names a country, each in any form
// Country accepts ("IN", "India", "+91").
type EventCountries struct {
	// PhoneCountry is the dialling code or country sent beside the phone
	// (Popin's country_code); see PayloadCountries.
	PhoneCountry string
	// Country is the payload's country member; see PayloadCountries.
	Country string
	// Seen is the country the collector saw the client in (event ctx.country).
	Seen string
}

// PhoneRegion is the rule, for the sink and the Conversions API alike, that
// chooses the region (upper-case ISO alpha-2) in which a phone number
// written without a country code is read: the first that names a known
// country of the event's PhoneCountry, Country and Seen, then siteRegion
// (the site's default_phone_region), then fallback (the caller's own
// default, such as a CAPI endpoint's default_region). "" when none does;
// Phone then keeps such a number's digits without a country code.
func PhoneRegion(ev EventCountries, siteRegion, fallback string) string {
	for _, s := range [...]string{ev.PhoneCountry, ev.Country, ev.Seen, siteRegion, fallback} {
		if s == "" {
			continue
		}
		if iso := regions.get(s, func() string { iso, _ := country.Normalize(s); return iso }); iso != "" {
			return iso
		}
	}
	return ""
}

// regions remembers recent country.Normalize results; the few countries a
// site's visitors name come back in almost every event with a phone.
var regions = newMemo(256)

// Member names, in precedence order, that PayloadCountries reads.
var (
	phoneCountryKeys = [...]string{"country_code", "customer_country_code"}
	countryKeys      = [...]string{"country"}
)

// PayloadCountries reads the countries an event payload names: country is
// the first non-blank string member "country", phoneCountry the first of
// "country_code" and "customer_country_code", each looked up in the
// top-level object and then in its "properties" object (the shapes of
// popin_captured and of Popin's server webhooks). Values are returned as
// written; malformed JSON gives nothing.
func PayloadCountries(data []byte) (phoneCountry, country string) {
	if !bytes.Contains(data, []byte("ountry")) && bytes.IndexByte(data, '\\') < 0 {
		return "", ""
	}
	sc := scanners.Get().(*scanner)
	defer scanners.Put(sc)
	sc.reset()
	sc.rd.Reset(data)
	sc.dec.Reset(&sc.rd, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if !sc.object(0) {
		return "", ""
	}
	pick := func(keys []string) string {
		for lvl := range sc.found {
			for _, k := range keys {
				if v := sc.found[lvl][k]; strings.TrimSpace(v) != "" {
					return v
				}
			}
		}
		return ""
	}
	return pick(phoneCountryKeys[:]), pick(countryKeys[:])
}

// scanner is the reusable state of PayloadCountries.
type scanner struct {
	rd    bytes.Reader
	dec   jsontext.Decoder
	found [2]map[string]string // top level, properties
}

var scanners = sync.Pool{New: func() any {
	return &scanner{found: [2]map[string]string{{}, {}}}
}}

func (sc *scanner) reset() {
	clear(sc.found[0])
	clear(sc.found[1])
}

// object reads one object at level (0 top, 1 properties), recording the
// string members PayloadCountries wants; false on malformed JSON or when
// the top-level value is not an object.
func (sc *scanner) object(level int) bool {
	dec := &sc.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return false
		}
		name := tok.String()
		switch kind := dec.PeekKind(); {
		case kind == '{' && level == 0 && name == "properties":
			if !sc.object(1) {
				return false
			}
		case kind == '"' && wanted(name):
			v, err := dec.ReadToken()
			if err != nil {
				return false
			}
			sc.found[level][name] = v.String()
		default:
			if dec.SkipValue() != nil {
				return false
			}
		}
	}
	_, err := dec.ReadToken()
	return err == nil
}

func wanted(name string) bool {
	for _, k := range phoneCountryKeys {
		if name == k {
			return true
		}
	}
	return name == countryKeys[0]
}
