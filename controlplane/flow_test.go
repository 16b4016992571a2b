package controlplane

import "testing"

// flowEngine is a fake engine that reports flow control for endpoint crm.
type flowEngine struct{ fakeEngine }

func (f *flowEngine) Flow(id string) (Flow, bool) {
	return Flow{Concurrency: 2, MaxConcurrency: 8, RateLimit: 50, RateBurst: 5, NodeRateLimit: 50, Nodes: 1, QueueDepth: 7}, id == "crm"
}

// TestEndpointFlowControl: rate_limit and rate_burst are stored and shown,
// refused with their field name when out of range, and an endpoint read
// carries the engine's live flow control when the engine has it.
func TestEndpointFlowControl(t *testing.T) {
	f := newFixture(t, func(_ *Config, s *Settings) { s.Engine = &flowEngine{} })
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h", "rate_limit": 50, "rate_burst": 5})
	f.mustEndpoint(map[string]any{"id": "other", "site": "acme", "url": "https://crm.example.com/o"})
	st, got := f.do("GET", "/api/v1/endpoints/crm", nil)
	if st != 200 || got["rate_limit"] != float64(50) || got["rate_burst"] != float64(5) {
		t.Fatalf("read: %d %v", st, got)
	}
	fl, _ := got["flow"].(map[string]any)
	if fl["concurrency"] != float64(2) || fl["max_concurrency"] != float64(8) || fl["queue_depth"] != float64(7) || fl["node_rate_limit"] != float64(50) {
		t.Fatalf("flow: %v", got["flow"])
	}
	if _, got := f.do("GET", "/api/v1/endpoints/other", nil); got["flow"] != nil || got["rate_limit"] != nil {
		t.Fatalf("endpoint without flow or limit: %v", got)
	}
	for _, c := range []struct {
		name, method, path string
		body               map[string]any
		field              string
	}{
		{"negative rate", "PATCH", "/api/v1/endpoints/crm", map[string]any{"rate_limit": -1}, "rate_limit"},
		{"huge burst", "PATCH", "/api/v1/endpoints/crm", map[string]any{"rate_burst": 1 << 20}, "rate_burst"},
		{"burst without rate", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "rate_burst": 3}, "rate_burst"},
	} {
		if st, body := f.do(c.method, c.path, c.body); st != 422 || errField(body) != c.field {
			t.Errorf("%s: %d %v, want 422 naming %s", c.name, st, body, c.field)
		}
	}
	if st, got := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"rate_limit": 0, "rate_burst": 0}); st != 200 || got["rate_limit"] != nil {
		t.Fatalf("unlimit: %d %v", st, got)
	}
}
