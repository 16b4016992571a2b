package consent

import (
	"encoding/base64"
	"errors"
	"strings"
)

// IAB TCF v2 (Transparency and Consent Framework v2.2, "Consent string
// and vendor list formats"): only what bridge needs is read, the version
// and the PurposesConsent bit field of the core segment. Hand-written: no
// maintained Go TCF library is available to this build.
//
// A TC string is segments separated by "."; the first is the core segment,
// base64url without padding. Its bits are read most significant first;
// the fields before PurposesConsent (bit offsets from the segment start):
//
//	  0  Version              6 bits (2)
//	  6  Created             36
//	 42  LastUpdated         36
//	 78  CmpId               12
//	 90  CmpVersion          12
//	102  ConsentScreen        6
//	108  ConsentLanguage     12
//	120  VendorListVersion   12
//	132  TcfPolicyVersion     6
//	138  IsServiceSpecific    1
//	139  UseNonStandardTexts  1
//	140  SpecialFeatureOptIns 12
//	152  PurposesConsent     24  bit 152+i-1 is purpose i (1..24)
//	176  PurposesLITransparency …
const (
	tcfVersionBits    = 6
	tcfPurposesOffset = 152
	tcfPurposes       = 24
	// tcfMinChars is the shortest core segment holding PurposesConsent:
	// 176 bits in base64 (6 bits a character).
	tcfMinChars = (tcfPurposesOffset + tcfPurposes + 5) / 6
)

// TCF keys: the ctx.consent keys a TC string (ctx.consent.tcf) becomes,
// one per purpose, mapped like the other keys.
const (
	TCFFunctional = "tcf_functional"
	TCFAnalytics  = "tcf_analytics"
	TCFAds        = "tcf_ads"
)

// tcfMap lists, per TCF key, the TCF purposes that must all be consented
// for it to be granted (any refused: denied).
var tcfMap = []struct {
	key      string
	purposes []int
}{
	{TCFFunctional, []int{1}},          // 1 store and/or access information on a device
	{TCFAnalytics, []int{7, 8, 9, 10}}, // measure ad and content performance, audience statistics, develop and improve services
	{TCFAds, []int{2, 3, 4}},           // basic ads, personalised ads profile, personalised ads selection
}

// ErrTCF is a string that is not a TCF v2 core segment long enough to hold
// its purposes.
var ErrTCF = errors.New("consent: not an IAB TCF v2 consent string")

// TCFCore is what bridge reads of a TC string's core segment.
type TCFCore struct {
	Version int
	// PurposesConsent has bit i-1 set when purpose i (1..24) is consented.
	PurposesConsent uint32
}

// Purpose reports whether TCF purpose n (1..24) is consented.
func (c TCFCore) Purpose(n int) bool {
	return n >= 1 && n <= tcfPurposes && c.PurposesConsent&(1<<(n-1)) != 0
}

// DecodeTCF reads the version and PurposesConsent of a TC string; a
// version other than 2 or a short or malformed core segment is ErrTCF.
// Only the core segment's first characters are decoded.
func DecodeTCF(s string) (TCFCore, error) {
	core, _, _ := strings.Cut(s, ".")
	if len(core) < tcfMinChars {
		return TCFCore{}, ErrTCF
	}
	head := core[:min(len(core), 32)] // 32 characters: 24 bytes, 192 bits
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || len(b)*8 < tcfPurposesOffset+tcfPurposes {
		return TCFCore{}, ErrTCF
	}
	bit := func(i int) uint32 { return uint32(b[i/8]>>(7-i%8)) & 1 }
	var c TCFCore
	for i := range tcfVersionBits {
		c.Version = c.Version<<1 | int(bit(i))
	}
	if c.Version != 2 {
		return TCFCore{}, ErrTCF
	}
	for n := 1; n <= tcfPurposes; n++ {
		c.PurposesConsent |= bit(tcfPurposesOffset+n-1) << (n - 1)
	}
	return c, nil
}

// TCFKeys maps a TC string to its ctx.consent keys (TCFFunctional,
// TCFAnalytics, TCFAds), each true when every TCF purpose it stands for is
// consented. ok is false for a string DecodeTCF refuses: it states nothing.
func TCFKeys(s string) (keys map[string]bool, ok bool) {
	c, err := DecodeTCF(s)
	if err != nil {
		return nil, false
	}
	keys = make(map[string]bool, len(tcfMap))
	for _, m := range tcfMap {
		all := true
		for _, p := range m.purposes {
			all = all && c.Purpose(p)
		}
		keys[m.key] = all
	}
	return keys, true
}
