package capi

import "github.com/popinbridge/bridge/internal/piinorm"

// The normalisers are those of internal/piinorm, which the ClickHouse sink
// uses too, so that a hash stored there equals the hash sent to Meta.

// Hash returns the lowercase hex SHA-256 of s, or "" for "".
func Hash(s string) string { return piinorm.Hash(s) }

// NormEmail is piinorm.Email: trimmed, lower-cased, "" when implausible.
func NormEmail(s string) string { return piinorm.Email(s) }

// NormPhone is piinorm.Phone: E.164 digits without '+', national numbers
// read in region (ISO alpha-2), "" when implausible.
func NormPhone(raw, region string) string { return piinorm.Phone(raw, region) }

// NormName is piinorm.Name (fn, ln): lower-case letters and digits.
func NormName(s string) string { return piinorm.Name(s) }

// SplitName is piinorm.SplitName: the first and the last word.
func SplitName(full string) (first, last string) { return piinorm.SplitName(full) }

// NormCity is piinorm.City (ct): lower-case letters.
func NormCity(s string) string { return piinorm.City(s) }

// NormState is piinorm.State (st): lower-case letters.
func NormState(s string) string { return piinorm.State(s) }

// NormZip is piinorm.Zip (zp).
func NormZip(s, iso2 string) string { return piinorm.Zip(s, iso2) }

// NormCountry is piinorm.Country: lower-case ISO alpha-2 or "".
func NormCountry(s string) string { return piinorm.Country(s) }

// NormExternalID is piinorm.ExternalID: trimmed and lower-cased.
func NormExternalID(s string) string { return piinorm.ExternalID(s) }
