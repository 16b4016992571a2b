package capi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
)

// UserData is Meta's user_data object. Hashed fields hold lowercase hex
// SHA-256 of the normalised value; the client fields go unhashed.
type UserData struct {
	Em         []string `json:"em,omitempty"`
	Ph         []string `json:"ph,omitempty"`
	Fn         []string `json:"fn,omitempty"`
	Ln         []string `json:"ln,omitempty"`
	Ct         []string `json:"ct,omitempty"`
	St         []string `json:"st,omitempty"`
	Zp         []string `json:"zp,omitempty"`
	Country    []string `json:"country,omitempty"`
	ExternalID []string `json:"external_id,omitempty"`

	ClientIPAddress string `json:"client_ip_address,omitempty"`
	ClientUserAgent string `json:"client_user_agent,omitempty"`
	FBP             string `json:"fbp,omitempty"`
	FBC             string `json:"fbc,omitempty"`
}

// Raw is the personal data found in an event before normalisation.
type Raw struct {
	Email, Phone, Name, FirstName, LastName string
	City, State, Zip, Country               string
	// PhoneCountry is a dialling code or country sent beside the phone
	// (Popin webhooks' country_code); it decides the region of a national
	// phone number before Country does.
	PhoneCountry string
}

// ExtractRaw reads personal data from a browser popin_captured payload
// ({name, email, mobile, country, city, pin_code}) or a Popin server webhook
// ({email, country_code, phone_number, full_phone_number, properties:
// {customer_name, customer_email, customer_phone_number, customer_country_code}}).
// Country and PhoneCountry are read by piinorm.PayloadCountries, as the
// ClickHouse sink reads them. Unknown shapes give what they have; malformed
// JSON gives nothing.
func ExtractRaw(data json.RawMessage) Raw {
	var m map[string]any
	if len(data) == 0 || json.Unmarshal(data, &m) != nil {
		return Raw{}
	}
	props, _ := m["properties"].(map[string]any)
	r := Raw{
		Email:     first(m, props, "email", "customer_email"),
		Name:      first(m, props, "name", "customer_name", "full_name"),
		FirstName: first(m, props, "first_name", "firstname"),
		LastName:  first(m, props, "last_name", "lastname"),
		City:      first(m, props, "city"),
		State:     first(m, props, "state"),
		Zip:       first(m, props, "pin_code", "zip", "zip_code", "postal_code", "pincode"),
	}
	if r.Phone = first(m, props, "full_phone_number"); r.Phone == "" {
		r.Phone = first(m, props, "mobile", "phone_number", "customer_phone_number", "phone")
	}
	r.PhoneCountry, r.Country = piinorm.PayloadCountries(data)
	return r
}

// first returns the first non-empty string or number (as written in
// decimal: {"mobile": 9876543210}, as the sink reads it) among keys, looked
// up in m and then in props.
func first(m, props map[string]any, keys ...string) string {
	for _, src := range []map[string]any{m, props} {
		for _, k := range keys {
			switch v := src[k].(type) {
			case string:
				if strings.TrimSpace(v) != "" {
					return v
				}
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	}
	return ""
}

// BuildUserData normalises and hashes raw, adding the unhashed client fields
// of ctx and the event's identifiers as external_id. Phones written without
// a country code are read in piinorm.PhoneRegion's region: the event's
// countries (raw.PhoneCountry, raw.Country, ctx country), else
// defaultRegion (ISO alpha-2; the caller's site or endpoint default).
func BuildUserData(raw Raw, ev *event.Event, defaultRegion string) UserData {
	var u UserData
	iso := NormCountry(raw.Country)
	if iso == "" && raw.PhoneCountry != "" {
		iso = NormCountry(raw.PhoneCountry)
	}
	if iso == "" && ev.Context.Country != "" {
		iso = NormCountry(ev.Context.Country)
	}
	region := piinorm.PhoneRegion(piinorm.EventCountries{PhoneCountry: raw.PhoneCountry, Country: raw.Country, Seen: ev.Context.Country}, defaultRegion, "")
	fn, ln := raw.FirstName, raw.LastName
	if fn == "" && ln == "" {
		fn, ln = SplitName(raw.Name)
	}
	add := func(dst *[]string, norm string) {
		if h := Hash(norm); h != "" {
			*dst = append(*dst, h)
		}
	}
	add(&u.Em, NormEmail(raw.Email))
	add(&u.Ph, NormPhone(raw.Phone, region))
	add(&u.Fn, NormName(fn))
	add(&u.Ln, NormName(ln))
	add(&u.Ct, NormCity(raw.City))
	add(&u.St, NormState(raw.State))
	add(&u.Zp, NormZip(raw.Zip, iso))
	add(&u.Country, iso)
	for _, id := range []string{ev.AnonID, ev.UID, ev.Context.UserID} {
		add(&u.ExternalID, NormExternalID(id))
	}
	u.ClientIPAddress = ev.Context.IP
	u.ClientUserAgent = ev.Context.UserAgent
	u.FBP = ev.Context.FBP
	u.FBC = ev.Context.FBC
	if u.FBC == "" {
		u.FBC = FBCFromURL(ev)
	}
	return u
}
