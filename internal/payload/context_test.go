package payload

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// appendContext writes the bytes of json.Marshal(event.Context).
func TestAppendContextMatchesMarshal(t *testing.T) {
	// A field added to event.Context must be added to appendContext too.
	var names []string
	for f := range reflect.TypeFor[event.Context]().Fields() {
		names = append(names, f.Name+" "+f.Tag.Get("json"))
	}
	want := []string{"URL url,omitempty", "Referrer ref,omitempty", "Title title,omitempty", "UTM utm,omitempty",
		"FBP fbp,omitempty", "FBC fbc,omitempty", "Consent consent,omitempty", "UserID user_id,omitempty", "GAClientID ga_client_id,omitempty", "Country country,omitempty",
		"IP ip,omitempty", "UserAgent ua,omitempty"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("event.Context fields changed: %q; update appendContext and this test", names)
	}
	odd := "a\"b\\c<d>&e\n\t\x01\x1f é \u2028\u2029 \xff\xfe 💥"
	for i, c := range []event.Context{
		{},
		{URL: "https://x/?a=1&b=<2>"},
		{UserAgent: "Mozilla/5.0"},
		{UTM: map[string]string{}, Consent: map[string]bool{}},
		{URL: "u" + odd, Referrer: "r" + odd, Title: "t" + odd,
			UTM: map[string]string{"source": "g", "medium": odd, odd: "k", "": "empty", "Z": "1", "a": "2"},
			FBP: "fb.1.1.2", FBC: "fb.1.1.c" + odd,
			Consent: map[string]bool{"marketing": true, "analytics": false, odd: true}, UserID: "crm" + odd, GAClientID: "1234567890.1763920000",
			Country: "IN", IP: "203.0.113.7", UserAgent: "ua" + odd},
		{Consent: map[string]bool{"x": false}, IP: "::1"},
	} {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendContext([]byte("x"), &c); string(got) != "x"+string(want) {
			t.Errorf("case %d:\n got %s\nwant x%s", i, got, want)
		}
	}
}

func TestAppendRFC3339NanoUTC(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Unix(1614265330, 0), time.Unix(1614265330, 1), time.Unix(1614265330, 120000000),
		time.Unix(1614265330, 999999999), time.Date(2026, 12, 31, 23, 59, 59, 100, ist), time.Now(),
		time.Date(9999, 12, 31, 23, 59, 59, 5, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(7, 2, 3, 4, 5, 6, 7, time.UTC),
	} {
		if got, want := string(appendRFC3339NanoUTC([]byte("x"), tm)), "x"+tm.UTC().Format(time.RFC3339Nano); got != want {
			t.Errorf("%v: got %s want %s", tm, got, want)
		}
	}
}

func TestNeedsHTMLEscape(t *testing.T) {
	for _, s := range []string{"", "abc", "<", "a>", "&x", "\u2028", "x\u2029y", "\u2027\u202a", "\xe2\x80", "\xe2", "é💥", `{"a":"b"}`} {
		if got, want := needsHTMLEscape([]byte(s)), strings.ContainsAny(s, "<>&\u2028\u2029"); got != want {
			t.Errorf("%q: got %v want %v", s, got, want)
		}
	}
}
