package controlplane

import (
	"strings"
	"testing"
)

// TestRulesAtSaveAndTestRun: a bad filter is refused at create and PATCH
// with its position; test-rules evaluates filter and transform on a given
// event or the sample lead, and answers 422 with the position of a problem.
func TestRulesAtSaveAndTestRun(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	rcv := newReceiver(t, 200)
	base := map[string]any{"id": "crm", "site": "acme", "url": rcv.URL + "/hook"}

	bad := map[string]any{"filter": "name == \"x\" &&\n  nme == 1"}
	for k, v := range base {
		bad[k] = v
	}
	st, body := f.do("POST", "/api/v1/endpoints", bad)
	if st != 422 || errField(body) != "filter" || !strings.Contains(errMessage(body), "filter: line 2, column 3: unknown name nme") {
		t.Fatalf("create with a bad filter: %d %v", st, body)
	}
	created := f.mustEndpoint(base)
	if created["filter"] != nil {
		t.Fatalf("filter shown without being set: %v", created)
	}
	st, body = f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"transform": `{"e": name`})
	if st != 422 || errField(body) != "transform" || !strings.Contains(errMessage(body), "line 1, column") {
		t.Fatalf("PATCH with a bad transform: %d %v", st, body)
	}
	st, body = f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"filter": `data.country == "IN"`, "transform": `{"e": name}`})
	if st != 200 || body["filter"] != `data.country == "IN"` || body["transform"] != `{"e": name}` {
		t.Fatalf("PATCH with good rules: %d %v", st, body)
	}
	if e, ok := f.eng.endpoint("crm"); !ok || e.Filter != `data.country == "IN"` {
		t.Fatalf("engine endpoint %+v", e)
	}

	// Test runs.
	st, body = f.do("POST", "/api/v1/endpoints/test-rules", map[string]any{
		"filter": `name == "popin_captured" && data.country == "IN"`, "transform": `{"event": name, "email": upper(data.email)}`})
	if st != 200 || body["matched"] != true {
		t.Fatalf("sample lead: %d %v", st, body)
	}
	if b, _ := body["body"].(map[string]any); b["event"] != "popin_captured" || b["email"] != "ASHA@EXAMPLE.COM" || len(b) != 2 {
		t.Fatalf("sample body %v", body["body"])
	}
	ev := map[string]any{"id": "e1", "site": "acme", "name": "popin_captured", "source": "browser", "data": map[string]any{"country": "US"}}
	st, body = f.do("POST", "/api/v1/endpoints/test-rules", map[string]any{"filter": `data.country == "IN"`, "event": ev})
	if st != 200 || body["matched"] != false {
		t.Fatalf("given event: %d %v", st, body)
	}
	if b, _ := body["body"].(map[string]any); b["type"] != "popin_captured" || b["id"] != "e1" {
		t.Fatalf("default body %v", body["body"])
	}
	for _, tc := range []struct {
		req          map[string]any
		field        string
		line, column float64
	}{
		{map[string]any{"filter": "name ==\n  data.x +"}, "filter", 2, 10},
		{map[string]any{"transform": `name`}, "transform", 0, 0},
		{map[string]any{"filter": `data.a.b == 1`}, "filter", 1, 8}, // fails on the event, at its position
	} {
		st, body := f.do("POST", "/api/v1/endpoints/test-rules", tc.req)
		e, _ := body["error"].(map[string]any)
		line, _ := e["line"].(float64)
		col, _ := e["column"].(float64)
		if st != 422 || errField(body) != tc.field || line != tc.line || col != tc.column {
			t.Errorf("%v: %d %v", tc.req, st, body)
		}
	}
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}
