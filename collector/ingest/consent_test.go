package ingest

import (
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// TestConsentOnTheWire checks ctx.consent's normalisation by both parsers:
// booleans and Google Consent Mode strings are kept as booleans, anything
// else is left out of the map and the event is accepted.
func TestConsentOnTheWire(t *testing.T) {
	const id = "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	tests := []struct {
		name string
		ctx  string // the entry's ctx member(s)
		want map[string]bool
	}{
		{"booleans", `"ctx":{"consent":{"ads":true,"analytics":false}}`,
			map[string]bool{"ads": true, "analytics": false}},
		{"consent mode strings", `"ctx":{"consent":{"ad_storage":"granted","ad_user_data":"denied","analytics_storage":"GRANTED","ad_personalization":"Denied"}}`,
			map[string]bool{"ad_storage": true, "ad_user_data": false, "analytics_storage": true, "ad_personalization": false}},
		{"escaped consent mode string", `"ctx":{"consent":{"ad_storage":"gr\u0061nted"}}`,
			map[string]bool{"ad_storage": true}},
		{"null entries left out", `"ctx":{"consent":{"ads":null,"functional":true}}`,
			map[string]bool{"functional": true}},
		{"TCF string without purposes", `"ctx":{"consent":{"tcf":"` + tcfString() + `","ads":true}}`,
			map[string]bool{"ads": true, "tcf_functional": false, "tcf_analytics": false, "tcf_ads": false}},
		{"TCF string with purposes", `"ctx":{"consent":{"tcf":"` + tcfString(1, 2, 3, 4, 7, 8, 9, 10) + `.segment"}}`,
			map[string]bool{"tcf_functional": true, "tcf_analytics": true, "tcf_ads": true}},
		{"TCF storage only, escaped", `"ctx":{"consent":{"tcf":"` + strings.Replace(tcfString(1), "A", `\u0041`, 1) + `"}}`,
			map[string]bool{"tcf_functional": true, "tcf_analytics": false, "tcf_ads": false}},
		{"TCF keys on the wire ignored", `"ctx":{"consent":{"tcf_ads":true,"tcf_analytics":"granted"}}`, map[string]bool{}},
		{"TCF keys on the wire do not override", `"ctx":{"consent":{"tcf":"` + tcfString() + `","tcf_ads":true},"consent":{"tcf_ads":true}}`,
			map[string]bool{"tcf_functional": false, "tcf_analytics": false, "tcf_ads": false}},
		{"TCF not a TC string left out", `"ctx":{"consent":{"tcf":"CPXxRfAPXxRfAAfKABENB","ads":false}}`,
			map[string]bool{"ads": false}},
		{"TCF later invalid removes", `"ctx":{"consent":{"tcf":"` + tcfString(1) + `"},"consent":{"tcf":5}}`, map[string]bool{}},
		{"number, object, array, other string left out", `"ctx":{"consent":{"ads":1,"analytics":{"v":true},"functional":[true],"x":"yes","y":"","z":" granted"}}`,
			map[string]bool{}},
		{"only odd values: an empty map", `"ctx":{"consent":{"tcf":"CP"}}`, map[string]bool{}},
		{"empty object", `"ctx":{"consent":{}}`, map[string]bool{}},
		{"no consent", `"ctx":{"url":"u"}`, nil},
		{"null consent", `"ctx":{"consent":null}`, nil},
		{"last value of a key wins", `"ctx":{"consent":{"ads":true,"ads":"denied","analytics":true,"analytics":"tcf"}}`,
			map[string]bool{"ads": false}},
		{"repeated consent merged", `"ctx":{"consent":{"ads":true,"analytics":true},"consent":{"analytics":5,"functional":"granted"}}`,
			map[string]bool{"ads": true, "functional": true}},
		{"repeated ctx merged", `"ctx":{"consent":{"ads":"granted"}},"ctx":{"consent":{"analytics":false}}`,
			map[string]bool{"ads": true, "analytics": false}},
		{"null consent clears", `"ctx":{"consent":{"ads":true},"consent":null}`, nil},
	}
	parsers := map[string]func([]byte, Limits) ([]Item, *Error){"ParseBatch": ParseBatch, "reference": refParseBatch}
	for _, tt := range tests {
		raw := []byte(`{"batch":[{"id":"` + id + `","name":"n",` + tt.ctx + `}]}`)
		for pname, parse := range parsers {
			t.Run(tt.name+"/"+pname, func(t *testing.T) {
				items, err := parse(raw, defaultLimits())
				if err != nil || len(items) != 1 || items[0].Reject != nil {
					t.Fatalf("%s: %v %+v", raw, err, items)
				}
				got := items[0].Context.Consent
				if (got == nil) != (tt.want == nil) || !maps.Equal(got, tt.want) {
					t.Fatalf("%s: consent %#v, want %#v", raw, got, tt.want)
				}
			})
		}
	}
}

// TestConsentNotAnObject checks that a ctx.consent which is neither an
// object nor null still rejects its event, naming the field, in both
// parsers alike.
func TestConsentNotAnObject(t *testing.T) {
	const id = "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	for _, v := range []string{`"CPXxRfAPXxRfAAfKABENB"`, `5`, `true`, `[{"ads":true}]`} {
		raw := []byte(`{"batch":[{"id":"` + id + `","name":"n","ctx":{"consent":` + v + `}}]}`)
		got, gerr := ParseBatch(raw, defaultLimits())
		want, werr := refParseBatch(raw, defaultLimits())
		if gerr != nil || werr != nil || len(got) != 1 || len(want) != 1 {
			t.Fatalf("%s: %v %v %+v %+v", raw, gerr, werr, got, want)
		}
		sameItems(t, raw, got, want)
		r := got[0].Reject
		if r == nil || r.Code != CodeInvalidEvent || !strings.HasPrefix(r.Error, "ctx.consent: want an object, got JSON ") {
			t.Fatalf("%s: reject %+v", raw, r)
		}
	}
}

// TestHTTPAcceptsOddConsent checks end to end that an event whose consent
// holds values bridge does not read is acked and stored with the
// normalised consent (the TC string, version 2 without purpose consent,
// read as its three keys).
func TestHTTPAcceptsOddConsent(t *testing.T) {
	h := newHarness(t, testConfig())
	ev := mkEvent("nudge_show")
	ev.Ctx["consent"] = map[string]any{"ad_user_data": "DENIED", "analytics_storage": "granted", "ads": true,
		"tcf": "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "n": 3, "o": map[string]any{"a": 1}, "z": nil}
	resp, b := postEvents(t, h.eventsURL(testKey), "application/json", testOrigin, batchJSON(t, ev))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if r := decodeResult(t, b); len(r.Accepted) != 1 || r.Accepted[0] != ev.ID || len(r.Rejected) != 0 {
		t.Fatalf("got %s", b)
	}
	stored, ok := h.log.get(ev.ID)
	if !ok {
		t.Fatal("acked event not stored")
	}
	want := map[string]bool{"ad_user_data": false, "analytics_storage": true, "ads": true,
		"tcf_functional": false, "tcf_analytics": false, "tcf_ads": false}
	if !maps.Equal(stored.Context.Consent, want) {
		t.Fatalf("stored consent %#v, want %#v", stored.Context.Consent, want)
	}
}

// tcfString is a TCF v2 core segment built bit by bit: version 2 in bits
// 0..5, purpose n consented at bit 152+n-1, every other bit 0.
func tcfString(purposes ...int) string {
	b := make([]byte, 29)
	b[0] = 2 << 2
	for _, p := range purposes {
		i := 152 + p - 1
		b[i/8] |= 1 << (7 - i%8)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
