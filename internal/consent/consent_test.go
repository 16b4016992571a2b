package consent

import "testing"

func TestMissing(t *testing.T) {
	ads := []string{Ads}
	for _, tc := range []struct {
		name    string
		consent map[string]bool
		mode    string
		needed  []string
		want    string
	}{
		{"nothing needed", map[string]bool{"ads": false}, OptIn, nil, ""},
		{"granted", map[string]bool{"ads": true}, OptIn, ads, ""},
		{"denied opt_out", map[string]bool{"ads": false}, OptOut, ads, Ads},
		{"denied opt_in", map[string]bool{"ads": false}, OptIn, ads, Ads},
		{"unknown opt_out", nil, OptOut, ads, ""},
		{"unknown opt_in", nil, OptIn, ads, Ads},
		{"other purpose only", map[string]bool{"analytics": true}, OptIn, ads, Ads},
		{"gcm denied", map[string]bool{"ad_user_data": false}, OptOut, ads, Ads},
		{"gcm granted", map[string]bool{"ad_storage": true, "ad_user_data": true}, OptIn, ads, ""},
		{"gcm one denied wins", map[string]bool{"ad_storage": true, "ad_user_data": false}, OptIn, ads, Ads},
		{"own key and gcm disagree: denial wins", map[string]bool{"ads": true, "ad_personalization": false}, OptOut, ads, Ads},
		{"unknown keys ignored", map[string]bool{"x_vendor": false}, OptOut, ads, ""},
		{"second purpose missing", map[string]bool{"ads": true}, OptIn, []string{Ads, Analytics}, Analytics},
		{"analytics via gcm", map[string]bool{"analytics_storage": true}, OptIn, []string{Analytics}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Missing(tc.consent, tc.mode, tc.needed)
			if got != tc.want || (got != "" && why == "") {
				t.Fatalf("Missing = %q (%q), want %q", got, why, tc.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		consent map[string]bool
		want    map[string]bool
	}{
		{"nil", nil, nil},
		{"unknown keys only", map[string]bool{"x": true}, nil},
		{"own keys", map[string]bool{"ads": false, "analytics": true}, map[string]bool{"ads": false, "analytics": true}},
		{"gcm, one denial", map[string]bool{"ad_storage": true, "ad_user_data": false, "functionality_storage": true},
			map[string]bool{"ads": false, "functional": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(tc.consent)
			if len(got) != len(tc.want) {
				t.Fatalf("Summary = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Fatalf("Summary = %v, want %v", got, tc.want)
				}
			}
			for _, p := range Purposes {
				if _, ok := got[p]; Of(got, p) != Of(tc.consent, p) || (ok != (Of(tc.consent, p) != Unknown)) {
					t.Fatalf("purpose %s: summary says %v, consent %v", p, Of(got, p), Of(tc.consent, p))
				}
			}
		})
	}
}
