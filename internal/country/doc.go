// Package country turns the many ways a visitor's country arrives into an
// ISO 3166-1 alpha-2 code.
//
// Popin's popin_captured.country and its webhooks' country_code come as an
// ISO code ("IN", "in"), an English name ("India", "united states") or a
// dialling code ("+91", "91"); Normalize understands all three. The English
// names come from CLDR (golang.org/x/text/language/display) and the dialling
// codes from libphonenumber (github.com/nyaruka/phonenumbers), so neither
// table is written by hand; only a short list of common aliases ("UK",
// "USA", "UAE", "Ivory Coast", …) is.
package country
