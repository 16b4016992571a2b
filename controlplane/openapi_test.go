package controlplane

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

type openAPIPaths map[string]map[string]json.RawMessage

func loadOpenAPI(t *testing.T) openAPIPaths {
	t.Helper()
	var doc struct {
		OpenAPI string       `json:"openapi"`
		Paths   openAPIPaths `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	return doc.Paths
}

// TestOpenAPIMatchesRoutes: every routed operation is documented and every
// documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	paths := loadOpenAPI(t)
	routed := map[string]bool{}
	for _, r := range apiRoutes {
		routed[r.method+" "+r.path] = true
	}
	documented := map[string]bool{}
	for p, ops := range paths {
		for meth := range ops {
			if meth == "parameters" {
				continue
			}
			documented[strings.ToUpper(meth)+" "+p] = true
		}
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("routed but undocumented: %v; documented but not routed: %v", missing, extra)
	}
}

// TestAuthOnEveryRoute walks the OpenAPI document: without the token, with
// a wrong one, and with the API disabled (no admin token), every operation
// answers 401 in the error shape.
func TestAuthOnEveryRoute(t *testing.T) {
	f := newFixture(t)
	off := newNode(t, f.nats, func(_ *Config, s *Settings) { s.AdminToken = "" })
	paths := loadOpenAPI(t)
	n := 0
	for p, ops := range paths {
		concrete := strings.ReplaceAll(p, "{id}", "x")
		for meth := range ops {
			for _, c := range []struct {
				name  string
				fx    *fixture
				token string
			}{{"none", f, ""}, {"wrong", f, "not-the-token-at-all"}, {"prefix", f, testToken[:10]}, {"disabled", off, ""}, {"disabled-any", off, "anything"}} {
				st, body := c.fx.doToken(c.token, strings.ToUpper(meth), concrete, nil)
				if st != http.StatusUnauthorized || errCode(body) != "unauthorized" {
					t.Errorf("%s %s (%s): %d %v", meth, p, c.name, st, body)
				}
				n++
			}
		}
	}
	if n < 5*len(apiRoutes) {
		t.Fatalf("only %d checks", n)
	}
	if st, _ := f.do("GET", "/api/v1/openapi.json", nil); st != 200 {
		t.Fatalf("openapi with token: %d", st)
	}
}
