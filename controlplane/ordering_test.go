package controlplane

import (
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
)

// Every change of ordering is recorded, OrderingDelay after the request;
// other changes keep the record; the record cannot be written.
func TestOrderingChangesRecorded(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	changes := func(body map[string]any) []string {
		var out []string
		list, _ := body["ordering_changes"].([]any)
		for _, v := range list {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	at := func(d time.Duration) string {
		f.nowMu.Lock()
		defer f.nowMu.Unlock()
		return f.now.Add(d).UTC().Format(time.RFC3339Nano)
	}
	st, body := f.do("POST", "/api/v1/endpoints", map[string]any{"id": "ord", "site": "acme", "url": "https://a.example.com/h", "ordering": "per_visitor"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	want := []string{at(endpoint.OrderingDelay)}
	for i, step := range []struct {
		patch  map[string]any
		change bool
	}{
		{map[string]any{"description": "crm"}, false},
		{map[string]any{"ordering": "none"}, true},
		{map[string]any{"ordering": ""}, false}, // "" is none
		{map[string]any{"ordering": "per_visitor"}, true},
	} {
		if got := changes(body); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: ordering_changes %v, want %v", i, got, want)
		}
		f.advance(time.Minute)
		if step.change {
			want = append(want, at(endpoint.OrderingDelay))
		}
		if st, body = f.do("PATCH", "/api/v1/endpoints/ord", step.patch); st != 200 {
			t.Fatalf("patch %v: %d %v", step.patch, st, body)
		}
	}
	if got := changes(body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ordering_changes %v, want %v", got, want)
	}
	if st, body := f.do("PATCH", "/api/v1/endpoints/ord", map[string]any{"ordering_changes": []string{}}); st != 422 || errField(body) != "ordering_changes" {
		t.Errorf("writing ordering_changes: %d %v", st, body)
	}
}
