package ingest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestRefusalSeriesExistAtZero: every known refusal and append-failure
// series is exported at 0 before anything happened.
func TestRefusalSeriesExistAtZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"bridge_ingest_refusals_total":        len(transports) * len(refusalCodes),
		"bridge_ingest_events_rejected_total": len(transports) * len(rejectCodes),
		"bridge_ingest_append_failures_total": len(appendReasons),
		"bridge_ingest_events_accepted_total": len(transports),
	}
	for _, mf := range mfs {
		n, ok := want[mf.GetName()]
		if !ok {
			continue
		}
		delete(want, mf.GetName())
		if len(mf.GetMetric()) != n {
			t.Errorf("%s: %d series, want %d", mf.GetName(), len(mf.GetMetric()), n)
		}
		for _, m := range mf.GetMetric() {
			if v := m.GetCounter().GetValue(); v != 0 {
				t.Errorf("%s%v = %v before anything happened", mf.GetName(), m.GetLabel(), v)
			}
		}
	}
	for name := range want {
		t.Errorf("%s not exported", name)
	}
}
