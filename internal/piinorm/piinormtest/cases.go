// Package piinormtest holds the cases on which the ClickHouse sink and the
// Conversions API must agree: for each event, the sink's stored hash of
// its e-mail and phone (hash policy) and the hash in the CAPI user_data are
// both piinorm.Hash of the Email and Phone given here. Each side tests
// itself against these cases, so the two are equal by construction.
package piinormtest

// Case is one event as both sides see it. Its payload holds at most one
// e-mail and one phone member, under names the CAPI reads, so that the
// value each side hashes is unambiguous.
type Case struct {
	Name string
	Data string // event payload (JSON)
	Seen string // event ctx.country
	Site string // the site's default_phone_region (for the CAPI, the default it is given)
	// Email and Phone are the expected normal forms; "" means none: the
	// sink stores "" and the CAPI sends no em or ph.
	Email, Phone string
}

// Cases are the inputs whose hashes once differed between the sink and
// the CAPI, and others of the kinds browsers and Popin send.
var Cases = []Case{
	{Name: "trunk 0 after country code", Data: `{"mobile":"+44 (0)20 7946 0958"}`, Phone: "442079460958"},
	{Name: "country code in parentheses", Data: `{"mobile":"(+1) 650-253-0000"}`, Phone: "16502530000"},
	{Name: "national in site region", Data: `{"mobile":"98765 43210","email":" Asha.Rao@Example.COM "}`, Site: "IN",
		Email: "asha.rao@example.com", Phone: "919876543210"},
	{Name: "national with trunk 0 in site region", Data: `{"mobile":"09876543210"}`, Site: "IN", Phone: "919876543210"},
	{Name: "payload country before site region", Data: `{"mobile":"020 7946 0958","country":"United Kingdom"}`, Site: "IN",
		Phone: "442079460958"},
	{Name: "ctx country before site region", Data: `{"mobile":"020 7946 0958"}`, Seen: "GB", Site: "IN", Phone: "442079460958"},
	{Name: "payload country before ctx country", Data: `{"mobile":"06 12 34 56 78","country":"FR"}`, Seen: "GB",
		Phone: "33612345678"},
	{Name: "webhook dialling code", Data: `{"email":"X@Y.com","country_code":"+44","phone_number":"020 7946 0958","country":"India"}`,
		Site: "IN", Email: "x@y.com", Phone: "442079460958"},
	{Name: "webhook properties", Data: `{"properties":{"customer_email":"x@y.com","customer_country_code":"+91","customer_phone_number":"9792521396"}}`,
		Phone: "919792521396", Email: "x@y.com"},
	{Name: "webhook full number", Data: `{"country_code":"+91","full_phone_number":"+919792521396"}`, Site: "US",
		Phone: "919792521396"},
	{Name: "leading 00, region with another prefix", Data: `{"mobile":"0044 20 7946 0958"}`, Site: "US", Phone: "442079460958"},
	{Name: "leading 00 without region", Data: `{"mobile":"0091 98765 43210"}`, Phone: "919876543210"},
	{Name: "extension", Data: `{"mobile":"+1 650-253-0000 ext. 123"}`, Phone: "16502530000"},
	{Name: "national without any region", Data: `{"mobile":"98765 43210"}`, Phone: "9876543210"},
	{Name: "unknown site region", Data: `{"mobile":"98765 43210"}`, Site: "ZZ", Phone: "9876543210"},
	{Name: "numeric phone", Data: `{"mobile":9876543210}`, Site: "IN", Phone: "919876543210"},
	{Name: "garbage", Data: `{"mobile":"call me maybe","email":"not an email"}`, Site: "IN"},
	{Name: "too short", Data: `{"mobile":"12345","email":"a@b"}`, Site: "IN"},
}
