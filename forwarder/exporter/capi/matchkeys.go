package capi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
)

// FBCFromURL builds Meta's fbc ("fb.1.<ms>.<fbclid>", fbclid as written)
// from the fbclid of the event's page URL, for events whose SDK sent no
// fbc; "" when the URL has none or the visitor denied ads. The SDK builds
// the same value from the landing URL when it may (ctx.fbc); <ms> is the
// event's time here, where the SDK has the landing time.
func FBCFromURL(ev *event.Event) string {
	if ev.Context.URL == "" || consent.Of(ev.Context.Consent, consent.Ads) == consent.Denied {
		return ""
	}
	u, err := url.Parse(ev.Context.URL)
	if err != nil {
		return ""
	}
	click := u.Query().Get("fbclid")
	if click == "" || len(click) > 500 {
		return ""
	}
	t := EventTime(ev)
	if t.IsZero() {
		return ""
	}
	return "fb.1." + strconv.FormatInt(t.UnixMilli(), 10) + "." + click
}

// MatchKeys names the user_data keys u carries, comma-separated in Meta's
// order: em, ph, fn, ln, ct, st, zp, country, external_id, then ip
// (client_ip_address), ua (client_user_agent), fbp, fbc.
func MatchKeys(u UserData) string {
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"em", len(u.Em) > 0}, {"ph", len(u.Ph) > 0}, {"fn", len(u.Fn) > 0}, {"ln", len(u.Ln) > 0},
		{"ct", len(u.Ct) > 0}, {"st", len(u.St) > 0}, {"zp", len(u.Zp) > 0}, {"country", len(u.Country) > 0},
		{"external_id", len(u.ExternalID) > 0}, {"ip", u.ClientIPAddress != ""}, {"ua", u.ClientUserAgent != ""},
		{"fbp", u.FBP != ""}, {"fbc", u.FBC != ""},
	} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	return strings.Join(keys, ",")
}

// MatchKeys implements exporter.MatchKeyer: the keys Export sends for ev.
func (x *Exporter) MatchKeys(ev *event.Event) string {
	return MatchKeys(BuildUserData(ExtractRaw(ev.Data), ev, x.phoneRegion(ev.SiteID)))
}
