package ingest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestPrepareBigBatchInParallel checks that a batch validated on several
// cores gives, in order, what validating event by event gives.
func TestPrepareBigBatchInParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var evs []wireEvent
	for i := range 300 {
		e := mkEvent(browserNames[i%len(browserNames)])
		switch i % 7 {
		case 3:
			e.Data["uid"] = 5.5 // uid must be a string: invalid against the schema
		case 5:
			e.ID = "not-a-uuid" // rejected by ParseBatch
		case 6:
			e.Name = fmt.Sprintf("custom_%d", i) // unknown: accepted, flagged
		}
		evs = append(evs, e)
	}
	items, perr := ParseBatch(batchJSON(t, evs...), defaultLimits())
	if perr != nil {
		t.Fatal(perr)
	}
	h := newHarness(t, testConfig())
	s, _ := testSites().ByWriteKey(testKey)
	c := client{site: s, ip: "192.0.2.1", userAgent: "ua", transport: "ws"}
	if h.in.validateParallel(items) == nil {
		t.Fatal("a 300-event batch was not validated in parallel")
	}
	got, _, gotRej := h.in.prepare(c, items, time.Now())

	var wantIDs, wantRej []string
	unknown := 0
	for _, it := range items {
		if it.Reject != nil {
			wantRej = append(wantRej, it.Reject.ID+" "+it.Reject.Error)
			continue
		}
		known, err := h.in.validate(&it)
		if err != nil {
			wantRej = append(wantRej, it.ID+" "+err.Error())
			continue
		}
		if !known {
			unknown++
		}
		wantIDs = append(wantIDs, it.ID)
	}
	var gotIDs, gotR []string
	gotUnknown := 0
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
		if !e.Known {
			gotUnknown++
		}
	}
	for _, r := range gotRej {
		gotR = append(gotR, r.ID+" "+r.Error)
	}
	if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") || strings.Join(gotR, ",") != strings.Join(wantRej, ",") {
		t.Fatalf("parallel prepare differs:\n got %d events, rejects %v\nwant %d events, rejects %v", len(gotIDs), gotR, len(wantIDs), wantRej)
	}
	if gotUnknown != unknown || unknown == 0 || len(wantRej) < 80 {
		t.Fatalf("unknown %d, want %d; %d rejects", gotUnknown, unknown, len(wantRej))
	}
}

// TestDataOfUnknownNamesIsStillValidated checks that skipping the decoded
// value of data that no schema describes never skips validation: a later
// "name" can make the event known, and its data must then still fit.
func TestDataOfUnknownNamesIsStillValidated(t *testing.T) {
	id := "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	raw := `{"batch":[{"id":"` + id + `","name":"custom_thing","data":{"rating":true},"name":"popin_rating_done"}]}`
	items, perr := ParseBatch([]byte(raw), defaultLimits())
	if perr != nil || len(items) != 1 || items[0].decoded {
		t.Fatalf("items %+v, err %v", items, perr)
	}
	h := newHarness(t, testConfig())
	s, _ := testSites().ByWriteKey(testKey)
	evs, _, rej := h.in.prepare(client{site: s, ip: "192.0.2.1", transport: "ws"}, items, time.Now())
	if len(evs) != 0 || len(rej) != 1 || !strings.Contains(rej[0].Error, "data/") {
		t.Fatalf("events %v, rejects %+v", evs, rej)
	}
	raw = `{"batch":[{"id":"` + id + `","name":"my_event","src":"custom","data":{"uid":42}}]}`
	items, _ = ParseBatch([]byte(raw), defaultLimits())
	evs, _, rej = h.in.prepare(client{site: s, ip: "192.0.2.1", transport: "ws"}, items, time.Now())
	if len(evs) != 1 || len(rej) != 0 || evs[0].Known || evs[0].UID != "42" || string(evs[0].Data) != `{"uid":42}` {
		t.Fatalf("events %+v, rejects %+v", evs, rej)
	}
}

// TestPrepareGAClientID: a ctx.ga_client_id shaped like a _ga client id is
// kept; anything else is dropped from the event, which is still accepted,
// and counted in bridge_ingest_ga_client_id_dropped_total.
func TestPrepareGAClientID(t *testing.T) {
	h := newHarness(t, testConfig())
	s, _ := testSites().ByWriteKey(testKey)
	c := client{site: s, ip: "192.0.2.1", transport: "http"}
	for _, tc := range []struct {
		ga, want string
		dropped  float64
	}{
		{"", "", 0},
		{"1234567890.1763920000", "1234567890.1763920000", 0},
		{"GA1.1.1234567890.1763920000", "", 1},
		{"<script>", "", 2},
		{strings.Repeat("1", 30) + "." + strings.Repeat("2", 30), "", 3},
	} {
		e := mkEvent("popin_widget_open")
		e.Ctx = map[string]any{"ga_client_id": tc.ga}
		items, perr := ParseBatch(batchJSON(t, e), defaultLimits())
		if perr != nil {
			t.Fatal(perr)
		}
		evs, _, rej := h.in.prepare(c, items, time.Now())
		if len(evs) != 1 || len(rej) != 0 {
			t.Fatalf("ga_client_id %q: events %d, rejects %+v: the event must be kept", tc.ga, len(evs), rej)
		}
		if got := evs[0].Context.GAClientID; got != tc.want {
			t.Errorf("ga_client_id %q: kept %q, want %q", tc.ga, got, tc.want)
		}
		var m dto.Metric
		if err := h.in.m.gaDropped.WithLabelValues("http").Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.Counter.GetValue(); got != tc.dropped {
			t.Errorf("ga_client_id %q: dropped counter %v, want %v", tc.ga, got, tc.dropped)
		}
	}
}
