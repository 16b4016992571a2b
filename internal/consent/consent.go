// Package consent decides whether an event may reach a destination: the
// purposes the destination needs, the consent the event carries
// (ctx.consent) and the site's consent mode.
//
// Purposes are bridge's own vocabulary: analytics, ads (advertising and
// marketing) and functional. Google Consent Mode v2 keys in ctx.consent map
// onto them: ad_storage, ad_user_data and ad_personalization → ads;
// analytics_storage → analytics; functionality_storage and
// personalization_storage → functional. An IAB TCF v2 string
// (ctx.consent.tcf) becomes the keys tcf_functional (TCF purpose 1),
// tcf_analytics (7, 8, 9, 10) and tcf_ads (2, 3, 4), each true only when
// all its TCF purposes are consented (see tcf.go). Unknown keys are kept
// and ignored.
// A purpose is denied when any key that maps to it is false, granted when
// one is true and none is false, unknown otherwise: an explicit denial is
// always honoured.
package consent

import (
	"fmt"
	"slices"
)

// Purposes.
const (
	Analytics  = "analytics"
	Ads        = "ads"
	Functional = "functional"
)

// Site consent modes.
const (
	// OptOut forwards unless a needed purpose is denied (the default).
	OptOut = "opt_out"
	// OptIn forwards only when every needed purpose is granted.
	OptIn = "opt_in"
)

// Purposes lists the known purposes.
var Purposes = []string{Analytics, Ads, Functional}

// Known reports whether p is a purpose.
func Known(p string) bool { return slices.Contains(Purposes, p) }

// keys maps each ctx.consent key to its purpose.
var keys = map[string]string{
	Analytics: Analytics, Ads: Ads, Functional: Functional,
	"analytics_storage": Analytics,
	"ad_storage":        Ads, "ad_user_data": Ads, "ad_personalization": Ads,
	"functionality_storage": Functional, "personalization_storage": Functional,
	TCFAnalytics: Analytics, TCFAds: Ads, TCFFunctional: Functional,
}

// State of one purpose in an event.
type State int

const (
	Unknown State = iota
	Granted
	Denied
)

// Of returns the state of purpose p in an event's consent.
func Of(c map[string]bool, p string) State {
	st := Unknown
	for k, v := range c {
		if keys[k] != p {
			continue
		}
		if !v {
			return Denied
		}
		st = Granted
	}
	return st
}

// Missing returns the first purpose of needed that the event's consent does
// not allow under the site's mode, and why ("" when every one is allowed).
func Missing(c map[string]bool, mode string, needed []string) (purpose, why string) {
	for _, p := range needed {
		switch Of(c, p) {
		case Denied:
			return p, fmt.Sprintf("consent: %s denied by the visitor", p)
		case Unknown:
			if mode == OptIn {
				return p, fmt.Sprintf("consent: %s not granted (the site is opt_in)", p)
			}
		}
	}
	return "", ""
}

// Summary reduces an event's consent to its purposes: each purpose that is
// granted or denied, as true or false; unknown purposes are left out (nil
// when none is known). Missing and Of read a summary as they read the
// event's own consent.
func Summary(c map[string]bool) map[string]bool {
	var out map[string]bool
	for _, p := range Purposes {
		st := Of(c, p)
		if st == Unknown {
			continue
		}
		if out == nil {
			out = make(map[string]bool, len(Purposes))
		}
		out[p] = st == Granted
	}
	return out
}
